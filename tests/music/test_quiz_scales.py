"""Scale degrees and scales by ear: the answer is the scale music21 builds, and only one of the
offered scales sounds like the one played."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from music21 import pitch

from kg.curriculum import Concept
from music.answers import check
from music.quiz import make_question
from music.synth import events_from, example_passage, render_example
from tests.music.recompute import ask, recomputed, scale_heard


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["scale_degree", "ear_scale"]), st.integers(0, 10**6), st.integers(1, 8))
def test_every_scale_question_is_right_by_music21(skill: str, seed: int, difficulty: int) -> None:
    q = ask(skill, seed, difficulty)
    assert q.expected == recomputed(q)
    assert check(q.answer_text, q.expected).correct
    assert q.answer_text.split()[0].lower() in q.explanation.lower()
    assert q.example is not None and events_from(example_passage(q.example)[0])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 8))
def test_a_heard_scale_rises_from_its_tonic_and_only_one_choice_fits(seed: int, difficulty: int) -> None:
    q = ask("ear_scale", seed, difficulty)
    played = q.example["pitches"].split()
    assert pitch.Pitch(played[0]).name == pitch.Pitch(played[-1]).name == q.data["tonic"]
    assert [pitch.Pitch(p).ps for p in played] == sorted(pitch.Pitch(p).ps for p in played)
    assert scale_heard(played, q.data["pool"]) == [q.data["kind"]]
    assert q.prompt.startswith("Listen: a scale played up from its tonic.")


def test_the_choices_widen_with_the_level() -> None:
    assert set(ask("ear_scale", 0, 1).data["pool"]) == {"major", "natural minor"}
    assert "Is it major or natural minor?" in ask("ear_scale", 0, 2).prompt
    assert {"dorian", "mixolydian", "lydian"} <= set(ask("ear_scale", 0, 5).data["pool"])
    assert "chromatic" in ask("ear_scale", 0, 8).data["pool"]


def test_scale_names_are_accepted_in_their_usual_forms() -> None:
    natural = next(q for s in range(40) if (q := ask("ear_scale", s, 2)).data["kind"] == "natural minor")
    for written in ("natural minor", "minor", "Aeolian", "the natural minor scale", "natral minor"):
        assert check(written, natural.expected).correct, written
    assert not check("major", natural.expected).correct
    harmonic = next(q for s in range(80) if (q := ask("ear_scale", s, 3)).data["kind"] == "harmonic minor")
    verdict = check("minor", harmonic.expected)
    assert not verdict.correct and "which form" in (verdict.feedback or "")
    assert "augmented second" in harmonic.explanation


def test_a_heard_scale_renders_to_audio(tmp_path: Path) -> None:
    q = ask("ear_scale", 5, 4)
    events = events_from(example_passage(q.example)[0])
    assert [round(e.freqs[0], 2) for e in events] == [round(pitch.Pitch(p).frequency, 2)
                                                    for p in q.example["pitches"].split()]
    assert render_example(q.example, tmp_path).stat().st_size > 10_000


def test_the_leading_tone_lies_a_semitone_below_the_tonic_and_the_subtonic_a_whole_step(
    concepts: dict[str, Concept]
) -> None:
    seen = {}
    for seed in range(40):
        q = make_question("leading_tone", concepts, random.Random(seed), 4)
        seen[(q.data["key"], q.data["seventh"])] = q.expected.value
        q = make_question("subtonic", concepts, random.Random(seed), 4)
        seen[(q.data["key"], q.data["seventh"])] = q.expected.value
    assert any(k[1] == "subtonic" for k in seen) and any(k[1] == "leading tone" for k in seen)
    for (tonality, seventh), answer in seen.items():
        gap = (pitch.Pitch(tonality.upper()).pitchClass - pitch.Pitch(answer).pitchClass) % 12
        assert gap == (1 if seventh == "leading tone" else 2), (tonality, seventh, answer)


def test_scale_recognition_and_major_minor_hearing_ask_by_ear(concepts: dict[str, Concept]) -> None:
    for seed in range(10):
        q = make_question("scale_recognition", concepts, random.Random(seed), 4)
        assert q.skill == "ear_scale" and q.example and q.example["type"] == "scale"
        q = make_question("major_minor_discrimination", concepts, random.Random(seed), 4)
        assert q.skill in ("ear_chord", "ear_scale")
        assert str(q.expected.value) in ("major", "minor", "natural minor")
