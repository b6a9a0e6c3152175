"""Which graph nodes are the platform's items: light enough for serving to read without torch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from kg.schema import CONCEPT, WORK, Node

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

Works = Literal["all", "catalog", "none"]


def platform_items(graph: KnowledgeGraph, works: Works = "all") -> list[Node]:
    """Concepts then works (`catalog`: only authored works, not the music21 corpus), by id."""
    concepts = sorted(graph.store.nodes(CONCEPT), key=lambda n: n.id)
    if works == "none":
        return concepts
    found = sorted(graph.store.nodes(WORK), key=lambda n: n.id)
    if works == "catalog":
        found = [n for n in found if str(n.props.get("source", "")).startswith("catalog:")]
    elif works != "all":
        raise ValueError(f"works must be all, catalog or none, not {works!r}")
    return concepts + found
