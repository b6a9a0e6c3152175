"""Why an item is recommended: the best graph paths from it to the learner's history or interests.

Every reason is a path of the knowledge graph (`kg.paths`, at most four edges) rendered as a
sentence from its edges, so nothing is claimed that the graph does not say. Anchors are the
history items the model attended to most for this item (or the latest ones, without a model)
and the learner's stated interests; a path ranks by its cost (length and how generic its inner
nodes are) and by the model's attention to its anchor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kg.paths import Explanation, PathCache, display_name, shared
from kg.schema import Path


@dataclass(frozen=True, slots=True)
class Anchor:
    """Something the learner relates to, how (the verb), and how much it weighs for this item
    (the model's attention relative to uniform; 1.0 for stated interests and without a model)."""

    id: str
    verb: str
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class Reason:
    anchor: str
    verb: str
    path: Path
    cost: float
    score: float
    lead: str  # "Because you like Frédéric Chopin"
    facts: str  # the path's edges as a sentence: "Nocturne in E-flat was composed by Frédéric Chopin."

    @property
    def sentence(self) -> str:
        return f"{self.lead}: {self.facts}"

    def to_dict(self) -> dict[str, object]:
        return {
            "anchor": self.anchor,
            "because": self.verb,
            "nodes": self.path.nodes,
            "relations": [s.rel for s in self.path.steps],
            "cost": round(self.cost, 4),
            "score": round(self.score, 4),
            "sentence": self.sentence,
        }


def reasons(paths: PathCache, item: str, anchors: list[Anchor], k: int = 3, max_len: int = 4) -> list[Reason]:
    """The `k` best explanation paths from `item` to any of `anchors`, best first (equal scores:
    by the path's nodes). Only those `k` are written as sentences."""
    names = paths.nodes([a.id for a in anchors])
    best: dict[tuple[str, ...], tuple[float, Anchor, Explanation]] = {}
    for anchor in anchors:
        if anchor.id == item or anchor.id not in names:
            continue
        for explanation in paths.explain(item, anchor.id, k, max_len):
            score = -explanation.score + math.log(max(anchor.weight, 1e-6))
            key = tuple(explanation.path.nodes)
            if key not in best or best[key][0] < score:
                best[key] = (score, anchor, explanation)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:k]
    out = []
    for _, (score, anchor, e) in ranked:
        # the item and the anchor are named already (the reply's item, the lead's anchor): a
        # neighbour they share reads "both are famous examples of arpeggio", not both titles again
        common = shared(e.path, e.names(e.path.nodes)) if e.path.nodes[0] == item else None
        out.append(Reason(anchor.id, anchor.verb, e.path, e.score, score,
                          f"Because {anchor.verb} {display_name(names[anchor.id])}",
                          f"{common}." if common else e.sentence))
    return out
