"""Explanation paths: the k best short paths between two entities, rendered as sentences.

The search expands both ends by at most half the length (batched neighbour lookups, so a remote
store answers in a handful of round trips) and joins the two frontiers where they meet. Paths
through hubs (a genre with a thousand artists) say little, so a path's cost grows with the
log-degree of the nodes it crosses, and the search does not walk on through a hub: it may only
meet there, which still finds every path with at most one hub in the middle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kg.schema import ERA, INVERSE, RELATIONS, Node, Path, Step
from kg.store import GraphStore

MAX_FRONTIER = 5000  # edges kept per expansion step; beyond this the hubs add only noise
HUB_DEGREE = 60  # nodes with more edges are not walked through (a genre, an era, a prolific composer)


@dataclass(slots=True)
class Explanation:
    path: Path
    score: float
    sentence: str

    def to_dict(self) -> dict[str, object]:
        return {
            "nodes": self.path.nodes,
            "relations": [s.rel for s in self.path.steps],
            "score": round(self.score, 4),
            "sentence": self.sentence,
        }


def _expand(store: GraphStore, start: str, hops: int) -> dict[str, list[tuple[str, Step]]]:
    """For every node within `hops` of start: the (previous node, step) pairs reaching it first."""
    parents: dict[str, list[tuple[str, Step]]] = {start: []}
    depth = {start: 0}
    frontier = [start]
    for level in range(1, hops + 1):
        if level > 1:
            # A hub is still reached (and can be where both sides meet), but walking on through
            # it would add thousands of candidates that all explain little.
            degree = store.degrees(frontier)
            frontier = [n for n in frontier if degree.get(n, 0) <= HUB_DEGREE]
            if not frontier:
                break
        edges = store.edges(frontier, direction="both")[:MAX_FRONTIER]
        in_frontier = set(frontier)
        nxt: list[str] = []
        for t in edges:
            for here, there, forward in ((t.head, t.tail, True), (t.tail, t.head, False)):
                if here not in in_frontier or there == here:
                    continue
                if there in depth and depth[there] < level:
                    continue
                if there not in depth:
                    depth[there] = level
                    parents[there] = []
                    nxt.append(there)
                parents[there].append((here, Step(t.rel, t.head, t.tail, forward)))
        frontier = nxt
        if not frontier:
            break
    return parents


def _walks(parents: dict[str, list[tuple[str, Step]]], node: str, limit: int) -> list[list[Step]]:
    """All shortest walks from the expansion's start to `node`, as steps start -> node."""
    if not parents.get(node):
        return [[]]
    walks: list[list[Step]] = []
    for prev, step in parents[node]:
        for walk in _walks(parents, prev, limit):
            walks.append([*walk, step])
            if len(walks) >= limit:
                return walks
    return walks


def _reverse(step: Step) -> Step:
    return Step(step.rel, step.source, step.target, not step.forward)


def find_paths(store: GraphStore, a: str, b: str, k: int = 3, max_len: int = 4) -> list[Path]:
    """Up to `k` distinct simple paths a ~ b of at most `max_len` edges, cheapest first."""
    if a == b:
        return []
    left = _expand(store, a, (max_len + 1) // 2)
    right = _expand(store, b, max_len // 2)
    candidates: dict[tuple, Path] = {}
    for meet in left.keys() & right.keys():
        for lw in _walks(left, meet, 20):
            for rw in _walks(right, meet, 20):
                steps = lw + [_reverse(s) for s in reversed(rw)]
                if not steps or len(steps) > max_len:
                    continue
                nodes = [a]
                for s in steps:
                    nodes.append(s.target if s.forward else s.source)
                if len(set(nodes)) != len(nodes) or nodes[-1] != b:
                    continue
                key = tuple((s.source, s.rel, s.target) for s in steps)
                candidates[key] = Path(nodes, steps)
    if not candidates:
        return []
    degree = store.degrees({n for p in candidates.values() for n in p.nodes[1:-1]})
    ranked = sorted(candidates.values(), key=lambda p: (path_cost(p, degree), p.nodes))
    return ranked[:k]


def path_cost(path: Path, degree: dict[str, int]) -> float:
    """Length plus how generic the inner nodes are (log-degree); lower is a better explanation."""
    inner = sum(math.log1p(degree.get(n, 1)) for n in path.nodes[1:-1])
    return len(path.steps) + 0.5 * inner


def display_name(node: Node) -> str:
    """A node's name as it reads in a sentence: eras read "the Baroque era", not "the Baroque"."""
    name = node.name
    if node.label == ERA and not name.lower().endswith(("era", "period", "century", "age", "ages")):
        return f"{name} era"
    return name


def render(path: Path, nodes: dict[str, Node]) -> str:
    """One readable sentence per hop, joined: "Canon in D is a famous example of ground bass; ..."."""
    parts = []
    for step in path.steps:
        head = display_name(nodes[step.source]) if step.source in nodes else step.source
        tail = display_name(nodes[step.target]) if step.target in nodes else step.target
        words = step.rel.removeprefix("FB_").lower().replace("_", " ")
        if step.forward:
            text = RELATIONS.get(step.rel, "{h} has " + words + " {t}").format(h=head, t=tail)
        else:
            text = INVERSE.get(step.rel, "{h} is the " + words + " of {t}").format(h=tail, t=head)
        parts.append(text)
    sentence = "; ".join(parts)
    return sentence[:1].upper() + sentence[1:] + "."


def explain(store: GraphStore, a: str, b: str, k: int = 3, max_len: int = 4) -> list[Explanation]:
    paths = find_paths(store, a, b, k, max_len)
    ids = {n for p in paths for n in p.nodes}
    nodes = store.get_nodes(ids)
    degree = store.degrees({n for p in paths for n in p.nodes[1:-1]})
    return [Explanation(p, path_cost(p, degree), render(p, nodes)) for p in paths]

