"""The online mastery model: BKT per concept, evidence along prerequisites, half-life review."""

from __future__ import annotations

import json
import random

import pytest

from recommender.learner.mastery import DAY, Mastery, Params, Prerequisites, fit_half_life

# notes <- intervals <- triads <- sevenths; notes <- scales
GRAPH = Prerequisites({
    "notes": [], "intervals": ["notes"], "triads": ["intervals"], "sevenths": ["triads"], "scales": ["notes"],
})
NOW = 1_800_000_000.0


def learner() -> Mastery:
    return Mastery(graph=GRAPH)


def test_a_concept_never_answered_is_new_at_the_prior() -> None:
    mastery = learner()
    assert mastery.status("triads", NOW) == "new"
    assert mastery.p("triads") == Params().init


def test_right_answers_raise_mastery_until_the_threshold() -> None:
    mastery = learner()
    seen = []
    for _ in range(4):
        mastery.observe("intervals", 1.0, NOW)
        seen.append(mastery.p("intervals"))
    assert seen == sorted(seen)
    assert mastery.is_mastered("intervals") and mastery.status("intervals", NOW) == "mastered"
    assert "intervals" in mastery.mastered()


def test_one_right_answer_is_not_mastery() -> None:
    mastery = learner()
    mastery.observe("intervals", 1.0, NOW)
    assert mastery.status("intervals", NOW) == "in_progress"


def test_one_slip_keeps_a_mastered_concept_but_repeated_wrong_answers_do_not() -> None:
    mastery = learner()
    for _ in range(4):
        mastery.observe("intervals", 1.0, NOW)
    mastery.observe("intervals", 0.0, NOW)
    assert mastery.is_mastered("intervals")
    mastery.observe("intervals", 0.0, NOW)
    assert mastery.status("intervals", NOW) == "in_progress"


def test_an_answer_after_a_hint_counts_less() -> None:
    plain, hinted = learner(), learner()
    plain.observe("triads", 1.0, NOW)
    hinted.observe("triads", 1.0, NOW, kind="hint_answer")
    assert plain.p("triads") > hinted.p("triads") > Params().init
    assert hinted.state["triads"]["hints"] == 1


def test_right_answers_vouch_for_prerequisites_fading_with_distance() -> None:
    mastery = learner()
    mastery.observe("sevenths", 1.0, NOW)
    assert mastery.p("triads") > mastery.p("intervals") > mastery.p("notes") > Params().init
    assert mastery.p("scales") == Params().init  # not something sevenths build on
    assert mastery.state["triads"]["inferred"] and mastery.state["triads"]["correct"] == 0


def test_wrong_answers_cast_doubt_on_what_builds_on_the_concept() -> None:
    mastery = Mastery(graph=GRAPH, prior=lambda _c: 0.6)
    mastery.observe("intervals", 0.0, NOW)
    assert mastery.p("triads") < 0.6 and mastery.p("sevenths") < 0.6
    assert mastery.p("notes") == 0.6  # a wrong answer says nothing against what intervals build on


def test_doubtful_concepts_are_those_answered_wrong_and_likelier_unknown() -> None:
    mastery = learner()
    mastery.observe("notes", 0.0, NOW)
    mastery.observe("scales", 1.0, NOW)
    assert mastery.doubtful() == ["notes"]


def test_a_practice_score_counts_in_proportion() -> None:
    good, poor = learner(), learner()
    good.observe("scales", 0.9, NOW, kind="practice")
    poor.observe("scales", 0.2, NOW, kind="practice")
    assert good.p("scales") > Params().init > poor.p("scales")


def test_too_easy_is_strong_evidence_and_too_hard_evidence_against() -> None:
    easy, hard = learner(), learner()
    easy.observe("triads", 1.0, NOW, kind="too_easy")
    hard.observe("triads", 0.0, NOW, kind="too_hard")
    once = learner()
    once.observe("triads", 1.0, NOW)
    assert easy.p("triads") > once.p("triads")
    assert hard.p("triads") < Params().init


def test_correct_must_be_a_share() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        learner().observe("notes", 1.5, NOW)


def test_a_mastered_concept_becomes_due_once_its_half_life_has_passed() -> None:
    mastery = learner()
    for _ in range(4):
        mastery.observe("intervals", 1.0, NOW)
    half_life = mastery.half_life("intervals")
    assert mastery.status("intervals", NOW + 0.5 * half_life * DAY) == "mastered"
    assert mastery.status("intervals", NOW + 1.5 * half_life * DAY) == "due"
    assert mastery.due(NOW + 1.5 * half_life * DAY) == ["intervals"]
    assert mastery.recall("intervals", NOW + half_life * DAY) == pytest.approx(mastery.p("intervals") / 2)


def test_more_right_answers_mean_a_longer_half_life_and_wrong_ones_a_shorter() -> None:
    few, many, shaky = learner(), learner(), learner()
    few.observe("notes", 1.0, NOW)
    for _ in range(6):
        many.observe("notes", 1.0, NOW)
    for answer in (1.0, 0.0, 0.0, 1.0):
        shaky.observe("notes", answer, NOW)
    assert many.half_life("notes") > few.half_life("notes")
    shaky_right = learner()
    for _ in range(2):
        shaky_right.observe("notes", 1.0, NOW)
    assert shaky.half_life("notes") < shaky_right.half_life("notes")


def test_difficulty_follows_mastery_around_the_learners_level() -> None:
    mastery = learner()
    assert mastery.difficulty("triads", 4) == 3  # unknown so far: a step below the level
    mastery.observe("triads", 1.0, NOW)
    mastery.observe("triads", 1.0, NOW)
    assert mastery.difficulty("triads", 4) >= 4
    for _ in range(3):
        mastery.observe("triads", 1.0, NOW)
    assert mastery.difficulty("triads", 4) == 6
    assert mastery.difficulty("triads", 8) == 8 and Mastery().difficulty("x", 1) == 1


def test_the_state_is_plain_json_and_reloads_to_the_same_estimates() -> None:
    mastery = learner()
    mastery.observe("triads", 1.0, NOW)
    mastery.observe("notes", 0.0, NOW)
    again = Mastery(json.loads(json.dumps(mastery.state)), GRAPH)
    assert {c: again.p(c) for c in GRAPH.requires} == {c: mastery.p(c) for c in GRAPH.requires}


def test_the_summary_groups_mastered_due_and_in_progress_without_pure_inferences() -> None:
    mastery = learner()
    for _ in range(4):
        mastery.observe("notes", 1.0, NOW - 60 * DAY)
    for _ in range(4):
        mastery.observe("scales", 1.0, NOW)
    mastery.observe("sevenths", 1.0, NOW)
    summary = mastery.summary(NOW)
    assert [r["concept"] for r in summary["due"]] == ["notes"]
    assert [r["concept"] for r in summary["mastered"]] == ["scales"]
    assert [r["concept"] for r in summary["in_progress"]] == ["sevenths"]  # triads is only inferred


def test_half_life_weights_are_fitted_from_logged_reviews() -> None:
    rng = random.Random(3)
    truth = (1.0, 1.0, -0.3)
    reviews = []
    for _ in range(600):
        right, wrong, days = rng.randrange(8), rng.randrange(3), rng.uniform(0.1, 30)
        h = 2 ** (truth[0] + truth[1] * (1 + right) ** 0.5 + truth[2] * (1 + wrong) ** 0.5)
        reviews.append((days, rng.random() < 2 ** (-days / h), right, wrong))

    def loss(theta: tuple[float, float, float]) -> float:
        total = 0.0
        for days, ok, right, wrong in reviews:
            h = 2 ** (theta[0] + theta[1] * (1 + right) ** 0.5 + theta[2] * (1 + wrong) ** 0.5)
            total += (2 ** (-days / h) - ok) ** 2
        return total

    fitted = fit_half_life(reviews)
    assert loss(fitted) < loss(Params().hlr)
    with pytest.raises(ValueError):
        fit_half_life([])
