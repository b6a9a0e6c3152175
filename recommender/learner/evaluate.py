"""Knowledge-tracing models compared on the same held-out learners: what `etude learner eval` reports
on the tutor's logs and the adaptivity benchmark on simulated ones.

A third of the learners are held out whole; of the rest a tenth stops SAKT's training early. Each
model predicts every held-out answer from that learner's answers before it (AUC).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from recommender.learner.bkt import BKT
from recommender.learner.mastery import OnlineMastery, Prerequisites
from recommender.learner.sakt import SAKT, SAKTConfig
from recommender.learner.sequences import Responses, answer_auc, held_out_split


def compare(
    data: Sequence[Responses],
    concepts: Sequence[str],
    prerequisites: Prerequisites,
    seed: int = 0,
    config: SAKTConfig | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> dict[str, Any]:
    """Test AUC and fit time of BKT, SAKT, the tutor's online model and SAKT over the online model.

    `concepts[skill]` names each skill id's concept (the online model needs the graph's names)."""
    train, valid, test = held_out_split(data, seed)
    skills = len(concepts)
    config = config or SAKTConfig(seed=seed)
    online = OnlineMastery(concepts, prerequisites)
    models: dict[str, Callable[[], Any]] = {
        "BKT (EM per concept)": lambda: BKT().fit(train, skills),
        "SAKT": lambda: SAKT(config).fit(train, valid, skills),
        "tutor's online model (BKT + prerequisites, untrained)": lambda: online,
        "SAKT over the online model": lambda: SAKT(config, base=online).fit(train, valid, skills),
    }
    rows: dict[str, Any] = {}
    for name, build in models.items():
        began = time.perf_counter()
        model = build()
        fitted = time.perf_counter() - began
        rows[name] = {"test_auc": round(answer_auc(model.predict(test), test), 4), "fit_s": round(fitted, 1)}
        if progress is not None:
            progress(name, rows[name]["test_auc"])
    everyone = [*train, *valid, *test]
    return {"learners": len(everyone), "test_learners": len(test), "answers": sum(map(len, everyone)),
            "results": rows}
