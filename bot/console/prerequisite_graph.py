"""A learner's concepts over the prerequisite graph, laid out in layers for a server-drawn SVG.

`concepts_to_draw` picks the nodes: the concepts the learner has a record for, then what they build
on (nearest first), at most `MAX_NODES`. `layered_layout` places them (a Sugiyama-style layering,
written for this page): a concept's layer is the length of the longest prerequisite chain below it
among the concepts shown, so every REQUIRES edge runs from a lower layer (the prerequisite) to a
higher one; within a layer, concepts are ordered by the barycentre of their neighbours in the layers
already placed, sweeping down and up a few times, which keeps edge crossings few. Positions are in
pixels; the template draws the SVG, so every label is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

MAX_NODES = 60
NODE_WIDTH, NODE_HEIGHT = 176, 46
GAP_X, GAP_Y, MARGIN = 24, 56, 16
SWEEPS = 4  # down, up, down, up


@dataclass(frozen=True)
class Placed:
    id: str
    layer: int
    order: int  # position within the layer, from 0
    x: float  # the node's top left corner
    y: float


@dataclass(frozen=True)
class Edge:
    prerequisite: str
    concept: str  # the concept that REQUIRES the prerequisite
    x1: float  # from the bottom middle of the prerequisite...
    y1: float
    x2: float  # ...to the top middle of the concept
    y2: float


@dataclass(frozen=True)
class Layout:
    nodes: dict[str, Placed]
    edges: list[Edge]
    layers: list[list[str]]
    width: float
    height: float


def concepts_to_draw(
    recorded: Sequence[str], requires: Mapping[str, Iterable[str]], cap: int = MAX_NODES
) -> tuple[list[str], int]:
    """The concepts to draw, at most `cap` (the recorded ones first, in the order given, then their
    prerequisites, nearest first), and how many there would be without the cap."""
    chosen = list(dict.fromkeys(recorded))
    seen = set(chosen)
    frontier = list(chosen)
    while frontier:  # breadth first: a concept's direct prerequisites before theirs
        following: list[str] = []
        for concept in frontier:
            for need in requires.get(concept, ()):
                if need not in seen:
                    seen.add(need)
                    chosen.append(need)
                    following.append(need)
        frontier = following
    return chosen[:cap], len(chosen)


def layered_layout(
    concepts: Sequence[str], requires: Mapping[str, Iterable[str]], name: Callable[[str], str] = str
) -> Layout:
    """Place `concepts` in layers by their REQUIRES edges among themselves (see the module's doc);
    `name` orders the first layer and breaks ties, so the same input always gives the same picture."""
    shown = list(dict.fromkeys(concepts))
    inside = set(shown)
    needs = {c: sorted({r for r in requires.get(c, ()) if r in inside and r != c}) for c in shown}
    layer_of: dict[str, int] = {}

    def layer(concept: str, visiting: frozenset[str]) -> int:
        if concept not in layer_of:
            below = [layer(r, visiting | {concept}) for r in needs[concept] if r not in visiting]
            layer_of[concept] = 1 + max(below) if below else 0  # a cycle's back edge is ignored
        return layer_of[concept]

    for concept in shown:
        layer(concept, frozenset())
    # an edge closing a cycle cannot go upwards: it is not drawn
    edges = [(r, c) for c in shown for r in needs[c] if layer_of[r] < layer_of[c]]
    below = {c: [r for r, d in edges if d == c] for c in shown}
    above = {c: [d for r, d in edges if r == c] for c in shown}

    layers: list[list[str]] = [[] for _ in range(max(layer_of.values(), default=-1) + 1)]
    for concept in sorted(shown, key=lambda c: (name(c).lower(), c)):
        layers[layer_of[concept]].append(concept)

    def position(concept: str) -> float:
        row = layers[layer_of[concept]]
        return row.index(concept) - (len(row) - 1) / 2  # centred, so layers of any width compare

    def reorder(row: list[str], neighbours: dict[str, list[str]]) -> list[str]:
        def key(concept: str) -> tuple[float, str, str]:
            around = neighbours[concept]
            centre = sum(map(position, around)) / len(around) if around else position(concept)
            return centre, name(concept).lower(), concept

        return sorted(row, key=key)

    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        indexes = range(1, len(layers)) if downward else range(len(layers) - 2, -1, -1)
        for index in indexes:
            layers[index] = reorder(layers[index], below if downward else above)

    widest = max((len(row) for row in layers), default=0)
    width = 2 * MARGIN + widest * NODE_WIDTH + max(0, widest - 1) * GAP_X
    height = 2 * MARGIN + len(layers) * NODE_HEIGHT + max(0, len(layers) - 1) * GAP_Y
    placed: dict[str, Placed] = {}
    for index, row in enumerate(layers):
        span = len(row) * NODE_WIDTH + max(0, len(row) - 1) * GAP_X
        left = (width - span) / 2
        for order, concept in enumerate(row):
            placed[concept] = Placed(concept, index, order, left + order * (NODE_WIDTH + GAP_X),
                                     MARGIN + index * (NODE_HEIGHT + GAP_Y))
    lines = [
        Edge(r, c, placed[r].x + NODE_WIDTH / 2, placed[r].y + NODE_HEIGHT,
             placed[c].x + NODE_WIDTH / 2, placed[c].y)
        for r, c in edges
    ]
    return Layout(placed, lines, layers, width, height)


def crossings(layout: Layout) -> int:
    """How many pairs of edges between the same two adjacent layers cross (edges that skip layers
    are counted by their ends' orders too): what the ordering tries to keep low."""
    count = 0
    edges = layout.edges
    for i, a in enumerate(edges):
        for b in edges[i + 1:]:
            if {a.prerequisite, a.concept} & {b.prerequisite, b.concept}:
                continue
            same = (layout.nodes[a.prerequisite].layer == layout.nodes[b.prerequisite].layer
                    and layout.nodes[a.concept].layer == layout.nodes[b.concept].layer)
            if same and (a.x1 - b.x1) * (a.x2 - b.x2) < 0:
                count += 1
    return count
