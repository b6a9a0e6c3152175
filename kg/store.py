"""The storage interface both graph stores implement.

Stores keep nodes and typed edges and answer a few primitive queries; everything the tutor asks
(learning paths, explanations, facts) is built on these in `kg.graph`, so both stores give the
same answers. A store only needs to be fast at its primitives: batched neighbour lookups and the
closure of one relation type.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any, Literal

from kg.schema import Node, Triple, check_relation, check_text

Direction = Literal["out", "in", "both"]

# Property values a node or edge may carry in both stores (Neo4j allows no nested maps).
Scalar = str | int | float | bool


class MissingNodeError(ValueError):
    """An edge names a node that is not in the graph."""


# Property names end up as map keys that a Bolt server may write into query text (FalkorDB), so
# they are plain identifiers.
_PROP_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def clean_props(props: dict[str, Any], what: str) -> dict[str, Any]:
    """Drop None values and check the rest are values both stores can keep."""
    cleaned: dict[str, Any] = {}
    for key, value in props.items():
        if value is None:
            continue
        if not isinstance(key, str) or not _PROP_NAME.match(key) or key in ("id", "label"):
            raise ValueError(f"{what}: invalid property name {key!r}")
        if isinstance(value, list):
            if any(not isinstance(v, Scalar) for v in value):
                raise ValueError(f"{what}: property {key!r} must be a list of plain values")
            if len({type(v) for v in value}) > 1:
                raise ValueError(f"{what}: property {key!r} mixes types (Neo4j cannot keep that)")
        elif not isinstance(value, Scalar):
            raise ValueError(f"{what}: property {key!r} has unsupported type {type(value).__name__}")
        if any(isinstance(v, float) and not math.isfinite(v) for v in _values(value)):
            raise ValueError(f"{what}: property {key!r} is not a finite number")
        cleaned[key] = check_text(value, f"{what}.{key}")
    return cleaned


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def checked_nodes(nodes: Iterable[Node]) -> list[Node]:
    from kg.schema import LABELS

    out = []
    for node in nodes:
        if not node.id or not isinstance(node.id, str):
            raise ValueError("a node needs a non-empty string id")
        check_text(node.id, "node id")
        if node.label not in LABELS:
            raise ValueError(f"node {node.id!r}: unknown label {node.label!r}")
        out.append(Node(node.id, node.label, clean_props(node.props, node.id)))
    return out


def checked_triples(triples: Iterable[Triple]) -> list[Triple]:
    out = []
    for t in triples:
        check_relation(t.rel)
        check_text(t.head, "edge head")
        check_text(t.tail, "edge tail")
        out.append(Triple(t.head, t.rel, t.tail, clean_props(t.props, f"{t.head}-{t.rel}")))
    return out


class GraphStore(ABC):
    """Nodes with one label and flat properties; directed typed edges unique per (head, rel, tail).

    Upserts merge properties into what is there. Edges must join existing nodes.
    """

    kind: str = "store"

    @abstractmethod
    def upsert_nodes(self, nodes: Iterable[Node]) -> int:
        """Create or update nodes (properties are merged); returns how many were written."""

    @abstractmethod
    def upsert_triples(self, triples: Iterable[Triple]) -> int:
        """Create or update edges; raises MissingNodeError if an endpoint does not exist."""

    @abstractmethod
    def get_nodes(self, ids: Iterable[str]) -> dict[str, Node]:
        """The nodes among `ids` that exist, by id."""

    def get_node(self, node_id: str) -> Node | None:
        return self.get_nodes([node_id]).get(node_id)

    @abstractmethod
    def nodes(self, label: str | None = None) -> Iterator[Node]:
        """Every node, or every node with one label."""

    @abstractmethod
    def triples(self, rel: str | None = None) -> Iterator[Triple]:
        """Every edge, or every edge of one relation type."""

    @abstractmethod
    def edges(
        self, ids: Iterable[str], rel: str | None = None, direction: Direction = "both"
    ) -> list[Triple]:
        """Edges touching any of `ids` (one batched lookup), optionally of one relation type."""

    def closure(self, start: str, rel: str) -> list[Triple]:
        """Every `rel` edge reachable from `start` following `rel` forwards (transitive)."""
        return self.reach([start], rel)

    def reach(self, starts: Iterable[str], rel: str, stop: Collection[str] = frozenset()) -> list[Triple]:
        """Every `rel` edge reachable from any of `starts` following `rel` forwards, each once, the
        walk never entering a node in `stop` (one batched `edges` lookup per level; a remote store
        may fetch several levels at once)."""
        rel = check_relation(rel)
        return walk(starts, lambda frontier: self.edges(frontier, rel, "out"), stop)

    @abstractmethod
    def degrees(self, ids: Iterable[str]) -> dict[str, int]:
        """Number of edges (either direction) of each node."""

    @abstractmethod
    def delete_nodes(self, ids: Iterable[str]) -> int:
        """Remove nodes and their edges; returns how many nodes were removed."""

    @abstractmethod
    def delete_triples(self, triples: Iterable[tuple[str, str, str]]) -> int:
        """Remove edges by (head, rel, tail); returns how many were removed."""

    @abstractmethod
    def counts(self) -> dict[str, dict[str, int]]:
        """`{"nodes": {label: n}, "edges": {rel: n}}`."""

    @abstractmethod
    def clear(self) -> None:
        """Remove everything."""

    def close(self) -> None:  # noqa: B027 - optional for stores without resources
        """Release connections and files."""

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def walk(starts: Iterable[str], out_edges: Callable[[list[str]], Iterable[Triple]],
         stop: Collection[str] = frozenset()) -> list[Triple]:
    """The edges reachable from `starts`, level by level, each once: `out_edges(frontier)` gives a
    level's outgoing edges, and an edge into a node in `stop` is neither kept nor followed."""
    seen = set(starts)
    frontier = list(dict.fromkeys(starts))
    found: dict[tuple[str, str, str], Triple] = {}
    while frontier:
        nxt: list[str] = []
        for t in out_edges(frontier):
            if t.tail in stop:
                continue
            found.setdefault(t.key(), t)
            if t.tail not in seen:
                seen.add(t.tail)
                nxt.append(t.tail)
        frontier = nxt
    return list(found.values())


def _rel_or_none(rel: str | None) -> str | None:
    return check_relation(rel) if rel is not None else None
