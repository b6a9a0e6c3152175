"""Guitar chord shapes in standard tuning, each checked against the chord's notes before use.

A learner who asks how to play a chord on the guitar wants frets, not note names. The shapes come
from two places: the open chords every method book teaches (C, G, D, A, E, their minors and
sevenths), and the movable barre shapes built on the open E and A shapes with the root on the sixth
or fifth string. Either way the frets are turned back into pitches and compared with the chord
music21 spells: every string sounds a chord note, every chord note sounds (a seventh chord may
leave out its fifth, as guitarists do) and the lowest string played is the root. A shape that
fails is never shown, so a slip in the tables cannot become a wrong answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from music21 import harmony, pitch

# Open strings from the sixth (low E) to the first (high E), as MIDI numbers: E2 A2 D3 G3 B3 E4.
TUNING = (40, 45, 50, 55, 59, 64)
STRING_NAMES = ("low E", "A", "D", "G", "B", "high E")

Frets = tuple[int | None, ...]  # one per string, low E first; None = not played

# The open shapes of method books, by (root, music21 chord kind).
OPEN: dict[tuple[str, str], Frets] = {
    ("C", "major"): (None, 3, 2, 0, 1, 0),
    ("A", "major"): (None, 0, 2, 2, 2, 0),
    ("G", "major"): (3, 2, 0, 0, 0, 3),
    ("E", "major"): (0, 2, 2, 1, 0, 0),
    ("D", "major"): (None, None, 0, 2, 3, 2),
    ("A", "minor"): (None, 0, 2, 2, 1, 0),
    ("E", "minor"): (0, 2, 2, 0, 0, 0),
    ("D", "minor"): (None, None, 0, 2, 3, 1),
    ("E", "dominant-seventh"): (0, 2, 0, 1, 0, 0),
    ("A", "dominant-seventh"): (None, 0, 2, 0, 2, 0),
    ("D", "dominant-seventh"): (None, None, 0, 2, 1, 2),
    ("G", "dominant-seventh"): (3, 2, 0, 0, 0, 1),
    ("C", "dominant-seventh"): (None, 3, 2, 3, 1, 0),
    ("B", "dominant-seventh"): (None, 2, 1, 2, 0, 2),
    ("A", "minor-seventh"): (None, 0, 2, 0, 1, 0),
    ("E", "minor-seventh"): (0, 2, 0, 0, 0, 0),
    ("D", "minor-seventh"): (None, None, 0, 2, 1, 1),
    ("C", "major-seventh"): (None, 3, 2, 0, 0, 0),
    ("A", "major-seventh"): (None, 0, 2, 1, 2, 0),
    ("D", "major-seventh"): (None, None, 0, 2, 2, 2),
    ("F", "major-seventh"): (None, None, 3, 2, 1, 0),
    ("D", "suspended-second"): (None, None, 0, 2, 3, 0),
    ("D", "suspended-fourth"): (None, None, 0, 2, 3, 3),
    ("A", "suspended-second"): (None, 0, 2, 2, 0, 0),
    ("A", "suspended-fourth"): (None, 0, 2, 2, 3, 0),
    ("E", "suspended-fourth"): (0, 2, 2, 2, 0, 0),
    ("E", "power"): (0, 2, 2, None, None, None),
    ("A", "power"): (None, 0, 2, 2, None, None),
}

# Movable shapes: frets relative to the root's fret on the sixth (E shape) or fifth (A shape) string.
MOVABLE: dict[str, dict[str, Frets]] = {
    "E": {
        "major": (0, 2, 2, 1, 0, 0),
        "minor": (0, 2, 2, 0, 0, 0),
        "dominant-seventh": (0, 2, 0, 1, 0, 0),
        "minor-seventh": (0, 2, 0, 0, 0, 0),
        "major-seventh": (0, None, 1, 1, 0, None),
        "suspended-fourth": (0, 2, 2, 2, 0, 0),
        "power": (0, 2, 2, None, None, None),
    },
    "A": {
        "major": (None, 0, 2, 2, 2, 0),
        "minor": (None, 0, 2, 2, 1, 0),
        "dominant-seventh": (None, 0, 2, 0, 2, 0),
        "minor-seventh": (None, 0, 2, 0, 1, 0),
        "major-seventh": (None, 0, 2, 1, 2, 0),
        "suspended-second": (None, 0, 2, 2, 0, 0),
        "suspended-fourth": (None, 0, 2, 2, 3, 0),
        "half-diminished-seventh": (None, 0, 1, 0, 1, None),
        "diminished-seventh": (None, 0, 1, -1, 1, None),
        "power": (None, 0, 2, 2, None, None),
    },
}
_ROOT_STRING = {"E": 0, "A": 1}
_SEVENTHS = {"dominant-seventh", "minor-seventh", "major-seventh", "half-diminished-seventh",
             "minor-major-seventh"}


@dataclass(frozen=True, slots=True)
class Shape:
    """A way to finger a chord: frets per string (low E first) and where it comes from."""

    frets: Frets
    open: bool  # an open-position shape of the method books
    root_string: int  # index into TUNING of the string that sounds the root (the lowest played)
    barre: int | None = None  # the fret a movable shape is barred at

    def tab(self) -> str:
        """The shape as guitarists write it, low E first: "x 3 2 0 1 0"."""
        return " ".join("x" if f is None else str(f) for f in self.frets)

    def describe(self) -> str:
        """One sentence for the learner."""
        legend = "x = string not played, 0 = open string, numbers are frets"
        if self.open:
            return (f"On the guitar (standard tuning, strings from low E to high E): {self.tab()}, "
                    f"the open-position shape ({legend}).")
        where = STRING_NAMES[self.root_string]
        ordinal = _ordinal(self.barre or 0)
        played = [f for f in self.frets if f is not None]
        # the index finger lies across the strings from the root to the highest one played
        barred = played[-1] == self.barre and played.count(self.barre) > 1
        kind = "a barre chord" if barred else "a movable shape"
        return (f"On the guitar (standard tuning, strings from low E to high E): {self.tab()}, "
                f"{kind} with the root at the {ordinal} fret of the {where} string ({legend}).")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def chord_classes(root: str, kind: str) -> tuple[set[int], int, int | None]:
    """(pitch classes, root class, fifth class or None) of the chord music21 spells."""
    symbol = harmony.ChordSymbol(root=pitch.Pitch(root), kind=kind)
    fifth = symbol.fifth
    return ({p.pitchClass for p in symbol.pitches}, symbol.root().pitchClass,
            fifth.pitchClass if fifth is not None else None)


def sounds(frets: Frets) -> list[int]:
    """The MIDI notes a shape sounds, low string first."""
    return [TUNING[s] + f for s, f in enumerate(frets) if f is not None]


def fits(frets: Frets, root: str, kind: str) -> bool:
    """Whether `frets` plays exactly the chord: only chord notes, all of them (a seventh chord may
    leave out its fifth), the root lowest, and no fret below 0 or above 15."""
    if any(f is not None and not 0 <= f <= 15 for f in frets):
        return False
    notes = sounds(frets)
    if len(notes) < 2:
        return False
    classes, root_class, fifth = chord_classes(root, kind)
    played = {n % 12 for n in notes}
    if not played <= classes or notes[0] % 12 != root_class:
        return False
    missing = classes - played
    return not missing or (kind in _SEVENTHS and missing == {fifth})


def guitar_shape(root: str, kind: str) -> Shape | None:
    """The open shape when there is one, else the lowest movable barre shape that fits; None when
    no shape here plays the chord (ninths, sixths, augmented chords)."""
    name = pitch.Pitch(root).name.replace("-", "b")
    for (open_root, open_kind), frets in OPEN.items():
        if open_kind == kind and pitch.Pitch(open_root).pitchClass == pitch.Pitch(name).pitchClass \
                and fits(frets, root, kind):
            return Shape(frets, True, next(s for s, f in enumerate(frets) if f is not None))
    options = []
    root_class = pitch.Pitch(root).pitchClass
    for string_name, shapes in MOVABLE.items():
        relative = shapes.get(kind)
        if relative is None:
            continue
        string = _ROOT_STRING[string_name]
        for fret in {(root_class - TUNING[string]) % 12, (root_class - TUNING[string]) % 12 + 12}:
            # at fret 0 the shape is played with open strings, or else an octave up
            frets = tuple(None if f is None else f + fret for f in relative)
            if fits(frets, root, kind):
                options.append(Shape(frets, fret == 0, string, fret or None))
    return min(options, key=lambda s: (s.barre or 0, s.root_string), default=None)
