"""Intervals going down, sounding together and heard: each is named like the rising interval, asked
with the register shown, and played the way the question says."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from music21 import chord, interval, note, pitch

from kg.curriculum import Concept, realize_example
from music.answers import check
from music.quiz import make_question
from music.spelling import display
from music.synth import events_from, example_passage
from tests.music.recompute import ask, recomputed

DIRECTIONAL = ["interval_name_down", "interval_build_down", "interval_harmonic", "ear_interval"]


def played(example: dict) -> list[list[float]]:
    """What the example sounds, event by event: the frequencies of each note or chord."""
    passage, _ = example_passage(example)
    return [list(e.freqs) for e in events_from(passage)]


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(DIRECTIONAL), st.integers(0, 10**6), st.integers(1, 8))
def test_every_directional_interval_question_is_right_by_music21(
    skill: str, seed: int, difficulty: int
) -> None:
    q = ask(skill, seed, difficulty)
    assert q.expected == recomputed(q)
    assert check(q.answer_text, q.expected).correct
    assert q.answer_text in q.explanation
    assert 2 <= len(q.hints) <= 3 and all(h.strip() for h in q.hints)
    assert q.example is not None
    realize_example(q.example)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 8))
def test_a_falling_interval_is_asked_from_the_upper_note_and_heard_going_down(
    seed: int, difficulty: int
) -> None:
    q = ask("interval_name_down", seed, difficulty)
    upper, lower = pitch.Pitch(q.data["upper"]), pitch.Pitch(q.data["lower"])
    assert f"from {display(upper)}{upper.octave} down to {display(lower)}{lower.octave}" in q.prompt
    first, second = played(q.example)
    assert len(first) == len(second) == 1 and first[0] > second[0]
    rising = interval.Interval(lower, upper).name
    assert check(rising, q.expected).correct  # named like the rising interval


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 8))
def test_the_note_below_is_the_interval_counted_down(seed: int, difficulty: int) -> None:
    q = ask("interval_build_down", seed, difficulty)
    top = pitch.Pitch(q.data["upper"])
    below = pitch.Pitch(q.example["pitches"].split()[1])
    assert "below" in q.prompt and below.name == q.expected.value
    assert interval.Interval(below, top).name == q.data["interval"]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 8))
def test_a_harmonic_interval_sounds_both_notes_at_once(seed: int, difficulty: int) -> None:
    q = ask("interval_harmonic", seed, difficulty)
    assert "together" in q.prompt
    assert all(f"{display(pitch.Pitch(n))}{pitch.Pitch(n).octave}" in q.prompt for n in q.data["notes"])
    (both,) = played(q.example)
    assert len(both) == 2


def test_ear_intervals_rise_at_first_then_also_fall_and_sound_together() -> None:
    early = {ask("ear_interval", seed, 2).data["play"] for seed in range(20)}
    assert early == {"both"}
    later = {}
    for seed in range(60):
        q = ask("ear_interval", seed, 5)
        later[q.data["play"]] = q
    assert set(later) == {"ascending", "descending", "harmonic"}
    up, down, together = (played(later[p].example) for p in ("ascending", "descending", "harmonic"))
    assert len(up) == 2 and up[0][0] < up[1][0]
    assert len(down) == 2 and down[0][0] > down[1][0]
    assert len(together) == 1 and len(together[0]) == 2
    for q in later.values():
        assert q.prompt.startswith("Listen") and q.answer_text not in q.prompt


def test_a_concept_can_ask_for_one_way_of_hearing(concepts: dict[str, Concept]) -> None:
    for seed in range(15):
        q = make_question("harmonic_interval", concepts, random.Random(seed), 5)
        assert q.skill in ("interval_harmonic", "ear_interval")
        assert q.data.get("play", "harmonic") == "harmonic"
        q = make_question("melodic_interval", concepts, random.Random(seed), 5)
        assert q.data.get("play", "ascending") in ("ascending", "descending")


def test_downward_questions_wait_for_level_two(concepts: dict[str, Concept]) -> None:
    skills = {make_question("interval", concepts, random.Random(s), 1).skill for s in range(40)}
    assert skills.isdisjoint({"interval_name_down", "interval_build_down"})
    skills = {make_question("interval", concepts, random.Random(s), 4).skill for s in range(60)}
    assert {"interval_name_down", "interval_build_down", "interval_harmonic"} <= skills


def test_unisons_are_never_asked_going_down(concepts: dict[str, Concept]) -> None:
    for seed in range(20):
        q = make_question("unison", concepts, random.Random(seed), 5)
        assert q.skill in ("interval_name", "interval_semitones", "interval_build")


def test_compound_intervals_show_the_octaves_they_span() -> None:
    for seed in range(40):
        q = ask("interval_name", seed, 8, {"intervals": ["M10"]})
        if q.expected.value == "M10":
            low = pitch.Pitch(q.data["lower"])
            assert f"{display(low)}{low.octave}" in q.prompt
            return
    raise AssertionError("no major tenth drawn")


def test_an_interval_example_can_play_melodically_or_harmonically_only() -> None:
    melodic = realize_example({"type": "interval", "pitches": "E5 G4", "play": "melodic"})
    assert [n.nameWithOctave for n in melodic.notes] == ["E5", "G4"]
    assert all(isinstance(n, note.Note) for n in melodic.notes)
    harmonic = realize_example({"type": "interval", "pitches": "D4 A4", "play": "harmonic"})
    assert len(harmonic.notes) == 1 and isinstance(harmonic.notes[0], chord.Chord)
    both = realize_example({"type": "interval", "pitches": "C4 G4"})  # unchanged: one by one, then together
    assert len(both.notes) == 3


def test_a_harmonic_example_is_described_as_sounding_together() -> None:
    from actions.audio import describe

    together = {"type": "interval", "pitches": "D4 A4", "play": "harmonic"}
    assert describe(together) == "the notes D4 and A4 together"
    assert describe({"type": "interval", "pitches": "E5 G4", "play": "melodic"}) == "the notes E5 G4"
