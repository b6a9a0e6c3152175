"""Adding the facts of a text to the running service's knowledge graph, in the background.

An ingest (`KGAdmin.ingest`) is a job of the service's one `JobRunner`: it loads the relation
extractor once (`kg.extract.load_or_train`, which trains one first on a fresh home), then reads
the text a batch of sentences at a time through `Extractor.ingest`, which writes each batch's
confident triples (and the nodes they need) with provenance: the source `text:<name>`, the
confidence, the sentence and the time. Batches make the progress visible on a long text; a job
that fails half-way leaves the batches it wrote (findable by their source) and says so.

After writing, the service must see the new facts at once: the graph's entity linker already
takes new nodes as they are written; `on_change` (the tutor's `graph_changed`) rebuilds its
semantic index now rather than in a learner's turn and drops what was cached from the old graph.

Every ingest is recorded (who, when, what was added) in a JSON-lines history file.
"""

from __future__ import annotations

import inspect
import json
import logging
import math
import threading
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.jobs import Job, JobRunner

log = logging.getLogger(__name__)

INGEST = "knowledge graph ingest"
MAX_TEXT_BYTES = 200 * 1024
MAX_NAME = 80
DEFAULT_THRESHOLD = 0.8
BATCH_SENTENCES = 20  # sentences read (and written) per step of the progress
# A posted text may grow up to 3x when URL-encoded (a %XX per byte) and more as JSON escapes.
INGEST_BODY_LIMIT = 6 * MAX_TEXT_BYTES + 4096
INGEST_PATHS = ("/console/kg/ingest", "/api/kg/ingest")  # the routes that take a text
HISTORY_KEPT = 50  # ingests the page lists (the file keeps them all)
TRIPLES_RECORDED = 500  # triples of one ingest kept in its history entry


class BadIngest(ValueError):
    """The text, its name or the threshold cannot be ingested (the message says why)."""


def source_name(name: str) -> str:
    """A file name as a safe source label: letters, digits, '-', '_' and '.', at most 80 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in base)
    cleaned = cleaned.strip("._")[:MAX_NAME]
    return cleaned or "pasted-text"


def check_ingest(name: Any, text: Any, threshold: Any = DEFAULT_THRESHOLD) -> tuple[str, str, float]:
    """The source name, the text and the threshold of an ingest request; BadIngest otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise BadIngest("the text is empty: paste or send the text to read")
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_TEXT_BYTES:
        raise BadIngest(f"the text is longer than {MAX_TEXT_BYTES // 1024} KB: split it into parts")
    if "\x00" in text or any(unicodedata.category(ch) == "Cs" for ch in text):
        raise BadIngest("the text is not valid UTF-8 text")
    if name is not None and not isinstance(name, str):
        raise BadIngest("the name must be a string (the source file's name)")
    if isinstance(threshold, str):
        try:
            threshold = float(threshold.strip()) if threshold.strip() else DEFAULT_THRESHOLD
        except ValueError as exc:
            raise BadIngest(f"the threshold {threshold[:20]!r} is not a number") from exc
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise BadIngest("the threshold must be a number from 0 to 1")
    if not math.isfinite(threshold) or not 0.0 <= threshold <= 1.0:
        raise BadIngest("the threshold must be from 0 to 1")
    return source_name(name or ""), text, float(threshold)


def batches(text: str, size: int = BATCH_SENTENCES) -> list[str]:
    """The text in pieces of `size` sentences (split as the extractor splits them)."""
    from kg.extract.text import split_sentences

    sentences = [s.text for s in split_sentences(text) if s.text.strip()]
    return ["\n\n".join(sentences[i : i + size]) for i in range(0, len(sentences), size)]


def saved_extractor(graph: Any, models_dir: Path) -> Callable[..., Any]:
    """The relation extractor saved under `models_dir/relext`, as `etude kg ingest` loads it (one is
    trained and saved first when there is none: about 15 minutes on two cores, reported through
    `report(stage, done, total)`, so the first ingest's page shows the training's progress)."""

    def load(report: Callable[[str, int, int], None] | None = None) -> Any:
        from kg.extract import load_or_train

        return load_or_train(graph, Path(models_dir) / "relext", progress=False, report=report)

    return load


class KGAdmin:
    """Ingesting texts into `graph` as jobs of `runner`.

    `extractor()` gives the relation extractor (called once, in the first job; a failure is
    retried by the next); `on_change()` runs after an ingest wrote something; `history` is the
    JSON-lines file of past ingests (None: kept in the jobs only).
    """

    def __init__(
        self,
        graph: Any,
        *,
        extractor: Callable[[], Any],
        history: Path | None = None,
        on_change: Callable[[], None] | None = None,
        runner: JobRunner | None = None,
    ) -> None:
        self.graph = graph
        self.extractor = extractor
        self.history_file = Path(history) if history is not None else None
        self.on_change = on_change
        self.runner = runner or JobRunner()
        self._loaded: Any = None
        self._history_lock = threading.Lock()

    def ingest(self, name: Any, text: Any, threshold: Any = DEFAULT_THRESHOLD, by: str | None = None) -> Job:
        """Start an ingest job (BadIngest for bad input, Busy if a job has not finished)."""
        source, text, threshold = check_ingest(name, text, threshold)
        return self.runner.submit(
            INGEST, lambda job: self._ingest(job, source, text, threshold, by), requested_by=by
        )

    def _ingest(self, job: Job, name: str, text: str, threshold: float, by: str | None) -> dict[str, Any]:
        source = f"text:{name}"
        job.progress("loading the relation extractor", 0, 1)
        if self._loaded is None:
            takes_report = "report" in inspect.signature(self.extractor).parameters
            self._loaded = self.extractor(report=job.progress) if takes_report else self.extractor()
        extractor = self._loaded
        pieces = batches(text)
        job.say(f"{source}: {len(text)} characters, {len(pieces)} batch(es) of up to "
                f"{BATCH_SENTENCES} sentences, threshold {threshold}")
        totals = {"extracted": 0, "below_threshold": 0, "already_known": 0, "added_triples": 0}
        nodes: list[str] = []
        triples: list[dict[str, Any]] = []
        stamp = {"job": job.id, "by": by, "at": datetime.now(UTC).isoformat(timespec="seconds"),
                 "source": source, "threshold": threshold, "characters": len(text)}
        try:
            for done, piece in enumerate(pieces):
                job.progress(f"extracting and writing: batch {done + 1} of {len(pieces)}", done, len(pieces))
                summary = extractor.ingest(self.graph, piece, threshold=threshold, source=source)
                for key in totals:
                    totals[key] += int(summary.get(key, 0))
                nodes += [n for n in summary.get("new_nodes", []) if n not in nodes]
                triples += self._provenance(summary.get("triples", []), source)
        except Exception as exc:
            if triples or nodes:
                job.say(f"what the batches before the failure added stays in the graph (source {source})")
                self._record({**stamp, **totals, "new_nodes": nodes, "triples": triples[:TRIPLES_RECORDED],
                              "error": f"{type(exc).__name__}: {exc}"})
                self._changed(job)
            raise
        job.say(f"{totals['added_triples']} triple(s) and {len(nodes)} node(s) added "
                f"({totals['extracted']} extracted, {totals['below_threshold']} below the threshold, "
                f"{totals['already_known']} already known)")
        if triples or nodes:
            self._changed(job)
        self._record({**stamp, **totals, "new_nodes": nodes, "triples": triples[:TRIPLES_RECORDED]})
        return {**stamp, **totals, "new_nodes": nodes, "triples": triples}

    def _changed(self, job: Job) -> None:
        if self.on_change is not None:
            job.progress("refreshing the entity linker and caches", 0, 1)
            self.on_change()

    def _provenance(self, written: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
        """The written triples as the graph now holds them: names, confidence and the sentence."""
        ids = {t[k] for t in written for k in ("head", "tail")}
        names = {node_id: node.name for node_id, node in self.graph.store.get_nodes(ids).items()}
        rows = []
        for t in written:
            props: dict[str, Any] = {}
            for edge in self.graph.store.edges([t["head"]], t["relation"], "out"):
                if edge.tail == t["tail"]:
                    props = edge.props
            rows.append({
                "head": t["head"], "head_name": names.get(t["head"], t["head"]),
                "relation": t["relation"],
                "tail": t["tail"], "tail_name": names.get(t["tail"], t["tail"]),
                "confidence": props.get("confidence", t.get("confidence")),
                "sentence": props.get("sentence", ""),
                "source": props.get("source", source),
            })
        return rows

    # the history of ingests ----------------------------------------------------------------------

    def _record(self, entry: dict[str, Any]) -> None:
        if self.history_file is None:
            return
        with self._history_lock:
            self.history_file.parent.mkdir(parents=True, exist_ok=True)
            with self.history_file.open("a", encoding="utf-8") as out:
                out.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def history(self, limit: int = HISTORY_KEPT) -> list[dict[str, Any]]:
        """The last `limit` ingests, newest first (a damaged line is skipped, not fatal)."""
        if self.history_file is None or not self.history_file.exists():
            return []
        with self._history_lock:
            lines = self.history_file.read_text(encoding="utf-8").splitlines()
        entries = []
        for line in reversed(lines):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                entries.append(entry)
            if len(entries) >= limit:
                break
        return entries
