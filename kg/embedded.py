"""The embedded store: the whole graph in memory, every write persisted to SQLite first.

Zero set-up and fast queries (dictionary lookups) for a graph of tens of thousands of nodes;
writes go to SQLite in one transaction before memory changes, so an acknowledged write survives a
crash and the graph reloads as it was.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from kg.schema import Node, Triple
from kg.store import (
    Direction,
    GraphStore,
    MissingNodeError,
    _rel_or_none,
    checked_nodes,
    checked_triples,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS nodes (id TEXT PRIMARY KEY, label TEXT NOT NULL, props TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS triples (
    head TEXT NOT NULL, rel TEXT NOT NULL, tail TEXT NOT NULL, props TEXT NOT NULL,
    PRIMARY KEY (head, rel, tail)
);
CREATE INDEX IF NOT EXISTS triples_tail ON triples (tail);
"""


class EmbeddedStore(GraphStore):
    """In-process store; `path=None` keeps the graph in memory only (tests)."""

    kind = "embedded"

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            str(self.path) if self.path else ":memory:", check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.RLock()
        self._nodes: dict[str, Node] = {}
        self._out: dict[str, dict[tuple[str, str], Triple]] = defaultdict(dict)
        self._in: dict[str, dict[tuple[str, str], Triple]] = defaultdict(dict)
        self._load()

    def _load(self) -> None:
        for node_id, label, props in self._db.execute("SELECT id, label, props FROM nodes"):
            self._nodes[node_id] = Node(node_id, label, json.loads(props))
        for head, rel, tail, props in self._db.execute(
            "SELECT head, rel, tail, props FROM triples"
        ):
            self._index(Triple(head, rel, tail, json.loads(props)))

    def _index(self, t: Triple) -> None:
        self._out[t.head][(t.rel, t.tail)] = t
        self._in[t.tail][(t.rel, t.head)] = t

    # writes -------------------------------------------------------------------------------

    def upsert_nodes(self, nodes: Iterable[Node]) -> int:
        batch = checked_nodes(nodes)
        with self._lock:
            merged = []
            for node in batch:
                old = self._nodes.get(node.id)
                props = {**old.props, **node.props} if old else dict(node.props)
                merged.append(Node(node.id, node.label, props))
            with self._db:
                self._db.executemany(
                    "INSERT INTO nodes (id, label, props) VALUES (?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET label = excluded.label, props = excluded.props",
                    [(n.id, n.label, json.dumps(n.props, ensure_ascii=False)) for n in merged],
                )
            for node in merged:
                self._nodes[node.id] = node
        return len(merged)

    def upsert_triples(self, triples: Iterable[Triple]) -> int:
        batch = checked_triples(triples)
        with self._lock:
            missing = sorted(
                {e for t in batch for e in (t.head, t.tail) if e not in self._nodes}
            )
            if missing:
                raise MissingNodeError(f"edges name unknown nodes: {', '.join(missing[:10])}")
            merged = []
            for t in batch:
                old = self._out[t.head].get((t.rel, t.tail))
                props = {**old.props, **t.props} if old else dict(t.props)
                merged.append(Triple(t.head, t.rel, t.tail, props))
            with self._db:
                self._db.executemany(
                    "INSERT INTO triples (head, rel, tail, props) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(head, rel, tail) DO UPDATE SET props = excluded.props",
                    [
                        (t.head, t.rel, t.tail, json.dumps(t.props, ensure_ascii=False))
                        for t in merged
                    ],
                )
            for t in merged:
                self._index(t)
        return len(merged)

    def delete_nodes(self, ids: Iterable[str]) -> int:
        with self._lock:
            present = [i for i in dict.fromkeys(ids) if i in self._nodes]
            edges = [t.key() for i in present for t in self._touching(i)]
            self._delete_edges(edges)
            with self._db:
                self._db.executemany("DELETE FROM nodes WHERE id = ?", [(i,) for i in present])
            for i in present:
                del self._nodes[i]
                self._out.pop(i, None)
                self._in.pop(i, None)
            return len(present)

    def delete_triples(self, triples: Iterable[tuple[str, str, str]]) -> int:
        with self._lock:
            present = [k for k in dict.fromkeys(triples) if (k[1], k[2]) in self._out.get(k[0], {})]
            self._delete_edges(present)
            return len(present)

    def _delete_edges(self, keys: list[tuple[str, str, str]]) -> None:
        with self._db:
            self._db.executemany(
                "DELETE FROM triples WHERE head = ? AND rel = ? AND tail = ?", keys
            )
        for head, rel, tail in keys:
            self._out[head].pop((rel, tail), None)
            self._in[tail].pop((rel, head), None)

    def clear(self) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM triples")
            self._db.execute("DELETE FROM nodes")
            self._nodes.clear()
            self._out.clear()
            self._in.clear()

    # reads --------------------------------------------------------------------------------

    def get_nodes(self, ids: Iterable[str]) -> dict[str, Node]:
        return {i: self._nodes[i] for i in ids if i in self._nodes}

    def nodes(self, label: str | None = None) -> Iterator[Node]:
        for node in list(self._nodes.values()):
            if label is None or node.label == label:
                yield node

    def triples(self, rel: str | None = None) -> Iterator[Triple]:
        rel = _rel_or_none(rel)
        for edges in list(self._out.values()):
            for t in list(edges.values()):
                if rel is None or t.rel == rel:
                    yield t

    def _touching(self, node_id: str) -> list[Triple]:
        return [*self._out.get(node_id, {}).values(), *self._in.get(node_id, {}).values()]

    def edges(
        self, ids: Iterable[str], rel: str | None = None, direction: Direction = "both"
    ) -> list[Triple]:
        rel = _rel_or_none(rel)
        found: dict[tuple[str, str, str], Triple] = {}
        for node_id in ids:
            sides = []
            if direction in ("out", "both"):
                sides.append(self._out.get(node_id, {}))
            if direction in ("in", "both"):
                sides.append(self._in.get(node_id, {}))
            for side in sides:
                for t in side.values():
                    if rel is None or t.rel == rel:
                        found[t.key()] = t
        return list(found.values())

    def degrees(self, ids: Iterable[str]) -> dict[str, int]:
        return {
            i: len(self._out.get(i, {})) + len(self._in.get(i, {}))
            for i in ids
            if i in self._nodes
        }

    def counts(self) -> dict[str, dict[str, int]]:
        nodes: dict[str, int] = defaultdict(int)
        for node in self._nodes.values():
            nodes[node.label] += 1
        edges: dict[str, int] = defaultdict(int)
        for side in self._out.values():
            for rel, _tail in side:
                edges[rel] += 1
        return {"nodes": dict(sorted(nodes.items())), "edges": dict(sorted(edges.items()))}

    def close(self) -> None:
        self._db.close()
