"""The music21 core corpus as part of the knowledge graph.

Two steps, so the slow one runs once:

1. `write_corpus_file` parses every file of music21's core corpus (about 3,200 files) and writes one
   analysed record per file to `data/catalog/music21_corpus.jsonl` (key, meter, parts, measures,
   composer, title). Parsing takes tens of minutes on one core, so the file is written
   incrementally and a second run only analyses what is missing (`python -m kg.corpus analyze`,
   wired into `etude kg analyze-corpus`).
2. `corpus_records` turns those records into `Work` nodes linked to people of the catalog (or to
   people it creates), without touching music21 at all.

Record format (one JSON object per line, sorted by path)::

    {"path": "bach/bwv66.6.mxl", "composer": "bach", "title": "bwv66.6", "key": "f# minor",
     "key_confidence": 0.938, "meter": "4/4", "parts": 4, "measures": 10, "scores": 1,
     "music21": "10.5.1"}

For a file that holds several scores (an `Opus`, such as a book of ABC tunes) the first score is
analysed, `scores` says how many there are, `title` is the opus's own title or the file stem, and
`first_title` names the first tune.

`key` is `str()` of music21's `score.analyze('key')`: the Krumhansl-Schmuckler correlation method
with music21's default key profiles for 'key' (Aarden-Essen); `key_confidence` is that key's
correlation coefficient. The tonic is spelled as music21 spells it, upper case for major and lower
case for minor ("D major", "b- minor"). A file that cannot be analysed gives
`{"path", "error", "music21"}` instead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import sys
import threading
import time
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from kg.linking import normalise_name
from kg.schema import PERSON, WORK, Node, Triple, node_id

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "data" / "catalog" / "music21_corpus.jsonl"

# Seconds one file may take before it is recorded as an error (0 disables the limit).
FILE_TIMEOUT_S = 900

# Collections of anonymous folk tunes: their works belong to genre:folk instead of a composer.
FOLK_COLLECTIONS = frozenset(
    {"ryansmammoth", "oneills1850", "essenfolksong", "airdsairs", "nottingham-dataset", "miscfolk"}
)

# Composer strings that name nobody in particular.
ANONYMOUS = frozenset(
    {"", "anonymous", "anon", "anon.", "traditional", "trad", "trad.", "unknown", "folk", "various",
     "music21"}
)

# The corpus's collection directories and composer spellings -> a full name that the catalog is
# likely to know (catalog lookups also try the raw string, its aliases and its surname).
COMPOSER_NAMES: dict[str, str] = {
    "bach": "Johann Sebastian Bach",
    "j.s. bach": "Johann Sebastian Bach",
    "j. s. bach": "Johann Sebastian Bach",
    "js bach": "Johann Sebastian Bach",
    "johann sebastian bach": "Johann Sebastian Bach",
    "bach, johann sebastian": "Johann Sebastian Bach",
    "cpebach": "Carl Philipp Emanuel Bach",
    "c.p.e. bach": "Carl Philipp Emanuel Bach",
    "palestrina": "Giovanni Pierluigi da Palestrina",
    "palestrina, giovanni perluigi da": "Giovanni Pierluigi da Palestrina",
    "palestrina, giovanni pierluigi da": "Giovanni Pierluigi da Palestrina",
    "beethoven": "Ludwig van Beethoven",
    "mozart": "Wolfgang Amadeus Mozart",
    "haydn": "Joseph Haydn",
    "handel": "George Frideric Handel",
    "chopin": "Frédéric Chopin",
    "schubert": "Franz Schubert",
    "schumann_robert": "Robert Schumann",
    "schumann_clara": "Clara Schumann",
    "monteverdi": "Claudio Monteverdi",
    "josquin": "Josquin des Prez",
    "josquin des prez": "Josquin des Prez",
    "joplin": "Scott Joplin",
    "corelli": "Arcangelo Corelli",
    "verdi": "Giuseppe Verdi",
    "weber": "Carl Maria von Weber",
    "webern": "Anton Webern",
    "schoenberg": "Arnold Schoenberg",
    "beach": "Amy Beach",
    "ciconia": "Johannes Ciconia",
    "liliuokalani": "Liliʻuokalani",
    "johnson_j_r": "J. Rosamond Johnson",
    # trecento spellings (the composers are well known under these names)
    "gherardello": "Gherardello da Firenze",
    "lorenzo": "Lorenzo da Firenze",
    "gratiosus": "Gratiosus de Padua",
    "grattosus": "Gratiosus de Padua",
    "phillippoctus de caserta": "Philippus de Caserta",
    "lusitano": "Vicente Lusitano",
}

# Manuscript sigla after a trecento composer ("Gherardello F-Pn 568", "Egardus I-MOU 5.24"),
# life dates, catalogue numbers, TeX commands and years: not part of the name.
_NOISE = (
    re.compile(r"\\[A-Za-z]+"),
    re.compile(r"\s+[A-Z]{1,3}-[A-Z].*$"),
    re.compile(r"\s*\(\s*\d{3,4}\s*-\s*\d{3,4}\s*\)"),
    re.compile(r"\s+(?:K\.|Op\.|BWV)\s*\d.*$"),
    re.compile(r",?\s+1\d{3}\s*$"),
)
# Attributions marked as doubtful are left out rather than stated.
_DOUBTFUL = re.compile(r"\?|opus dubium|\bdubious\b|\battrib", re.IGNORECASE)

# Directories that are not a composer: the composer must come from the file's metadata.
NON_COMPOSER_DIRS = frozenset({"demos", "leadsheet", "theoryexercises", "trecento", "miscfolk"})


# -------------------------------------------------------------------------------------------------
# analysis


def corpus_root() -> Path:
    from music21 import corpus

    return Path(corpus.__file__).resolve().parent


def music21_version() -> str:
    import music21

    return str(music21.__version__)


def core_paths() -> list[Path]:
    from music21 import corpus

    return sorted((Path(p) for p in corpus.getCorePaths()), key=lambda p: relative_path(p))


def relative_path(path: Path | str) -> str:
    """The path relative to the corpus root, posix style; other files keep their full path."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(corpus_root()).as_posix()
    except ValueError:
        return resolved.as_posix()


def _collection(rel: str) -> str:
    parts = rel.lstrip("/").split("/")
    return parts[0] if len(parts) > 1 and not rel.startswith("/") else Path(rel).parent.name


class _FileTimeout(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    """Raise `_FileTimeout` after `seconds` (main thread on POSIX only; elsewhere no limit).

    A timer that is already running (pytest-timeout's, say) is put back afterwards with the time
    it has left; when it would fire first anyway, no limit of ours is set.
    """
    usable = (
        seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    outer_delay, outer_interval = signal.getitimer(signal.ITIMER_REAL) if usable else (0.0, 0.0)
    if not usable or (outer_delay and outer_delay <= seconds):
        yield
        return

    def _raise(signum: int, frame: object) -> None:
        raise _FileTimeout(f"timed out after {seconds} s")

    started = time.monotonic()
    outer_handler = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer_handler)
        if outer_delay:
            left = outer_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), outer_interval)


# Titles whose source file spells them wrongly, as music21's own chorale list (corpus/chorales.py)
# spells them: bwv366.krn's header has a broken escape for "ü" ("L\u3fte").
TITLE_FIXES = {"bach/bwv366.krn": "113. Ihr Gestirn', ihr hohlen Lüfte"}


# music21's own test files ("nested_tuplet_finale_test", "drum_sample"): not works to teach with.
NOT_MUSIC = frozenset({"demos"})

_NUMBERED = (
    (re.compile(r"^bwv(\d.*)$", re.I), "BWV {0}"),
    (re.compile(r"^hwv(\d.*)$", re.I), "HWV {0}"),
    (re.compile(r"^(?:op|opus)(\d+)(?:no?)(\d+)$", re.I), "Op. {0} No. {1}"),
    (re.compile(r"^(?:op|opus)(\d+)$", re.I), "Op. {0}"),
    (re.compile(r"^k(\d+)$", re.I), "K. {0}"),
    (re.compile(r"^(?:movement|mvmnt)(\d+)(.*)$", re.I), "movement {0}{1}"),
    (re.compile(r"^book(\d+)$", re.I), "book {0}"),
)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def readable_title(rel: str) -> str:
    """A title made from a corpus file's path, for a file whose only title is its name:
    "bach/bwv66.6.mxl" is "BWV 66.6", "haydn/opus74no1/movement2.mxl" "Op. 74 No. 1, movement 2",
    "schumann_clara/polonaise_op1n1.mxl" "Polonaise, Op. 1 No. 1", "verdi/laDonnaEMobile.mxl"
    "La donna e mobile". A composer's folder is left out, a folk collection's kept."""
    parts = Path(rel).with_suffix("").parts
    if len(parts) > 1 and parts[0].lower() not in FOLK_COLLECTIONS:
        parts = parts[1:]
    pieces: list[str] = []
    for part in parts:
        words: list[str] = []
        for piece in re.sub(r"(?i)\b(op\d+)_(no\d+)", r"\1\2", part).split("_"):
            numbered = next((form.format(*m.groups()) for pattern, form in _NUMBERED
                             if (m := pattern.match(piece))), None)
            if numbered is not None:
                pieces += [" ".join(words)] if words else []
                words = []
                pieces.append(numbered)
            elif piece.lower() != "all":  # "op18_no1_mvmnt2_all": all of the movement
                camel = _CAMEL.split(piece)
                words += [w.lower() for w in camel] if len(camel) > 1 else [piece]
        pieces += [" ".join(words)] if words else []
    title = ", ".join(dict.fromkeys(p for p in pieces if p)) or Path(rel).stem
    return title[:1].upper() + title[1:]


def _clean(text: Any) -> str | None:
    if text is None:
        return None
    value = " ".join(str(text).split())
    return value or None


def analyze_file(path: Path | str, timeout_s: int = FILE_TIMEOUT_S) -> dict[str, Any]:
    """Parse one file and describe it; never raises for a bad file (the record has `error`)."""
    from music21 import converter, meter, stream

    path = Path(path)
    rel = relative_path(path)
    version = music21_version()
    try:
        with _time_limit(timeout_s), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = converter.parse(path, forceSource=True, storePickle=False)
            scores = 1
            score = parsed
            if isinstance(parsed, stream.Opus):
                inner = list(parsed.scores)
                if not inner:
                    raise ValueError("the opus holds no scores")
                scores, score = len(inner), inner[0]
            analysed = score.analyze("key")
            parts = list(score.parts) if isinstance(score, stream.Score) else []
            if parts:
                measures = max(len(p.getElementsByClass(stream.Measure)) for p in parts)
                if measures == 0:
                    measures = max(len(list(p.recurse().getElementsByClass(stream.Measure)))
                                   for p in parts)
            else:
                measures = len(list(score.recurse().getElementsByClass(stream.Measure)))
            first_ts = next(iter(score.recurse().getElementsByClass(meter.TimeSignature)), None)
            composer, title = _metadata(parsed, score, path)
            first_title = None
            if scores > 1:
                # A book of tunes: the file's title is the opus's own, not its first tune's.
                first_title = title
                title = _clean(parsed.metadata.title) if parsed.metadata else None
                title = title or path.stem
    except Exception as exc:  # one bad file must not stop the corpus
        return {"path": rel, "error": f"{type(exc).__name__}: {exc}"[:500], "music21": version}
    return {
        "path": rel,
        "composer": composer or _collection(rel),
        "title": title,
        "key": str(analysed),
        "key_confidence": round(float(analysed.correlationCoefficient), 4),
        "meter": first_ts.ratioString if first_ts is not None else None,
        "parts": max(len(parts), 1),
        "measures": measures,
        "scores": scores,
        **({"first_title": first_title} if first_title and first_title != title else {}),
        "music21": version,
    }


def _metadata(parsed: Any, score: Any, path: Path) -> tuple[str | None, str]:
    candidates = (getattr(score, "metadata", None), getattr(parsed, "metadata", None))
    sources = [m for m in candidates if m is not None]
    composer = next((c for m in sources if (c := _clean(m.composer))), None)
    title = next((t for m in sources if (t := _clean(m.title))), None)
    if title is None:
        for m in sources:
            movement = _clean(m.movementName)
            if movement and movement not in (path.name, path.stem):
                title = movement
                break
    return composer, title or path.stem


def analyze_corpus(
    paths: Iterable[Path | str] | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    timeout_s: int = FILE_TIMEOUT_S,
) -> Iterator[dict[str, Any]]:
    """One record per file (all of music21's core corpus by default), in the order given.

    `paths` may be absolute or relative to the corpus root. `progress` is called with each record
    once it is made.
    """
    root = corpus_root()
    for item in core_paths() if paths is None else paths:
        path = Path(item)
        if not path.is_absolute() and not path.exists():
            path = root / path
        record = analyze_file(path, timeout_s)
        if progress is not None:
            progress(record)
        yield record


def read_records(jsonl_path: Path | str) -> list[dict[str, Any]]:
    """The records of a corpus file; a line cut short by a killed run is skipped."""
    path = Path(jsonl_path)
    if not path.exists():
        return []
    records = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and record.get("path"):
                records.append(record)
    return records


def write_corpus_file(
    out_path: Path | str = DEFAULT_OUT,
    limit: int | None = None,
    progress: bool = True,
    paths: Iterable[Path | str] | None = None,
    retry_errors: bool = False,
    timeout_s: int = FILE_TIMEOUT_S,
) -> dict[str, Any]:
    """Analyse the corpus into `out_path` (JSON lines sorted by path) and return a summary.

    Resumes: rows already there for the same music21 version are kept and their files skipped
    (error rows too, unless `retry_errors`); rows of another music21 version stay until their file
    is analysed again (`stale` in the summary counts those left). New rows are appended and
    flushed one by one, so a killed run loses nothing; the file is rewritten sorted at the end.
    `limit` caps how many new files are analysed in this run.
    """
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    version = music21_version()
    kept: dict[str, dict[str, Any]] = {}
    stale: dict[str, dict[str, Any]] = {}  # redone when reached; kept until then (see --limit)
    for record in read_records(out):
        redo = record.get("music21") != version or (retry_errors and "error" in record)
        (stale if redo else kept)[record["path"]] = record
    candidates = core_paths() if paths is None else [Path(p) for p in paths]
    todo = [p for p in candidates if relative_path(_in_corpus(p)) not in kept]
    if limit is not None:
        todo = todo[: max(limit, 0)]
    _write_sorted(out, {**stale, **kept}.values())  # drops any half-written last line
    started = time.monotonic()
    new: list[dict[str, Any]] = []
    with out.open("a", encoding="utf-8") as handle, _progress_bar(progress, len(todo)) as advance:
        for record in analyze_corpus(todo, timeout_s=timeout_s):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()
            new.append(record)
            advance(record["path"])
    everything = {**stale, **kept, **{r["path"]: r for r in new}}
    _write_sorted(out, everything.values())
    return {
        "path": str(out),
        "rows": len(everything),
        "analysed": len(new),
        "kept": len(kept),
        "stale": len(stale.keys() - {r["path"] for r in new}),
        "errors": sum(1 for r in everything.values() if "error" in r),
        "new_errors": sum(1 for r in new if "error" in r),
        "seconds": round(time.monotonic() - started, 1),
        "music21": version,
    }


def _in_corpus(path: Path) -> Path:
    return path if path.is_absolute() or path.exists() else corpus_root() / path


def _write_sorted(out: Path, records: Iterable[dict[str, Any]]) -> None:
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for record in sorted(records, key=lambda r: r["path"]):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(tmp, out)


@contextlib.contextmanager
def _progress_bar(show: bool, total: int) -> Iterator[Callable[[str], None]]:
    if not show:
        yield lambda _path: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("[bold]music21 corpus"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[current]}"),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("analyse", total=total, current="")

        def advance(path: str) -> None:
            bar.update(task, advance=1, current=path)

        yield advance


# -------------------------------------------------------------------------------------------------
# graph records


def slugify(text: str) -> str:
    """Lowercase ASCII slug (`[a-z0-9_]+`) of any text."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    return slug or "x"


def _name_variants(raw: str) -> list[str]:
    """Ways to look a corpus composer string up: as written, "Last, First" turned round, ..."""
    variants = [raw]
    if "," in raw:
        last, first = (s.strip() for s in raw.split(",", 1))
        variants.append(f"{first} {last}")
    return variants


def resolve_composer(
    raw: str | None, collection: str, known_people: dict[str, str]
) -> tuple[str | None, str | None]:
    """(catalog person id or None, display name or None) for a corpus composer string.

    `raw` is the record's composer (metadata, or the collection directory when the file names
    nobody); `collection` is the corpus directory ("bach", "palestrina", "demos"). `known_people`
    maps lowercase names and aliases to person ids. Returns (None, None) for anonymous, traditional
    and folk music, and (None, name) when nobody in `known_people` matches.
    """
    coll = collection.lower()
    if coll in FOLK_COLLECTIONS:
        return None, None
    raw = _composer_text(raw)
    if raw.lower() == coll and coll not in COMPOSER_NAMES:
        raw = ""  # the directory fallback of a collection that is not one composer's
    names = _name_variants(raw) if raw else []
    full_names = [f for n in names if (f := _full_name(n))]
    if coll in COMPOSER_NAMES and coll not in NON_COMPOSER_DIRS:
        full_names.append(COMPOSER_NAMES[coll])
    display = (full_names[0] if full_names else None) or (names[-1] if names else None)
    if display is None:
        return None, None
    lookup: dict[str, str] = {}
    for name, pid in known_people.items():
        lookup.setdefault(name.lower().strip(), pid)
        lookup.setdefault(normalise_name(name), pid)
    for candidate in [*full_names, *names]:
        for form in (candidate.lower().strip(), normalise_name(candidate)):
            if form in lookup:
                return lookup[form], display
    return None, display


_ANONYMOUS_NORMALISED = frozenset(normalise_name(a) for a in ANONYMOUS)


def _composer_text(raw: str | None) -> str:
    """The composer's name in a metadata string, or "" for anonymous or doubtful attributions."""
    text = _clean(raw) or ""
    if _DOUBTFUL.search(text):
        return ""
    for pattern in _NOISE:
        text = pattern.sub("", text)
    text = text.strip(" ,;")
    first = normalise_name(text).split(" ")[0]
    if normalise_name(text) in _ANONYMOUS_NORMALISED or first in ("anonymous", "anonyous", "anon"):
        return ""
    return text


def _full_name(name: str) -> str | None:
    return COMPOSER_NAMES.get(name.lower().strip()) or COMPOSER_NAMES.get(normalise_name(name))


def corpus_records(
    jsonl_path: Path | str, known_people: dict[str, str]
) -> tuple[list[Node], list[Triple]]:
    """`Work` nodes for the analysed corpus with COMPOSED_BY (or IN_GENRE folk) edges.

    Each file becomes `work:m21_<slug of its path>`. Its composer is linked to the catalog person
    `known_people` names (lowercase name or alias -> person id); failing that a `person:m21_<slug>`
    node is created. Anonymous and traditional pieces get no composer; folk-tune collections get
    IN_GENRE genre:folk instead. Error rows are skipped. Eras are left to the catalog person.
    """
    nodes: list[Node] = []
    triples: list[Triple] = []
    created: dict[str, Node] = {}
    used_ids: set[str] = set()
    for record in read_records(jsonl_path):
        rel = str(record["path"])
        collection = _collection(rel)
        if "error" in record or collection in NOT_MUSIC:
            continue
        base = node_id("work", "m21_" + slugify(rel))
        wid, n = base, 2
        while wid in used_ids:
            wid, n = f"{base}_{n}", n + 1
        used_ids.add(wid)
        pid, name = resolve_composer(record.get("composer"), collection, known_people)
        title = TITLE_FIXES.get(rel) or record.get("title") or Path(rel).stem
        if title.lower() == Path(rel).stem.lower():  # the file's name, not a title: readable at least
            title = readable_title(rel)
        props = {
            "title": title,
            "name": title,
            "composer_name": name,
            "key": record.get("key"),
            "meter": record.get("meter"),
            "parts": record.get("parts"),
            "measures": record.get("measures"),
            "scores": record.get("scores"),
            "corpus_path": rel,
            "source": "music21",
        }
        nodes.append(Node(wid, WORK, {k: v for k, v in props.items() if v is not None}))
        if collection.lower() in FOLK_COLLECTIONS:
            triples.append(Triple(wid, "IN_GENRE", node_id("genre", "folk"), {"source": "music21"}))
            continue
        if name is None:
            continue
        if pid is None:
            pid = node_id("person", "m21_" + slugify(name))
            if pid not in created:
                created[pid] = Node(
                    pid, PERSON, {"name": name, "kind": "composer", "source": "music21"}
                )
        triples.append(Triple(wid, "COMPOSED_BY", pid, {"source": "music21"}))
    return nodes + list(created.values()), triples


# -------------------------------------------------------------------------------------------------
# command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kg.corpus")
    sub = parser.add_subparsers(dest="command", required=True)
    analyze = sub.add_parser("analyze", help="analyse music21's core corpus into a JSON-lines file")
    analyze.add_argument("--out", type=Path, default=DEFAULT_OUT)
    analyze.add_argument("--limit", type=int, default=None, help="analyse at most N new files")
    analyze.add_argument("--retry-errors", action="store_true")
    analyze.add_argument("--timeout", type=int, default=FILE_TIMEOUT_S, help="seconds per file")
    analyze.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    summary = write_corpus_file(
        args.out,
        limit=args.limit,
        progress=not args.no_progress,
        retry_errors=args.retry_errors,
        timeout_s=args.timeout,
    )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
