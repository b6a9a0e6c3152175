"""`etude train nlu`, `etude test nlu`, `etude nlu parse` and `etude nlu validate`.

Registered on the main app with `register(app)`. As everywhere in the CLI: `--json` prints exactly
one JSON object on stdout; progress bars and logs go to stderr.
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
from bot.settings import REPO_ROOT, get_settings

stdout = Console()
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")]
DataOpt = Annotated[Path, typer.Option("--data", help="Rasa-format NLU training data.")]
ConfigOpt = Annotated[Path, typer.Option("--config", help="Rasa-layout config.yml with the pipeline.")]


def _emit(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def _fail(message: str, code: int = 2) -> typer.Exit:
    stderr.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _group(app: typer.Typer, name: str, help_text: str) -> typer.Typer:
    """The sub-app called `name` on `app`, created when another module has not added it yet."""
    for group in app.registered_groups:
        if group.name == name and group.typer_instance is not None:
            return group.typer_instance
    sub = typer.Typer(help=help_text, no_args_is_help=True)
    app.add_typer(sub, name=name)
    return sub


def _active_nlu() -> Any:
    """The active NLU model over the configured graph, trained first when there is none."""
    from bot.service import ensure_graph
    from nlu.service import NLU, ensure_model

    settings = get_settings()
    graph = ensure_graph(settings)
    ensure_model(settings.home, graph=graph)
    return NLU.load_active(settings.home, graph=graph)


def _metrics_table(title: str, metrics: dict[str, Any]) -> Table:
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in (
        "examples",
        "intent_accuracy",
        "intent_macro_f1",
        "fallback_rate",
        "entity_precision",
        "entity_recall",
        "entity_f1",
    ):
        if key in metrics:
            table.add_row(key, str(metrics[key]))
    for etype, prf in (metrics.get("per_entity_type") or {}).items():
        table.add_row(f"  {etype} F1", f"{prf['f1']} (n={prf['support']})")
    return table


def train_nlu_command(
    data: DataOpt = REPO_ROOT / "data" / "nlu.yml",
    config: ConfigOpt = REPO_ROOT / "config.yml",
    force: Annotated[bool, typer.Option(help="Activate the new model even if it is worse.")] = False,
    rollback: Annotated[bool, typer.Option(help="Activate the previous model instead of training.")] = False,
    epochs: Annotated[int | None, typer.Option(help="Override the configured number of epochs.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Train, evaluate (held-out split), version and activate an NLU model (gated unless --force)."""
    from nlu.train import rollback_nlu, train_nlu

    home = get_settings().home
    if rollback:
        try:
            result = rollback_nlu(home)
        except ValueError as exc:
            raise _fail(str(exc)) from exc
        _emit(result) if as_json else stdout.print(
            f"active NLU model: {result['active']} (was {result['replaced']})"
        )
        return
    if not data.exists():
        raise _fail(f"{data} does not exist")
    if not config.exists():
        raise _fail(f"{config} does not exist")
    if epochs is not None and epochs < 0:
        raise _fail("--epochs must be ≥ 0")
    from bot.service import ensure_graph

    result = train_nlu(data=data, config=config, home=home, epochs=epochs, force=force,
                       graph=ensure_graph(get_settings()))
    if as_json:
        _emit(result)
        return
    stdout.print(_metrics_table(f"NLU model {result['version']} (held-out split)", result["metrics"]))
    state = "[green]activated[/green]" if result["activated"] else "[yellow]not activated[/yellow]"
    stdout.print(f"{state}: {result['reason']}; active: {result['active']}")


def test_nlu_command(
    data: DataOpt = REPO_ROOT / "data" / "nlu_test.yml",
    report: Annotated[Path | None, typer.Option("--report", help="Directory for plots and details.")] = None,
    as_json: JsonOpt = False,
    table: Annotated[bool, typer.Option("--table", help="A table instead of the JSON summary.")] = False,
) -> None:
    """Evaluate the active model on a Rasa-format file: JSON summary on stdout, details in --report."""
    from nlu.data import load_nlu
    from nlu.evaluate import evaluate, write_report

    if not data.exists():
        raise _fail(f"{data} does not exist")
    nlu = _active_nlu()
    metrics = evaluate(nlu.parse_batch, load_nlu(data).examples)
    files = write_report(metrics, report) if report else []
    summary = {k: v for k, v in metrics.items() if k not in ("confusion", "entity_errors")}
    summary.update({"model": nlu.version, "data": str(data), "report_files": files})
    if table and not as_json:
        stdout.print(_metrics_table(f"NLU model {nlu.version} on {data}", metrics))
    else:
        _emit(summary)


def nlu_parse_command(
    text: Annotated[str | None, typer.Argument(help="One message; without it, stdin lines.")] = None,
) -> None:
    """Parse messages: one per stdin line in, one JSON object (Rasa's parse format) per line out."""
    nlu = _active_nlu()
    if text is not None:
        _emit(nlu.parse(text))
        return
    for line in sys.stdin:
        _emit(nlu.parse(line.rstrip("\r\n")))
        sys.stdout.flush()


def nlu_validate_command(
    data: DataOpt = REPO_ROOT / "data" / "nlu.yml",
    domain: Annotated[Path, typer.Option("--domain", help="domain.yml")] = REPO_ROOT / "domain.yml",
    config: ConfigOpt = REPO_ROOT / "config.yml",
    as_json: JsonOpt = False,
) -> None:
    """Check that the NLU data, domain.yml and config.yml agree (intents, entity types, counts)."""
    from nlu.data import validate

    problems = validate(data, domain, config)
    if as_json:
        _emit({"ok": not problems, "problems": problems})
    else:
        for line in problems:
            stdout.print(line, markup=False, highlight=False)
        stderr.print(
            "[green]NLU data, domain and config agree[/green]"
            if not problems
            else f"{len(problems)} problems"
        )
    raise typer.Exit(1 if problems else 0)


def nlu_export_corrections_command(
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of stdout.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Export the console's review corrections (the latest of each corrected turn) as Rasa NLU data."""
    from bot.console.review import export_training_data, latest_corrections
    from bot.store import ConversationStore, StoreError

    try:
        with ConversationStore(get_settings().db_url) as store:
            found = latest_corrections(store)
    except StoreError as exc:
        raise _fail(str(exc)) from exc
    body = export_training_data(found)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(body, encoding="utf-8")
    elif not as_json:
        sys.stdout.write(body)
    summary = {"examples": len(found), "intents": len({c["intent"] for c in found}),
               "out": str(out) if out is not None else None}
    if as_json:
        _emit({**summary, "yaml": body} if out is None else summary)
    else:
        stderr.print(f"{summary['examples']} corrections of {summary['intents']} intents"
                     + (f" written to {out}" if out is not None else ""))


def register(app: typer.Typer) -> None:
    """Add `train nlu`, `test nlu`, `nlu parse`, `nlu validate` and `nlu export-corrections` to the app."""
    _group(app, "train", "Train models.").command("nlu")(train_nlu_command)
    _group(app, "test", "Evaluate models.").command("nlu")(test_nlu_command)
    nlu_app = _group(app, "nlu", "The NLU engine: intents and entities of learner messages.")
    nlu_app.command("parse")(nlu_parse_command)
    nlu_app.command("validate")(nlu_validate_command)
    nlu_app.command("export-corrections")(nlu_export_corrections_command)
