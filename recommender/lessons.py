"""The curriculum's rule for recommended lessons: prerequisites before what builds on them.

A ranking may put "secondary dominants" first for a learner who has not mastered triads; the
tutor must then recommend the unmastered prerequisites first, in an order a learner can follow
(`KnowledgeGraph.learning_path`), never the concept ahead of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from kg.graph import KnowledgeGraph


@dataclass(frozen=True, slots=True)
class Pick:
    item: str
    prerequisite_of: str | None = None  # the ranked concept this one has to come before


class Prerequisites:
    """The graph's REQUIRES edges, read once (they change only when the curriculum is rebuilt)."""

    def __init__(self, graph: KnowledgeGraph) -> None:
        self.graph = graph
        self.requires: dict[str, list[str]] = {}
        for t in graph.store.triples("REQUIRES"):
            self.requires.setdefault(t.head, []).append(t.tail)

    def known(self, mastered: Iterable[str]) -> set[str]:
        """The mastered concepts and all they build on."""
        return self.graph.known_closure(mastered)

    def path(self, concept: str, known: set[str]) -> list[str]:
        """The unmastered prerequisites of `concept`, then `concept`, in learning order."""
        return [n.id for n in self.graph.learning_path(concept, known)]


def prerequisites_first(
    ranked: Iterable[str],
    k: int,
    prerequisites: Prerequisites,
    known: set[str],
    is_lesson: Callable[[str], bool],
    allowed: Callable[[str], bool],
) -> list[Pick]:
    """The first `k` of `ranked` where each lesson comes after all its unmastered prerequisites.

    A lesson whose prerequisites are all known (or already picked) is picked as it is; otherwise
    its learning path is picked in its place, as far as `k` allows (the lesson itself only when
    all of it fits). A lesson with a prerequisite that is not `allowed` is skipped: it cannot be
    recommended in the right order. `ranked` is read only as far as needed.
    """
    picks: list[Pick] = []
    picked: set[str] = set()
    items: Iterator[str] = iter(ranked)
    while len(picks) < k:
        item = next(items, None)
        if item is None:
            break
        if item in picked:
            continue
        needs = prerequisites.requires.get(item, ()) if is_lesson(item) else ()
        if all(r in known or r in picked for r in needs):
            picks.append(Pick(item))
            picked.add(item)
            continue
        path = [c for c in prerequisites.path(item, known) if c not in picked]
        if not all(allowed(c) for c in path if c != item):
            continue
        for concept in path[: k - len(picks)]:
            picks.append(Pick(concept, None if concept == item else item))
            picked.add(concept)
    return picks
