"""`etude learner progress`: what a learner has mastered, is working on and should review, read
from their stored conversation as the tutor itself sees it; `etude learner delete`: erase it all."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bot.logs import stderr
from bot.settings import get_settings

stdout = Console()

SeedOpt = Annotated[int, typer.Option(help="Seed of the held-out split and of SAKT.")]
EpochsOpt = Annotated[int, typer.Option(help="SAKT's most epochs (early-stopped).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
ConfigOpt = Annotated[str, typer.Option("--config", help='SAKT settings as JSON, e.g. \'{"dim": 32}\'.')]


def configure_actions(settings: Any, graph: Any) -> None:
    """Point the actions' helpers at `graph` and the home's models, as the running tutor does."""
    import actions.services

    actions.services.configure(
        actions.services.Services(graph=graph, media_dir=settings.media_dir, models_dir=settings.models_dir)
    )


def stored_tracker(settings: Any, graph: Any, store: Any, learner: str) -> Any:
    """The learner's tracker as the actions read it, rebuilt from their stored events (the actions
    are configured over `graph` on the way, so their helpers can be called)."""
    from rasa_sdk import Tracker as ActionTracker

    from bot.service import load_dialogue
    from bot.tracker import Tracker

    domain, _ = load_dialogue()
    tracker = Tracker(learner, domain, events=store.events(learner))
    configure_actions(settings, graph)
    return ActionTracker.from_dict(tracker.sdk_state())


def learner_progress(
    learner: Annotated[str, typer.Argument(help="The learner's sender id (web, REST or telegram:<id>).")],
    as_json: JsonOpt = False,
) -> None:
    """Mastered concepts, those in progress and those due for review, with the model's estimates."""
    from bot.learner_data import StoredLearnerData
    from bot.service import load_dialogue
    from bot.store import ConversationStore

    settings = get_settings()
    graph = settings.open_graph()
    try:
        with ConversationStore(settings.db_url) as store:
            if learner not in store.senders():
                stderr.print(f"[red]error:[/] no conversation with learner {learner!r}")
                raise typer.Exit(2)
            configure_actions(settings, graph)
            domain, _ = load_dialogue()
            report = {"learner": learner, **StoredLearnerData(store, domain, graph).progress(learner)}
    finally:
        graph.store.close()
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"{learner}: grade {int(report['level'] or 1)}")
    for column in ("status", "concept", "mastery", "recall now", "right", "wrong"):
        table.add_column(column)
    for group in ("mastered", "due", "in_progress"):
        for r in report[group]:
            table.add_row(group.replace("_", " "), r["name"], f"{r['p']:.0%}", f"{r['recall']:.0%}",
                          str(r["correct"]), str(r["wrong"]))
    stdout.print(table)


def _logged(settings: Any) -> tuple[list[Any], list[str], Any]:
    """The graded sequences in the store, the concept of each skill id, and the prerequisites."""
    from bot.store import ConversationStore
    from kg.curriculum import load_curriculum
    from recommender.learner.mastery import Prerequisites
    from recommender.learner.sequences import graded_sequences

    curriculum = load_curriculum(settings.data_dir / "curriculum")
    requires = {f"concept:{c.id}": [f"concept:{r}" for r in c.requires] for c in curriculum}
    with ConversationStore(settings.db_url) as store:
        events = [*store.behavior(kind="quiz_answer"), *store.behavior(kind="practice_result")]
    data, index = graded_sequences(events, {c: k for k, c in enumerate(requires)})
    concepts = sorted(index, key=index.__getitem__)
    for concept in concepts:
        requires.setdefault(concept, [])  # a concept ingested outside the curriculum: no prerequisites
    return data, concepts, Prerequisites(requires)


def _sakt_config(seed: int, epochs: int, config: str) -> Any:
    """SAKT's settings from the options, or a clear error (exit 2)."""
    from recommender.learner.sakt import SAKTConfig

    if epochs < 1:
        stderr.print("[red]error:[/] --epochs must be at least 1")
        raise typer.Exit(2)
    try:
        extra = json.loads(config)
        if not isinstance(extra, dict):
            raise TypeError("--config must be a JSON object")
        return SAKTConfig(**{"seed": seed, "epochs": epochs, **extra})
    except (ValueError, TypeError) as exc:
        stderr.print(f"[red]error:[/] bad --config: {exc}")
        raise typer.Exit(2) from exc


def learner_eval(seed: SeedOpt = 0, epochs: EpochsOpt = 80, config: ConfigOpt = "{}",
                 as_json: JsonOpt = False) -> None:
    """Knowledge tracing on the tutor's own logs: BKT, SAKT, the online model the tutor decides with,
    and SAKT over it, compared on held-out learners' quiz answers and practice results."""
    from recommender.learner.evaluate import compare

    settings = _sakt_config(seed, epochs, config)
    data, concepts, prerequisites = _logged(get_settings())
    try:
        report = compare(data, concepts, prerequisites, seed, settings,
                         progress=lambda name, auc: stderr.print(f"{name}: test AUC {auc}"))
    except ValueError as exc:
        stderr.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    if as_json:
        sys.stdout.write(json.dumps(report) + "\n")
        return
    table = Table(title=f"{report['learners']} learners, {report['answers']} graded answers, "
                        f"{report['test_learners']} held out")
    for column in ("model", "test AUC", "fit"):
        table.add_column(column)
    for name, row in report["results"].items():
        table.add_row(name, f"{row['test_auc']:.4f}", f"{row['fit_s']:.1f} s")
    stdout.print(table)


def learner_train(seed: SeedOpt = 0, epochs: EpochsOpt = 80, config: ConfigOpt = "{}",
                  as_json: JsonOpt = False) -> None:
    """Train the attention model (SAKT over the online model) on the stored logs; the tutor starts
    using it (at its next start) only if it beats the online model on held-out learners."""
    from datetime import UTC, datetime

    from recommender.learner.tracer import ACTIVE, train_tracer

    sakt = _sakt_config(seed, epochs, config)
    settings = get_settings()
    data, concepts, prerequisites = _logged(settings)
    try:
        tracer = train_tracer(data, concepts, prerequisites, seed, sakt)
    except ValueError as exc:
        stderr.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    version = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    directory = settings.models_dir / "kt"
    tracer.save(directory / version)
    if tracer.better:
        (directory / ACTIVE).write_text(version + "\n", encoding="utf-8")
    report = {"version": version, "active": tracer.better, **tracer.metrics}
    if as_json:
        sys.stdout.write(json.dumps(report) + "\n")
        return
    verdict = ("activated: the tutor uses it from its next start" if tracer.better
               else "not activated: the online model predicts as well or better")
    metrics = tracer.metrics
    stdout.print(f"SAKT {version}: held-out AUC {metrics['test_auc']:.4f} against the online model's "
                 f"{metrics['online_test_auc']:.4f} ({report['learners']} learners); {verdict}")


def learner_delete(
    learner: Annotated[str, typer.Argument(help="The learner's sender id (web:<id>, tg:<id>, user:<name>).")],
    yes: Annotated[bool, typer.Option("--yes", help="Erase without asking first.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Erase a learner's data for good: conversation, progress, behaviour, reviews and recordings.

    A running service forgets the learner's cached state only when the erasure goes through it (the
    console or `DELETE /api/learners/...`); after erasing here, restart it."""
    from bot.privacy import erase_learner
    from bot.store import ConversationStore, UnknownLearner

    if not yes:
        typer.confirm(f"Erase everything stored about {learner!r}, for good?", abort=True)
    settings = get_settings()
    with ConversationStore(settings.db_url) as store:
        try:
            report = erase_learner(learner, store, recordings_dir=settings.recordings_dir,
                                  home=settings.home, via="cli")
        except (UnknownLearner, ValueError) as exc:
            stderr.print(f"[red]error:[/] no learner {learner!r}: {exc}")
            raise typer.Exit(2) from exc
    if as_json:
        sys.stdout.write(json.dumps(report.to_json()) + "\n")
        return
    deleted = ", ".join(f"{n} {table}" for table, n in report.to_json()["deleted"].items())
    stdout.print(f"Erased {learner}: {deleted}. A running service keeps its cached state of them "
                 "until it restarts.")


def register(app: typer.Typer) -> None:
    learner = typer.Typer(help="The learner model: what each learner knows.", no_args_is_help=True)
    learner.command("progress")(learner_progress)
    learner.command("eval")(learner_eval)
    learner.command("train")(learner_train)
    learner.command("delete")(learner_delete)
    app.add_typer(learner, name="learner")
