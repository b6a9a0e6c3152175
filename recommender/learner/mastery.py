"""One learner's mastery of each concept, updated online from every graded event.

The tutor has to decide, turn by turn, what a learner knows: which lessons to skip, how hard the
next exercise should be, what to review. Knowledge tracing by BKT gives a per-concept chance that
the concept is learned; two additions make it fit a curriculum:

- Evidence travels along prerequisite edges. Answering a question on triads right says something
  about note names and intervals (what triads build on); failing intervals says something against
  triads. The propagated evidence is the same likelihood ratio, tempered by `spread` per edge.
- Knowing is not remembering. Recall of a learned concept decays with a half-life that grows with
  successful practice (half-life regression, Settles & Meeder 2016: h = 2^(θ·x) days with x the
  square roots of right and wrong counts), and a mastered concept whose predicted recall has fallen
  below one half is due for review.

The state is plain JSON (a dict per concept id) so it lives in the learner's tracker slot and in
exported data; `Mastery` is a thin view over it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    from recommender.learner.sequences import Responses

Status = Literal["mastered", "in_progress", "due", "new"]
Kind = Literal["answer", "hint_answer", "practice", "too_easy", "too_hard"]
DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class Params:
    """BKT's four numbers (one set for all concepts until logged data says otherwise), the mastery
    threshold, how far evidence spreads, and the half-life model's weights."""

    init: float = 0.15
    learn: float = 0.15
    guess: float = 0.2
    slip: float = 0.1
    threshold: float = 0.95  # the usual BKT mastery criterion
    spread: float = 0.5  # evidence strength kept per prerequisite edge
    depth: int = 3  # edges evidence travels at most
    hlr: tuple[float, float, float] = (0.0, 1.5, -0.5)  # bias, sqrt(1 + right), sqrt(1 + wrong)


# How much one event counts, as a power on its likelihood ratio: an answer given after a hint shows
# less; "too easy" is the learner's own strong claim; "too hard" their claim of not knowing it yet.
WEIGHTS: dict[Kind, float] = {
    "answer": 1.0, "hint_answer": 0.5, "practice": 1.0, "too_easy": 2.0, "too_hard": 1.0,
}


class Prerequisites:
    """The prerequisite graph as two adjacency maps (concept → what it requires, and the reverse)."""

    def __init__(self, requires: Mapping[str, Iterable[str]]) -> None:
        self.requires = {c: tuple(r) for c, r in requires.items()}
        self.required_by: dict[str, list[str]] = {}
        for concept, needs in self.requires.items():
            for need in needs:
                self.required_by.setdefault(need, []).append(concept)

    def around(self, concept: str, upward: bool, depth: int) -> dict[str, int]:
        """Concepts within `depth` edges below (prerequisites) or above (dependents), with distance."""
        step: Callable[[str], Iterable[str]] = (
            (lambda c: self.requires.get(c, ())) if upward else (lambda c: self.required_by.get(c, ()))
        )
        found: dict[str, int] = {}
        frontier = [concept]
        for distance in range(1, depth + 1):
            frontier = [n for c in frontier for n in step(c) if n != concept and n not in found]
            for n in frontier:
                found.setdefault(n, distance)
        return found


def _tempered(p: float, correct: float, weight: float, params: Params) -> float:
    """Posterior that the concept is known after one (possibly partial) right answer.

    `correct` in [0, 1] lets a practice score count as partly right; `weight` raises the likelihood
    ratio to a power, so weak or second-hand evidence moves the estimate less."""
    known = (1 - params.slip) ** correct * params.slip ** (1 - correct)
    unknown = params.guess ** correct * (1 - params.guess) ** (1 - correct)
    ratio = (known / unknown) ** weight
    odds = p / max(1 - p, 1e-9) * ratio
    return min(max(odds / (1 + odds), 1e-4), 1 - 1e-4)


class Mastery:
    """A learner's mastery state: `observe` events, then ask `status`, `mastered`, `due`."""

    def __init__(
        self,
        state: Mapping[str, Mapping[str, Any]] | None = None,
        graph: Prerequisites | None = None,
        params: Params | None = None,
        prior: Callable[[str], float] | None = None,
    ) -> None:
        self.state: dict[str, dict[str, Any]] = {c: dict(r) for c, r in (state or {}).items()}
        self.graph = graph or Prerequisites({})
        self.params = params or Params()
        self.prior = prior or (lambda _concept: self.params.init)
        # What a trained attention model says the learner knows, where it was asked (`use_chances`);
        # it stands in for this model's own estimate until the next event on the concept.
        self.estimates: dict[str, float] = {}

    # ----------------------------------------------------------------------------- reading
    def p(self, concept: str) -> float:
        """The chance the concept is learned (not necessarily remembered right now)."""
        if concept in self.estimates:
            return self.estimates[concept]
        record = self.state.get(concept)
        if record and "p" in record:
            return float(record["p"])
        return self.prior(concept)

    def half_life(self, concept: str) -> float:
        """Days until recall of the concept falls to one half, from its practice so far."""
        record = self.state.get(concept) or {}
        bias, w_right, w_wrong = self.params.hlr
        x = bias + w_right * math.sqrt(1 + record.get("correct", 0)) + w_wrong * math.sqrt(
            1 + record.get("wrong", 0)
        )
        return 2.0 ** min(max(x, -3.0), 10.0)

    def chance_right(self, concept: str) -> float:
        """The chance of answering the concept right now, by this model: known and no slip, or a guess."""
        known = self.p(concept)
        return known * (1 - self.params.slip) + (1 - known) * self.params.guess

    def use_chances(self, chances: Mapping[str, float]) -> None:
        """Take another model's chances of a right answer (e.g. SAKT's) as the learned estimates,
        inverting the same guess and slip: p = (chance - guess) / (1 - slip - guess)."""
        g, s = self.params.guess, self.params.slip
        for concept, chance in chances.items():
            self.estimates[concept] = min(max((chance - g) / (1 - s - g), 1e-4), 1 - 1e-4)

    def retention(self, concept: str, now: float) -> float:
        """Share of a learned concept still remembered now: 2^(-days since practice / half-life)."""
        seen = (self.state.get(concept) or {}).get("seen")
        if seen is None:
            return 1.0
        days = max(0.0, now - float(seen)) / DAY
        return 2.0 ** (-days / self.half_life(concept))

    def recall(self, concept: str, now: float) -> float:
        """Predicted chance of recalling the concept now: learned, and not yet forgotten."""
        return self.p(concept) * self.retention(concept, now)

    def is_mastered(self, concept: str) -> bool:
        return self.p(concept) >= self.params.threshold

    def status(self, concept: str, now: float) -> Status:
        record = self.state.get(concept)
        if not record:
            return "new"
        if self.is_mastered(concept):
            return "due" if self.retention(concept, now) < 0.5 else "mastered"
        return "in_progress"

    def mastered(self) -> list[str]:
        """Concepts at or above the mastery threshold, most certain first."""
        return sorted((c for c in self.state if self.is_mastered(c)), key=lambda c: -self.p(c))

    def doubtful(self) -> list[str]:
        """Concepts the learner has answered and is more likely not to know: paths must not skip them."""
        return [c for c, r in self.state.items() if r.get("wrong", 0) > 0 and self.p(c) < 0.5]

    def due(self, now: float) -> list[str]:
        """Mastered concepts whose predicted recall has decayed below one half, most faded first."""
        found = [c for c in self.state if self.status(c, now) == "due"]
        return sorted(found, key=lambda c: self.retention(c, now))

    def difficulty(self, concept: str, level: float) -> int:
        """Exercise difficulty (1-8) for this concept: the learner's level, lowered while the concept
        is shaky and raised as it firms up, so practice stays just within reach."""
        shifts = ((0.3, -1.0), (0.7, 0.0), (self.params.threshold, 1.0))
        shift = next((s for bound, s in shifts if self.p(concept) < bound), 2.0)
        return int(min(8, max(1, round(level + shift))))

    # ----------------------------------------------------------------------------- writing
    def observe(
        self, concept: str, correct: float, now: float, kind: Kind = "answer"
    ) -> dict[str, float]:
        """Take one graded event on `concept` (correct in [0, 1]) and spread it to its neighbours.

        Returns the concepts whose estimate changed, with their new value."""
        if not 0.0 <= correct <= 1.0:
            raise ValueError("correct must be between 0 and 1")
        weight = WEIGHTS[kind]
        record = self.state.setdefault(concept, {"correct": 0, "wrong": 0, "hints": 0})
        before = self.p(concept)
        self.estimates.pop(concept, None)  # from here on this model's own update holds
        p = _tempered(before, correct, weight, self.params)
        p = p + (1 - p) * self.params.learn * (correct if kind != "too_hard" else 0.0)
        record["p"] = round(p, 6)
        record["seen"] = now
        record["correct" if correct >= 0.5 else "wrong"] = (
            record.get("correct" if correct >= 0.5 else "wrong", 0) + 1
        )
        if kind == "hint_answer":
            record["hints"] = record.get("hints", 0) + 1
        changed = {concept: p}
        # Right answers vouch for what the concept builds on; wrong ones cast doubt on what builds on it.
        upward = correct >= 0.5
        for other, distance in self.graph.around(concept, upward, self.params.depth).items():
            strength = weight * self.params.spread ** distance
            if strength < 0.05:
                continue
            if upward and self.p(other) >= self.p(concept):
                continue  # already at least as sure of the prerequisite as of the concept itself
            was = self.p(other)
            now_p = _tempered(was, 1.0 if upward else 0.0, strength, self.params)
            if abs(now_p - was) > 1e-4:
                self.estimates.pop(other, None)
                self.state.setdefault(other, {"correct": 0, "wrong": 0, "hints": 0, "inferred": True})
                self.state[other]["p"] = round(now_p, 6)
                changed[other] = now_p
        return changed

    def summary(self, now: float) -> dict[str, list[dict[str, Any]]]:
        """The learner's state in three lists, as `my_progress` and `etude learner progress` show it."""
        groups: dict[str, list[dict[str, Any]]] = {"mastered": [], "in_progress": [], "due": []}
        for concept, record in self.state.items():
            status = self.status(concept, now)
            if status == "new" or (record.get("inferred") and status == "in_progress"):
                continue
            groups[status].append({
                "concept": concept,
                "p": round(self.p(concept), 3),
                "recall": round(self.recall(concept, now), 3),
                "correct": record.get("correct", 0),
                "wrong": record.get("wrong", 0),
                "inferred": bool(record.get("inferred")),
            })
        for items in groups.values():
            items.sort(key=lambda r: -r["p"])
        return groups


class OnlineMastery:
    """The tutor's online model (BKT over the prerequisite graph, its default numbers, nothing fitted)
    behind the knowledge-tracing interface, so it is measured like BKT and SAKT and can be SAKT's
    prior. `concepts[skill]` names the concept of each skill id; answers are a minute apart."""

    def __init__(self, concepts: Sequence[str], graph: Prerequisites, params: Params | None = None) -> None:
        self.concepts, self.graph, self.params = list(concepts), graph, params or Params()

    def fit(self, train: Sequence[Responses], valid: Sequence[Responses] = (), skills: int | None = None,
            **_: Any) -> OnlineMastery:
        return self  # nothing to fit: the numbers are the tutor's own

    def predict(self, data: Sequence[Responses]) -> list[np.ndarray]:
        p = self.params
        out = []
        for learner in data:
            mastery = Mastery(graph=self.graph, params=p)
            chances = np.empty(len(learner))
            for k, (skill, correct) in enumerate(zip(learner.skills, learner.correct, strict=True)):
                chances[k] = mastery.chance_right(self.concepts[skill])
                mastery.observe(self.concepts[skill], float(correct), 60.0 * (k + 1))
            out.append(chances)
        return out


def fit_half_life(
    reviews: Iterable[tuple[float, bool, int, int]], steps: int = 300, rate: float = 0.05
) -> tuple[float, float, float]:
    """Fit the half-life weights θ on logged reviews (days since last practice, recalled?, right and
    wrong counts before it) by gradient descent on the squared recall error, as HLR does.

    Returns θ for `Params.hlr`. The default θ is a starting point; this lets logged practice set it."""
    rows = [(d, 1.0 if ok else 0.0, (1.0, math.sqrt(1 + r), math.sqrt(1 + w))) for d, ok, r, w in reviews]
    if not rows:
        raise ValueError("no reviews to fit")
    theta = list(Params().hlr)
    for _ in range(steps):
        grad = [0.0, 0.0, 0.0]
        for days, recalled, x in rows:
            h = 2.0 ** min(max(sum(t * xi for t, xi in zip(theta, x, strict=True)), -3.0), 10.0)
            p = 2.0 ** (-days / h)
            # d p / d θ_i = p * ln2 * days / h * ln2 * x_i
            common = 2 * (p - recalled) * p * (math.log(2) ** 2) * days / h
            for i, xi in enumerate(x):
                grad[i] += common * xi
        theta = [t - rate * g / len(rows) for t, g in zip(theta, grad, strict=True)]
    return (theta[0], theta[1], theta[2])
