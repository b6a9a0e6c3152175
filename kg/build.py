"""Building the graph from the authored data (curriculum, catalog) and the music21 corpus.

A build upserts every authored record and then removes authored records that have disappeared
from the files; facts that came from elsewhere (ingested text, Last.FM) are left alone, so a
rebuild never loses what was added incrementally.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.catalog import Catalog, load_catalog
from kg.curriculum import DATA_DIR, Concept, load_curriculum
from kg.linking import normalize
from kg.schema import (
    CONCEPT,
    ERA,
    GENRE,
    INSTRUMENT,
    PERSON,
    WORK,
    Node,
    Triple,
    node_id,
    now,
)
from kg.store import GraphStore

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

AUTHORED_PREFIXES = ("curriculum:", "catalog:", "music21")
Progress = Callable[[str, int, int], None]  # (stage, done, total)

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Records:
    nodes: list[Node] = field(default_factory=list)
    triples: list[Triple] = field(default_factory=list)

    def extend(self, other: Records) -> None:
        self.nodes += other.nodes
        self.triples += other.triples


@dataclass(slots=True)
class BuildReport:
    nodes: int
    triples: int
    removed_nodes: int
    removed_triples: int
    seconds: float
    stages: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": self.nodes, "triples": self.triples, "removed_nodes": self.removed_nodes,
            "removed_triples": self.removed_triples, "seconds": round(self.seconds, 2),
            "stages": {k: round(v, 2) for k, v in self.stages.items()},
        }


def _stamp(source: str) -> dict[str, Any]:
    return {"source": source, "confidence": 1.0}


def curriculum_records(concepts: Iterable[Concept]) -> Records:
    """The concepts' nodes and edges. A `related` entry that is also a prerequisite link (either
    way) becomes no RELATED_TO edge: REQUIRES already says how the two connect, and a second,
    vaguer edge would give every explanation through them a near-duplicate path."""
    concepts = list(concepts)
    prerequisite_links = {frozenset((c.id, r)) for c in concepts for r in c.requires}
    out = Records()
    for c in concepts:
        source = f"curriculum:{c.source}"
        props: dict[str, Any] = {
            "name": c.name, "aliases": c.aliases, "category": c.category, "grade": c.grade,
            "description": c.description, **_stamp(source),
        }
        if c.example:
            # Neo4j keeps no nested maps, so the example travels as JSON text.
            props["example"] = json.dumps(c.example, sort_keys=True)
        if c.instrument:
            props["instrument"] = c.instrument
        cid = node_id("concept", c.id)
        out.nodes.append(Node(cid, CONCEPT, props))
        out.triples += [Triple(cid, "REQUIRES", node_id("concept", r), _stamp(source)) for r in c.requires]
        out.triples += [Triple(cid, "RELATED_TO", node_id("concept", r), _stamp(source))
                        for r in c.related if frozenset((c.id, r)) not in prerequisite_links]
        if c.instrument:
            out.triples.append(
                Triple(cid, "TECHNIQUE_FOR", node_id("instrument", c.instrument), _stamp(source))
            )
    return out


def _list(item: dict[str, Any], key: str) -> list[str]:
    value = item.get(key) or []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _plain(item: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {k: item[k] for k in keys if item.get(k) is not None}


def catalog_records(catalog: Catalog) -> Records:
    out = Records()
    for what, kind, label in (
        ("eras", "era", ERA), ("genres", "genre", GENRE), ("instruments", "instrument", INSTRUMENT)
    ):
        for item in getattr(catalog, what):
            props = _plain(item, ("name", "aliases", "description", "start", "end", "family"))
            out.nodes.append(
                Node(node_id(kind, item["id"]), label, {**props, **_stamp(f"catalog:{item['_source']}")})
            )
    for p in catalog.people:
        source = f"catalog:{p['_source']}"
        pid = node_id("person", p["id"])
        props = _plain(
            p, ("name", "aliases", "kind", "born", "born_approx", "died", "nationality", "description")
        )
        if p.get("instruments"):  # main first: a band member's first is their part in the band
            props["instrument_order"] = [node_id("instrument", i) for i in _list(p, "instruments")]
        if p.get("active"):
            start, end = [*p["active"], None, None][:2]
            props.update(_plain({"active_from": start, "active_to": end}, ("active_from", "active_to")))
        out.nodes.append(Node(pid, PERSON, {**props, **_stamp(source)}))
        for rel, key, kind in (
            ("IN_ERA", "eras", "era"), ("IN_GENRE", "genres", "genre"),
            ("PLAYS", "instruments", "instrument"), ("STUDIED_WITH", "teachers", "person"),
            ("INFLUENCED_BY", "influences", "person"),
        ):
            out.triples += [Triple(pid, rel, node_id(kind, r), _stamp(source)) for r in _list(p, key)]
        out.triples += [
            Triple(node_id("person", m), "MEMBER_OF", pid, _stamp(source)) for m in _list(p, "members")
        ]
    for w in catalog.works:
        source = f"catalog:{w['_source']}"
        wid = node_id("work", w["id"])
        props = _plain(w, ("title", "aliases", "year", "year_approx", "year_event", "form", "key",
                           "meter", "description"))
        props["name"] = w.get("title")
        out.nodes.append(Node(wid, WORK, {**props, **_stamp(source)}))
        for rel, key, kind in (
            ("COMPOSED_BY", "composers", "person"), ("PERFORMED_BY", "performers", "person"),
            ("IN_ERA", "eras", "era"), ("IN_GENRE", "genres", "genre"),
            ("EXAMPLE_OF", "examples_of", "concept"),
        ):
            out.triples += [Triple(wid, rel, node_id(kind, r), _stamp(source)) for r in _list(w, key)]
    return out


def people_index(nodes: Iterable[Node]) -> dict[str, str]:
    """Normalised name and alias -> catalog person id, for matching names from other sources."""
    index: dict[str, str] = {}
    for node in nodes:
        if node.label != PERSON or not str(node.props.get("source", "")).startswith("catalog:"):
            continue
        for name in [node.props.get("name"), *(node.props.get("aliases") or [])]:
            if name:
                index.setdefault(normalize(str(name)), node.id)
    return index


def authored_records(data_dir: Path | None = None, corpus: bool = True) -> Records:
    """Curriculum, catalog and (when its analysis file exists) the music21 corpus."""
    data_dir = data_dir or DATA_DIR
    records = curriculum_records(load_curriculum(data_dir / "curriculum"))
    records.extend(catalog_records(load_catalog(data_dir / "catalog")))
    corpus_file = data_dir / "catalog" / "music21_corpus.jsonl"
    if corpus and corpus_file.exists():
        from kg.corpus import corpus_records

        nodes, triples = corpus_records(corpus_file, people_index(records.nodes))
        records.extend(Records(list(nodes), list(triples)))
    return records


AUTHORED_GLOBS = ("curriculum/*.yml", "catalog/*.yml", "catalog/*.jsonl")


def authored_fingerprint(data_dir: Path | None = None, corpus: bool = True) -> str:
    """A hash of the authored files a build reads (names and bytes): a graph built from other
    data is out of date, so a corrected fact reaches an installed tutor at its next start."""
    data_dir = data_dir or DATA_DIR
    digest = hashlib.sha256(f"corpus={corpus}\n".encode())
    for pattern in AUTHORED_GLOBS:
        for path in sorted(data_dir.glob(pattern)):
            if path.suffix == ".jsonl" and not corpus:
                continue
            digest.update(f"{path.relative_to(data_dir).as_posix()}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def built_marker(home: Path) -> Path:
    """Where a home keeps the fingerprint of the authored data its graph was last built from."""
    return Path(home) / "kg" / "authored.sha256"


def record_built(home: Path, fingerprint: str) -> None:
    marker = built_marker(home)
    marker.parent.mkdir(parents=True, exist_ok=True)
    tmp = marker.with_suffix(".tmp")
    tmp.write_text(fingerprint + "\n", encoding="utf-8")
    tmp.replace(marker)


def ensure_built(store: GraphStore, home: Path, data_dir: Path | None = None) -> bool:
    """Build the authored graph into `store` when it is empty or older than the authored data
    (a corrected description or date must reach the tutor without anyone remembering
    `etude kg build`); facts from elsewhere (ingested text, Last.FM) are kept. True if it built."""
    wanted = authored_fingerprint(data_dir)
    marker = built_marker(home)
    empty = not sum(store.counts().get("nodes", {}).values())
    if not empty and marker.exists() and marker.read_text(encoding="utf-8").strip() == wanted:
        return False
    log.info("the knowledge graph is %s: building it from %s", "empty" if empty else
             "older than the authored data", data_dir or DATA_DIR)
    build_graph(store, data_dir)
    record_built(home, wanted)
    return True


def built_graph(home: Path, data_dir: Path | None = None) -> KnowledgeGraph:
    """The home's embedded graph, built first when it is empty or older than the authored data
    (`ensure_built`): what training and the benchmarks read where no service configured a store."""
    from kg.stores import open_graph

    graph = open_graph(home)
    ensure_built(graph.store, home, data_dir)
    return graph


def build_graph(
    store: GraphStore,
    data_dir: Path | None = None,
    corpus: bool = True,
    clean: bool = False,
    progress: Progress | None = None,
    batch: int = 2000,
) -> BuildReport:
    """Write the authored graph into `store`; see the module docstring for what is kept."""
    started = time.perf_counter()
    stages: dict[str, float] = {}
    tick = time.perf_counter()
    records = authored_records(data_dir, corpus)
    stages["load"] = time.perf_counter() - tick
    stamp = now()
    for item in (*records.nodes, *records.triples):
        item.props["updated"] = stamp
    if clean:
        store.clear()
    tick = time.perf_counter()
    total = len(records.nodes) + len(records.triples)
    done = 0
    for start in range(0, len(records.nodes), batch):
        done += store.upsert_nodes(records.nodes[start : start + batch])
        if progress:
            progress("nodes", done, total)
    for start in range(0, len(records.triples), batch):
        done += store.upsert_triples(records.triples[start : start + batch])
        if progress:
            progress("edges", done, total)
    stages["write"] = time.perf_counter() - tick
    tick = time.perf_counter()
    removed_nodes, removed_triples = _prune(store, records)
    stages["prune"] = time.perf_counter() - tick
    return BuildReport(
        len(records.nodes), len(records.triples), removed_nodes, removed_triples,
        time.perf_counter() - started, stages,
    )


def _authored(props: dict[str, Any]) -> bool:
    return str(props.get("source", "")).startswith(AUTHORED_PREFIXES)


def _prune(store: GraphStore, records: Records) -> tuple[int, int]:
    """Remove authored nodes and edges that are no longer in the data files."""
    keep_nodes = {n.id for n in records.nodes}
    keep_edges = {t.key() for t in records.triples}
    stale_edges = [t.key() for t in store.triples() if _authored(t.props) and t.key() not in keep_edges]
    removed_edges = store.delete_triples(stale_edges)
    stale_nodes = [n.id for n in store.nodes() if _authored(n.props) and n.id not in keep_nodes]
    return store.delete_nodes(stale_nodes), removed_edges
