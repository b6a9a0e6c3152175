"""Answer checking: every usual way of writing the right answer passes; wrong ones never do."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from music.answers import Expected, canonical, check, parse_notes


@pytest.mark.parametrize("written", ["Eb", "E♭", "E flat", "e-flat", "e flat", "eb", " E♭. "])
def test_a_flat_note_may_be_written_many_ways(written: str) -> None:
    verdict = check(written, Expected("note", "E-"))
    assert verdict.correct and verdict.normalized == "E♭"


def test_enharmonic_spellings_count_only_when_the_question_allows() -> None:
    strict = check("D#", Expected("note", "E-"))
    assert not strict.correct and "spelled" in (strict.feedback or "")
    assert check("D sharp", Expected("note", "E-", enharmonic=True)).correct


def test_a_typo_in_a_note_letter_is_a_different_note() -> None:
    assert not check("F", Expected("note", "E")).correct
    assert not check("Eb", Expected("note", "E")).correct


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("m3", "m3"), ("min 3", "m3"), ("minor 3rd", "m3"), ("minor third", "m3"), ("Minor Third", "m3"),
        ("minro thrid", "m3"), ("M3", "M3"), ("maj3", "M3"), ("major 3rd", "M3"), ("P5", "P5"),
        ("perfect fifth", "P5"), ("perfet 5th", "P5"), ("5th", "P5"), ("fifth", "P5"), ("octave", "P8"),
        ("A4", "A4"), ("aug 4th", "A4"), ("augmented fourth", "A4"), ("tritone", "A4"), ("tritone", "d5"),
        ("d5", "d5"), ("diminished 5th", "d5"), ("major tenth", "M10"), ("M10", "M10"),
        ("it's a minor sixth", "m6"),
    ],
)
def test_interval_names_are_read_tolerantly(written: str, name: str) -> None:
    assert check(written, Expected("interval", name)).correct


@pytest.mark.parametrize(
    ("written", "name", "hint"),
    [
        ("M3", "m3", None),
        ("3rd", "m3", "which kind of third"),
        ("major third", "M10", "more than an octave"),
        ("major fifth", "P5", "does not go with"),
        ("tritone", "P5", None),
        ("blue", "P5", "quality and number"),
    ],
)
def test_wrong_intervals_are_wrong_and_near_misses_explained(
    written: str, name: str, hint: str | None
) -> None:
    verdict = check(written, Expected("interval", name))
    assert not verdict.correct
    if hint:
        assert hint in (verdict.feedback or "")


@pytest.mark.parametrize(
    ("written", "quality"),
    [
        ("maj", "major"), ("major", "major"), ("M", "major"), ("Major chord", "major"), ("min", "minor"),
        ("m", "minor"), ("minor triad", "minor"), ("dim", "diminished"), ("°", "diminished"),
        ("diminshed", "diminished"), ("aug", "augmented"), ("+", "augmented"), ("dom7", "dominant seventh"),
        ("7", "dominant seventh"), ("dominant 7th", "dominant seventh"), ("maj7", "major seventh"),
        ("M7", "major seventh"), ("m7", "minor seventh"), ("ø7", "half-diminished seventh"),
        ("half diminished", "half-diminished seventh"), ("m7b5", "half-diminished seventh"),
        ("dim7", "diminished seventh"), ("fully diminished", "diminished seventh"),
    ],
)
def test_chord_qualities_are_read_in_words_and_symbols(written: str, quality: str) -> None:
    assert check(written, Expected("quality", quality)).correct


def test_case_matters_for_single_letter_chord_symbols() -> None:
    assert not check("m", Expected("quality", "major")).correct
    assert not check("M", Expected("quality", "minor")).correct
    assert not check("M7", Expected("quality", "minor seventh")).correct


@pytest.mark.parametrize("written", ["C E G", "c-e-g", "C, E and G", "C,E,G", "c e g", "C - E - G"])
def test_note_lists_accept_common_separators(written: str) -> None:
    assert parse_notes(written) == ["C", "E", "G"]
    assert check(written, Expected("notes", ("C", "E", "G"))).correct


def test_note_lists_keep_flats_written_with_hyphens_or_words() -> None:
    assert parse_notes("B-flat, D and F") == ["B-", "D", "F"]
    assert parse_notes("e-flat g b-flat") == ["E-", "G", "B-"]
    assert parse_notes("C, E and G, and a cat") is None


def test_order_matters_for_scales_but_not_for_chord_members() -> None:
    scale = Expected("notes", ("C", "D", "E", "F", "G", "A", "B"))
    assert check("C D E F G A B C", scale).correct  # written up to the octave
    assert not check("C D E F G B A", scale).correct
    chord = Expected("notes", ("C", "E", "G"), ordered=False)
    assert check("G E C", chord).correct
    assert not check("C E G B", chord).correct


def test_a_wrongly_spelled_scale_is_wrong_even_if_it_sounds_right() -> None:
    verdict = check("F# G# A# B C# D# F", Expected("notes", ("F#", "G#", "A#", "B", "C#", "D#", "E#")))
    assert not verdict.correct and "spelled" in (verdict.feedback or "")


@pytest.mark.parametrize(
    ("written", "value"),
    [("7", "7"), ("seven", "7"), ("Seven semitones", "7"), ("sevn", "7"), ("1.5", "3/2"), ("3/2", "3/2"),
     ("1 1/2", "3/2"), ("one and a half beats", "3/2"), ("half", "1/2"), ("0", "0"), ("none", "0")],
)
def test_numbers_in_digits_words_and_fractions(written: str, value: str) -> None:
    assert check(written, Expected("number", value)).correct


def test_a_wrong_number_is_wrong() -> None:
    assert not check("6", Expected("number", "7")).correct
    assert not check("lots", Expected("number", "7")).correct


@pytest.mark.parametrize("written", ["A minor", "a minor", "Am", "A", "the key of A minor", "A mnor"])
def test_keys_are_read_with_or_without_the_mode(written: str) -> None:
    assert check(written, Expected("key", "A minor")).correct


def test_a_key_with_the_wrong_mode_or_spelling_is_wrong() -> None:
    assert not check("A major", Expected("key", "A minor")).correct
    assert not check("Gb minor", Expected("key", "F# minor")).correct
    assert check("F sharp minor", Expected("key", "F# minor")).correct


FLAT_FORMS = ["{L}b", "{L}♭", "{L} flat", "{l}-flat"]
SHARP_FORMS = ["{L}#", "{L}♯", "{L} sharp", "{l}-sharp"]


@settings(max_examples=80, deadline=None)
@given(st.sampled_from("ABCDEFG"), st.sampled_from([-1, 0, 1]), st.integers(0, 3))
def test_every_written_form_of_any_note_is_accepted(letter: str, alter: int, form: int) -> None:
    name = letter + {-1: "-", 0: "", 1: "#"}[alter]
    expected = Expected("note", name)
    if alter == 0:
        written = letter.lower() if form % 2 else letter
    else:
        written = (FLAT_FORMS if alter < 0 else SHARP_FORMS)[form].format(L=letter, l=letter.lower())
    assert check(written, expected).correct
    assert check(canonical(expected), expected).correct
