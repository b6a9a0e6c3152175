"""Quiz questions for a curriculum concept, computed by music21 and reproducible from a seed.

Each concept with direct coverage maps to one or more skills (name an interval, spell a chord, count
a key signature's sharps...) and, where it is about one thing, a focus (the major third, the Dorian
mode, 6/8). A concept without its own generator borrows the nearest covered prerequisite's, and the
question says which concept it really tests. Difficulty 1-8 widens the pools: more accidentals,
rarer qualities, compound intervals, compound meters, falling and harmonic intervals, minor keys.

This module holds the generators for intervals, chords, scales, keys, notes, rhythm and ear training
of those; music.quiz_harmony those for inversions, Roman numerals and cadences; music.quiz_base the
pools they share; music.quiz_coverage which concept asks which skills.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

from music21 import chord, duration, interval, key, meter, pitch

from kg.curriculum import Concept
from music.answers import Expected, canonical, show_number
from music.quiz_base import (
    NATURALS,
    SEVENTHS,
    chord_names,
    key_name,
    key_of,
    keys_for,
    letters,
    level_pool,
    max_accidentals,
    number_word,
    pick,
    roots,
    semitone_words,
    voiced,
    with_octave,
)
from music.quiz_coverage import CATEGORY_FALLBACK, COVERAGE, SKILL_LEVELS
from music.quiz_harmony import SKILLS as HARMONY_SKILLS
from music.spelling import accidental_count, display, display_all
from music.theory import article, scale_pitches, step_pattern


@dataclass(frozen=True, slots=True)
class Question:
    concept_id: str  # the concept this question tests
    requested_id: str  # the concept asked for; differs when a prerequisite stands in
    skill: str
    prompt: str
    expected: Expected
    hints: list[str]
    explanation: str
    example: dict[str, Any] | None = None
    data: dict[str, Any] = field(default_factory=dict)  # the inputs the answer was computed from

    @property
    def answer_text(self) -> str:
        return canonical(self.expected)


# ---------------------------------------------------------------------------------------- pools
_INTERVAL_LEVELS = [
    (1, ["M2", "M3", "P4", "P5", "P8"]),
    (3, ["m2", "m3", "M6", "m6", "M7", "m7"]),
    (4, ["A4", "d5"]),
    (6, ["A2", "d7", "A6", "d4", "A5", "A1"]),
    (7, ["m9", "M9", "m10", "M10", "P11", "P12", "M13"]),
]
_SCALE_LEVELS = [
    (1, ["major"]),
    (3, ["natural minor", "major pentatonic", "minor pentatonic"]),
    (4, ["harmonic minor", "melodic minor"]),
    (5, ["dorian", "phrygian", "lydian", "mixolydian", "locrian"]),
]
_VALUES = [("whole", 0), ("half", 0), ("quarter", 0), ("eighth", 0), ("half", 1), ("quarter", 1),
           ("eighth", 1), ("16th", 0), ("whole", 1), ("half", 2), ("quarter", 2)]


# -------------------------------------------------------------------------------- intervals
def _interval_pair(
    rng: random.Random, difficulty: int, names: list[str]
) -> tuple[pitch.Pitch, pitch.Pitch, str]:
    """A lower note and the note `name` above it, spelled with few enough accidentals."""
    limit = max_accidentals(difficulty)
    for _ in range(200):
        name = pick(rng, names)
        low = pitch.Pitch(pick(rng, roots(difficulty)) + "4")
        high = interval.Interval(name).transposePitch(low)
        if accidental_count(high.name) <= limit:
            return low, high, name
    low = pitch.Pitch("C4")
    return low, interval.Interval(names[0]).transposePitch(low), names[0]


def _interval_names(difficulty: int, focus: dict[str, Any]) -> list[str]:
    return list(focus.get("intervals") or level_pool(_INTERVAL_LEVELS, difficulty))


def _named_pool(difficulty: int, focus: dict[str, Any]) -> list[str]:
    """Intervals to name: a focus gets its same-size neighbours mixed in, so the name is not given away."""
    names = _interval_names(difficulty, focus)
    if focus.get("intervals"):
        names = names + [n for n in level_pool(_INTERVAL_LEVELS, 8)
                         if n[1:] == names[0][1:] and n not in names][:2]
    return names


_OCTAVES = ", and add 7 for the octave between them"


def _spell(p: pitch.Pitch, register: bool) -> str:
    """A note in a prompt, with its octave when the register matters (an octave or wider)."""
    return with_octave(p) if register else display(p)


def _quiz_interval_name(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    low, high, _ = _interval_pair(rng, difficulty, _named_pool(difficulty, focus))
    ivl = interval.Interval(low, high)
    words = ivl.niceName.lower()
    register = ivl.generic.undirected >= 8
    return {
        "prompt": f"What is the interval from {_spell(low, register)} up to {_spell(high, register)}?",
        "expected": Expected("interval", ivl.name),
        "hints": [
            f"Count the letter names from {low.step} up to {high.step}, counting both ends"
            f"{_OCTAVES if ivl.generic.undirected > 8 else ''}: that gives the interval's number.",
            f"The two notes are {semitone_words(ivl.semitones)} apart.",
            f"It is some kind of {number_word(ivl.generic.undirected)}; the semitones decide the quality.",
        ],
        "explanation": f"{_spell(low, register)} up to {_spell(high, register)} is {article(words)} {words} "
                       f"({ivl.name}): {semitone_words(ivl.semitones)}.",
        "example": {"type": "interval", "pitches": f"{low.nameWithOctave} {high.nameWithOctave}"},
        "data": {"lower": low.nameWithOctave, "upper": high.nameWithOctave},
    }


def _apart(names: list[str]) -> list[str]:
    """Intervals whose two notes can go down or sound apart: no unisons."""
    return [n for n in names if interval.Interval(n).generic.undirected > 1] or ["P5"]


def _quiz_interval_name_down(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    low, high, _ = _interval_pair(rng, difficulty, _apart(_named_pool(difficulty, focus)))
    ivl = interval.Interval(high, low)  # falling: music21 names it as the rising interval
    words, span = ivl.niceName.lower(), abs(ivl.semitones)
    return {
        "prompt": f"What is the interval from {with_octave(high)} down to {with_octave(low)}?",
        "expected": Expected("interval", ivl.name),
        "hints": [
            f"A falling interval is named like the rising one: count the letter names from {low.step} up to "
            f"{high.step}, counting both ends{_OCTAVES if ivl.generic.undirected > 8 else ''}.",
            f"The two notes are {semitone_words(span)} apart.",
            f"It is some kind of {number_word(ivl.generic.undirected)}; the semitones decide the quality.",
        ],
        "explanation": f"{with_octave(high)} down to {with_octave(low)} is {article(words)} {words} "
                       f"({ivl.name}), the same as {with_octave(low)} up to {with_octave(high)}: "
                       f"{semitone_words(span)}.",
        "example": {"type": "interval", "pitches": f"{high.nameWithOctave} {low.nameWithOctave}",
                    "play": "melodic"},
        "data": {"upper": high.nameWithOctave, "lower": low.nameWithOctave, "direction": "descending"},
    }


def _quiz_interval_harmonic(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    low, high, _ = _interval_pair(rng, difficulty, _apart(_named_pool(difficulty, focus)))
    ivl = interval.Interval(low, high)
    words = ivl.niceName.lower()
    first, second = (low, high) if difficulty < 4 else pick(rng, [(low, high), (high, low)])
    return {
        "prompt": f"The notes {with_octave(first)} and {with_octave(second)} sound together. What is the "
                  f"harmonic interval between them?",
        "expected": Expected("interval", ivl.name),
        "hints": [
            f"Measure up from the lower note, {with_octave(low)}, to {with_octave(high)}: count the letter "
            f"names, counting both ends{_OCTAVES if ivl.generic.undirected > 8 else ''}.",
            f"The two notes are {semitone_words(ivl.semitones)} apart.",
            f"It is some kind of {number_word(ivl.generic.undirected)}; the semitones decide the quality.",
        ],
        "explanation": f"{with_octave(low)} and {with_octave(high)} sounding together form {article(words)} "
                       f"{words} ({ivl.name}), measured up from the lower note: "
                       f"{semitone_words(ivl.semitones)}.",
        "example": {"type": "interval", "pitches": f"{low.nameWithOctave} {high.nameWithOctave}",
                    "play": "harmonic"},
        "data": {"notes": [first.nameWithOctave, second.nameWithOctave]},
    }


def _quiz_interval_semitones(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    name = pick(rng, _interval_names(difficulty, focus))
    ivl = interval.Interval(name)
    words = ivl.niceName.lower()
    top = ivl.transposePitch(pitch.Pitch("C4"))
    return {
        "prompt": f"How many semitones are there in {article(words)} {words}?",
        "expected": Expected("number", str(ivl.semitones)),
        "hints": [
            f"Count keys on the keyboard, black and white, from C up to {display(top)}.",
            f"From C, {article(words)} {words} reaches {display(top)}.",
        ],
        "explanation": f"{article(words).title()} {words} spans {semitone_words(ivl.semitones)}, "
                       f"as from C up to {display(top)}.",
        "example": {"type": "interval", "pitches": f"C4 {top.nameWithOctave}"},
        "data": {"interval": name},
    }


def _quiz_interval_build(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    low, high, name = _interval_pair(rng, difficulty, _interval_names(difficulty, focus))
    ivl = interval.Interval(name)
    words = ivl.niceName.lower()
    return {
        "prompt": f"Which note is {article(words)} {words} above {display(low)}?",
        "expected": Expected("note", high.name),
        "hints": [
            f"Count {ivl.generic.undirected} letter names up from {low.step}, counting both ends: "
            f"the answer is some kind of {high.step}.",
            f"It must lie {semitone_words(ivl.semitones)} above {display(low)}.",
        ],
        "explanation": f"{article(words).title()} {words} above {display(low)} is {display(high)}: "
                       f"letter {high.step}, {semitone_words(ivl.semitones)} higher.",
        "example": {"type": "interval", "pitches": f"{low.nameWithOctave} {high.nameWithOctave}"},
        "data": {"lower": low.nameWithOctave, "interval": name},
    }


def _quiz_interval_build_down(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    names, limit = _apart(_interval_names(difficulty, focus)), max_accidentals(difficulty)
    for _ in range(200):
        name = pick(rng, names)
        top = pitch.Pitch(pick(rng, roots(difficulty)) + "5")
        low = interval.Interval(name).reverse().transposePitch(top)
        if accidental_count(low.name) <= limit:
            break
    else:
        name, top = "P5", pitch.Pitch("C5")
        low = interval.Interval(name).reverse().transposePitch(top)
    ivl = interval.Interval(name)
    words = ivl.niceName.lower()
    return {
        "prompt": f"Which note is {article(words)} {words} below {with_octave(top)}?",
        "expected": Expected("note", low.name),
        "hints": [
            f"Count {ivl.generic.undirected} letter names down from {top.step}, counting both ends: "
            f"the answer is some kind of {low.step}.",
            f"It must lie {semitone_words(ivl.semitones)} below {with_octave(top)}.",
        ],
        "explanation": f"{article(words).title()} {words} below {with_octave(top)} is {with_octave(low)}: "
                       f"letter {low.step}, {semitone_words(ivl.semitones)} lower.",
        "example": {"type": "interval", "pitches": f"{top.nameWithOctave} {low.nameWithOctave}",
                    "play": "melodic"},
        "data": {"upper": top.nameWithOctave, "interval": name},
    }


def _quiz_interval_inversion(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    names = [n for n in _interval_names(difficulty, focus) if interval.Interval(n).generic.undirected <= 8]
    name = pick(rng, names or ["M3"])
    ivl = interval.Interval(name)
    inverse = ivl.complement
    words, inverse_words = ivl.niceName.lower(), inverse.niceName.lower()
    low = pitch.Pitch("C4")
    high = ivl.transposePitch(low)
    return {
        "prompt": f"What interval is the inversion of {article(words)} {words}?",
        "expected": Expected("interval", inverse.name),
        "hints": [
            f"Inverted intervals add up to an octave: the two numbers sum to 9 ({ivl.generic.undirected} + "
            f"{inverse.generic.undirected}).",
            f"Turn C up to {display(high)} upside down: {display(high)} up to C.",
        ],
        "explanation": f"{display(high)} up to C is {article(inverse_words)} {inverse_words}: inverting "
                       f"{article(words)} {words} gives {article(inverse_words)} {inverse_words}.",
        "example": {"type": "interval", "pitches": f"{high.nameWithOctave} C5"},
        "data": {"interval": name},
    }


# ------------------------------------------------------------------------------------ chords
def _chord_qualities(difficulty: int, focus: dict[str, Any]) -> list[str]:
    if focus.get("qualities"):
        return list(focus["qualities"])
    pool = ["major", "minor"]
    if difficulty >= 4:
        pool += ["diminished", "augmented"]
    if difficulty >= 5:
        pool += list(SEVENTHS)
    return pool


def _build_chord(rng: random.Random, difficulty: int, qualities: list[str]) -> tuple[str, list[pitch.Pitch]]:
    limit = max_accidentals(difficulty)
    for _ in range(200):
        quality = pick(rng, qualities)
        root = pick(rng, roots(difficulty))
        names = chord_names(root, quality)
        if all(accidental_count(n) <= limit for n in names):
            return quality, voiced(list(names))
    return "major", voiced(["C", "E", "G"])


def chord_quality_of(pitches: list[pitch.Pitch]) -> str:
    """The quality music21 names for these notes, in answers.QUALITIES terms."""
    return _quality_of(tuple(p.nameWithOctave for p in pitches))


@lru_cache(maxsize=1024)
def _quality_of(names: tuple[str, ...]) -> str:
    common = chord.Chord(list(names)).commonName
    return common.removesuffix(" chord").removesuffix(" triad")


def _chord_hints(pitches: list[pitch.Pitch]) -> list[str]:
    root = pitches[0]
    parts = [interval.Interval(root, p).niceName.lower() for p in pitches[1:]]
    return [
        f"Stack thirds on {display(root)}: the letters are {letters(pitches)}.",
        f"From the root, the other notes are {', '.join(f'{article(w)} {w}' for w in parts)} above.",
    ]


def _quiz_chord_notes(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    quality, pitches = _build_chord(rng, difficulty, _chord_qualities(difficulty, focus))
    root = pitches[0]
    noun = "triad" if len(pitches) == 3 else "chord"
    title = f"{display(root)} {quality} {noun}"
    return {
        "prompt": f"Spell the {title}: which notes does it contain?",
        "expected": Expected("notes", tuple(p.name for p in pitches), ordered=False),
        "hints": _chord_hints(pitches),
        "explanation": f"The {title} is {display_all(pitches)}.",
        "example": {"type": "chord", "pitches": " ".join(p.nameWithOctave for p in pitches)},
        "data": {"root": root.name, "quality": quality, "pitches": [p.nameWithOctave for p in pitches]},
    }


def _quiz_chord_quality(rng: random.Random, difficulty: int, focus: dict[str, Any], ear: bool = False
                        ) -> dict[str, Any]:
    _, pitches = _build_chord(rng, difficulty, _chord_qualities(difficulty, focus))
    quality = chord_quality_of(pitches)
    third = interval.Interval(pitches[0], pitches[1]).niceName.lower()
    fifth = interval.Interval(pitches[0], pitches[2]).niceName.lower()
    noun = "triad" if len(pitches) == 3 else "seventh chord"
    if ear:
        prompt = f"Listen to the {noun}. What is its quality?"
    else:
        prompt = f"What is the quality of the {noun} {display_all(pitches)}?"
    return {
        "prompt": prompt,
        "expected": Expected("quality", quality),
        "hints": [
            f"The bottom third is {article(third)} {third}.",
            f"From the root to the fifth is {article(fifth)} {fifth}.",
        ],
        "explanation": f"{display_all(pitches)} is {article(quality)} {quality} "
                       f"{'triad' if len(pitches) == 3 else 'chord'}: {article(third)} {third} and "
                       f"{article(fifth)} {fifth} above {display(pitches[0])}.",
        "example": {"type": "chord", "pitches": " ".join(p.nameWithOctave for p in pitches)},
        "data": {"pitches": [p.nameWithOctave for p in pitches]},
    }


# -------------------------------------------------------------------------------- scales, keys
def _quiz_scale_notes(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    kinds = list(focus.get("scales") or level_pool(_SCALE_LEVELS, difficulty))
    limit = max_accidentals(difficulty)
    for _ in range(200):
        kind, tonic = pick(rng, kinds), pick(rng, roots(difficulty))
        pitches = scale_pitches(tonic, kind)
        if all(accidental_count(p.name) <= limit for p in pitches):
            break
    else:
        kind, tonic = kinds[0], "C"
        pitches = scale_pitches(tonic, kind)
    noun = "mode" if kind in ("dorian", "phrygian", "lydian", "mixolydian", "locrian") else "scale"
    title = f"{display(tonic)} {kind} {noun}"
    played = voiced([p.name for p in pitches] + [tonic])
    return {
        "prompt": f"Name the notes of the {title}, going up from {display(tonic)}.",
        "expected": Expected("notes", tuple(p.name for p in pitches), ordered=True),
        "hints": [
            f"Use each letter once, starting on {tonic[0]}: {letters(pitches)}." if len(pitches) == 7
            else f"It has {len(pitches)} notes and starts on {display(tonic)}.",
            f"The step pattern is {step_pattern(pitches)}.",
        ],
        "explanation": f"The {title} is {display_all([*pitches, pitches[0]])}.",
        "example": {"type": "scale", "pitches": " ".join(p.nameWithOctave for p in played)},
        "data": {"tonic": tonic, "kind": kind},
    }


@lru_cache(maxsize=128)
def _related(name: str, relation: str) -> key.Key:
    """The relative or parallel key of the key `name`."""
    k = key_of(name)
    return key_of((k.relative if relation == "relative" else k.parallel).tonicPitchNameWithCase)


@lru_cache(maxsize=2)
def _accidental_order(kind: str) -> tuple[pitch.Pitch, ...]:
    """The order in which sharps (or flats) enter key signatures: C-sharp (C-flat) major's."""
    return tuple(key_of("C#" if kind == "sharps" else "C-").alteredPitches)


def _modes_for(difficulty: int, focus: dict[str, Any]) -> tuple[str, ...]:
    return tuple(focus.get("modes") or (("major", "minor") if difficulty >= 3 else ("major",)))


def _quiz_key_signature(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    k = pick(rng, keys_for(difficulty, _modes_for(difficulty, focus)))
    kind = "sharps" if k.sharps > 0 else "flats"
    if k.sharps == 0:
        kind = pick(rng, ["sharps", "flats"])
    order = list(_accidental_order(kind))
    relative = _related(k.tonicPitchNameWithCase, "relative")
    altered = display_all(k.alteredPitches) if k.sharps else "none"
    count = abs(k.sharps)
    return {
        "prompt": f"How many {kind} are in the key signature of {key_name(k)}?",
        "expected": Expected("number", str(count)),
        "hints": [
            f"{kind.title()} always appear in the order {display_all(order)}.",
            f"The relative {relative.mode} of {key_name(k)} is {key_name(relative)}.",
        ],
        "explanation": f"{key_name(k)} has {count} {kind if count != 1 else kind[:-1]}"
                       + (f": {altered}." if count else " (no sharps or flats)."),
        "example": {"type": "progression", "key": k.tonicPitchNameWithCase,
                    "numerals": "I IV V I" if k.mode == "major" else "i iv V i"},
        "data": {"key": k.tonicPitchNameWithCase},
    }


def _quiz_related_key(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    relation = focus.get("relation", "relative")
    k = pick(rng, keys_for(difficulty, _modes_for(max(difficulty, 3), focus)))
    other = _related(k.tonicPitchNameWithCase, relation)
    if relation == "relative":
        gap = interval.Interval(pitch.Pitch(other.tonic.name + "4"), pitch.Pitch(k.tonic.name + "4"))
        hints = [
            f"Relative keys share a key signature; {key_name(k)} has "
            f"{abs(k.sharps)} {'sharp' if k.sharps > 0 else 'flat'}{'s' if abs(k.sharps) != 1 else ''}."
            if k.sharps else f"Relative keys share a key signature; {key_name(k)} has no sharps or flats.",
            f"The tonics are {article(_size(gap))} {_size(gap)} apart.",
        ]
        why = f"{key_name(other)} shares {key_name(k)}'s key signature."
    else:
        hints = [f"Parallel keys share a tonic: {display(k.tonic)}.",
                 f"Only the mode changes from {k.mode} to {other.mode}."]
        why = f"{key_name(other)} has the same tonic as {key_name(k)}."
    return {
        "prompt": f"What is the {relation} {other.mode} of {key_name(k)}?",
        "expected": Expected("key", f"{other.tonic.name} {other.mode}"),
        "hints": hints,
        "explanation": f"The {relation} {other.mode} of {key_name(k)} is {key_name(other)}. {why}",
        "example": {"type": "progression", "key": other.tonicPitchNameWithCase,
                    "numerals": "I IV V I" if other.mode == "major" else "i iv V i"},
        "data": {"key": k.tonicPitchNameWithCase, "relation": relation},
    }


def _size(gap: interval.Interval) -> str:
    simple = interval.Interval(gap.simpleName) if gap.generic.undirected > 1 else gap
    return simple.niceName.lower()


_DEGREE_NAMES = {1: "tonic", 2: "supertonic", 3: "mediant", 4: "subdominant", 5: "dominant", 6: "submediant"}


def _quiz_scale_degree(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    k = pick(rng, keys_for(difficulty, _modes_for(difficulty, focus)))
    degree = pick(rng, list(focus.get("degrees") or range(2, 8)))
    tonic = k.tonic.name
    natural = scale_pitches(tonic, "major" if k.mode == "major" else "natural minor")
    seventh = None
    if degree == 7:
        seventh = "leading tone" if k.mode == "major" else focus.get("seventh") or pick(
            rng, ["leading tone", "subtonic"])
    note = pitch.Pitch(k.getLeadingTone().name if seventh == "leading tone" else natural[degree - 1].name)
    name = seventh or _DEGREE_NAMES[degree]
    asked = {
        None: f"scale degree {degree}, the {name}",
        "leading tone": "the leading tone, the 7th degree a semitone below the tonic",
        "subtonic": "the subtonic, the 7th degree a whole step below the tonic",
    }[seventh]
    raised = natural[6].name != note.name and degree == 7
    return {
        "prompt": f"In {key_name(k)}, which note is {asked}?",
        "expected": Expected("note", note.name),
        "hints": [
            f"Count up the scale from the tonic, {display(tonic)}, which is degree 1.",
            f"The {display(tonic)} {'major' if k.mode == 'major' else 'natural minor'} scale is "
            f"{display_all(natural)}." + (" The leading tone raises its 7th degree." if raised else ""),
        ],
        "explanation": f"In {key_name(k)}, the {name} (degree {degree}) is {display(note)}."
                       + (f" It raises the natural minor's {display(natural[6])} a semitone so that it "
                          f"leads up to {display(tonic)}, as in the harmonic minor scale." if raised else ""),
        "example": {"type": "melody", "pitches": " ".join(p.nameWithOctave for p in voiced(
            [*(p.name for p in natural[: degree - 1]), note.name] + ([tonic] if degree == 7 else [])))},
        "data": {"key": k.tonicPitchNameWithCase, "degree": degree, "seventh": seventh},
    }


# ------------------------------------------------------------------------------ notes, accidentals
def _quiz_note_step(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    steps = {"whole step": "M2", "half step": "m2"}
    label = focus.get("step") or pick(rng, sorted(steps))
    direction = pick(rng, ["above", "below"]) if difficulty >= 2 else "above"
    limit = max_accidentals(difficulty)
    for _ in range(200):
        start = pitch.Pitch(pick(rng, roots(difficulty)) + "4")
        ivl = interval.Interval(steps[label])
        target = (ivl if direction == "above" else ivl.reverse()).transposePitch(start)
        if accidental_count(target.name) <= limit:
            break
    letter = target.step
    return {
        "prompt": f"Which note is a {label} {direction} {display(start)}? Use the neighbouring letter name.",
        "expected": Expected("note", target.name),
        "hints": [
            f"A {label} is {semitone_words(abs(ivl.semitones))}.",
            f"The answer is written with the letter {letter}.",
        ],
        "explanation": f"A {label} {direction} {display(start)} is {display(target)} "
                       f"({semitone_words(abs(ivl.semitones))}, next letter name).",
        "example": {"type": "melody", "pitches": f"{start.nameWithOctave} {target.nameWithOctave}"},
        "data": {"start": start.nameWithOctave, "interval": steps[label], "direction": direction},
    }


def _quiz_alteration(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    way = focus.get("way") or pick(rng, ["raise", "lower"])
    start = pitch.Pitch(pick(rng, NATURALS if difficulty < 4 else roots(difficulty)) + "4")
    if accidental_count(start.name) and (start.accidental.alter > 0) == (way == "raise") and difficulty < 7:
        start = pitch.Pitch(start.step + "4")  # keep to single accidentals below level 7
    ivl = interval.Interval("A1")
    target = (ivl if way == "raise" else ivl.reverse()).transposePitch(start)
    sign = "sharp" if way == "raise" else "flat"
    return {
        "prompt": f"{way.title()} {display(start)} by one semitone, keeping the letter {start.step}. "
                  f"Which note do you get?",
        "expected": Expected("note", target.name),
        "hints": [
            f"Keeping the letter means changing only the accidental: a {sign} {way}s a note one semitone.",
            f"The answer is some kind of {start.step}.",
        ],
        "explanation": f"{display(start)} {way}d a chromatic semitone is {display(target)}.",
        "example": {"type": "melody", "pitches": f"{start.nameWithOctave} {target.nameWithOctave}"},
        "data": {"start": start.nameWithOctave, "way": way},
    }


def _quiz_enharmonic(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    choices = ["C#", "D#", "F#", "G#", "A#", "D-", "E-", "G-", "A-", "B-"]
    if difficulty >= 5:
        choices += ["E#", "B#", "C-", "F-"]
    start = pitch.Pitch(pick(rng, choices) + "4")
    twin = start.getEnharmonic()
    return {
        "prompt": f"Which note sounds the same as {display(start)} but is written with the letter "
                  f"{twin.step}?",
        "expected": Expected("note", twin.name),
        "hints": [
            "Enharmonic notes are one key on the keyboard with two names.",
            f"Find {display(start)} on the keyboard, then name that key from the letter {twin.step}.",
        ],
        "explanation": f"{display(start)} and {display(twin)} are enharmonic: the same pitch, two spellings.",
        "example": {"type": "melody", "pitches": f"{start.nameWithOctave} {twin.nameWithOctave}"},
        "data": {"start": start.nameWithOctave, "letter": twin.step},
    }


# ------------------------------------------------------------------------------------- rhythm
def _value_name(kind: str, dots: int) -> str:
    base = duration.Duration(type=kind).fullName.lower()
    return {0: "", 1: "dotted ", 2: "double-dotted "}[dots] + base + " note"


def _quiz_beats(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    meters = list(focus.get("meters") or (["4/4"] if difficulty <= 2 else
                                          ["4/4", "3/4", "2/4"] if difficulty <= 4 else
                                          ["4/4", "3/4", "2/4", "2/2", "6/8", "9/8", "12/8"]))
    values = [v for v in _VALUES[: 3 + 2 * difficulty] if focus.get("dots") is None or v[1] == focus["dots"]]
    if not values:
        values = [v for v in _VALUES if v[1] == focus.get("dots")]
    for _ in range(200):
        ts = meter.TimeSignature(pick(rng, meters))
        kind, dots = pick(rng, values)
        length = Fraction(duration.Duration(type=kind, dots=dots).quarterLength)
        beat = Fraction(ts.beatDuration.quarterLength)
        beats = length / beat
        if beats.denominator <= 2 and length <= Fraction(ts.barDuration.quarterLength):
            break
    else:
        ts, kind, dots = meter.TimeSignature("4/4"), "half", 0
        length, beat = Fraction(2), Fraction(1)
        beats = Fraction(2)
    value = _value_name(kind, dots)
    beat_name = ts.beatDuration.fullName.lower() + " note"
    tiny = {"whole": "1", "half": "2", "quarter": "4", "eighth": "8", "16th": "16"}[kind] + "." * dots
    return {
        "prompt": f"In {ts.ratioString} time, how many beats does {article(value)} {value} last?",
        "expected": Expected("number", str(beats)),
        "hints": [
            f"In {ts.ratioString} one beat is {article(beat_name)} {beat_name}.",
            f"{article(value).title()} {value} lasts {show_number(length)} quarter note"
            f"{'s' if length != 1 else ''}.",
        ],
        "explanation": f"In {ts.ratioString} the beat is {article(beat_name)} {beat_name}, so "
                       f"{article(value)} {value} lasts {show_number(beats)} beat"
                       f"{'s' if beats > 1 else ''}.",
        "example": {"type": "rhythm", "meter": ts.ratioString, "tiny": f"c{tiny}"},
        "data": {"meter": ts.ratioString, "type": kind, "dots": dots},
    }


# ------------------------------------------------------------------------------- ear training
_EAR_PLAYS = ("ascending", "descending", "harmonic")
_EAR_PROMPTS = {
    "both": "Listen: the two notes are played one after the other, then together. Name the interval.",
    "ascending": "Listen: two notes, one after the other. Name the interval.",
    "descending": "Listen: two notes, one after the other. Name the interval.",
    "harmonic": "Listen: two notes sound together. Name the interval.",
}


def _quiz_ear_interval(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    """Heard melodically (rising, falling) or harmonically; up to level 2 rising, then together."""
    names = [n for n in _interval_names(max(1, difficulty - 1), focus) if n not in ("A1", "d4", "A5")]
    low, high, _ = _interval_pair(rng, difficulty, names or ["P5"])
    play = pick(rng, list(focus.get("play") or (_EAR_PLAYS if difficulty >= 3 else ["both"])))
    ivl = interval.Interval(low, high)
    words = ivl.niceName.lower()
    heard = {
        "both": f"{with_octave(low)} up to {with_octave(high)}",
        "ascending": f"{with_octave(low)} up to {with_octave(high)}",
        "descending": f"{with_octave(high)} down to {with_octave(low)}",
        "harmonic": f"{with_octave(low)} and {with_octave(high)} together",
    }[play]
    hints = [f"It spans {semitone_words(ivl.semitones)}.",
             f"It is some kind of {number_word(ivl.generic.undirected)}."]
    if play == "descending":
        hints.insert(0, "The second note is lower: a falling interval is named like the rising one.")
    elif play == "harmonic":
        hints.insert(0, "Pick out the lower note, then sing up from it to the upper one.")
    first, second = (high, low) if play == "descending" else (low, high)
    pitches = f"{first.nameWithOctave} {second.nameWithOctave}"
    example: dict[str, Any] = {"type": "interval", "pitches": pitches}
    if play != "both":
        example["play"] = "harmonic" if play == "harmonic" else "melodic"
    return {
        "prompt": _EAR_PROMPTS[play],
        "expected": Expected("interval", ivl.name),
        "hints": hints,
        "explanation": f"You heard {heard}: {article(words)} {words}.",
        "example": example,
        "data": {"lower": low.nameWithOctave, "upper": high.nameWithOctave, "play": play},
    }


_EAR_SCALE_LEVELS = [
    (1, ["major", "natural minor"]),
    (3, ["harmonic minor"]),
    (4, ["melodic minor", "major pentatonic", "minor pentatonic"]),
    (5, ["dorian", "mixolydian", "lydian"]),
    (6, ["phrygian", "locrian", "whole-tone"]),
    (7, ["blues", "chromatic"]),
]
_SCALE_TRAITS = {
    "major": "It is major: a major third above the tonic, and a leading tone a semitone below the top.",
    "natural minor": "It is minor, with a minor third, minor sixth and minor seventh above the tonic.",
    "harmonic minor": "It is natural minor with a raised 7th, which leaves an augmented second between the "
                      "6th and 7th degrees.",
    "melodic minor": "It is natural minor with the 6th and 7th raised going up: a major scale with a minor "
                     "third.",
    "dorian": "It is a minor mode with a major sixth.", "phrygian": "It is a minor mode with a minor second.",
    "lydian": "It is a major mode with an augmented fourth.",
    "mixolydian": "It is a major mode with a minor seventh.",
    "locrian": "It is the mode with a minor second and a diminished fifth above the tonic.",
    "major pentatonic": "It has five notes: the major scale without its 4th and 7th degrees.",
    "minor pentatonic": "It has five notes: the natural minor scale without its 2nd and 6th degrees.",
    "whole-tone": "It has six notes, each a whole step from the next.",
    "blues": "It is the minor pentatonic with the diminished fifth added (the blue note).",
    "chromatic": "It has all twelve semitones.",
}


def _quiz_ear_scale(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    pool = list(focus.get("scales") or level_pool(_EAR_SCALE_LEVELS, difficulty))
    kind, tonic = pick(rng, pool), pick(rng, roots(min(difficulty, 4)))
    pitches = scale_pitches(tonic, kind)
    played = voiced([*(p.name for p in pitches), tonic], octave=4 if tonic[0] in "CDEF" else 3)
    thirds = {interval.Interval(played[0], p).semitones % 12 for p in played} & {3, 4}
    third = ""
    if len(thirds) == 1:
        third = f" The third above the tonic is {'minor' if thirds == {3} else 'major'}."
    choices = "Which scale or mode is it?"
    if len(pool) <= 4:
        choices = f"Is it {', '.join(pool[:-1])} or {pool[-1]}?"
    title = canonical(Expected("scale", kind))
    return {
        "prompt": f"Listen: a scale played up from its tonic. {choices}",
        "expected": Expected("scale", kind),
        "hints": [f"It has {len(pitches)} different notes.{third}",
                  f"Its steps are {step_pattern(pitches)}."],
        "explanation": f"You heard the {display(tonic)} {title}: {display_all(played)}. "
                       f"{_SCALE_TRAITS[kind]}",
        "example": {"type": "scale", "pitches": " ".join(p.nameWithOctave for p in played)},
        "data": {"tonic": tonic, "kind": kind, "pool": pool},
    }


def _quiz_ear_chord(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    return _quiz_chord_quality(rng, difficulty, focus, ear=True)


SKILLS = {
    "interval_name": _quiz_interval_name,
    "interval_semitones": _quiz_interval_semitones,
    "interval_build": _quiz_interval_build,
    "interval_inversion": _quiz_interval_inversion,
    "chord_notes": _quiz_chord_notes,
    "chord_quality": _quiz_chord_quality,
    "scale_notes": _quiz_scale_notes,
    "key_signature": _quiz_key_signature,
    "related_key": _quiz_related_key,
    "note_step": _quiz_note_step,
    "alteration": _quiz_alteration,
    "enharmonic": _quiz_enharmonic,
    "beats": _quiz_beats,
    "ear_interval": _quiz_ear_interval,
    "ear_chord": _quiz_ear_chord,
    "interval_name_down": _quiz_interval_name_down,
    "interval_harmonic": _quiz_interval_harmonic,
    "interval_build_down": _quiz_interval_build_down,
    "scale_degree": _quiz_scale_degree,
    "ear_scale": _quiz_ear_scale,
    **HARMONY_SKILLS,
}


def topics(concepts: dict[str, Concept]) -> set[str]:
    """Concept ids that have their own question generator."""
    return {cid for cid in COVERAGE if cid in concepts}


def covering_concept(concept_id: str, concepts: dict[str, Concept]) -> str:
    """The concept whose questions stand in for `concept_id`: itself when covered, else the nearest
    covered prerequisite (breadth-first), else its category's default."""
    if concept_id not in concepts:
        raise KeyError(f"unknown concept {concept_id!r}")
    seen = {concept_id}
    queue = deque([concept_id])
    while queue:
        current = queue.popleft()
        if current in COVERAGE:
            return current
        for ref in concepts[current].requires:
            if ref in concepts and ref not in seen:
                seen.add(ref)
                queue.append(ref)
    fallback = CATEGORY_FALLBACK.get(concepts[concept_id].category, "note_names")
    return fallback if fallback in COVERAGE else "note_names"


def make_question(
    concept_id: str, concepts: dict[str, Concept], rng: random.Random, difficulty: int
) -> Question:
    """A question on `concept_id` (or its nearest covered stand-in) at difficulty 1-8, drawn from rng."""
    if not 1 <= difficulty <= 8:
        raise ValueError("difficulty runs from 1 to 8")
    tested = covering_concept(concept_id, concepts)
    skills, focus = COVERAGE[tested]
    usable = [s for s in skills if SKILL_LEVELS.get(s, 1) <= difficulty] or list(skills)
    skill = usable[rng.randrange(len(usable))]
    parts = SKILLS[skill](rng, difficulty, focus)
    return Question(concept_id=tested, requested_id=concept_id, skill=skill, **parts)
