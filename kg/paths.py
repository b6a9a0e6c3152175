"""Explanation paths: the k best short paths between two entities, rendered as sentences.

The search expands both ends by at most half the length (batched neighbour lookups, so a remote
store answers in a handful of round trips) and joins the two frontiers where they meet. Paths
through hubs (a genre with a thousand artists) say little, so a path's cost grows with the
log-degree of the nodes it crosses, and the search does not walk on through a hub: it may only
meet there, which still finds every path with at most one hub in the middle.

`PathCache` serves many explanations over a graph that does not change meanwhile (a recommender
explaining ten items to a learner's history): each node's expansion and degree is computed once,
so a pair costs only the join of two cached expansions.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from kg.schema import BOTH, ERA, INVERSE, PERSON, RELATIONS, SYMMETRIC, Node, Path, Step, capitalized
from kg.store import GraphStore

MAX_FRONTIER = 5000  # edges kept per expansion step; beyond this the hubs add only noise
HUB_DEGREE = 60  # nodes with more edges are not walked through (a genre, an era, a prolific composer)

# For every node an expansion reached: the (previous node, step) pairs that reach it first.
Expansion = dict[str, list[tuple[str, Step]]]
Degrees = Callable[[Iterable[str]], dict[str, int]]


@dataclass(slots=True)
class Explanation:
    """A path, its cost (`score`: lower explains better) and the nodes it names. The sentence is
    written when asked for, so a caller that ranks many explanations renders only those it shows."""

    path: Path
    score: float
    names: Callable[[list[str]], Mapping[str, Node]]  # the nodes of these ids (a cache's lookup)
    _sentence: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def sentence(self) -> str:
        if self._sentence is None:  # kept: a cached answer is read again by later requests
            self._sentence = render(self.path, self.names(self.path.nodes))
        return self._sentence

    def to_dict(self) -> dict[str, object]:
        return {
            "nodes": self.path.nodes,
            "relations": [s.rel for s in self.path.steps],
            "score": round(self.score, 4),
            "sentence": self.sentence,
        }


def expand(store: GraphStore, start: str, hops: int) -> Expansion:
    """For every node within `hops` of start: the (previous node, step) pairs reaching it first."""
    parents: Expansion = {start: []}
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


def _walks(parents: Expansion, node: str, limit: int) -> list[list[Step]]:
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
    left = expand(store, a, (max_len + 1) // 2)
    right = expand(store, b, max_len // 2)
    return [p for p, _ in join(a, b, left, right, store.degrees, k, max_len)]


@dataclass(frozen=True, slots=True)
class _Walk:
    """A shortest walk from an expansion's start, with what joining it needs precomputed."""

    steps: tuple[Step, ...]
    nodes: tuple[str, ...]  # the start, then the node each step reaches
    edges: tuple[tuple[str, str, str], ...]  # (source, relation, target) of each step
    through: float  # the `_inner_cost` of the nodes strictly between its start and its end


@dataclass(slots=True)
class Memo:
    """What joins read of one expansion, made once per node as they ask: its shortest walks from
    the start and its depth (a `PathCache` keeps one per expansion, so later joins only look up)."""

    walks: dict[str, list[_Walk]] = field(default_factory=dict)
    depth: dict[str, int] = field(default_factory=dict)


def _walks_to(parents: Expansion, start: str, node: str, memo: dict[str, list[_Walk]],
              degrees: Degrees) -> list[_Walk]:
    found = memo.get(node)
    if found is None:
        walks = []
        for steps in _walks(parents, node, 20):
            nodes = [start]
            for s in steps:
                nodes.append(s.target if s.forward else s.source)
            walks.append((steps, nodes))
        inner = {n for _, nodes in walks for n in nodes[1:-1]}
        degree = degrees(inner) if inner else {}
        found = memo[node] = [
            _Walk(tuple(steps), tuple(nodes), tuple((s.source, s.rel, s.target) for s in steps),
                  sum(_inner_cost(degree.get(n, 1)) for n in nodes[1:-1]))
            for steps, nodes in walks]
    return found


def _inner_cost(degree: int) -> float:
    """What crossing a node of `degree` edges adds to a path's cost: the more generic, the more."""
    return 0.5 * math.log1p(degree)


def join(a: str, b: str, left: Expansion, right: Expansion, degrees: Degrees, k: int = 3,
         max_len: int = 4, memos: tuple[Memo, Memo] | None = None) -> list[tuple[Path, float]]:
    """The `k` cheapest simple paths a ~ b where `left` (from a) and `right` (from b) meet, each
    with its `path_cost`.

    Meeting nodes are taken shortest total length first, and longer ones only while they could
    still beat the k-th best path found: a path of n edges costs at least `_least_cost(n)`.
    Candidates are compared by their nodes and edges (equal costs: by nodes, then edges, so the
    order never depends on hashing); only the `k` returned become `Path`s. `memos` keep each
    expansion's walks and depths between calls (a `PathCache` passes its own).
    """
    if a == b:
        return []
    memo_left, memo_right = memos if memos is not None else (Memo(), Memo())
    by_length: dict[int, list[str]] = {}
    for meet in left.keys() & right.keys():
        length = _depth(left, meet, memo_left.depth) + _depth(right, meet, memo_right.depth)
        if 0 < length <= max_len:
            by_length.setdefault(length, []).append(meet)
    candidates: dict[tuple, tuple[tuple[str, ...], _Walk, _Walk]] = {}
    costs: dict[tuple, float] = {}
    for length in sorted(by_length):
        if len(candidates) >= k and _least_cost(length) > sorted(costs.values())[k - 1]:
            break
        meets = by_length[length]
        degree = degrees(meets)
        for meet in meets:
            # a path costs its length and each inner node's `_inner_cost`: those of both walks
            # (kept with them) and the meeting node's, unless it is an end
            middle = 0.0 if meet in (a, b) else _inner_cost(degree.get(meet, 1))
            lefts = _walks_to(left, a, meet, memo_left.walks, degrees)
            rights = _walks_to(right, b, meet, memo_right.walks, degrees)
            for rw in rights:
                tail = rw.nodes[-2::-1]  # from the node after the meeting node back to b
                back = rw.edges[::-1]
                for lw in lefts:
                    nodes = lw.nodes + tail
                    if len(set(nodes)) != len(nodes) or nodes[-1] != b:
                        continue
                    key = tuple(map(_fact, lw.edges + back))
                    if key not in candidates:
                        candidates[key] = (nodes, lw, rw)
                        costs[key] = length + lw.through + rw.through + middle
    if not candidates:
        return []
    ranked = sorted(candidates, key=lambda key: (costs[key], candidates[key][0], key))[:k]
    return [(Path(list(nodes), [*lw.steps, *(_reverse(s) for s in reversed(rw.steps))]), costs[key])
            for key in ranked for nodes, lw, rw in (candidates[key],)]


def _fact(edge: tuple[str, str, str]) -> tuple[str, str, str]:
    """An edge as the fact it states: a symmetric relation's two edges between one pair are
    one fact, so two paths that differ only there are one explanation, not two alike."""
    source, rel, target = edge
    return (min(source, target), rel, max(source, target)) if rel in SYMMETRIC else edge


def _depth(parents: Expansion, node: str, memo: dict[str, int]) -> int:
    """Edges from the expansion's start to `node` (every walk there is a shortest one)."""
    found = memo.get(node)
    if found is None:
        chain = parents.get(node)
        found = memo[node] = 1 + _depth(parents, chain[0][0], memo) if chain else 0
    return found


def _least_cost(length: int) -> float:
    """The lowest `path_cost` a path of `length` edges can have (every inner node has an edge)."""
    return length + 0.5 * math.log1p(1) * (length - 1)


def path_cost(path: Path, degree: dict[str, int]) -> float:
    """Length plus how generic the inner nodes are (log-degree); lower is a better explanation."""
    return len(path.nodes) - 1 + sum(_inner_cost(degree.get(n, 1)) for n in path.nodes[1:-1])


def display_name(node: Node) -> str:
    """A node's name as it reads in a sentence: eras read "the Baroque era", not "the Baroque"."""
    name = node.name
    if node.label == ERA and not name.lower().endswith(("era", "period", "century", "age", "ages")):
        return f"{name} era"
    return name


def render(path: Path, nodes: dict[str, Node]) -> str:
    """One readable sentence per hop, joined: "Canon in D is a famous example of ground bass; ...";
    two hops through one shared neighbour read as one: "A and B are both famous examples of C",
    "C builds on both A and B"."""

    def name(node_id: str) -> str:
        return display_name(nodes[node_id]) if node_id in nodes else node_id

    if len(path.steps) == 2:
        first, second = path.steps
        a, b = name(path.nodes[0]), name(path.nodes[-1])
        words = first.rel.removeprefix("FB_").lower().replace("_", " ")
        if first.rel == second.rel and first.forward and not second.forward and first.target == second.target:
            shared = BOTH.get(first.rel, "both have " + words + " {t}").format(t=name(first.target))
            return capitalized(f"{a} and {b} {shared}.")
        if first.rel == second.rel and not first.forward and second.forward and first.source == second.source:
            template = RELATIONS.get(first.rel, "{h} has " + words + " {t}")
            both = (template.replace("the {t}", "both the {a} and the {b}") if "the {t}" in template
                    else template.replace("{t}", "both {a} and {b}"))
            return capitalized(both.format(h=name(first.source), a=a, b=b) + ".")
    sentence = ""
    for n, step in enumerate(path.steps):
        words = step.rel.removeprefix("FB_").lower().replace("_", " ")
        if step.forward:
            template = RELATIONS.get(step.rel, "{h} has " + words + " {t}")
            here, there = step.source, step.target
        else:
            template = INVERSE.get(step.rel, "{h} is the " + words + " of {t}")
            here, there = step.target, step.source
        # every clause says something of the node the path is at, and ends at the next one, so
        # each later hop reads as a relative clause on the last name: "A builds on B, which ..."
        subject, found, predicate = template.partition("{h}")
        if n and found and subject in ("", "the "):
            pronoun = "who" if here in nodes and nodes[here].label == PERSON else "which"
            sentence += f", {pronoun}{predicate.format(t=name(there))}"
        else:
            sentence += ("; " if n else "") + template.format(h=name(here), t=name(there))
    return capitalized(sentence + ".")


def shared(path: Path, nodes: dict[str, Node]) -> str | None:
    """What the two ends of a two-hop path through one shared neighbour have in common, without
    naming them: "both are famous examples of arpeggio", "both were composed by Ludwig van
    Beethoven"; None for any other path. A recommendation that already names the item and the
    learner's anchor says this instead of repeating both long titles."""
    if len(path.steps) != 2:
        return None
    first, second = path.steps
    same_way = first.rel == second.rel and first.forward and not second.forward
    if not same_way or first.target != second.target:
        return None
    target = display_name(nodes[first.target]) if first.target in nodes else first.target
    words = first.rel.removeprefix("FB_").lower().replace("_", " ")
    template = BOTH.get(first.rel, "both have " + words + " {t}")
    for verb in ("are", "were"):  # "are both famous examples of" -> "both are famous examples of"
        if template.startswith(f"{verb} both "):
            template = f"both {verb} " + template.removeprefix(f"{verb} both ")
    return template.format(t=target)


def explain(store: GraphStore, a: str, b: str, k: int = 3, max_len: int = 4) -> list[Explanation]:
    if a == b:
        return []
    left = expand(store, a, (max_len + 1) // 2)
    right = expand(store, b, max_len // 2)
    found = join(a, b, left, right, store.degrees, k, max_len)
    nodes = store.get_nodes({n for p, _ in found for n in p.nodes})  # one query for every sentence
    return [Explanation(p, cost, lambda _ids: nodes) for p, cost in found]



class PathCache:
    """`explain` for many pairs over a graph that stays as it is while the cache is used.

    Expansions, degrees and nodes are kept per node and answers per pair (least recently used
    dropped past `size`), so explaining ten items to five anchors costs fifteen expansions and
    fifty joins the first time and lookups after that. Build a new cache (or `clear` this one)
    when the graph changes.
    """

    def __init__(self, store: GraphStore, size: int = 20_000) -> None:
        self.store = store
        self.size = size
        self._expansions: OrderedDict[tuple[str, int], Expansion] = OrderedDict()
        self._memos: dict[tuple[str, int], Memo] = {}  # per expansion, dropped with it
        self._explained: OrderedDict[tuple[str, str, int, int], list[Explanation]] = OrderedDict()
        self._degrees: dict[str, int] = {}
        self._nodes: dict[str, Node | None] = {}

    def clear(self) -> None:
        self._expansions.clear()
        self._memos.clear()
        self._explained.clear()
        self._degrees.clear()
        self._nodes.clear()

    def expansion(self, node: str, hops: int) -> Expansion:
        key = (node, hops)
        found = self._expansions.get(key)
        if found is None:
            found = self._expansions[key] = expand(self.store, node, hops)
            if len(self._expansions) > self.size:
                dropped, _ = self._expansions.popitem(last=False)
                self._memos.pop(dropped, None)
        else:
            self._expansions.move_to_end(key)
        return found

    def degrees(self, ids: Iterable[str]) -> dict[str, int]:
        ids = set(ids)
        if len(self._degrees) + len(ids) > self.size:
            self._degrees.clear()
        known = self._degrees
        missing = [n for n in ids if n not in known]  # not `ids - keys()`: that walks the whole cache
        if missing:
            found = self.store.degrees(missing)
            self._degrees.update({n: found.get(n, 0) for n in missing})
        return {n: self._degrees[n] for n in ids}

    def nodes(self, ids: Iterable[str]) -> dict[str, Node]:
        ids = set(ids)
        if len(self._nodes) + len(ids) > self.size:
            self._nodes.clear()
        known = self._nodes
        missing = [n for n in ids if n not in known]
        if missing:
            found = self.store.get_nodes(missing)
            self._nodes.update({n: found.get(n) for n in missing})
        return {n: node for n in ids if (node := self._nodes[n]) is not None}

    def find_paths(self, a: str, b: str, k: int = 3, max_len: int = 4) -> list[Path]:
        return [p for p, _ in self._join(a, b, k, max_len)]

    def _join(self, a: str, b: str, k: int, max_len: int) -> list[tuple[Path, float]]:
        if a == b:
            return []
        hops_left, hops_right = (max_len + 1) // 2, max_len // 2
        left = self.expansion(a, hops_left)
        right = self.expansion(b, hops_right)
        memos = (self._memos.setdefault((a, hops_left), Memo()),
                 self._memos.setdefault((b, hops_right), Memo()))
        return join(a, b, left, right, self.degrees, k, max_len, memos)

    def explain(self, a: str, b: str, k: int = 3, max_len: int = 4) -> list[Explanation]:
        """What `kg.paths.explain` answers, from the cache (answers are kept too; their sentences
        are written from the cached nodes when read)."""
        key = (a, b, k, max_len)
        found = self._explained.get(key)
        if found is not None:
            self._explained.move_to_end(key)
            return list(found)
        joined = self._join(a, b, k, max_len)
        found = self._explained[key] = [Explanation(p, cost, self.nodes) for p, cost in joined]
        if len(self._explained) > self.size:
            self._explained.popitem(last=False)
        return list(found)
