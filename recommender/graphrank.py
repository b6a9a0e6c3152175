"""Ranking without a trained model: nearness in the graph to the learner, and how connected an item is.

Before `etude rec train` has run (a fresh install, too little behaviour) the tutor still ranks
every item: an item one edge from something in the learner's history or interests scores 1, two
edges 0.3 (each anchor weighted by recency), plus a small prior for well-connected items (what
the graph knows of popularity) and, for lessons, nearness to the learner's grade. Results from
this ranking are marked `source="graph"`.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from kg.paths import Expansion, PathCache
from kg.schema import CONCEPT, Node

NEAR, FAR = 1.0, 0.3  # one edge, two edges
PRIOR = 0.05  # weight of the connectedness prior (at most this much)
GRADE_STEP = 0.05  # per grade between a lesson and the learner's level


def _depths(start: str, expansion: Expansion) -> dict[str, int]:
    """1 for the start's neighbours, 2 for theirs (the expansion records who reached whom)."""
    return {node: 1 if any(prev == start for prev, _ in parents) else 2
            for node, parents in expansion.items() if node != start}


class GraphScores:
    """Scores of `item_ids` (in that order) for a learner's anchors."""

    def __init__(self, paths: PathCache, item_ids: list[str], nodes: dict[str, Node],
                 cache: int = 4096) -> None:
        self.paths = paths
        self.index = {i: k for k, i in enumerate(item_ids)}
        degree = paths.degrees(item_ids)
        top = max(degree.values(), default=0)
        self.prior = np.array([PRIOR * math.log1p(degree.get(i, 0)) / math.log1p(top) if top else 0.0
                               for i in item_ids])
        self.grade = np.array([float(nodes[i].props.get("grade", np.nan)) if i in nodes
                               and nodes[i].label == CONCEPT else np.nan for i in item_ids])
        self._near: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cache = cache

    def _nearness(self, anchor: str) -> tuple[np.ndarray, np.ndarray]:
        """(item rows, score) of the items within two edges of `anchor`."""
        found = self._near.get(anchor)
        if found is None:
            depths = _depths(anchor, self.paths.expansion(anchor, 2))
            pairs = [(self.index[n], NEAR if d == 1 else FAR) for n, d in depths.items() if n in self.index]
            rows = np.array([r for r, _ in pairs], dtype=np.int64)
            found = self._near[anchor] = (rows, np.array([s for _, s in pairs]))
            if len(self._near) > self._cache:
                self._near.popitem(last=False)
        else:
            self._near.move_to_end(anchor)
        return found

    def scores(self, anchors: list[tuple[str, float]], level: float | None = None) -> np.ndarray:
        """Every item's score for (anchor, weight) pairs; `level` favours lessons near that grade."""
        out = self.prior.copy()
        for anchor, weight in anchors:
            rows, near = self._nearness(anchor)
            np.add.at(out, rows, weight * near)
        if level is not None:
            lessons = ~np.isnan(self.grade)
            out[lessons] -= GRADE_STEP * np.abs(self.grade[lessons] - level)
        return out
