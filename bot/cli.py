"""The `etude` command line (typer). Reports go to stdout; progress and logs to stderr."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.logs import configured_secrets, setup_logging, stderr
from bot.settings import get_settings

app = typer.Typer(help="Etude, the AI music tutor.", no_args_is_help=True, add_completion=False)
kg_app = typer.Typer(help="The music knowledge graph.", no_args_is_help=True)
app.add_typer(kg_app, name="kg")

stdout = Console()
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")]


@app.callback()
def main(
    log_level: Annotated[str | None, typer.Option(help="Logging level (stderr).")] = None,
) -> None:
    settings = get_settings()
    setup_logging(log_level or settings.log_level, settings.log_format, configured_secrets(settings))


def emit(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def fail(message: str, code: int = 2) -> typer.Exit:
    stderr.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@contextmanager
def progress_bar(description: str):
    """A rich progress bar on stderr; yields `update(stage, done, total)`."""
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=stderr, transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"{description}: {stage}", completed=done, total=total)

        yield update


def open_graph():
    return get_settings().open_graph()


def resolve(graph, text: str) -> str:
    """An entity id from an id or a name ("perfect fifth", "P5")."""
    if graph.entity(text) is not None:
        return text
    matches = graph.link(text, k=3)
    if matches and matches[0].score >= 0.8:
        return matches[0].id
    hint = ", ".join(f"{m.name} ({m.id})" for m in matches) or "nothing close"
    raise fail(f"no entity named {text!r}; closest: {hint}")


# kg -----------------------------------------------------------------------------------------


@kg_app.command("validate")
def kg_validate(as_json: JsonOpt = False) -> None:
    """Check the authored curriculum and catalog (ids, references, cycles, reachability, examples)."""
    from kg.validate import validate_all

    problems = validate_all(get_settings().data_dir)
    if as_json:
        emit({"ok": not problems, "problems": problems})
    else:
        for line in problems:
            stdout.print(line, markup=False, highlight=False)
        stderr.print("[green]data is valid[/green]" if not problems else f"{len(problems)} problems")
    raise typer.Exit(1 if problems else 0)


@kg_app.command("build")
def kg_build(
    clean: Annotated[bool, typer.Option(help="Empty the graph first.")] = False,
    corpus: Annotated[bool, typer.Option(help="Include the music21 corpus.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Build the graph from data/ (curriculum, catalog, music21 corpus); keeps ingested facts."""
    from kg.build import build_graph
    from kg.validate import validate_all

    problems = validate_all(get_settings().data_dir, check_examples=False, prose=False)
    if problems:
        for line in problems[:20]:
            stderr.print(line, markup=False)
        raise fail(f"the authored data has {len(problems)} problems; see `etude kg validate`")
    graph = open_graph()
    with progress_bar("building the graph") as update:
        report = build_graph(
            graph.store, get_settings().data_dir, corpus=corpus, clean=clean, progress=update
        )
    if corpus:  # the graph `etude serve` wants: it need not build it again
        from kg.build import authored_fingerprint, record_built

        record_built(get_settings().home, authored_fingerprint(get_settings().data_dir))
    result = {**report.to_dict(), "stats": graph.stats()}
    graph.store.close()
    if as_json:
        emit(result)
    else:
        stdout.print(f"built {report.nodes} nodes and {report.triples} edges "
                     f"in {report.seconds:.1f} s (removed {report.removed_nodes} stale nodes)")
        _print_stats(result["stats"])


def _print_stats(stats: dict[str, Any]) -> None:
    table = Table(title=f"knowledge graph ({stats['store']} store)")
    table.add_column("kind")
    table.add_column("name")
    table.add_column("count", justify="right")
    for label, count in stats["nodes"].items():
        table.add_row("nodes", label, str(count))
    for rel, count in stats["edges"].items():
        table.add_row("edges", rel, str(count))
    table.add_row("total", "nodes / edges", f"{stats['total_nodes']} / {stats['total_edges']}")
    stdout.print(table)


@kg_app.command("stats")
def kg_stats(as_json: JsonOpt = False) -> None:
    """Counts of nodes per label and edges per relation type."""
    graph = open_graph()
    stats = graph.stats()
    graph.store.close()
    emit(stats) if as_json else _print_stats(stats)


@kg_app.command("path")
def kg_path(
    target: Annotated[str, typer.Argument(help="Goal concept: id or name.")],
    known: Annotated[str, typer.Option(help="Comma-separated mastered concepts (ids or names).")] = "",
    as_json: JsonOpt = False,
) -> None:
    """The learning path to a concept: its unmastered prerequisites in a valid order."""
    graph = open_graph()
    goal = resolve(graph, target)
    mastered = [resolve(graph, k.strip()) for k in known.split(",") if k.strip()]
    path = graph.learning_path(goal, mastered)
    steps = [{"id": n.id, "name": n.name, "grade": n.props.get("grade"),
              "category": n.props.get("category")} for n in path]
    if as_json:
        emit({"target": goal, "known": mastered, "steps": steps})
        return
    if not steps:
        stdout.print(f"{graph.require(goal).name} is already mastered.")
    for number, step in enumerate(steps, start=1):
        stdout.print(f"{number:>3}. {step['name']}  [dim](grade {step['grade']}, {step['id']})[/dim]")


@kg_app.command("explain")
def kg_explain(
    a: Annotated[str, typer.Argument(help="First entity: id or name.")],
    b: Annotated[str, typer.Argument(help="Second entity: id or name.")],
    k: Annotated[int, typer.Option(help="How many paths.")] = 3,
    as_json: JsonOpt = False,
) -> None:
    """How two entities are connected: the k best paths of up to four edges, as sentences."""
    graph = open_graph()
    first, second = resolve(graph, a), resolve(graph, b)
    paths = graph.explain(first, second, k=k)
    if as_json:
        emit({"a": first, "b": second, "paths": [p.to_dict() for p in paths]})
        return
    if not paths:
        stdout.print("No connection within four steps.")
    for number, p in enumerate(paths, start=1):
        stdout.print(f"{number}. {p.sentence}", highlight=False)


@kg_app.command("link")
def kg_link(
    mention: Annotated[str, typer.Argument(help="Text naming an entity, e.g. 'perfect 5th'.")],
    k: Annotated[int, typer.Option(help="How many candidates.")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Which graph entities a mention names (exact, alias, fuzzy, semantic), with scores."""
    graph = open_graph()
    matches = [m.to_dict() for m in graph.link(mention, k=k)]
    if as_json:
        emit({"mention": mention, "matches": matches})
        return
    for m in matches:
        stdout.print(f"{m['score']:.3f}  {m['name']}  [dim]{m['id']} ({m['method']})[/dim]")


@kg_app.command("facts")
def kg_facts(
    entity: Annotated[str, typer.Argument(help="Entity: id or name.")], as_json: JsonOpt = False
) -> None:
    """What the graph knows about a person, work or concept."""
    graph = open_graph()
    facts = graph.facts(resolve(graph, entity))
    if as_json:
        emit(facts)
        return
    for key, value in facts.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            value = ", ".join(v["name"] for v in value)
        stdout.print(f"[bold]{key}[/bold]: {value}", highlight=False)


@kg_app.command("export")
def kg_export(
    out: Annotated[Path, typer.Option(help="File (jsonl) or directory (csv).")] = Path("var/export"),
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv (neo4j-admin import).")] = "jsonl",
    as_json: JsonOpt = False,
) -> None:
    """Export the graph as JSON lines or as CSV files for neo4j-admin import."""
    from kg.io import export_csv, export_jsonl

    graph = open_graph()
    if fmt == "csv":
        result = export_csv(graph.store, out)
    elif fmt == "jsonl":
        path = out if out.suffix == ".jsonl" else out / "graph.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as handle:
            result = {**export_jsonl(graph.store, handle), "files": [str(path)]}
    else:
        raise fail("--format must be jsonl or csv")
    emit(result) if as_json else stdout.print(
        f"exported {result['nodes']} nodes and {result['edges']} edges to {', '.join(result['files'])}"
    )


@kg_app.command("import")
def kg_import(
    path: Annotated[Path, typer.Argument(help="A JSON lines file written by `etude kg export`.")],
    as_json: JsonOpt = False,
) -> None:
    """Import nodes and edges from JSON lines (checked completely before anything is written)."""
    from kg.io import BadImportFile, import_jsonl

    if not path.exists():
        raise fail(f"{path} does not exist")
    graph = open_graph()
    try:
        with path.open(encoding="utf-8") as handle:
            result = import_jsonl(graph.store, handle)
    except (BadImportFile, UnicodeDecodeError) as exc:
        raise fail(f"{path}: {exc}; nothing was imported") from exc
    emit(result) if as_json else stdout.print(f"imported {result['nodes']} nodes, {result['edges']} edges")


@kg_app.command("import-lastfm")
def kg_import_lastfm(
    path: Annotated[Path | None, typer.Argument(help="Last.FM data directory.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import the Last.FM knowledge graph (artists, Freebase relations) and link it to the catalog."""
    from kg.build import people_index
    from kg.lastfm import LastFMDataError, lastfm_records, load_lastfm, record_counts
    from kg.schema import PERSON

    directory = path or get_settings().lastfm_dir
    if directory is None or not Path(directory).exists():
        raise fail("no Last.FM data: pass its directory or set ETUDE_LASTFM_DIR (see README)")
    try:
        data = load_lastfm(Path(directory))
    except (LastFMDataError, OSError) as exc:
        raise fail(f"cannot read the Last.FM data in {directory}: {exc}") from exc
    graph = open_graph()
    nodes, triples = lastfm_records(data, people_index(graph.store.nodes(PERSON)))
    with progress_bar("importing Last.FM") as update:
        update("nodes", 0, len(nodes) + len(triples))
        graph.store.upsert_nodes(nodes)
        update("edges", len(nodes), len(nodes) + len(triples))
        graph.store.upsert_triples(triples)
    result = {**record_counts(nodes, triples), "stats": graph.stats()}
    emit(result) if as_json else stdout.print(
        f"imported {result['nodes']} Last.FM nodes and {result['freebase_edges']} Freebase edges "
        f"of {result['relations']} relation types ({result['same_as']} artists linked to the catalog)"
    )


@kg_app.command("analyze-corpus")
def kg_analyze_corpus(
    out: Annotated[Path, typer.Option(help="Output JSON lines.")] = Path("data/catalog/music21_corpus.jsonl"),
    limit: Annotated[int | None, typer.Option(help="Analyse only the first N files.")] = None,
) -> None:
    """Analyse music21's bundled corpus (composer, title, key, meter); resumes an earlier run."""
    from kg.corpus import write_corpus_file

    write_corpus_file(out, limit=limit, progress=True)


def _extractor(graph):
    from kg.extract import load_or_train

    return load_or_train(graph, get_settings().models_dir / "relext", progress=True)


@kg_app.command("extract")
def kg_extract(
    file: Annotated[Path, typer.Argument(help="A UTF-8 text file.")], as_json: JsonOpt = False
) -> None:
    """Extract entities and relations from a text file; prints triples with confidence."""
    if not file.exists():
        raise fail(f"{file} does not exist")
    text = file.read_text(encoding="utf-8", errors="replace")
    graph = open_graph()
    triples = _extractor(graph).extract(text)
    rows = [t.to_dict() for t in triples]
    if as_json:
        emit({"file": str(file), "triples": rows})
        return
    for t in triples:
        stdout.print(f"{t.confidence:.2f}  {t.head_name} -{t.relation}-> {t.tail_name}", highlight=False)


@kg_app.command("ingest")
def kg_ingest(
    file: Annotated[Path, typer.Argument(help="A UTF-8 text file.")],
    threshold: Annotated[float, typer.Option(help="Minimum confidence to add a triple.")] = 0.8,
    as_json: JsonOpt = False,
) -> None:
    """Add the triples extracted from a text file (above the threshold) with provenance."""
    if not file.exists():
        raise fail(f"{file} does not exist")
    text = file.read_text(encoding="utf-8", errors="replace")
    graph = open_graph()
    summary = _extractor(graph).ingest(graph, text, threshold=threshold, source=f"text:{file.name}")
    emit(summary) if as_json else stdout.print(summary)


from bot.cli_nlu import register  # noqa: E402  (issue 3: train nlu, test nlu, nlu parse)

register(app)

from bot.cli_service import register as register_service  # noqa: E402  (issue 4: serve, shell, actions)

register_service(app)

from bot.cli_rec import register as register_rec  # noqa: E402  (issue 5: rec eval)

register_rec(app)

from bot.cli_learner import register as register_learner  # noqa: E402  (issue 6: learner progress)

register_learner(app)

from bot.cli_practice import register as register_practice  # noqa: E402  (issue 6: practice analyze)

register_practice(app)

from bot.cli_users import register as register_users  # noqa: E402  (accounts and access: users)

register_users(app)


if __name__ == "__main__":
    app()
