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


# ------------------------------------------------------------------------------ inversions
@pytest.mark.parametrize(
    ("written", "position", "size"),
    [
        ("first", 1, 3), ("1st", 1, 3), ("first inversion", 1, 3), ("1st inversion", 1, 3), ("6", 1, 3),
        ("6/3", 1, 3), ("63", 1, 3), ("⁶", 1, 3), ("third in the bass", 1, 3), ("first invresion", 1, 3),
        ("root position", 0, 3), ("root", 0, 3), ("5/3", 0, 3), ("root position", 0, 4), ("7", 0, 4),
        ("second", 2, 3), ("2nd inversion", 2, 3), ("6/4", 2, 3), ("64", 2, 3), ("2", 2, 3),
        ("fifth in the bass", 2, 3), ("6/5", 1, 4), ("65", 1, 4), ("⁶₅", 1, 4), ("4/3", 2, 4),
        ("third inversion", 3, 4), ("3rd", 3, 4), ("4/2", 3, 4), ("42", 3, 4), ("2", 3, 4),
        ("seventh in the bass", 3, 4), ("third inversion (4/2)", 3, 4), ("six-four", 2, 3),
        ("six-three", 1, 3), ("six-five", 1, 4), ("four-two chord", 3, 4),
    ],
)
def test_inversions_are_read_in_words_ordinals_and_figures(written: str, position: int, size: int) -> None:
    assert check(written, Expected("inversion", (str(position), str(size)))).correct


@pytest.mark.parametrize(
    ("written", "position", "size", "hint"),
    [
        ("second", 1, 3, None),
        ("6", 1, 4, "6/5"),  # a triad's figure for a seventh chord
        ("7", 0, 3, "seventh chord"),
        ("2", 2, 4, "4/2, the third inversion"),
        ("third inversion", 1, 3, "two inversions"),
        ("first inversion (6/4)", 1, 3, "disagree"),
        ("upside down", 1, 3, "Name the position"),
    ],
)
def test_wrong_inversions_are_wrong_and_the_mix_ups_explained(
    written: str, position: int, size: int, hint: str | None
) -> None:
    verdict = check(written, Expected("inversion", (str(position), str(size))))
    assert not verdict.correct
    if hint:
        assert hint in (verdict.feedback or "")


# -------------------------------------------------------------------------- Roman numerals
@pytest.mark.parametrize(
    ("written", "figure", "tonality"),
    [
        ("ii", "ii", "D"), ("ii chord", "ii", "D"), ("it's ii", "ii", "D"), ("V7", "V7", "a"),
        ("V 7", "V7", "a"),
        ("viio", "viio", "C"), ("vii°", "viio", "C"), ("vii dim", "viio", "C"),
        ("vii diminished", "viio", "C"),
        ("V65", "V65", "C"), ("V6/5", "V65", "C"), ("V⁶₅", "V65", "C"), ("V 6-5", "V65", "C"),
        ("V42", "V42", "C"), ("V4/2", "V42", "C"), ("V2", "V42", "C"), ("I64", "I64", "C"),
        ("I6/4", "I64", "C"),
        ("ii6", "ii6", "F"), ("ii6/3", "ii6", "F"), ("vii°7", "viio7", "a"), ("viio7", "viio7", "a"),
        ("vii dim7", "viio7", "a"), ("viiø7", "viiø7", "C"), ("vii/o7", "viiø7", "C"), ("viiø", "viiø7", "C"),
        ("vii half-diminished 7", "viiø7", "C"), ("I7", "I7", "C"), ("IM7", "I7", "C"), ("Imaj7", "I7", "C"),
        ("IΔ7", "I7", "C"), ("VI", "VI", "a"), ("♭VI", "VI", "a"), ("bVII", "VII", "a"),
        ("III+", "III+", "a"),
        ("ii°6", "iio6", "a"), ("V7 in A minor", "V7", "a"),
    ],
)
def test_roman_numerals_are_read_with_their_figures_and_quality_signs(
    written: str, figure: str, tonality: str
) -> None:
    assert check(written, Expected("roman", (figure, tonality))).correct


@pytest.mark.parametrize(
    ("written", "figure", "tonality", "hint"),
    [
        ("II", "ii", "D", "lower case"),  # II is E-G#-B: a major chord
        ("v7", "V7", "a", "upper case"),
        ("V", "V7", "a", "four notes"),
        ("V7", "V", "a", "three notes"),
        ("vii", "viio", "C", "lower case with °"),
        ("viio7", "viiø7", "C", "ø7"),
        ("VII°", "viio", "C", "and diminished, °"),
        ("V7", "V65", "C", "inversion"),
        ("I", "I64", "C", "inversion"),
        ("iii", "ii", "D", None),
        ("2", "ii", "D", "Roman numeral"),
    ],
)
def test_a_wrong_numeral_is_wrong_and_a_near_miss_says_what_to_fix(
    written: str, figure: str, tonality: str, hint: str | None
) -> None:
    verdict = check(written, Expected("roman", (figure, tonality)))
    assert not verdict.correct
    if hint:
        assert hint in (verdict.feedback or "")


@pytest.mark.parametrize(("figure", "shown"), [("viio6", "vii°6"), ("V65", "V6/5"), ("I64", "I6/4"),
                                                ("viiø7", "viiø7"), ("V42", "V4/2"), ("ii", "ii")])
def test_numerals_are_shown_the_way_textbooks_print_them(figure: str, shown: str) -> None:
    expected = Expected("roman", (figure, "C"))
    assert canonical(expected) == shown and check(shown, expected).correct


# ----------------------------------------------------------------------------------- scales
@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("major", "major"), ("Ionian", "major"), ("major scale", "major"), ("minor", "natural minor"),
        ("natural minor", "natural minor"), ("Aeolian mode", "natural minor"),
        ("natral minor", "natural minor"),
        ("harmonic minor", "harmonic minor"), ("harmonic", "harmonic minor"),
        ("melodic minor", "melodic minor"),
        ("Dorian", "dorian"), ("the dorian mode", "dorian"), ("dorain", "dorian"),
        ("mixolidian", "mixolydian"),
        ("minor pentatonic", "minor pentatonic"), ("pentatonic", "major pentatonic"),
        ("whole tone", "whole-tone"), ("whole-tone scale", "whole-tone"), ("blues scale", "blues"),
        ("aeolian", "aeolian"),
    ],
)
def test_scales_and_modes_are_read_by_name(written: str, kind: str) -> None:
    assert check(written, Expected("scale", kind)).correct


def test_a_wrong_scale_is_wrong_and_an_unfinished_name_asks_for_the_rest() -> None:
    assert not check("lydian", Expected("scale", "dorian")).correct
    assert not check("major", Expected("scale", "mixolydian")).correct
    assert "which form" in (check("minor", Expected("scale", "harmonic minor")).feedback or "")
    assert "major or minor" in (check("pentatonic", Expected("scale", "minor pentatonic")).feedback or "")
    assert canonical(Expected("scale", "dorian")) == "Dorian mode"
    assert canonical(Expected("scale", "harmonic minor")) == "harmonic minor scale"


# --------------------------------------------------------------------------------- cadences
@pytest.mark.parametrize(
    ("written", "cadence", "required"),
    [
        ("perfect authentic", "perfect authentic", "perfect authentic"),
        ("PAC", "perfect authentic", "authentic"),
        ("perfect authentic cadence", "perfect authentic", "perfect authentic"),
        ("authentic", "perfect authentic", "authentic"), ("V-I", "imperfect authentic", "authentic"),
        ("perfect cadence", "perfect authentic", "perfect authentic"),
        ("IAC", "imperfect authentic", "authentic"),
        ("imperfect authentic", "imperfect authentic", "imperfect authentic"),
        ("imperfect", "imperfect authentic", "imperfect authentic"), ("half", "half", "half"),
        ("half cadence", "half", "half"), ("HC", "half", "half"), ("half close", "half", "half"),
        ("imperfect cadence", "half", "half"), ("semicadence", "half", "half"),
        ("half", "phrygian half", "half"),
        ("Phrygian", "phrygian half", "phrygian half"), ("iv6-V", "phrygian half", "phrygian half"),
        ("plagal", "plagal", "plagal"), ("amen cadence", "plagal", "plagal"), ("IV–I", "plagal", "plagal"),
        ("plagel", "plagal", "plagal"), ("deceptive", "deceptive", "deceptive"),
        ("interrupted", "deceptive", "deceptive"), ("V-vi", "deceptive", "deceptive"),
        ("decepitve cadence", "deceptive", "deceptive"),
    ],
)
def test_cadences_are_read_by_name_abbreviation_british_term_or_chords(
    written: str, cadence: str, required: str
) -> None:
    assert check(written, Expected("cadence", (cadence, required))).correct


@pytest.mark.parametrize(
    ("written", "cadence", "required", "hint"),
    [
        ("authentic", "perfect authentic", "perfect authentic", "which kind"),
        ("imperfect authentic", "perfect authentic", "authentic", "not an imperfect"),
        ("perfect", "imperfect authentic", "imperfect authentic", "British"),
        ("half", "phrygian half", "phrygian half", "which kind"),
        ("Phrygian", "half", "half", "not a Phrygian"),
        ("plagal", "deceptive", "deceptive", None),
        ("plagal or deceptive", "deceptive", "deceptive", "Name one cadence"),
        ("no idea", "half", "half", "Name one cadence"),
    ],
)
def test_a_wrong_cadence_is_wrong_and_a_half_right_one_says_what_is_missing(
    written: str, cadence: str, required: str, hint: str | None
) -> None:
    verdict = check(written, Expected("cadence", (cadence, required)))
    assert not verdict.correct
    if hint:
        assert hint in (verdict.feedback or "")


def test_a_less_precise_right_cadence_is_accepted_with_the_full_name() -> None:
    verdict = check("authentic", Expected("cadence", ("imperfect authentic", "authentic")))
    assert verdict.correct and "imperfect authentic cadence" in (verdict.feedback or "")
    verdict = check("imperfect", Expected("cadence", ("half", "half")))
    assert verdict.correct and "British" in (verdict.feedback or "")


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([
    Expected("inversion", (p, s)) for s in ("3", "4") for p in ("0", "1", "2", "3")[: int(s)]
] + [Expected("roman", (f, k)) for f in ("I", "ii", "V7", "viio", "V65", "I64", "iv6", "viiø7", "iiø7", "VI7")
     for k in ("C", "a", "E-", "f#")] + [Expected("cadence", (c, c)) for c in
                                         ("perfect authentic", "imperfect authentic", "half", "phrygian half",
                                          "plagal", "deceptive")]
    + [Expected("scale", k) for k in ("major", "natural minor", "harmonic minor", "melodic minor", "dorian",
                                       "phrygian", "lydian", "mixolydian", "locrian", "major pentatonic",
                                       "minor pentatonic", "whole-tone", "blues", "chromatic")]))
def test_every_new_kind_of_answer_accepts_the_way_the_tutor_writes_it(expected: Expected) -> None:
    verdict = check(canonical(expected), expected)
    assert verdict.correct and verdict.normalized


def test_feedback_naming_an_interval_takes_an_before_a_vowel() -> None:
    near = check("augmented fourth", Expected("interval", "A11"))
    assert not near.correct and "it is an augmented eleventh" in (near.feedback or "")
    assert check("fifth", Expected("interval", "P5")).feedback == "Yes, a perfect fifth."
