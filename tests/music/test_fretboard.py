"""Guitar chord shapes: every shape shown plays exactly the chord, in standard tuning."""

from __future__ import annotations

import pytest

from music.fretboard import MOVABLE, OPEN, TUNING, fits, guitar_shape, sounds
from music.theory import answer

ROOTS = ["C", "C#", "D-", "D", "E-", "E", "F", "F#", "G-", "G", "A-", "A", "B-", "B"]
KINDS = sorted({kind for shapes in MOVABLE.values() for kind in shapes})


def test_open_strings_are_the_standard_tuning() -> None:
    assert sounds((0, 0, 0, 0, 0, 0)) == list(TUNING) == [40, 45, 50, 55, 59, 64]  # E2 A2 D3 G3 B3 E4


@pytest.mark.parametrize(("chord", "frets"), sorted(OPEN.items()))
def test_every_open_shape_plays_its_chord(chord: tuple[str, str], frets: tuple) -> None:
    assert fits(frets, *chord)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("root", ROOTS)
def test_every_root_gets_a_checked_shape_of_every_movable_kind(root: str, kind: str) -> None:
    shape = guitar_shape(root, kind)
    assert shape is not None and fits(shape.frets, root, kind)
    assert all(f is None or 0 <= f <= 15 for f in shape.frets)


def test_the_shapes_method_books_teach_are_the_ones_given() -> None:
    assert guitar_shape("C", "major").tab() == "x 3 2 0 1 0"
    assert guitar_shape("E", "minor").tab() == "0 2 2 0 0 0"
    assert guitar_shape("F", "major").tab() == "1 3 3 2 1 1"  # no open F: the E shape barred
    assert guitar_shape("B", "minor").tab() == "x 2 4 4 3 2"  # the A shape barred at 2
    assert guitar_shape("B-", "major").tab() == "x 1 3 3 3 1"
    assert guitar_shape("G", "dominant-seventh").tab() == "3 2 0 0 0 1"
    assert guitar_shape("A", "half-diminished-seventh").tab() == "x 0 1 0 1 x"  # open strings


def test_a_shape_with_a_foreign_or_missing_note_or_the_wrong_bass_does_not_fit() -> None:
    assert not fits((0, 2, 2, 1, 0, 0), "E", "minor")  # G# is not in E minor
    assert not fits((None, None, 0, 2, 3, None), "D", "major")  # no F#
    assert not fits((3, 3, 2, 0, 1, 0), "C", "major")  # G in the bass: an inversion
    assert fits((None, 3, 2, 3, 1, 0), "C", "dominant-seventh")  # a seventh may drop its fifth
    assert not fits((None, 3, 2, 0, 1, 0), "C", "dominant-seventh")  # but not its seventh
    assert not fits((-1, 2, 2, 1, 0, 0), "E", "major")


def test_chords_without_a_checked_shape_get_none() -> None:
    assert guitar_shape("C", "augmented") is None
    assert guitar_shape("D", "dominant-ninth") is None


def test_a_chord_asked_about_on_the_guitar_gets_its_frets() -> None:
    found = answer("how do i play an E minor chord on guitar")
    assert found is not None and found.notes == ["E", "G", "B"]
    assert found.facts[-1].startswith(
        "On the guitar (standard tuning, strings from low E to high E): 0 2 2 0 0 0, the open")
    barre = answer("F major chord guitar fingering")
    assert "1 3 3 2 1 1, a barre chord with the root at the 1st fret of the low E string" in \
        barre.facts[-1]
    movable = answer("Cm7b5 on the guitar")
    assert "x 3 4 3 4 x, a movable shape with the root at the 3rd fret of the A string" in \
        movable.facts[-1]
    unshaped = answer("a C augmented triad on guitar")
    assert unshaped.facts[-1] == "I have no checked guitar shape for this chord; its notes are above."


def test_frets_are_given_only_when_the_guitar_is_named() -> None:
    assert not any("guitar" in fact for fact in answer("what notes are in a C major chord").facts)
    scale = answer("C major scale on guitar")  # not a chord: no shape
    assert not any("guitar" in fact for fact in scale.facts)


def test_on_the_guitar_a_bare_key_name_or_minor_symbol_is_the_chord() -> None:
    assert answer("how do i play F major on the guitar").facts[-1].startswith(
        "On the guitar (standard tuning, strings from low E to high E): 1 3 3 2 1 1")
    assert "x 0 2 2 1 0" in answer("Am on guitar").facts[-1]
    assert answer("F major scale on guitar").kind == "scale"  # a scale stays a scale
    assert answer("what is F major") is None or answer("what is F major").kind != "chord"
