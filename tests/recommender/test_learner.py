"""Knowledge tracing: response sequences, BKT fitted by EM, and the attention model (SAKT)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from recommender.learner.bkt import BKT
from recommender.learner.sakt import SAKT, SAKTConfig, _windows
from recommender.learner.sequences import (
    Responses,
    answer_auc,
    graded_sequences,
    load_assist,
    n_skills,
    split_learners,
)


def simulate_bkt(
    learners: int, skills: int, params: tuple[float, float, float, float], seed: int = 0, length: int = 30
) -> list[Responses]:
    """Learners whose answers follow BKT with the given (init, learn, guess, slip) on every skill."""
    init, learn, guess, slip = params
    rng = random.Random(seed)
    out = []
    for n in range(learners):
        known = [rng.random() < init for _ in range(skills)]
        seq_skills, seq_correct = [], []
        for _ in range(length):
            s = rng.randrange(skills)
            right = rng.random() < (1 - slip if known[s] else guess)
            seq_skills.append(s)
            seq_correct.append(int(right))
            known[s] = known[s] or rng.random() < learn
        out.append(Responses(f"L{n}", tuple(seq_skills), tuple(seq_correct)))
    return out


def test_an_assistments_file_is_read_as_zero_based_skills(tmp_path: Path) -> None:
    path = tmp_path / "tiny_train.csv"
    path.write_text("3\n1,1,5\n0,1,1\n2\n2,2\n1,0\n", encoding="utf-8")

    data = load_assist(path)

    assert data == [
        Responses("tiny_train:0", (0, 0, 4), (0, 1, 1)),
        Responses("tiny_train:1", (1, 1), (1, 0)),
    ]
    assert n_skills(data) == 5


def test_a_file_whose_counts_disagree_is_refused_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("3\n1,2\n0,1\n", encoding="utf-8")

    with pytest.raises(ValueError, match=r"bad.csv:1: 3 responses announced"):
        load_assist(path)


def test_responses_must_be_paired_and_binary() -> None:
    with pytest.raises(ValueError, match="2 skills but 1 answers"):
        Responses("x", (0, 1), (1,))
    with pytest.raises(ValueError, match="0 or 1"):
        Responses("x", (0,), (2,))


def test_held_out_learners_are_whole_sequences_and_disjoint() -> None:
    data = simulate_bkt(50, 3, (0.3, 0.2, 0.2, 0.1))

    rest, held = split_learners(data, 0.2, seed=1)

    assert len(held) == 10 and len(rest) == 40
    assert {r.learner for r in rest}.isdisjoint(r.learner for r in held)


def test_bkt_recovers_the_parameters_that_generated_the_answers() -> None:
    truth = (0.3, 0.15, 0.2, 0.1)
    data = simulate_bkt(600, 2, truth, seed=3)

    model = BKT().fit(data)

    for skill in range(2):
        assert model.params[skill] == pytest.approx(truth, abs=0.06)


def test_bkt_predicts_better_after_right_answers_and_ranks_held_out_answers() -> None:
    model = BKT().fit(simulate_bkt(400, 3, (0.2, 0.2, 0.15, 0.1), seed=4))
    test = simulate_bkt(200, 3, (0.2, 0.2, 0.15, 0.1), seed=5)

    after_right, _ = model.trace(Responses("a", (0, 0, 0), (1, 1, 1)))
    after_wrong, _ = model.trace(Responses("b", (0, 0, 0), (0, 0, 0)))
    predicted = np.concatenate(model.predict(test))
    answers = np.concatenate([r.correct for r in test])

    assert after_right[2] > after_right[0] and after_right[2] > after_wrong[2] + 0.3
    assert roc_auc_score(answers, predicted) > 0.7


def test_windows_start_from_the_answer_before_them() -> None:
    learner = Responses("x", (0, 1, 2, 0, 1), (1, 0, 1, 1, 0))  # interactions: skill + 3 * correct

    windows = _windows([learner], skills=3, window=2)

    start = 6
    assert windows == [([start, 3], [0, 1], [1, 0], []), ([1, 5], [2, 0], [1, 1], []), ([3], [1], [0], [])]


def test_overlapping_windows_step_by_the_stride_and_end_with_the_last_answer() -> None:
    learner = Responses("x", (0, 1, 2, 0, 1), (1, 0, 1, 1, 0))

    windows = _windows([learner], skills=3, window=4, stride=2)

    assert windows == [([6, 3, 1, 5], [0, 1, 2, 0], [1, 0, 1, 1], []), ([1, 5, 3], [2, 0, 1], [1, 1, 0], [])]


def test_every_answer_gets_one_prediction_whatever_the_windows() -> None:
    rng = random.Random(1)
    lengths = (1, 7, 10, 23)
    data = [Responses(f"l{i}", tuple(rng.randrange(4) for _ in range(n)),
                      tuple(rng.randrange(2) for _ in range(n))) for i, n in enumerate(lengths)]
    model = SAKT(SAKTConfig(dim=8, heads=1, window=6, stride=4, epochs=1)).fit(data, data)
    assert [len(p) for p in model.predict(data)] == [1, 7, 10, 23]


def test_sakt_learns_which_skills_a_learner_has_mastered() -> None:
    """Each learner knows a random half of the skills: answers on a skill repeat, and only the
    learner's past answers on it tell whether the next is right."""
    rng = random.Random(0)
    data = []
    for n in range(300):
        known = {s for s in range(6) if rng.random() < 0.5}
        skills = [rng.randrange(6) for _ in range(24)]
        correct = [int((s in known) == (rng.random() < 0.9)) for s in skills]
        data.append(Responses(f"L{n}", tuple(skills), tuple(correct)))
    train, valid = split_learners(data[:250], 0.2, seed=0)
    config = SAKTConfig(dim=32, heads=2, window=24, epochs=12, patience=3, batch_size=32, lr=3e-3)

    model = SAKT(config).fit(train, valid)
    test = data[250:]
    predicted = model.predict(test)
    late = np.concatenate([p[12:] for p in predicted])
    answers = np.concatenate([np.array(r.correct[12:]) for r in test])

    assert [len(p) for p in predicted] == [len(r) for r in test]
    assert roc_auc_score(answers, late) > 0.8
    assert model.history[-1]["valid_auc"] > 0 and len(model.history) <= config.epochs


class Oracle:
    """A base model that knows each answer's true chance (and a flat one, knowing nothing)."""

    def __init__(self, chances: dict[str, list[float]]) -> None:
        self.chances = chances

    def predict(self, data: list[Responses]) -> list[np.ndarray]:
        return [np.array(self.chances[r.learner]) for r in data]


def test_sakt_over_a_base_model_keeps_what_the_base_knows() -> None:
    """Answers depend on a hidden per-answer chance that only the base model sees: SAKT on its own
    cannot find it, SAKT over the base starts from it."""
    rng = random.Random(2)
    data, chances = [], {}
    for n in range(200):
        chance = [rng.choice((0.1, 0.9)) for _ in range(20)]
        chances[f"L{n}"] = chance
        data.append(Responses(f"L{n}", tuple(rng.randrange(3) for _ in range(20)),
                              tuple(int(rng.random() < c) for c in chance)))
    train, valid, test = data[:120], data[120:150], data[150:]
    config = SAKTConfig(dim=8, heads=1, window=20, epochs=3, batch_size=32)

    alone = SAKT(config).fit(train, valid)
    over = SAKT(config, base=Oracle(chances)).fit(train, valid)

    assert answer_auc(over.predict(test), test) > 0.8 > answer_auc(alone.predict(test), test) + 0.2


def test_sakt_refuses_skills_it_never_saw() -> None:
    data = simulate_bkt(20, 2, (0.3, 0.2, 0.2, 0.1))
    model = SAKT(SAKTConfig(dim=8, heads=1, window=10, epochs=1)).fit(data[:15], data[15:])

    with pytest.raises(ValueError, match="not in the training data"):
        model.predict([Responses("new", (0, 7), (1, 1))])


def test_the_tutors_logs_become_sequences_of_graded_answers_in_time_order() -> None:
    from datetime import datetime, timedelta

    from bot.store import BehaviorEvent

    t0, day = datetime(2026, 11, 1, 12, 0), timedelta(days=1)
    events = [
        BehaviorEvent("ada", "quiz_answer", concept="concept:triad", outcome="correct", at=t0 + 2 * day),
        BehaviorEvent("ada", "quiz_answer", concept="concept:interval", outcome="wrong", at=t0),
        BehaviorEvent("ada", "quiz_hint", concept="concept:triad", outcome="hint", at=t0),
        BehaviorEvent("ada", "practice_result", concept="concept:major_scale", value=0.9, at=t0 + 3 * day),
        BehaviorEvent("bo", "practice_result", concept="concept:major_scale", value=0.5, at=t0),
        BehaviorEvent("bo", "explain_concept", concept="concept:triad", at=t0),
    ]

    data, index = graded_sequences(events, {"concept:interval": 0})

    assert index == {"concept:interval": 0, "concept:triad": 1, "concept:major_scale": 2}
    assert data == [Responses("ada", (0, 1, 2), (0, 1, 1)), Responses("bo", (2,), (0,))]


def test_the_next_answer_is_predicted_as_it_would_be_inside_a_sequence(tmp_path: Path) -> None:
    data = simulate_bkt(40, 4, (0.3, 0.2, 0.2, 0.1), length=12)
    model = SAKT(SAKTConfig(dim=8, heads=1, window=8, epochs=2)).fit(data[:30], data[30:])
    learner = data[35]

    for query in range(4):  # history longer than a window, then a short one
        for history in (learner, Responses("x", learner.skills[:3], learner.correct[:3])):
            whole = Responses("y", (*history.skills, query), (*history.correct, 0))
            expected = model.predict([whole])[0][-1] if len(whole) <= 8 else None
            [found] = model.predict_next(history, [query])
            assert 0 < found < 1
            if expected is not None:
                assert found == pytest.approx(expected, abs=1e-5)

    model.save(tmp_path / "kt")
    again = SAKT.load(tmp_path / "kt")
    assert again.predict_next(learner, [0, 1, 2]) == pytest.approx(model.predict_next(learner, [0, 1, 2]))
    with pytest.raises(ValueError, match="not trained on"):
        model.predict_next(learner, [9])
