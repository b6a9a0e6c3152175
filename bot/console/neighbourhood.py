"""A node's neighbourhood in the knowledge graph, chosen and laid out radially for a server-drawn SVG.

`collect` walks one or two hops from the centre through a batched edge lookup and keeps at most
`RING_CAP` direct neighbours and `SECOND_CAP` nodes two hops away: hubs such as a genre have
hundreds of edges, and a drawing of all of them says nothing. The second ring is filled round robin
over the first ring's nodes, so one hub among the neighbours cannot take every place.

`radial_layout` puts the centre in the middle and each ring on an ellipse around it (the boxes are
wide, so the ellipse is too); the second ring is ordered by the first-ring node it was reached
from, so most of its edges stay short. The ellipses' radii grow with the number of boxes on them so
that no two boxes overlap. Positions are pixels; the template draws the SVG, escaping every label.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kg.schema import Triple

RING_CAP = 16  # direct neighbours drawn at most
SECOND_CAP = 20  # nodes two hops away drawn at most
BOX_WIDTH, BOX_HEIGHT = 132, 34
GAP_X, GAP_Y, MARGIN = 12, 12, 16
LABEL_CHARS = 20  # a longer name is cut with an ellipsis in its box (the link's title keeps it whole)

EdgesOf = Callable[[list[str]], list[Triple]]  # the edges touching any of these ids, one lookup


@dataclass(frozen=True)
class Selection:
    """What to draw: the rings (`rings[0]` is the centre alone), how each second-ring node was reached,
    the edges among the chosen nodes, and how many nodes each ring had before the cap."""

    rings: list[list[str]]
    parent: dict[str, str]
    edges: list[Triple]
    found: list[int] = field(default_factory=list)  # per ring, before capping

    @property
    def capped(self) -> bool:
        return any(len(ring) < total for ring, total in zip(self.rings, self.found, strict=True))

    def ids(self) -> list[str]:
        return [node for ring in self.rings for node in ring]


@dataclass(frozen=True)
class Spot:
    id: str
    ring: int
    x: float  # the box's centre
    y: float

    @property
    def left(self) -> float:
        return self.x - BOX_WIDTH / 2

    @property
    def top(self) -> float:
        return self.y - BOX_HEIGHT / 2


@dataclass(frozen=True)
class Line:
    """An edge drawn from the head's box edge to the tail's (the arrow's point), its label between."""

    edge: Triple
    x1: float
    y1: float
    x2: float
    y2: float
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Drawing:
    spots: dict[str, Spot]
    lines: list[Line]
    width: float
    height: float


def _other(edge: Triple, node: str) -> str:
    return edge.tail if edge.head == node else edge.head


def collect(centre: str, edges_of: EdgesOf, hops: int = 1, ring_cap: int = RING_CAP,
            second_cap: int = SECOND_CAP) -> Selection:
    """The nodes within `hops` (1 or 2) of `centre`, capped per ring, and the edges among them;
    neighbours are taken in (relation, id) order, so the same graph always gives the same picture."""
    if hops not in (1, 2):
        raise ValueError("hops must be 1 or 2")
    own = _sorted_edges(edges_of([centre]))
    first_all = list(dict.fromkeys(_other(e, centre) for e in own if _other(e, centre) != centre))
    first = first_all[:ring_cap]
    rings, parent, found = [[centre], first], {}, [1, len(first_all)]
    seen_edges = own
    if hops == 2 and first:
        around = _sorted_edges(edges_of(first))
        seen_edges = own + around
        inner = {centre, *first}
        candidates: dict[str, list[str]] = {node: [] for node in first}
        reached: set[str] = set()
        for edge in around:
            for near, far in ((edge.head, edge.tail), (edge.tail, edge.head)):
                if near in candidates and far not in inner and far not in candidates[near]:
                    candidates[near].append(far)
                    reached.add(far)
        second: list[str] = []
        queues = [list(candidates[node]) for node in first]
        while len(second) < second_cap and any(queues):  # round robin over the first ring
            for node, queue in zip(first, queues, strict=True):
                while queue and queue[0] in parent:
                    queue.pop(0)
                if queue and len(second) < second_cap:
                    far = queue.pop(0)
                    parent[far] = node
                    second.append(far)
        rings.append(second)
        found.append(len(reached))
    shown = {node for ring in rings for node in ring}
    edges = list({e.key(): e for e in seen_edges if e.head in shown and e.tail in shown}.values())
    return Selection(rings, parent, edges, found)


def _sorted_edges(edges: Iterable[Triple]) -> list[Triple]:
    return sorted(edges, key=lambda e: (e.rel, e.head, e.tail))


def radial_layout(selection: Selection, name: Callable[[str], str] = str) -> Drawing:
    """Place the centre in the middle and the rings on ellipses around it (see the module's doc)."""
    first = sorted(selection.rings[1], key=lambda n: (name(n).lower(), n)) if len(selection.rings) > 1 else []
    order = {node: index for index, node in enumerate(first)}
    second = selection.rings[2] if len(selection.rings) > 2 else []
    second = sorted(second, key=lambda n: (order.get(selection.parent.get(n, ""), 0), name(n).lower(), n))
    rx1, ry1 = _radii(len(first), 1.5 * (BOX_WIDTH + GAP_X), 2.5 * (BOX_HEIGHT + GAP_Y))
    rx2, ry2 = _radii(len(second), rx1 + 1.5 * (BOX_WIDTH + GAP_X), ry1 + 2 * (BOX_HEIGHT + GAP_Y))
    rx, ry = (rx2, ry2) if second else (rx1, ry1) if first else (0.0, 0.0)
    cx, cy = MARGIN + BOX_WIDTH / 2 + rx, MARGIN + BOX_HEIGHT / 2 + ry
    spots = {selection.rings[0][0]: Spot(selection.rings[0][0], 0, cx, cy)}
    for index, node in enumerate(first):
        angle = _angle(index, len(first))
        spots[node] = Spot(node, 1, cx + rx1 * math.cos(angle), cy + ry1 * math.sin(angle))
    start = _turn([_angle(order.get(selection.parent.get(n, ""), 0), len(first)) for n in second])
    for index, node in enumerate(second):
        angle = start + 2 * math.pi * index / len(second)
        spots[node] = Spot(node, 2, cx + rx2 * math.cos(angle), cy + ry2 * math.sin(angle))
    lines = [_line(edge, spots, offset) for edge, offset in _offsets(selection.edges)
             if edge.head in spots and edge.tail in spots and edge.head != edge.tail]
    return Drawing(spots, lines, 2 * (MARGIN + rx) + BOX_WIDTH, 2 * (MARGIN + ry) + BOX_HEIGHT)


def _angle(index: int, count: int) -> float:
    """The angle of the `index`th of `count` boxes on a ring, the first at the top."""
    return -math.pi / 2 + 2 * math.pi * index / max(count, 1)


def _turn(wanted: Sequence[float]) -> float:
    """Where the first of boxes spaced evenly around a ring goes so that, on the whole, each lies
    nearest the angle it wants (its parent's): the circular mean of what each would need."""
    if not wanted:
        return 0.0
    shifts = [angle - 2 * math.pi * index / len(wanted) for index, angle in enumerate(wanted)]
    return math.atan2(sum(map(math.sin, shifts)), sum(map(math.cos, shifts)))


def _radii(count: int, least_x: float, least_y: float) -> tuple[float, float]:
    """Ellipse radii for `count` boxes: neighbours on it are a box apart horizontally or vertically
    (between neighbours at angles a and b, |dx| = rx * chord * |sin((a+b)/2)| and |dy| likewise with
    ry and cos, and one of |sin|, |cos| is at least 1/sqrt(2), hence the factor), and at least the
    given radii, which keep a ring clear of the one inside it."""
    if count == 0:
        return 0.0, 0.0
    if count <= 2:
        return least_x, least_y
    chord = 2 * math.sin(math.pi / count)  # between neighbours on a unit circle
    return (max(least_x, math.sqrt(2) * (BOX_WIDTH + GAP_X) / chord),
            max(least_y, math.sqrt(2) * (BOX_HEIGHT + GAP_Y) / chord))


def _offsets(edges: Sequence[Triple]) -> list[tuple[Triple, int]]:
    """Each edge with its index among the edges joining the same two nodes (their labels are
    stacked, not drawn over each other)."""
    count: dict[frozenset[str], int] = {}
    out = []
    for edge in edges:
        pair = frozenset((edge.head, edge.tail))
        out.append((edge, count.get(pair, 0)))
        count[pair] = count.get(pair, 0) + 1
    return out


def _line(edge: Triple, spots: Mapping[str, Spot], offset: int) -> Line:
    head, tail = spots[edge.head], spots[edge.tail]
    x1, y1 = _boundary(head, tail)
    x2, y2 = _boundary(tail, head)
    return Line(edge, x1, y1, x2, y2, (x1 + x2) / 2, (y1 + y2) / 2 + 4 + 13 * offset)


def _boundary(box: Spot, towards: Spot) -> tuple[float, float]:
    """Where the straight line from `box`'s centre to `towards`' centre leaves `box`."""
    dx, dy = towards.x - box.x, towards.y - box.y
    if dx == 0 and dy == 0:
        return box.x, box.y
    scale = min(BOX_WIDTH / 2 / abs(dx) if dx else math.inf, BOX_HEIGHT / 2 / abs(dy) if dy else math.inf)
    return box.x + dx * scale, box.y + dy * scale


def overlapping(drawing: Drawing) -> list[tuple[str, str]]:
    """Pairs of boxes that overlap (with the gaps counted): what the radii are chosen to prevent."""
    spots = list(drawing.spots.values())
    return [
        (a.id, b.id)
        for i, a in enumerate(spots) for b in spots[i + 1:]
        if abs(a.x - b.x) < BOX_WIDTH + GAP_X - 1e-6 and abs(a.y - b.y) < BOX_HEIGHT + GAP_Y - 1e-6
    ]


def short(name: str, limit: int = LABEL_CHARS) -> str:
    """A name cut to fit a box."""
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def relation_words(rel: str) -> str:
    """A relation type as words for a label: COMPOSED_BY -> "composed by"."""
    return rel.lower().replace("_", " ")


def requires_map(edges: Iterable[Triple]) -> dict[str, list[str]]:
    """REQUIRES edges as {concept: [its prerequisites]}, for the layered prerequisite drawing."""
    needs: dict[str, list[str]] = {}
    for edge in edges:
        if edge.rel == "REQUIRES":
            needs.setdefault(edge.head, []).append(edge.tail)
            needs.setdefault(edge.tail, [])
    return needs


def as_json(selection: Selection, names: Mapping[str, Any]) -> dict[str, Any]:
    """The selection for the JSON API: nodes by ring and the edges with their provenance."""
    return {
        "nodes": [{"id": node, "ring": ring, **names.get(node, {})}
                  for ring, members in enumerate(selection.rings) for node in members],
        "edges": [edge.to_dict() for edge in selection.edges],
        "found": {"neighbours": selection.found[1] if len(selection.found) > 1 else 0,
                  "second_ring": selection.found[2] if len(selection.found) > 2 else 0},
        "capped": selection.capped,
    }
