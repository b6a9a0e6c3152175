"""What the Graph browser shows about one node, read from the knowledge graph: its name, type,
description and properties, its neighbourhood (chosen and laid out by `bot.console.neighbourhood`)
with every drawn edge's provenance, and for a concept its prerequisite chain (the learning path from
the basics to it, drawn in layers by `bot.console.prerequisite_graph`) and what it unlocks.

Everything shown comes from the graph; nothing about music is written here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from bot.console.neighbourhood import Drawing, Selection, as_json, collect, radial_layout, requires_map
from bot.console.prerequisite_graph import Layout, concepts_to_draw, layered_layout
from kg.schema import CONCEPT, Node, Triple

NODE_PAGE = "/console/graph/node/"
MAX_ID = 512
HOPS = (1, 2)
# Shown apart from the other properties: the name and description above them, provenance below.
OWN_FIELDS = ("name", "title", "description", "aliases")
PROVENANCE = ("source", "confidence", "updated", "extracted", "extractor", "sentence")


class InvalidView(ValueError):
    """A hops or relation choice the node page cannot show; the message says why."""


@dataclass(frozen=True)
class Chain:
    """A concept's prerequisites: the learning path (basics first, the concept last), the layered
    drawing of what it builds on, and the concepts that build on it."""

    path: list[Node]
    layout: Layout
    drawn: list[str]
    names: dict[str, str]  # of the drawn concepts
    total: int  # concepts in the chain before the drawing's cap
    unlocks: list[Node]  # directly
    unlocks_total: int  # directly or through others


@dataclass(frozen=True)
class NodeView:
    node: Node
    hops: int
    relation: str | None
    relations: dict[str, int]  # the node's own edges by relation type
    selection: Selection
    drawing: Drawing
    nodes: dict[str, Node]  # every node drawn, by id
    chain: Chain | None

    @property
    def description(self) -> str:
        return str(self.node.props.get("description") or "")

    @property
    def aliases(self) -> list[str]:
        return [str(a) for a in self.node.props.get("aliases") or []]

    @property
    def properties(self) -> list[tuple[str, str]]:
        """The node's other properties as (name in words, value), e.g. ("born", "1685")."""
        title = self.node.props.get("title")
        return [
            (key.replace("_", " "), show(value))
            for key, value in sorted(self.node.props.items())
            if key not in OWN_FIELDS + PROVENANCE or (key == "title" and title != self.node.name)
        ]

    @property
    def provenance(self) -> list[tuple[str, str]]:
        return [(key, show(self.node.props[key])) for key in PROVENANCE if key in self.node.props]

    @property
    def edges(self) -> list[Triple]:
        """The drawn edges, the node's own first (by relation, then the other end's name)."""
        centre = self.node.id

        def key(edge: Triple) -> tuple[int, str, str, str]:
            own = centre in (edge.head, edge.tail)
            other = edge.tail if edge.head == centre else edge.head
            return (0 if own else 1, edge.rel, self.name(other if own else edge.head).lower(), edge.tail)

        return sorted(self.selection.edges, key=key)

    def name(self, node_id: str) -> str:
        found = self.nodes.get(node_id)
        return found.name if found is not None else node_id

    def label(self, node_id: str) -> str:
        found = self.nodes.get(node_id)
        return found.label if found is not None else ""


def show(value: Any) -> str:
    """A property value as text: lists joined, booleans as yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(show(v) for v in value)
    return str(value)


def node_href(node_id: str, hops: int = 1) -> str:
    """The node's page; the hops chosen travel along when a drawing's node is clicked."""
    query = f"?{urlencode({'hops': hops})}" if hops != 1 else ""
    return f"{NODE_PAGE}{quote(node_id, safe=':')}{query}"


def find_node(graph: Any, node_id: str) -> Node | None:
    """The node, or None for an unknown id (or one no node could have)."""
    if not node_id or len(node_id) > MAX_ID or any(ord(ch) < 32 for ch in node_id):
        return None
    return graph.entity(node_id)


def read_choice(params: Mapping[str, str], relations: Mapping[str, int]) -> tuple[int, str | None]:
    """The hops (1 or 2) and relation filter asked for; InvalidView for anything else."""
    raw_hops = params.get("hops", "1").strip() or "1"
    if raw_hops not in {str(h) for h in HOPS}:
        raise InvalidView("Hops must be 1 or 2.")
    relation = params.get("rel", "").strip() or None
    if relation is not None and relation not in relations:
        listed = ", ".join(sorted(relations)) or "none"
        raise InvalidView(f"This node has no edge of the relation {relation[:64]!r}; "
                          f"its relations are: {listed}.")
    return int(raw_hops), relation


def own_relations(graph: Any, node_id: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for edge in graph.store.edges([node_id]):
        counts[edge.rel] = counts.get(edge.rel, 0) + 1
    return dict(sorted(counts.items()))


def node_view(graph: Any, node: Node, hops: int = 1, relation: str | None = None,
              relations: dict[str, int] | None = None) -> NodeView:
    """Everything the node page and its JSON twin show about `node`."""
    relations = own_relations(graph, node.id) if relations is None else relations
    selection = collect(node.id, lambda ids: graph.store.edges(ids, relation, "both"), hops)
    nodes = graph.store.get_nodes(selection.ids())
    drawing = radial_layout(selection, lambda n: nodes[n].name if n in nodes else n)
    chain = prerequisite_chain(graph, node) if node.label == CONCEPT else None
    return NodeView(node, hops, relation, relations, selection, drawing, nodes, chain)


def prerequisite_chain(graph: Any, node: Node) -> Chain:
    path = graph.learning_path(node.id)
    requires = requires_map(graph.store.closure(node.id, "REQUIRES"))
    requires.setdefault(node.id, [])
    drawn, total = concepts_to_draw([node.id], requires)
    named = graph.store.get_nodes(drawn)
    layout = layered_layout(drawn, requires, lambda c: named[c].name if c in named else c)
    direct = sorted({e.head for e in graph.store.edges([node.id], "REQUIRES", "in")})
    unlocks = sorted(graph.store.get_nodes(direct).values(), key=lambda n: (n.name.lower(), n.id))
    names = {c: named[c].name if c in named else c for c in drawn}
    return Chain(path, layout, drawn, names, total, unlocks, len(_dependants(graph, node.id)))


def _dependants(graph: Any, concept: str) -> set[str]:
    """Every concept that builds on `concept`, directly or through others."""
    found: set[str] = set()
    frontier = [concept]
    while frontier:
        heads = {e.head for e in graph.store.edges(frontier, "REQUIRES", "in")} - found - {concept}
        found |= heads
        frontier = sorted(heads)
    return found


def view_json(view: NodeView) -> dict[str, Any]:
    """The node page as JSON, for scripts."""
    names = {node_id: {"name": n.name, "label": n.label} for node_id, n in view.nodes.items()}
    chain = view.chain
    return {
        "node": {**view.node.to_dict(), "name": view.node.name},
        "hops": view.hops,
        "relation": view.relation,
        "relations": view.relations,
        "neighbourhood": as_json(view.selection, names),
        "prerequisites": None if chain is None else {
            "learning_path": [{"id": n.id, "name": n.name} for n in chain.path],
            "unlocks": [{"id": n.id, "name": n.name} for n in chain.unlocks],
            "unlocks_total": chain.unlocks_total,
        },
    }
