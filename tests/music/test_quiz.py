"""Quiz questions: reproducible, answerable in the usual notations, and right according to music21."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from music21 import interval

from kg.curriculum import Concept, realize_example
from music.answers import check
from music.quiz import COVERAGE, Question, covering_concept, make_question, topics
from tests.music.recompute import recomputed

COVERED = sorted(COVERAGE)


def variants(q: Question) -> list[str]:
    """Other ways a learner might write the right answer."""
    from music.spelling import display

    e = q.expected
    if e.kind == "note":
        spoken = display(str(e.value)).replace("♭♭", " double flat").replace("♯♯", " double sharp")
        return [str(e.value).replace("-", "b"), spoken.replace("♭", " flat").replace("♯", " sharp")]
    if e.kind == "notes":
        names = [str(n).replace("-", "b") for n in e.value]
        out = [", ".join(names[:-1]) + " and " + names[-1], "-".join(n.lower() for n in names)]
        if not e.ordered:
            out.append(" ".join(reversed(names)))
        return out
    if e.kind == "interval":
        name = str(e.value)
        words = interval.Interval(name).niceName
        return [name, words.upper(), f"{words.split()[0][:3].lower()} {name[1:]}"]
    if e.kind == "number":
        value = Fraction(str(e.value))
        return [str(float(value)), f"{value} beats" if value.denominator > 1 else f"{value} semitones"]
    if e.kind == "key":
        tonic, mode = str(e.value).split()
        spoken = tonic.replace("-", " flat").replace("#", " sharp")
        return [f"{tonic.replace('-', 'b')} {mode}", f"{spoken} {mode}"]
    if e.kind == "quality":
        return [f"{e.value} chord", str(e.value).upper()]
    if e.kind == "inversion":
        position, size = (int(v) for v in e.value)
        return [("root", "1st", "2nd", "3rd")[position], ("5/3", "6/3", "64")[position] if size == 3
                else ("7", "65", "4/3", "2")[position]]
    if e.kind == "roman":
        figure = str(e.value[0])
        return [figure, figure.replace("o", " dim").replace("ø7", " half-diminished 7").replace("65", "6/5")]
    if e.kind == "scale":
        return [str(e.value).upper(), f"the {e.value} scale"]
    if e.kind == "cadence":
        return [str(e.value[1]), f"{e.value[0]} cadence".upper()]
    return []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(COVERED), st.integers(0, 10**6), st.integers(1, 8))
def test_every_question_is_right_by_music21_and_accepts_its_answer(
    concepts: dict[str, Concept], concept_id: str, seed: int, difficulty: int
) -> None:
    q = make_question(concept_id, concepts, random.Random(seed), difficulty)
    assert q.concept_id == concept_id == q.requested_id
    assert q.expected == recomputed(q)
    assert check(q.answer_text, q.expected).correct, q.answer_text
    for written in variants(q):
        assert check(written, q.expected).correct, (written, q.expected)
    assert len(q.hints) >= 2 and all(h.strip() for h in q.hints)
    assert q.prompt.endswith(("?", ".")) and q.explanation
    if q.example:
        realize_example(q.example)


def test_the_same_seed_gives_the_same_question(concepts: dict[str, Concept]) -> None:
    for cid in ("major_third", "triad", "dorian_mode", "six_eight_time", "relative_keys", "chord_inversions",
                "roman_numerals", "cadence", "scale_recognition", "melodic_interval"):
        first = make_question(cid, concepts, random.Random(7), 5)
        again = make_question(cid, concepts, random.Random(7), 5)
        assert first == again


def test_seeds_vary_the_questions(concepts: dict[str, Concept]) -> None:
    prompts = {make_question("interval", concepts, random.Random(s), 4).prompt for s in range(20)}
    assert len(prompts) > 5


def test_ear_training_questions_come_with_something_to_play(concepts: dict[str, Concept]) -> None:
    for cid in ("interval_recognition", "chord_quality_recognition", "major_minor_discrimination"):
        q = make_question(cid, concepts, random.Random(3), 4)
        assert q.example is not None and q.skill.startswith("ear_")
        assert "Listen" in q.prompt


def test_low_difficulty_stays_simple(concepts: dict[str, Concept]) -> None:
    for seed in range(15):
        q = make_question("interval", concepts, random.Random(seed), 1)
        if q.expected.kind == "interval":
            assert q.expected.value in {"M2", "M3", "P4", "P5", "P8"}
        q = make_question("key_signature", concepts, random.Random(seed), 1)
        assert int(str(q.expected.value)) <= 2


def test_focused_concepts_ask_about_their_own_subject(concepts: dict[str, Concept]) -> None:
    for seed in range(10):
        q = make_question("dorian_mode", concepts, random.Random(seed), 6)
        assert "dorian" in q.prompt
        q = make_question("minor_seventh_chord", concepts, random.Random(seed), 6)
        assert q.data.get("quality", "minor seventh") == "minor seventh" or "minor seventh" in q.explanation


def test_uncovered_concepts_borrow_the_nearest_covered_prerequisite(concepts: dict[str, Concept]) -> None:
    assert covering_concept("major_third", concepts) == "major_third"
    assert covering_concept("chord_symbols", concepts) in concepts["chord_symbols"].requires
    q = make_question("chord_symbols", concepts, random.Random(1), 3)
    assert q.requested_id == "chord_symbols" and q.concept_id in COVERAGE
    for cid in concepts:
        assert covering_concept(cid, concepts) in COVERAGE


def test_topics_cover_the_core_areas(concepts: dict[str, Concept]) -> None:
    covered = topics(concepts)
    assert covered <= set(concepts)
    for cid in ("interval", "major_triad", "seventh_chords", "major_scale", "key_signature", "relative_keys",
                "dorian_mode", "note_names", "accidentals", "dotted_notes", "interval_recognition",
                "chord_quality_recognition"):
        assert cid in covered


def test_every_covered_concept_is_in_the_curriculum_and_every_skill_exists(
    concepts: dict[str, Concept]
) -> None:
    from music.quiz import SKILLS

    assert set(COVERAGE) <= set(concepts)
    assert {skill for skills, _ in COVERAGE.values() for skill in skills} <= set(SKILLS)
    for cid in ("melodic_interval", "harmonic_interval", "chord_inversions", "first_inversion",
                "third_inversion_seventh_chord", "roman_numerals", "diatonic_chords_minor",
                "diatonic_seventh_chords", "primary_chords", "scale_degrees", "cadence",
                "perfect_authentic_cadence", "phrygian_half_cadence", "scale_recognition"):
        assert covering_concept(cid, concepts) == cid


def test_difficulty_outside_one_to_eight_is_refused(concepts: dict[str, Concept]) -> None:
    with pytest.raises(ValueError):
        make_question("interval", concepts, random.Random(0), 9)
    with pytest.raises(KeyError):
        make_question("no_such_concept", concepts, random.Random(0), 3)
