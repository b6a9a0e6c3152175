"""Quiz questions: reproducible, answerable in the usual notations, and right according to music21."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from music21 import chord, duration, interval, key, meter, pitch

from kg.curriculum import Concept, realize_example
from music.answers import Expected, check
from music.quiz import COVERAGE, Question, covering_concept, make_question, topics
from music.theory import scale_pitches

COVERED = sorted(COVERAGE)


def recomputed(q: Question) -> Expected:
    """The expected answer worked out again from the question's inputs, straight from music21."""
    d = q.data
    if q.skill in ("interval_name", "ear_interval"):
        return Expected("interval", interval.Interval(pitch.Pitch(d["lower"]), pitch.Pitch(d["upper"])).name)
    if q.skill == "interval_semitones":
        return Expected("number", str(interval.Interval(d["interval"]).semitones))
    if q.skill == "interval_build":
        return Expected("note", interval.Interval(d["interval"]).transposePitch(pitch.Pitch(d["lower"])).name)
    if q.skill == "interval_inversion":
        return Expected("interval", interval.Interval(d["interval"]).complement.name)
    if q.skill == "chord_notes":
        return Expected("notes", tuple(pitch.Pitch(p).name for p in d["pitches"]), ordered=False)
    if q.skill in ("chord_quality", "ear_chord"):
        common = chord.Chord(d["pitches"]).commonName
        return Expected("quality", common.removesuffix(" chord").removesuffix(" triad"))
    if q.skill == "scale_notes":
        return Expected("notes", tuple(p.name for p in scale_pitches(d["tonic"], d["kind"])))
    if q.skill == "key_signature":
        return Expected("number", str(abs(key.Key(d["key"]).sharps)))
    if q.skill == "related_key":
        k = key.Key(d["key"])
        other = k.relative if d["relation"] == "relative" else k.parallel
        return Expected("key", f"{other.tonic.name} {other.mode}")
    if q.skill == "note_step":
        ivl = interval.Interval(d["interval"])
        ivl = ivl if d["direction"] == "above" else ivl.reverse()
        return Expected("note", ivl.transposePitch(pitch.Pitch(d["start"])).name)
    if q.skill == "alteration":
        start = pitch.Pitch(d["start"])
        return Expected("note", pitch.Pitch(start.step, accidental=(start.alter + (1 if d["way"] == "raise"
                                                                                       else -1))).name)
    if q.skill == "enharmonic":
        start = pitch.Pitch(d["start"])
        spellings = [start.getEnharmonic(), *start.getAllCommonEnharmonics()]
        twin = next(p for p in spellings if p.step == d["letter"])
        return Expected("note", twin.name)
    if q.skill == "beats":
        ts = meter.TimeSignature(d["meter"])
        length = Fraction(duration.Duration(type=d["type"], dots=d["dots"]).quarterLength)
        return Expected("number", str(length / Fraction(ts.beatDuration.quarterLength)))
    raise AssertionError(f"no independent check for {q.skill}")


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
    for cid in ("major_third", "triad", "dorian_mode", "six_eight_time", "relative_keys"):
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


def test_difficulty_outside_one_to_eight_is_refused(concepts: dict[str, Concept]) -> None:
    with pytest.raises(ValueError):
        make_question("interval", concepts, random.Random(0), 9)
    with pytest.raises(KeyError):
        make_question("no_such_concept", concepts, random.Random(0), 3)
