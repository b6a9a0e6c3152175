"""What the quiz generators share: pools that widen with difficulty, seeded picks, spelling and voicing.

Kept apart from the generators so that each family of questions (music.quiz for intervals, chords,
scales, keys and rhythm; music.quiz_harmony for inversions, Roman numerals and cadences) draws
from the same pools and writes notes the same way.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Any

from music21 import harmony, key, pitch

from music.spelling import display

NATURALS = ["C", "D", "E", "F", "G", "A", "B"]
TONICS = ["C", "G", "D", "A", "E", "B", "F#", "C#", "F", "B-", "E-", "A-", "D-", "G-", "C-"]
TRIADS = {"major": "major", "minor": "minor", "diminished": "diminished", "augmented": "augmented"}
SEVENTHS = {
    "dominant seventh": "dominant-seventh", "major seventh": "major-seventh",
    "minor seventh": "minor-seventh", "half-diminished seventh": "half-diminished-seventh",
    "diminished seventh": "diminished-seventh",
}
CHORD_KIND = {**TRIADS, **SEVENTHS}  # quality words -> music21 chord-symbol kinds


def level_pool(levels: list[tuple[int, list[str]]], difficulty: int) -> list[str]:
    """Every item introduced at or below `difficulty`."""
    return [item for level, items in levels if level <= difficulty for item in items]


def roots(difficulty: int) -> list[str]:
    """Roots and tonics to build on: naturals first, then common accidentals, then all fifteen keys."""
    if difficulty <= 2:
        return NATURALS
    if difficulty <= 4:
        return [*NATURALS, "F#", "B-", "E-"]
    return TONICS


def max_accidentals(difficulty: int) -> int:
    """The most sharps or flats one answer note may carry: double sharps and flats from level 7."""
    return 1 if difficulty < 7 else 2


def pick(rng: random.Random, items: list[Any]) -> Any:
    return items[rng.randrange(len(items))]


def semitone_words(n: int) -> str:
    return f"{n} semitone" + ("" if n == 1 else "s")


def letters(pitches: list[pitch.Pitch]) -> str:
    return " ".join(p.step for p in pitches)


def number_word(n: int) -> str:
    words = {1: "unison", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh",
             8: "octave", 9: "ninth", 10: "tenth", 11: "eleventh", 12: "twelfth", 13: "thirteenth"}
    return words.get(n, f"{n}th")


def ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def voiced(names: list[str], octave: int = 4) -> list[pitch.Pitch]:
    """The names placed in rising order, the first in `octave`: a close-position chord or a scale."""
    placed: list[pitch.Pitch] = []
    for name in names:
        p = pitch.Pitch(name + str(octave if not placed else placed[-1].octave))
        while placed and p.ps <= placed[-1].ps:
            p.octave = (p.octave or 4) + 1
        placed.append(p)
    return placed


def dashed(pitches: list[pitch.Pitch] | list[str]) -> str:
    """Notes the way a chord is spelled in a sentence: "E–G–C"."""
    return "–".join(display(p) for p in pitches)


def with_octave(p: pitch.Pitch) -> str:
    """A note with its octave, for prompts where the register matters: "E♭5"."""
    return f"{display(p)}{p.octave}"


@lru_cache(maxsize=512)
def chord_names(root: str, quality: str) -> tuple[str, ...]:
    """The chord's note names from music21's chord symbol (cached: a ChordSymbol costs ~2 ms)."""
    symbol = harmony.ChordSymbol(root=pitch.Pitch(root), kind=CHORD_KIND[quality])
    return tuple(p.name for p in symbol.pitches)


# Keys are cached: building a music21 Key builds its scale's interval network (~0.5 ms each), and a
# key-signature question would otherwise build thirty of them. The Keys are only ever read.
@lru_cache(maxsize=64)
def key_of(name: str) -> key.Key:
    """The key named by its tonic with case (`E-` is E-flat major, `c#` C-sharp minor)."""
    return key.Key(name)


@lru_cache(maxsize=64)
def keys_for(difficulty: int, modes: tuple[str, ...]) -> tuple[key.Key, ...]:
    """Keys in `modes` with at most difficulty + 1 sharps or flats (seven at most)."""
    limit = min(7, difficulty + 1)
    found = []
    for tonic in TONICS:
        for mode in modes:
            k = key_of(tonic if mode == "major" else tonic.lower())
            if abs(k.sharps) <= limit:
                found.append(k)
    return tuple(found)


def key_name(k: key.Key) -> str:
    return f"{display(k.tonic)} {k.mode}"
