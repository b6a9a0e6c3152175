"""What the tutor asked the learner to play: parsed from a short text.

Syntax (tokens separated by spaces or commas):

* a note with its octave, one beat long: ``C4``, ``Eb4``, ``E♭4``, ``E-4``, ``F#3``, ``C#5``;
* a duration in beats after a colon: ``C4:2``, ``D4:0.5``, ``E4:1/2``, ``G4:1.5``;
* a rest: ``r`` or ``r:2`` (it moves the notes after it, it is never "played");
* a rhythm-only target, where pitch is ignored and only onsets count: ``x x x x``,
  ``x:1 x:0.5 x:0.5 x:2`` or ``rhythm: 1 1 0.5 0.5 1``.

Note spellings go through `music.spelling`, so the tutor reads them the same way everywhere.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from music.practice.errors import BadTargetError
from music.spelling import NOTE_PATTERN, accidental_alter

LOWEST_MIDI = 28  # E1, the low string of a bass guitar
HIGHEST_MIDI = 96  # C7: above it a learner's recording rarely carries a usable fundamental
MAX_NOTES = 64

_PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_NOTE_RE = re.compile(rf"^{NOTE_PATTERN}$")
_SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")


@dataclass(frozen=True, slots=True)
class TargetNote:
    """One note (or, in a rhythm target, one stroke) the learner should play.

    `midi` is None in a rhythm target. `start` and `beats` are in beats from the first note."""

    name: str
    midi: int | None
    start: float
    beats: float

    @property
    def hz(self) -> float | None:
        return None if self.midi is None else midi_to_hz(self.midi)


@dataclass(frozen=True, slots=True)
class Target:
    """The parsed target: its notes in order, and whether only the rhythm counts."""

    notes: tuple[TargetNote, ...]
    rhythm_only: bool
    text: str

    @property
    def total_beats(self) -> float:
        last = self.notes[-1]
        return last.start + last.beats

    @property
    def midi_range(self) -> tuple[int, int] | None:
        """Lowest and highest target pitch; None for a rhythm target."""
        if self.rhythm_only:
            return None
        values = [n.midi for n in self.notes if n.midi is not None]
        return min(values), max(values)

    @property
    def prefers_flats(self) -> bool:
        """Whether played notes outside the target should be spelt with flats (as the target is)."""
        flats = sum(n.name[1:2] == "b" for n in self.notes)
        sharps = sum(n.name[1:2] == "#" for n in self.notes)
        return flats > sharps

    def spell(self, midi: int) -> str:
        """A name for a played MIDI note, spelt the way the target spells that pitch class."""
        for note in self.notes:
            if note.midi is not None and note.midi % 12 == midi % 12:
                letters = note.name.rstrip("-0123456789")
                octave = int(note.name[len(letters):]) + (midi - note.midi) // 12
                return f"{letters}{octave}"
        return note_name(midi, flats=self.prefers_flats)


def note_name(midi: int, *, flats: bool = False) -> str:
    """The ASCII name of a MIDI note with its octave: 61 -> "C#4" (or "Db4" with flats)."""
    names = _FLAT_NAMES if flats else _SHARP_NAMES
    return f"{names[midi % 12]}{midi // 12 - 1}"


def midi_to_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def hz_to_midi(hz: float) -> float:
    return 69.0 + 12.0 * math.log2(hz / 440.0)


def display_name(name: str) -> str:
    """"Eb4" -> "E♭4": how the tutor writes a note for people."""
    return name[:1] + name[1:].replace("#", "♯").replace("b", "♭")


def _beats(text: str, token: str) -> float:
    try:
        value = float(Fraction(text))
    except (ValueError, ZeroDivisionError):
        message = f"I can't read the duration in {token!r}; write beats like C4:1 or D4:0.5."
        raise BadTargetError(message) from None
    if not 1 / 16 <= value <= 16:
        raise BadTargetError(f"The duration in {token!r} should be between 1/16 and 16 beats.")
    return value


def _note(text: str, token: str) -> tuple[str, int]:
    match = _NOTE_RE.match(text)
    if not match or match.group("octave") is None:
        hint = " (add the octave, e.g. C4 is middle C)" if match else ""
        raise BadTargetError(f"{token!r} is not a note I know{hint}. Write notes like C4 Eb4 F#3.")
    alter = accidental_alter(match)
    letter = match.group("letter").upper()
    octave = int(match.group("octave"))
    midi = 12 * (octave + 1) + _PITCH_CLASS[letter] + alter
    if not LOWEST_MIDI <= midi <= HIGHEST_MIDI:
        raise BadTargetError(f"{token} is outside the range I can check (E1 to C7).")
    accidental = "#" * alter if alter > 0 else "b" * -alter
    return f"{letter}{accidental}{octave}", midi


def parse_target(text: str) -> Target:
    """Parse a target such as "C4 D4 E4:2", "x x x:0.5 x:0.5" or "rhythm: 1 1 0.5 0.5 1".

    Raises BadTargetError (a PracticeError) with a message for the learner when it cannot."""
    source = text.strip()
    body = source
    rhythm_prefix = re.match(r"^rhythm\s*:\s*", body, flags=re.IGNORECASE)
    if rhythm_prefix:
        body = body[rhythm_prefix.end():]
    tokens = [t for t in re.split(r"[\s,]+", body) if t]
    if not tokens:
        raise BadTargetError("The target is empty: give the notes to play, like \"C4 D4 E4 F4 G4\".")
    notes: list[TargetNote] = []
    position = 0.0
    kinds: set[str] = set()
    for token in tokens:
        head, _, tail = token.partition(":")
        if rhythm_prefix and head.lower() not in {"r", "rest"}:
            head, tail = "x", head  # "rhythm: 1 0.5" lists the strokes' durations
        length = _beats(tail, token) if tail else 1.0
        if head.lower() in {"r", "rest"}:
            position += length
            continue
        if head.lower() == "x":
            kinds.add("rhythm")
            notes.append(TargetNote("x", None, position, length))
        else:
            kinds.add("pitch")
            name, midi = _note(head, token)
            notes.append(TargetNote(name, midi, position, length))
        position += length
    if len(kinds) > 1:
        raise BadTargetError("Mix notes (C4) or strokes (x), not both, in one target.")
    if not notes:
        raise BadTargetError("The target has only rests; give at least one note to play.")
    if len(notes) > MAX_NOTES:
        raise BadTargetError(f"The target has {len(notes)} notes; I check at most {MAX_NOTES} at a time.")
    return Target(tuple(notes), rhythm_only="rhythm" in kinds, text=source)
