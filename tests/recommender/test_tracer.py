"""The attention model that serves the tutor: trained as a correction of the online model, activated
only when it predicts held-out learners better, asked for the chances of a right answer now."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from recommender.learner.mastery import Mastery, Prerequisites
from recommender.learner.sakt import SAKTConfig
from recommender.learner.sequences import Responses
from recommender.learner.tracer import ACTIVE, Tracer, active_tracer, train_tracer

CONCEPTS = ["concept:notes", "concept:intervals", "concept:triads"]
GRAPH = Prerequisites({"concept:notes": [], "concept:intervals": ["concept:notes"],
                       "concept:triads": ["concept:intervals"]})
CONFIG = SAKTConfig(dim=16, heads=2, window=20, epochs=15, patience=4, lr=3e-3, batch_size=16)


def seesaw(learners: int, seed: int = 0) -> list[Responses]:
    """Learners who answer right exactly when their previous answer was wrong (a pattern in the
    order of answers, which attention can find and per-concept mastery cannot)."""
    rng = random.Random(seed)
    out = []
    for n in range(learners):
        skills, correct, last = [], [], rng.randrange(2)
        for _ in range(30):
            last = 1 - last if rng.random() < 0.95 else last
            skills.append(rng.randrange(3))
            correct.append(last)
        out.append(Responses(f"l{n}", tuple(skills), tuple(correct)))
    return out


@pytest.fixture(scope="module")
def tracer() -> Tracer:
    return train_tracer(seesaw(90), CONCEPTS, GRAPH, seed=0, config=CONFIG)


def test_a_pattern_the_online_model_cannot_see_makes_the_attention_model_win(tracer: Tracer) -> None:
    assert tracer.metrics["test_auc"] > 0.8 > tracer.metrics["online_test_auc"]
    assert tracer.better
    assert tracer.metrics["learners"] == 90 and tracer.metrics["test_learners"] == 30


def test_the_tracer_gives_the_chance_of_a_right_answer_now(tracer: Tracer) -> None:
    def base(concept: str) -> float:
        return Mastery(graph=GRAPH).chance_right(concept)

    after_wrong = tracer.chances([["concept:notes", 1.0], ["concept:triads", 0.0]], CONCEPTS, base)
    after_right = tracer.chances([["concept:notes", 0.0], ["concept:triads", 1.0]], CONCEPTS, base)

    assert set(after_wrong) == set(CONCEPTS)
    assert all(after_wrong[c] > 0.6 > 0.4 > after_right[c] for c in CONCEPTS)
    assert tracer.chances([], ["concept:unknown"], base) == {}


def test_a_saved_tracer_is_active_only_once_named_active(tracer: Tracer, tmp_path: Path) -> None:
    tracer.save(tmp_path / "v1")
    assert active_tracer(tmp_path, GRAPH) is None
    (tmp_path / ACTIVE).write_text("v1\n", encoding="utf-8")

    loaded = active_tracer(tmp_path, GRAPH)

    assert loaded is not None and loaded.metrics == tracer.metrics
    history, base = [["concept:intervals", 1.0]], Mastery(graph=GRAPH).chance_right
    assert loaded.chances(history, CONCEPTS, base) == pytest.approx(tracer.chances(history, CONCEPTS, base))


def test_mastery_takes_the_attention_models_chances_until_the_next_event() -> None:
    mastery = Mastery(graph=GRAPH)
    mastery.use_chances({"concept:triads": 0.2 + 0.95 * 0.7})  # known at 0.95, by the same guess and slip

    assert mastery.p("concept:triads") == pytest.approx(0.95)
    assert mastery.is_mastered("concept:triads")
    mastery.observe("concept:triads", 0.0, 1.0)
    assert "concept:triads" not in mastery.estimates and not mastery.is_mastered("concept:triads")


def test_too_few_logs_are_refused() -> None:
    with pytest.raises(ValueError, match="too few graded answers"):
        train_tracer(seesaw(4), CONCEPTS, GRAPH)
