"""`KnowledgeGraph`: the one graph API the rest of Etude uses, whichever store holds the graph."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.paths import Explanation, explain
from kg.schema import CONCEPT, Node, Triple, now
from kg.store import Direction, GraphStore

if TYPE_CHECKING:
    from kg.linking import Linker, Match

# How facts are grouped for a person or work: (relation, direction) -> key in the facts dict.
FACT_KEYS: dict[tuple[str, str], str] = {
    ("COMPOSED_BY", "out"): "composers",
    ("COMPOSED_BY", "in"): "composed",
    ("PERFORMED_BY", "out"): "performers",
    ("PERFORMED_BY", "in"): "performed",
    ("STUDIED_WITH", "out"): "teachers",
    ("STUDIED_WITH", "in"): "students",
    ("INFLUENCED_BY", "out"): "influences",
    ("INFLUENCED_BY", "in"): "influenced",
    ("PLAYS", "out"): "instruments",
    ("MEMBER_OF", "out"): "bands",
    ("MEMBER_OF", "in"): "members",
    ("IN_ERA", "out"): "eras",
    ("IN_GENRE", "out"): "genres",
    ("EXAMPLE_OF", "out"): "examples_of",
    ("EXAMPLE_OF", "in"): "examples",
    ("REQUIRES", "out"): "requires",
    ("REQUIRES", "in"): "required_by",
    ("RELATED_TO", "out"): "related",
    ("RELATED_TO", "in"): "related",
    ("TECHNIQUE_FOR", "out"): "instrument",
    ("TECHNIQUE_FOR", "in"): "techniques",
    ("SAME_AS", "out"): "same_as",
    ("SAME_AS", "in"): "same_as",
}


class UnknownEntityError(KeyError):
    """The id names nothing in the graph."""

    def __str__(self) -> str:
        return f"no entity with id {self.args[0]!r}"


class KnowledgeGraph:
    def __init__(self, store: GraphStore, cache_dir: Path | None = None) -> None:
        self.store = store
        self.cache_dir = cache_dir  # where derived indexes (link embeddings) are cached
        self._linker: Linker | None = None

    # lookups ------------------------------------------------------------------------------

    def entity(self, entity_id: str) -> Node | None:
        return self.store.get_node(entity_id)

    def require(self, entity_id: str) -> Node:
        node = self.store.get_node(entity_id)
        if node is None:
            raise UnknownEntityError(entity_id)
        return node

    def neighbours(
        self, entity_id: str, rel: str | None = None, direction: Direction = "both"
    ) -> list[tuple[Triple, Node]]:
        """Edges of one entity with the node at the other end, ordered by relation then name."""
        self.require(entity_id)
        edges = self.store.edges([entity_id], rel, direction)
        others = self.store.get_nodes(t.tail if t.head == entity_id else t.head for t in edges)
        pairs = [
            (t, others[t.tail if t.head == entity_id else t.head])
            for t in edges
            if (t.tail if t.head == entity_id else t.head) in others
        ]
        return sorted(pairs, key=lambda p: (p[0].rel, p[1].name.lower()))

    # curriculum ---------------------------------------------------------------------------

    def prerequisites(self, target: str) -> list[Node]:
        """Every concept `target` builds on, transitively, in an order a learner can follow."""
        self.require(target)
        return self._ordered(self.store.closure(target, "REQUIRES"), exclude={target})

    def learning_path(
        self,
        target: str,
        mastered: Iterable[str] = (),
        include_target: bool = True,
        doubtful: Iterable[str] = (),
    ) -> list[Node]:
        """The unmastered prerequisites of `target` (then `target`) in a valid learning order.

        A mastered concept counts as evidence for everything it builds on: a learner who knows
        triads is not sent back to note names, whichever path leads there. Concepts in `doubtful`
        (the learner has shown they don't know them) are never skipped that way.
        """
        self.require(target)
        known = self.known_closure(mastered)
        doubt = set(doubtful)
        if doubt:
            doubt &= {t.tail for t in self.store.reach([target], "REQUIRES")} | {target}
        known -= doubt
        if target in known:
            return []
        # What the learner got wrong comes first, after its own unmastered prerequisites: it may
        # sit under a mastered concept, where the walk from the target does not look.
        first = self._ordered(self.store.reach(doubt, "REQUIRES", stop=known), exclude=known)
        first += [self.require(d) for d in sorted(doubt - {n.id for n in first})]
        rest = self._ordered(self.store.reach([target], "REQUIRES", stop=known), exclude=known)
        placed = {n.id for n in first}
        path = [*first, *(n for n in rest if n.id not in placed)]
        if include_target and not any(n.id == target for n in path):
            path.append(self.require(target))
        elif not include_target:
            path = [n for n in path if n.id != target]
        return path

    def known_closure(self, mastered: Iterable[str]) -> set[str]:
        """The mastered concepts and everything they build on: knowing triads implies note names."""
        known = set(mastered)
        known.update(t.tail for t in self.store.reach(known, "REQUIRES"))
        return known

    def _ordered(self, edges: list[Triple], exclude: set[str]) -> list[Node]:
        """Topological order of the REQUIRES sub-graph: prerequisites first, then by grade, name."""
        ids = {e for t in edges for e in (t.head, t.tail)} - exclude
        nodes = self.store.get_nodes(ids)
        waiting = {i: 0 for i in nodes}
        dependants: dict[str, list[str]] = {i: [] for i in nodes}
        for t in edges:
            if t.head in nodes and t.tail in nodes:
                waiting[t.head] += 1
                dependants[t.tail].append(t.head)

        def rank(i: str) -> tuple[int, str, str]:
            return (int(nodes[i].props.get("grade", 0)), nodes[i].name.lower(), i)

        ready = [(rank(i), i) for i, n in waiting.items() if n == 0]
        heapq.heapify(ready)
        order: list[Node] = []
        while ready:
            _, i = heapq.heappop(ready)
            order.append(nodes[i])
            for dep in dependants[i]:
                waiting[dep] -= 1
                if waiting[dep] == 0:
                    heapq.heappush(ready, (rank(dep), dep))
        return order

    # explanations and facts --------------------------------------------------------------

    def explain(self, a: str, b: str, k: int = 3, max_len: int = 4) -> list[Explanation]:
        """The k best paths of up to `max_len` edges between two entities, as sentences."""
        self.require(a)
        self.require(b)
        return explain(self.store, a, b, k, max_len)

    def facts(self, entity_id: str) -> dict[str, Any]:
        """What the graph knows about an entity: its properties and its neighbours by role."""
        node = self.require(entity_id)
        facts: dict[str, Any] = {"id": node.id, "label": node.label, **node.props}
        for t, other in self.neighbours(entity_id):
            direction = "out" if t.head == entity_id else "in"
            key = FACT_KEYS.get((t.rel, direction), f"{t.rel.lower()}_{direction}")
            entry = {"id": other.id, "name": other.name}
            if entry not in facts.setdefault(key, []):
                facts[key].append(entry)
        return facts

    def concepts(self) -> list[Node]:
        return sorted(self.store.nodes(CONCEPT), key=lambda n: n.id)

    # linking ------------------------------------------------------------------------------

    @property
    def linker(self) -> Linker:
        if self._linker is None:
            from kg.linking import Linker

            self._linker = Linker.from_store(self.store, self.cache_dir)
        return self._linker

    def link(
        self, mention: str, k: int = 5, labels: Iterable[str] | None = None, semantic: bool = True
    ) -> list[Match]:
        """Entities a mention may name, best first, each with a score in [0, 1] and the method."""
        return self.linker.link(mention, k=k, labels=labels, semantic=semantic)

    # writes -------------------------------------------------------------------------------

    def upsert(
        self,
        nodes: Iterable[Node] = (),
        triples: Iterable[Triple] = (),
        source: str = "manual",
        confidence: float = 1.0,
    ) -> dict[str, int]:
        """Add or update nodes and edges, stamping each with provenance (source, confidence, time)."""
        stamp = {"source": source, "confidence": float(confidence), "updated": now()}
        node_list = [Node(n.id, n.label, {**stamp, **n.props}) for n in nodes]
        triple_list = [Triple(t.head, t.rel, t.tail, {**stamp, **t.props}) for t in triples]
        written = {"nodes": self.store.upsert_nodes(node_list)}
        written["triples"] = self.store.upsert_triples(triple_list)
        if self._linker is not None and node_list:
            self._linker.add(node_list)
        return written

    def stats(self) -> dict[str, Any]:
        counts = self.store.counts()
        return {
            "store": self.store.kind,
            "nodes": counts["nodes"],
            "edges": counts["edges"],
            "total_nodes": sum(counts["nodes"].values()),
            "total_edges": sum(counts["edges"].values()),
        }
