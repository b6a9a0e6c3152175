"""`etude rec eval` (and the other recommender commands): benchmark runs on Last.FM.

Registered on the main app with `register(app)`. `--json` prints exactly one JSON object on
stdout; progress and logs go to stderr.
"""

from __future__ import annotations

import json
import sys
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
    fraction: Annotated[float, typer.Option(help="Share of training rows kept (sparsity).")] = 1.0,
    data_dir: Annotated[Path | None, typer.Option("--data", help="Last.FM directory.")] = None,
    device: Annotated[str, typer.Option(help="cpu, cuda or cuda:N.")] = "cpu",
    as_json: JsonOpt = False,
) -> None:
    """Train and test a recommender on a benchmark protocol; one JSON object with the metrics."""
    from recommender.experiment import RunSpec, run
    from recommender.models import MAIN, MODELS

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
    spec = RunSpec(name, protocol, overrides, fraction, device)  # type: ignore[arg-type]
    try:
        report = run(data, spec, list(range(seed, seed + (seeds or 1))), split_dir, progress=True,
                     on_run=lambda r: stderr.print(f"seed {r['seed']}: fitted in {r['fit_seconds']} s"))
    except (ValueError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        sys.stdout.write(json.dumps(report, default=float) + "\n")
    else:
        stdout.print(_table(report))


def register(app: typer.Typer) -> None:
    rec = typer.Typer(help="The recommender: benchmark, training, recommendations.", no_args_is_help=True)
    rec.command("eval")(rec_eval)
    app.add_typer(rec, name="rec")
