"""`etude rec eval` (benchmark runs on Last.FM), `etude rec train` (the platform's model, versioned
and gated like the NLU's) and `etude rec recommend LEARNER`.

Registered on the main app with `register(app)`. `--json` prints exactly one JSON object on
stdout; progress and logs go to stderr.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bot.logs import stderr
from bot.settings import get_settings

stdout = Console()
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    stderr.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _load_dataset(name: str, path: Path | None):
    from kg.lastfm import LastFMDataError
    from recommender.data import lastfm_data

    if name != "lastfm":
        raise _fail(f"unknown dataset {name!r} (lastfm)")
    try:
        return lastfm_data(path or get_settings().lastfm_dir)
    except LastFMDataError as exc:
        raise _fail(str(exc)) from exc


def _table(report: dict[str, Any]) -> Table:
    table = Table(title=f"{report['model']} on {report['dataset']} ({report['protocol']})")
    table.add_column("metric")
    table.add_column("test", justify="right")
    test = report["test"]
    keys = ["auc", "f1"] if report["protocol"] == "ctr" else [
        f"{m}@{k}" for k in (10, 20, 50) for m in ("precision", "recall", "ndcg", "hit")
    ]
    for key in keys:
        value = test.get(key)
        if isinstance(value, dict):
            table.add_row(key, f"{value['mean']:.4f} ± {value['std']:.4f}")
        elif value is not None:
            table.add_row(key, f"{value:.4f}")
    return table


def rec_eval(
    dataset: Annotated[str, typer.Option(help="Benchmark data set.")] = "lastfm",
    protocol: Annotated[str, typer.Option(help="ctr (AUC, F1) or topk (ranking metrics at K).")] = "ctr",
    model: Annotated[str | None, typer.Option(help="Model name; default: the project's main model.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the split and the training.")] = 0,
    seeds: Annotated[int | None, typer.Option(help="Run seeds seed..seed+N-1; report mean and std.")] = None,
    split_dir: Annotated[Path | None, typer.Option(help="Fixed split files.")] = None,
    config: Annotated[str | None, typer.Option(help="JSON object overriding model settings.")] = None,
    defaults: Annotated[bool, typer.Option(
        "--defaults", help="Run the model's defaults, not the settings tuned for this data set.")] = False,
    fraction: Annotated[float, typer.Option(help="Share of training rows kept (sparsity).")] = 1.0,
    data_dir: Annotated[Path | None, typer.Option("--data", help="Last.FM directory.")] = None,
    device: Annotated[str, typer.Option(help="cpu, cuda or cuda:N.")] = "cpu",
    as_json: JsonOpt = False,
) -> None:
    """Train and test a recommender on a benchmark protocol; one JSON object with the metrics."""
    from recommender.distributed import launch
    from recommender.experiment import RunSpec, run
    from recommender.models import MAIN, MODELS
    from recommender.tuned import tuned_config

    if protocol not in ("ctr", "topk"):
        raise _fail(f"unknown protocol {protocol!r} (ctr or topk)")
    name = model or MAIN
    if name not in MODELS:
        raise _fail(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    try:
        overrides = json.loads(config) if config else None
    except json.JSONDecodeError as exc:
        raise _fail(f"--config is not JSON: {exc}") from exc
    if overrides is not None and not isinstance(overrides, dict):
        raise _fail("--config must be a JSON object")
    if not 0 < fraction <= 1:
        raise _fail("--fraction must be in (0, 1]")
    if seeds is not None and seeds < 1:
        raise _fail("--seeds must be at least 1")
    data = _load_dataset(dataset, data_dir)
    if not defaults:  # what the benchmark chose on validation rows, under any --config
        overrides = {**tuned_config(dataset, name, protocol), **(overrides or {})} or None
    try:
        with launch(device) as job:  # under torchrun: one rank of the job, on its own device
            spec = RunSpec(name, protocol, overrides, fraction, job.device)  # type: ignore[arg-type]
            report = run(data, spec, list(range(seed, seed + (seeds or 1))), split_dir, progress=True,
                         on_run=lambda r: job.reports and stderr.print(
                             f"seed {r['seed']}: fitted in {r['fit_seconds']} s"))
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        raise _fail(str(exc)) from exc
    if job.world > 1:
        report["ranks"] = job.world
    if not job.reports:
        return
    if as_json:
        sys.stdout.write(json.dumps(report, default=float) + "\n")
    else:
        stdout.print(_table(report))


def _overrides(config: str | None, epochs: int | None) -> dict[str, Any] | None:
    try:
        overrides = json.loads(config) if config else {}
    except json.JSONDecodeError as exc:
        raise _fail(f"--config is not JSON: {exc}") from exc
    if not isinstance(overrides, dict):
        raise _fail("--config must be a JSON object")
    if epochs is not None:
        overrides["epochs"] = epochs
    return overrides or None


def rec_train(
    config: Annotated[str | None, typer.Option(help="JSON object overriding model settings.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Training epochs (or fewer: early stopping).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the training.")] = 0,
    works: Annotated[str, typer.Option(help="Works as items: all, catalog (authored only) or none.")] = "all",
    media: Annotated[bool, typer.Option(help="Read synthesized audio and keyboard video of lessons.")] = True,
    tolerance: Annotated[float, typer.Option(help="Activate when at most this much worse.")] = 0.0,
    force: Annotated[bool, typer.Option("--force", help="Activate even when worse than active.")] = False,
    rollback: Annotated[bool, typer.Option("--rollback", help="Re-activate the previous version.")] = False,
    device: Annotated[str, typer.Option(help="cpu, cuda or cuda:N.")] = "cpu",
    as_json: JsonOpt = False,
) -> None:
    """Train the platform's recommender on the stored behaviour, check it on held-out behaviour,
    save a new version and activate it unless the active one is better (or --rollback)."""
    from recommender.distributed import launch
    from recommender.publish import rollback as rollback_rec
    from recommender.publish import train_version

    settings = get_settings()
    if rollback:
        try:
            result = rollback_rec(settings.home)
        except ValueError as exc:
            raise _fail(str(exc)) from exc
        _report(result, as_json, f"active recommender: {result['active']} (was {result['replaced']})")
        return
    if works not in ("all", "catalog", "none"):
        raise _fail(f"unknown --works {works!r} (all, catalog or none)")
    overrides = _overrides(config, epochs)
    data, order = _platform(settings, works, media)
    try:
        with launch(device) as job:  # under torchrun every rank trains; rank 0 saves and gates
            result = train_version(data, settings.home, order, config=overrides, seed=seed, force=force,
                                   tolerance=tolerance, device=job.device, progress=True)
    except (ValueError, RuntimeError) as exc:
        raise _fail(str(exc)) from exc
    if not job.reports:
        return
    state = "activated" if result["activated"] else "not activated"
    _report(result, as_json, f"recommender {result['version']}: {state} ({result['reason']})")


def _platform(settings: Any, works: str, media: bool) -> tuple[Any, Any]:
    """The platform's data set and learners' histories from the graph and the conversation store."""
    from bot.behaviour import platform
    from bot.service import ensure_graph
    from bot.store import ConversationStore

    graph = ensure_graph(settings)
    try:
        with ConversationStore(settings.db_url) as store:
            return platform(
                graph, store, cache_dir=settings.cache_dir / "rec", works=works, media=media,  # type: ignore[arg-type]
                report=lambda n: stderr.print(f"{n} behaviour events; building the data set (media cached)"),
            )
    finally:
        graph.store.close()


def rec_recommend(
    learner: Annotated[str, typer.Argument(help="The learner's sender id.")],
    k: Annotated[int, typer.Option("--k", help="How many recommendations.")] = 10,
    kind: Annotated[str, typer.Option(help="lesson, work or any.")] = "any",
    as_json: JsonOpt = False,
) -> None:
    """Recommendations for one learner, with their reasons, from the active model (or the graph)."""
    from bot.service import catch_up
    from bot.store import ConversationStore
    from recommender.service import KINDS, RecommenderService

    if kind not in KINDS:
        raise _fail(f"unknown --kind {kind!r} ({', '.join(KINDS)})")
    if k < 1:
        raise _fail("--k must be at least 1")
    settings = get_settings()
    graph = settings.open_graph()
    try:
        if not graph.stats().get("total_nodes"):
            raise _fail("the knowledge graph is empty: run `etude kg build` first")
        recommender = RecommenderService.load(graph, settings.home)
        with ConversationStore(settings.db_url) as store:
            catch_up(recommender, store, learner)
            profile = _stored_profile(settings, graph, store, learner)
        found = recommender.recommend(learner, k=k, kind=kind, profile=profile)  # type: ignore[arg-type]
    finally:
        graph.store.close()
    report = {
        "learner": learner,
        "source": recommender.source,
        "version": recommender.version,
        "kind": kind,
        "profile": {key: list(v) if isinstance(v, tuple) else v for key, v in asdict(profile).items()},
        "recommendations": [r.to_dict() for r in found],
    }
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, default=float) + "\n")
        return
    table = Table(title=f"for {learner} ({recommender.source} {recommender.version or ''})".rstrip())
    for column in ("#", "item", "kind", "score", "why"):
        table.add_column(column)
    for n, rec in enumerate(found, 1):
        why = rec.reason or ""
        if rec.prerequisite_of:
            why = f"(needed before {rec.prerequisite_of}) {why}"
        table.add_row(str(n), rec.name, rec.kind, f"{rec.score:.3f}", why)
    stdout.print(table)


def _stored_profile(settings: Any, graph: Any, store: Any, learner: str) -> Any:
    """The learner's profile as the actions read it, from the slots of their stored conversation."""
    from actions.learner import learner_profile
    from bot.cli_learner import stored_tracker

    return learner_profile(stored_tracker(settings, graph, store, learner))


def _report(result: dict[str, Any], as_json: bool, line: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, default=float) + "\n")
    else:
        stdout.print(line)


def register(app: typer.Typer) -> None:
    rec = typer.Typer(help="The recommender: benchmark, training, recommendations.", no_args_is_help=True)
    rec.command("eval")(rec_eval)
    rec.command("train")(rec_train)
    rec.command("recommend")(rec_recommend)
    app.add_typer(rec, name="rec")
