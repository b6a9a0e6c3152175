"""Practice targets: what the tutor asks for, written the way people write notes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from music.practice import BadTargetError, PracticeError, parse_target
from music.practice.target import HIGHEST_MIDI, LOWEST_MIDI, note_name


def test_every_common_spelling_of_a_flat_or_sharp_is_read():
    target = parse_target("Eb4 E♭4 E-4 F#3 C#5 Bb3 B♭3 F♯3")
    assert [n.midi for n in target.notes] == [63, 63, 63, 54, 73, 58, 58, 54]
    assert [n.name for n in target.notes] == ["Eb4", "Eb4", "Eb4", "F#3", "C#5", "Bb3", "Bb3", "F#3"]


def test_enharmonic_edge_spellings_keep_their_octave_right():
    assert [n.midi for n in parse_target("Cb4 B#3 C4").notes] == [59, 60, 60]


def test_notes_last_one_beat_unless_a_duration_follows():
    target = parse_target("C4 D4:0.5 E4:1/2 r G4:2, A4")
    assert [(n.name, n.start, n.beats) for n in target.notes] == [
        ("C4", 0.0, 1.0), ("D4", 1.0, 0.5), ("E4", 1.5, 0.5), ("G4", 3.0, 2.0), ("A4", 5.0, 1.0)]
    assert target.total_beats == 6.0
    assert not target.rhythm_only
    assert target.midi_range == (60, 69)


@pytest.mark.parametrize(
    "text", ["x x x:0.5 x:0.5 x:2", "rhythm: 1 1 0.5 0.5 2", "RHYTHM: 1, 1, 1/2, 1/2, 2"],
    ids=["strokes", "durations", "fractions"],
)
def test_a_rhythm_target_has_onsets_and_no_pitches(text):
    target = parse_target(text)
    assert target.rhythm_only
    assert [n.midi for n in target.notes] == [None] * 5
    assert [n.start for n in target.notes] == [0.0, 1.0, 2.0, 2.5, 3.0]
    assert target.midi_range is None


def test_a_rest_in_a_rhythm_moves_the_next_stroke():
    assert [n.start for n in parse_target("rhythm: 1 r 1").notes] == [0.0, 2.0]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("C D E", "add the octave"),
        ("H4 C4", "'H4' is not a note"),
        ("C4 x", "not both"),
        ("C4:0", "between 1/16 and 16"),
        ("C4:fast", "can't read the duration"),
        ("r r", "only rests"),
        ("C9", "outside the range"),
        (" ".join(["C4"] * 65), "at most 64"),
    ],
)
def test_a_target_the_tutor_cannot_read_gets_a_message_saying_why(text, says):
    with pytest.raises(BadTargetError) as caught:
        parse_target(text)
    assert says in caught.value.message
    assert isinstance(caught.value, PracticeError)


@given(st.integers(LOWEST_MIDI, HIGHEST_MIDI), st.booleans())
def test_any_note_name_reads_back_as_its_pitch(midi, flats):
    assert parse_target(note_name(midi, flats=flats)).notes[0].midi == midi


def test_played_notes_are_spelt_the_way_the_target_spells_them():
    flat_key = parse_target("Bb3 C4 D4 Eb4 F4")
    assert flat_key.spell(63) == "Eb4"
    assert flat_key.spell(51) == "Eb3"
    assert flat_key.spell(61) == "Db4"  # not in the target: flats, like the target
    assert parse_target("G4 A4 B4 C5 D5").spell(66) == "F#4"
    assert parse_target("Cb4 Db4").spell(71) == "Cb5"
