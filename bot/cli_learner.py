"""`etude learner progress`: what a learner has mastered, is working on and should review, read
from their stored conversation as the tutor itself sees it."""

from __future__ import annotations

import json
import sys
import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bot.logs import stderr
from bot.settings import get_settings

stdout = Console()


def stored_tracker(settings: Any, graph: Any, store: Any, learner: str) -> Any:
    """The learner's tracker as the actions read it, rebuilt from their stored events (the actions
    are configured over `graph` on the way, so their helpers can be called)."""
    from rasa_sdk import Tracker as ActionTracker

    import actions.services
    from bot.service import load_dialogue
    from bot.tracker import Tracker

    domain, _ = load_dialogue()
    tracker = Tracker(learner, domain, events=store.events(learner))
    actions.services.configure(actions.services.Services(graph=graph, media_dir=settings.media_dir))
    return ActionTracker.from_dict(tracker.sdk_state())


def learner_progress(
    learner: Annotated[str, typer.Argument(help="The learner's sender id (web, REST or telegram:<id>).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Mastered concepts, those in progress and those due for review, with the model's estimates."""
    from actions.learner import mastery_of
    from bot.store import ConversationStore

    settings = get_settings()
    graph = settings.open_graph()
    try:
        with ConversationStore(settings.db_url) as store:
            if learner not in store.senders():
                stderr.print(f"[red]error:[/] no conversation with learner {learner!r}")
                raise typer.Exit(2)
            tracker = stored_tracker(settings, graph, store, learner)
        summary = mastery_of(tracker).summary(time.time())
        names = {r["concept"]: _name(graph, r["concept"]) for rows in summary.values() for r in rows}
    finally:
        graph.store.close()
    report = {
        "learner": learner,
        "level": tracker.get_slot("level"),
        **{group: [{**r, "name": names[r["concept"]]} for r in rows] for group, rows in summary.items()},
    }
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


def learner_eval(
    seed: Annotated[int, typer.Option(help="Seed of the held-out split and of SAKT.")] = 0,
    epochs: Annotated[int, typer.Option(help="SAKT's most epochs (early-stopped).")] = 80,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Knowledge tracing on the tutor's own logs: BKT, SAKT, the online model the tutor decides with,
    and SAKT over it, compared on held-out learners' quiz answers and practice results."""
    from bot.store import ConversationStore
    from kg.curriculum import load_curriculum
    from recommender.learner.evaluate import compare
    from recommender.learner.mastery import Prerequisites
    from recommender.learner.sakt import SAKTConfig
    from recommender.learner.sequences import graded_sequences

    if epochs < 1:
        stderr.print("[red]error:[/] --epochs must be at least 1")
        raise typer.Exit(2)
    settings = get_settings()
    curriculum = load_curriculum(settings.data_dir / "curriculum")
    requires = {f"concept:{c.id}": [f"concept:{r}" for r in c.requires] for c in curriculum}
    with ConversationStore(settings.db_url) as store:
        events = [*store.behavior(kind="quiz_answer"), *store.behavior(kind="practice_result")]
    data, index = graded_sequences(events, {c: k for k, c in enumerate(requires)})
    concepts = sorted(index, key=index.__getitem__)
    for concept in concepts:
        requires.setdefault(concept, [])  # a concept ingested outside the curriculum: no prerequisites
    try:
        report = compare(data, concepts, Prerequisites(requires), seed, SAKTConfig(seed=seed, epochs=epochs),
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


def _name(graph: Any, concept_id: str) -> str:
    found = graph.entity(concept_id)
    return found.name if found is not None else concept_id


def register(app: typer.Typer) -> None:
    learner = typer.Typer(help="The learner model: what each learner knows.", no_args_is_help=True)
    learner.command("progress")(learner_progress)
    learner.command("eval")(learner_eval)
    app.add_typer(learner, name="learner")
