"""The learner simulator behind the adaptivity benchmark: its own hidden truth, consistent with the
prerequisite graph, and policies that play against it."""

from __future__ import annotations

import random

import pytest

from recommender.learner.simulator import FixedSyllabus, RandomOrder, make_learner, run, world_from

REQUIRES = {"notes": [], "intervals": ["notes"], "triads": ["intervals"], "sevenths": ["triads"],
            "scales": ["notes"], "keys": ["scales", "intervals"]}
GRADES = {"notes": 1, "intervals": 1, "triads": 3, "sevenths": 4, "scales": 2, "keys": 3}
WORLD = world_from(REQUIRES, GRADES)


def test_the_world_orders_prerequisites_first() -> None:
    position = {c: k for k, c in enumerate(WORLD.order)}
    assert all(position[need] < position[c] for c, needs in REQUIRES.items() for need in needs)
    assert WORLD.closure("sevenths") == ["notes", "intervals", "triads", "sevenths"]


def test_a_cycle_is_refused() -> None:
    with pytest.raises(ValueError, match="cycle"):
        world_from({"a": ["b"], "b": ["a"]}, {"a": 1, "b": 1})


def test_what_a_learner_starts_knowing_respects_prerequisites() -> None:
    for seed in range(200):
        learner = make_learner(WORLD, random.Random(seed))
        assert all(need in learner.known for c in learner.known for need in REQUIRES[c])
        assert "sevenths" not in learner.known  # grade 4 is above every background


def test_a_learner_answers_known_concepts_right_far_more_often() -> None:
    learner = make_learner(WORLD, random.Random(1))
    learner.known = {"notes"}
    right_known = sum(learner.answer("notes") for _ in range(2000)) / 2000
    right_unknown = sum(learner.answer("sevenths") for _ in range(2000)) / 2000
    assert right_known > 0.8 and right_unknown < 0.35


def test_practice_teaches_and_unready_concepts_are_learned_more_slowly() -> None:
    def exercises_to_learn(concept: str, known: set[str], seed: int) -> int:
        learner = make_learner(WORLD, random.Random(seed))
        learner.known, learner.forget = set(known), 0.0
        learner.learn = dict.fromkeys(learner.learn, 0.2)
        for n in range(1, 10_000):
            learner.practise(WORLD, concept, WORLD.closure(concept))
            if concept in learner.known:
                return n
        return 10_000

    ready = sum(exercises_to_learn("triads", {"notes", "intervals"}, s) for s in range(200))
    unready = sum(exercises_to_learn("triads", set(), s) for s in range(200))
    assert unready > 3 * ready


def test_a_run_records_every_exercise_and_when_the_target_was_known() -> None:
    learner = make_learner(WORLD, random.Random(5))
    path = WORLD.closure("sevenths")
    episode = run(WORLD, learner, FixedSyllabus(path, 3), "sevenths", budget=400, checkpoints=(10, 20))
    assert episode.concepts[:4] == ["notes", "notes", "notes", "intervals"]
    assert len(episode.concepts) == len(episode.answers)
    assert episode.mastered_at is not None and "sevenths" in learner.known
    assert set(episode.known_share) == {10, 20}


def test_random_order_draws_from_the_path_only() -> None:
    path = WORLD.closure("keys")
    policy = RandomOrder(path, random.Random(0))
    assert {policy.choose() for _ in range(200)} == set(path)
