"""Chord inversions, Roman numerals and cadences: every stated answer is music21's own reading of the
notes, is accepted however it is written, and a wrong answer is refused with the reason given."""

from __future__ import annotations

import random
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from music21 import chord, key, pitch, roman

from kg.curriculum import Concept, realize_example
from music.answers import CADENCES, Expected, canonical, check, display_roman
from music.quiz import Question, make_question
from music.quiz_harmony import voice_phrase
from music.synth import events_from, example_passage, render_example
from tests.music.recompute import ask, recomputed

HARMONY = ["chord_inversion", "inversion_spell", "roman_numeral", "roman_chord", "cadence_type",
           "ear_cadence"]
POSITIONS = ("root position", "first inversion", "second inversion", "third inversion")
BROADER = {"perfect authentic": "authentic", "imperfect authentic": "authentic", "phrygian half": "half"}


def a_wrong_answer(q: Question) -> str:
    """An answer of the right kind that is not the right one."""
    e = q.expected
    if e.kind == "inversion":
        position, size = (int(v) for v in e.value)
        return POSITIONS[(position + 1) % size]
    if e.kind == "roman":
        figure = str(e.value[0])
        head = figure.rstrip("0123456789øo+")
        return figure.replace(head, head.swapcase(), 1)  # II for ii: a major chord, not minor
    if e.kind == "notes":
        names = list(e.value)
        return " ".join(names[1:] + names[:1]) if e.ordered else " ".join(names[:-1])
    if e.kind == "cadence":
        return "plagal" if e.value[0] != "plagal" else "deceptive"
    raise AssertionError(e.kind)


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(HARMONY), st.integers(0, 10**6), st.integers(1, 8))
def test_every_harmony_question_is_right_by_music21_and_explains_a_wrong_answer(
    skill: str, seed: int, difficulty: int
) -> None:
    q = ask(skill, seed, difficulty)
    assert q.expected == recomputed(q)
    assert check(q.answer_text, q.expected).correct
    assert not check(a_wrong_answer(q), q.expected).correct
    stated = q.answer_text.split(" (")[0] if q.expected.kind != "notes" else "–".join(q.answer_text.split())
    assert stated.lower() in q.explanation.lower()
    assert 2 <= len(q.hints) <= 3 and all(h.strip() for h in q.hints)
    assert q.example is not None
    realize_example(q.example)


# ------------------------------------------------------------------------------------ inversions
def find(skill: str, difficulty: int, focus: dict, wanted) -> Question:
    """The first question (by seed) that `wanted` accepts: a way to meet a textbook case."""
    for seed in range(2000):
        q = ask(skill, seed, difficulty, focus)
        if wanted(q):
            return q
    raise AssertionError("no such question drawn")


def test_e_g_c_over_e_is_the_first_inversion_of_c_major() -> None:
    q = find("chord_inversion", 2, {}, lambda q: q.data["pitches"] == ["E3", "G3", "C4"])
    assert q.answer_text == "first inversion (6)"
    for written in ("first", "1st", "first inversion", "6", "6/3", "third in the bass"):
        assert check(written, q.expected).correct, written
    verdict = check("root position", q.expected)
    assert not verdict.correct and "third, E, in the bass" in q.explanation


def test_the_first_inversion_of_f_major_is_spelled_a_c_f_from_the_bass() -> None:
    focus = {"positions": [1], "triads": True}
    q = find("inversion_spell", 2, focus, lambda q: q.data["root"] == "F" and q.data["position"] == 1
             and q.data["quality"] == "major")
    assert "first inversion" in q.prompt and q.expected.value == ("A", "C", "F")
    assert check("A C F", q.expected).correct
    assert "start" in (check("F A C", q.expected).feedback or "")  # right notes, wrong order


def test_seventh_chords_come_with_a_third_inversion_from_level_five() -> None:
    assert all(len(ask("chord_inversion", s, 4).data["pitches"]) == 3 for s in range(30))
    q = find("chord_inversion", 5, {"sevenths": True, "positions": [3]},
             lambda q: q.expected.value == ("3", "4"))
    assert q.answer_text == "third inversion (4/2)"
    assert check("4/2", q.expected).correct and check("2", q.expected).correct
    assert not check("6/4", q.expected).correct


def test_augmented_triads_are_never_asked_for_an_inversion() -> None:
    for seed in range(60):
        assert ask("chord_inversion", seed, 8).data["quality"] != "augmented"


def test_inversion_concepts_ask_mostly_about_their_own_position(concepts: dict[str, Concept]) -> None:
    positions = [make_question("second_inversion", concepts, random.Random(s), 3).data for s in range(30)]
    spelled = [d["position"] for d in positions if "position" in d]
    named = [chord.Chord(d["pitches"]).inversion() for d in positions if "pitches" in d]
    assert (spelled + named).count(2) > len(positions) / 2
    for s in range(20):
        q = make_question("third_inversion_seventh_chord", concepts, random.Random(s), 5)
        assert len(q.expected.value) == 4 if q.expected.kind == "notes" else q.expected.value[1] == "4"


# -------------------------------------------------------------------------------- Roman numerals
def test_e_g_b_in_d_major_is_ii() -> None:
    focus = {"chords": "triads", "modes": ["major"]}
    q = find("roman_numeral", 2, focus, lambda q: q.data["key"] == "D" and q.data["pitches"][0] == "E3")
    assert q.expected.value == ("ii", "D") and q.answer_text == "ii"
    assert check("ii", q.expected).correct
    verdict = check("II", q.expected)
    assert not verdict.correct and "lower case" in (verdict.feedback or "")


def test_v7_in_a_minor_has_the_raised_leading_tone() -> None:
    focus = {"chords": "sevenths", "modes": ["minor"]}
    q = find("roman_chord", 5, focus, lambda q: q.data == {"key": "a", "figure": "V7"})
    assert "V7" in q.prompt and "A minor" in q.prompt
    assert check("E G# B D", q.expected).correct
    assert not check("E G B D", q.expected).correct
    assert "G♯ is the leading tone" in q.explanation and "harmonic minor" in q.explanation


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(6, 8))
def test_from_level_six_numerals_carry_inversion_figures(seed: int, difficulty: int) -> None:
    q = ask("roman_numeral", seed, difficulty)
    analysed = roman.romanNumeralFromChord(chord.Chord(q.data["pitches"]), key.Key(q.data["key"]))
    figure = str(q.expected.value[0])
    assert figure.endswith(("6", "64", "65", "43", "42")) == (analysed.inversion() > 0)
    assert "bass" in q.prompt


def test_low_levels_ask_root_position_triads_in_major_keys() -> None:
    for seed in range(30):
        q = ask("roman_numeral", seed, 3)
        assert key.Key(q.data["key"]).mode == "major" and len(q.data["pitches"]) == 3
        assert not str(q.expected.value[0]).endswith(("6", "64"))


def test_primary_chords_are_i_iv_and_v(concepts: dict[str, Concept]) -> None:
    for seed in range(20):
        q = make_question("primary_chords", concepts, random.Random(seed), 5)
        figure = q.expected.value[0] if q.expected.kind == "roman" else q.data["figure"]
        assert str(figure).rstrip("0123456789") in {"I", "IV", "V", "i", "iv"}


# -------------------------------------------------------------------------------------- cadences
def cadences_drawn(
    skill: str, difficulty: int, focus: dict | None = None, n: int = 80
) -> dict[str, Question]:
    found: dict[str, Question] = {}
    for seed in range(n):
        q = ask(skill, seed, difficulty, focus)
        found.setdefault(str(q.expected.value[0]), q)
    return found


def test_each_cadence_is_drawn_and_the_pool_widens_with_the_level() -> None:
    assert set(cadences_drawn("cadence_type", 2)) == {"perfect authentic", "imperfect authentic", "half",
                                                       "plagal"}
    assert "deceptive" in cadences_drawn("cadence_type", 3)
    assert set(cadences_drawn("ear_cadence", 8, n=150)) == set(CADENCES) - {"authentic"}


def test_perfect_or_imperfect_must_be_told_apart_from_level_five() -> None:
    for q in cadences_drawn("cadence_type", 3).values():
        assert q.expected.value[1] == BROADER.get(str(q.expected.value[0]), q.expected.value[0])
    for name, q in cadences_drawn("cadence_type", 6).items():
        assert q.expected.value[1] == name
    pac = cadences_drawn("cadence_type", 2)["perfect authentic"]
    assert check("authentic", pac.expected).correct
    pac = cadences_drawn("cadence_type", 6)["perfect authentic"]
    verdict = check("authentic", pac.expected)
    assert not verdict.correct and "which kind" in (verdict.feedback or "")


def test_a_perfect_authentic_cadence_is_v_to_i_in_root_position_with_the_tonic_on_top() -> None:
    for seed in range(40):
        q = ask("ear_cadence", seed, 6, {"cadences": ["perfect authentic"]})
        k = key.Key(q.data["key"])
        *_, before, last = (chord.Chord(v) for v in q.data["voicings"])
        assert roman.romanNumeralFromChord(before, k).scaleDegree == 5 and before.inversion() == 0
        assert roman.romanNumeralFromChord(last, k).scaleDegree == 1 and last.inversion() == 0
        assert max(last.pitches, key=lambda p: p.ps).name == k.tonic.name


def test_an_imperfect_authentic_cadence_says_why_it_is_not_perfect() -> None:
    reasons = set()
    for seed in range(60):
        q = ask("cadence_type", seed, 6, {"cadences": ["imperfect authentic"]})
        for reason in ("top voice ends", "inverted", "leading-tone chord"):
            if reason in q.explanation:
                reasons.add(reason)
    assert reasons == {"top voice ends", "inverted", "leading-tone chord"}


def test_deceptive_cadences_end_on_vi_in_major_and_on_major_vi_in_minor() -> None:
    for seed in range(30):
        q = ask("cadence_type", seed, 5, {"cadences": ["deceptive"]})
        last = chord.Chord(q.data["voicings"][-1])
        analysed = roman.romanNumeralFromChord(last, key.Key(q.data["key"]))
        assert analysed.scaleDegree == 6
        assert analysed.isMajorTriad() == (key.Key(q.data["key"]).mode == "minor")


def test_the_phrygian_half_cadence_is_iv6_to_v_in_minor_with_the_bass_down_a_semitone() -> None:
    for seed in range(20):
        q = ask("ear_cadence", seed, 7, {"cadences": ["phrygian half"], "precise": True})
        k = key.Key(q.data["key"])
        assert k.mode == "minor" and q.data["numerals"][-2:] == ["iv6", "V"]
        before, last = (pitch.Pitch(v[0]) for v in q.data["voicings"][-2:])
        assert before.ps - last.ps == 1  # the bass falls a semitone, scale degree 6 to 5
        assert check("Phrygian", q.expected).correct and not check("half", q.expected).correct


def test_a_written_cadence_shows_the_chords_and_the_last_melody_note() -> None:
    for q in cadences_drawn("cadence_type", 6).values():
        assert all(display_roman(f) in q.prompt for f in q.data["numerals"])
        top = max((pitch.Pitch(n) for n in q.data["voicings"][-1]), key=lambda p: p.ps)
        assert ("top voice ends on" in q.prompt) == str(q.expected.value[0]).endswith("authentic")
        if "top voice" in q.prompt:
            assert q.prompt.split("ends on ")[1].startswith(top.name.replace("-", "♭").replace("#", "♯"))


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 8))
def test_cadence_voicings_keep_four_ordered_voices_without_parallel_fifths_or_octaves(
    seed: int, difficulty: int
) -> None:
    q = ask("ear_cadence", seed, difficulty)
    chords = [[pitch.Pitch(n).ps for n in v] for v in q.data["voicings"]]
    for voices in chords:
        assert len(voices) == 4 and voices == sorted(voices)
        assert all(b - a <= 12 for a, b in pairwise(voices[1:]))  # upper voices within an octave
    assert all(abs(b[0] - a[0]) <= 7 for a, b in pairwise(chords))  # the bass leaps a fifth at most
    for before, after in pairwise(chords):
        for i in range(4):
            for j in range(i + 1, 4):
                same = (before[j] - before[i]) % 12 == (after[j] - after[i]) % 12 in (0, 7)
                moved = before[i] != after[i] and before[j] != after[j]
                assert not (same and moved), (q.data["voicings"], i, j)


def test_a_voicing_that_does_not_spell_its_numeral_is_refused() -> None:
    voicings = list(voice_phrase(("I", "V7", "I"), "C", 0))
    example = {"type": "progression", "key": "C", "numerals": "I V7 I",
               "voicings": [" ".join(v) for v in voicings]}
    assert len(realize_example(example).notes) == 3
    example["voicings"][1] = "G2 D4 G4 B4"  # no seventh: a V, not a V7
    with pytest.raises(ValueError):
        realize_example(example)


def test_a_heard_cadence_plays_each_voiced_chord_in_turn(tmp_path: Path) -> None:
    q = ask("ear_cadence", 3, 5)
    passage, voice = example_passage(q.example)
    events = events_from(passage)
    assert voice == "piano" and len(events) == len(q.data["numerals"])
    for event, voiced in zip(events, q.data["voicings"], strict=True):
        assert sorted(event.freqs) == pytest.approx(sorted(pitch.Pitch(n).frequency for n in voiced))
    assert render_example(q.example, tmp_path).stat().st_size > 10_000


def test_cadence_concepts_focus_on_their_cadence(concepts: dict[str, Concept]) -> None:
    for cid, name in (("plagal_cadence", "plagal"), ("deceptive_cadence", "deceptive"),
                      ("half_cadence", "half"), ("perfect_authentic_cadence", "perfect authentic")):
        drawn = [make_question(cid, concepts, random.Random(s), 4).expected.value[0] for s in range(30)]
        assert drawn.count(name) > len(drawn) / 2, cid


def test_an_expected_cadence_reads_back_as_itself() -> None:
    for name in set(CADENCES) - {"authentic"}:
        expected = Expected("cadence", (name, name))
        assert check(canonical(expected), expected).correct
