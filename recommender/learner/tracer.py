"""The attention model serving the tutor: SAKT trained on the tutor's own logs as a correction of the
online model, and used for the tutor's decisions only when held-out learners say it predicts better.

`train_tracer` fits it and measures both models on the same held-out learners; `etude learner train`
saves it and activates it when it wins; the actions then ask it, each turn, for the chance of a
right answer on the concepts they decide about (`Tracer.chances`), from the learner's graded history.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from recommender.learner.mastery import OnlineMastery, Prerequisites
from recommender.learner.sakt import SAKT, SAKTConfig
from recommender.learner.sequences import PRACTICE_PASS, Responses, answer_auc, held_out_split

ACTIVE = "ACTIVE"  # the file in the tracers' folder naming the version the tutor uses


class Tracer:
    """A trained SAKT over the online model, with the concept of each skill id and its metrics."""

    def __init__(self, model: SAKT, concepts: Sequence[str], metrics: dict[str, Any]) -> None:
        self.model, self.concepts, self.metrics = model, list(concepts), metrics
        self.index = {c: k for k, c in enumerate(self.concepts)}

    @property
    def better(self) -> bool:
        """Whether it beat the online model on the held-out learners (the activation gate)."""
        return self.metrics["test_auc"] > self.metrics["online_test_auc"]

    def chances(
        self, history: Sequence[Sequence[Any]], queries: Sequence[str], base: Callable[[str], float]
    ) -> dict[str, float]:
        """The chance of a right answer on each query concept now. `history`: the learner's graded
        answers, oldest first, as (concept, score in [0, 1]); `base`: the online model's chance for a
        concept (the starting point the network corrects). Unknown concepts are left out."""
        past = [(self.index[c], int(float(v) >= PRACTICE_PASS)) for c, v in history if c in self.index]
        asked = [q for q in dict.fromkeys(queries) if q in self.index]
        if not asked:
            return {}
        learner = Responses("now", tuple(s for s, _ in past), tuple(c for _, c in past))
        found = self.model.predict_next(learner, [self.index[q] for q in asked], [base(q) for q in asked])
        return {q: float(p) for q, p in zip(asked, found, strict=True)}

    def save(self, directory: Path) -> None:
        self.model.save(directory)
        meta = {"concepts": self.concepts, "metrics": self.metrics}
        (directory / "tracer.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, prerequisites: Prerequisites) -> Tracer:
        meta = json.loads((directory / "tracer.json").read_text(encoding="utf-8"))
        base = OnlineMastery(meta["concepts"], prerequisites)
        return cls(SAKT.load(directory, base=base), meta["concepts"], meta["metrics"])


def train_tracer(
    data: Sequence[Responses],
    concepts: Sequence[str],
    prerequisites: Prerequisites,
    seed: int = 0,
    config: SAKTConfig | None = None,
) -> Tracer:
    """Fit SAKT over the online model on two thirds of the learners (a tenth of them for early
    stopping) and measure it and the online model on the third held out."""
    train, valid, test = held_out_split(data, seed)
    online = OnlineMastery(concepts, prerequisites)
    model = SAKT(config or SAKTConfig(seed=seed), base=online).fit(train, valid, len(concepts))
    metrics = {
        "test_auc": round(answer_auc(model.predict(test), test), 4),
        "online_test_auc": round(answer_auc(online.predict(test), test), 4),
        "learners": len(train) + len(valid) + len(test), "test_learners": len(test),
        "answers": sum(map(len, [*train, *valid, *test])),
        "epochs": len(model.history),
    }
    return Tracer(model, concepts, metrics)


def active_tracer(directory: Path, prerequisites: Prerequisites) -> Tracer | None:
    """The activated tracer under `directory` (models/kt), or None before any has won."""
    pointer = directory / ACTIVE
    if not pointer.is_file():
        return None
    return Tracer.load(directory / pointer.read_text(encoding="utf-8").strip(), prerequisites)
