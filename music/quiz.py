"""Quiz questions for a curriculum concept, computed by music21 and reproducible from a seed.

Each concept with direct coverage maps to one or more skills (name an interval, spell a chord, count
a key signature's sharps...) and, where it is about one thing, a focus (the major third, the Dorian
mode, 6/8). A concept without its own generator borrows the nearest covered prerequisite's, and the
question says which concept it really tests. Difficulty 1-8 widens the pools: more accidentals,
rarer qualities, compound intervals, compound meters.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

from music21 import chord, duration, harmony, interval, key, meter, pitch

from kg.curriculum import Concept
from music.answers import Expected, canonical, show_number
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
NATURALS = ["C", "D", "E", "F", "G", "A", "B"]
TONICS = ["C", "G", "D", "A", "E", "B", "F#", "C#", "F", "B-", "E-", "A-", "D-", "G-", "C-"]
_INTERVAL_LEVELS = [
    (1, ["M2", "M3", "P4", "P5", "P8"]),
    (3, ["m2", "m3", "M6", "m6", "M7", "m7"]),
    (4, ["A4", "d5"]),
    (6, ["A2", "d7", "A6", "d4", "A5", "A1"]),
    (7, ["m9", "M9", "m10", "M10", "P11", "P12", "M13"]),
]
_TRIADS = {"major": "major", "minor": "minor", "diminished": "diminished", "augmented": "augmented"}
_SEVENTHS = {
    "dominant seventh": "dominant-seventh", "major seventh": "major-seventh",
    "minor seventh": "minor-seventh", "half-diminished seventh": "half-diminished-seventh",
    "diminished seventh": "diminished-seventh",
}
_CHORD_KIND = {**_TRIADS, **_SEVENTHS}
_SCALE_LEVELS = [
    (1, ["major"]),
    (3, ["natural minor", "major pentatonic", "minor pentatonic"]),
    (4, ["harmonic minor", "melodic minor"]),
    (5, ["dorian", "phrygian", "lydian", "mixolydian", "locrian"]),
]
_VALUES = [("whole", 0), ("half", 0), ("quarter", 0), ("eighth", 0), ("half", 1), ("quarter", 1),
           ("eighth", 1), ("16th", 0), ("whole", 1), ("half", 2), ("quarter", 2)]


def _level_pool(levels: list[tuple[int, list[str]]], difficulty: int) -> list[str]:
    return [item for level, items in levels if level <= difficulty for item in items]


def _roots(difficulty: int) -> list[str]:
    if difficulty <= 2:
        return NATURALS
    if difficulty <= 4:
        return [*NATURALS, "F#", "B-", "E-"]
    return TONICS


def _max_accidentals(difficulty: int) -> int:
    return 1 if difficulty < 7 else 2


def _pick(rng: random.Random, items: list[Any]) -> Any:
    return items[rng.randrange(len(items))]


def _semitone_words(n: int) -> str:
    return f"{n} semitone" + ("" if n == 1 else "s")


def _letters(pitches: list[pitch.Pitch]) -> str:
    return " ".join(p.step for p in pitches)


# -------------------------------------------------------------------------------- intervals
def _interval_pair(
    rng: random.Random, difficulty: int, names: list[str]
) -> tuple[pitch.Pitch, pitch.Pitch, str]:
    """A lower note and the note `name` above it, spelled with few enough accidentals."""
    limit = _max_accidentals(difficulty)
    for _ in range(200):
        name = _pick(rng, names)
        low = pitch.Pitch(_pick(rng, _roots(difficulty)) + "4")
        high = interval.Interval(name).transposePitch(low)
        if accidental_count(high.name) <= limit:
            return low, high, name
    low = pitch.Pitch("C4")
    return low, interval.Interval(names[0]).transposePitch(low), names[0]


def _interval_names(difficulty: int, focus: dict[str, Any]) -> list[str]:
    return list(focus.get("intervals") or _level_pool(_INTERVAL_LEVELS, difficulty))


def _quiz_interval_name(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    names = _interval_names(difficulty, focus)
    if focus.get("intervals"):  # mix in same-size neighbours so the name is not given away
        names = names + [n for n in _level_pool(_INTERVAL_LEVELS, 8)
                         if n[1:] == names[0][1:] and n not in names][:2]
    low, high, _ = _interval_pair(rng, difficulty, names)
    ivl = interval.Interval(low, high)
    words = ivl.niceName.lower()
    return {
        "prompt": f"What is the interval from {display(low)} up to {display(high)}?",
        "expected": Expected("interval", ivl.name),
        "hints": [
            f"Count the letter names from {low.step} up to {high.step}, counting both ends: "
            f"that gives the interval's number.",
            f"The two notes are {_semitone_words(ivl.semitones)} apart.",
            f"It is some kind of {_number_word(ivl.generic.undirected)}; the semitones decide the quality.",
        ],
        "explanation": f"{display(low)} up to {display(high)} is {article(words)} {words} ({ivl.name}): "
                       f"{_semitone_words(ivl.semitones)}.",
        "example": {"type": "interval", "pitches": f"{low.nameWithOctave} {high.nameWithOctave}"},
        "data": {"lower": low.nameWithOctave, "upper": high.nameWithOctave},
    }


def _quiz_interval_semitones(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    name = _pick(rng, _interval_names(difficulty, focus))
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
        "explanation": f"{article(words).title()} {words} spans {_semitone_words(ivl.semitones)}, "
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
            f"It must lie {_semitone_words(ivl.semitones)} above {display(low)}.",
        ],
        "explanation": f"{article(words).title()} {words} above {display(low)} is {display(high)}: "
                       f"letter {high.step}, {_semitone_words(ivl.semitones)} higher.",
        "example": {"type": "interval", "pitches": f"{low.nameWithOctave} {high.nameWithOctave}"},
        "data": {"lower": low.nameWithOctave, "interval": name},
    }


def _quiz_interval_inversion(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    names = [n for n in _interval_names(difficulty, focus) if interval.Interval(n).generic.undirected <= 8]
    name = _pick(rng, names or ["M3"])
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


def _number_word(n: int) -> str:
    words = {1: "unison", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh",
             8: "octave", 9: "ninth", 10: "tenth", 11: "eleventh", 12: "twelfth", 13: "thirteenth"}
    return words.get(n, f"{n}th")


# ------------------------------------------------------------------------------------ chords
def _chord_qualities(difficulty: int, focus: dict[str, Any]) -> list[str]:
    if focus.get("qualities"):
        return list(focus["qualities"])
    pool = ["major", "minor"]
    if difficulty >= 4:
        pool += ["diminished", "augmented"]
    if difficulty >= 5:
        pool += list(_SEVENTHS)
    return pool


def _build_chord(rng: random.Random, difficulty: int, qualities: list[str]) -> tuple[str, list[pitch.Pitch]]:
    limit = _max_accidentals(difficulty)
    for _ in range(200):
        quality = _pick(rng, qualities)
        root = _pick(rng, _roots(difficulty))
        names = _chord_names(root, quality)
        if all(accidental_count(n) <= limit for n in names):
            return quality, _voiced(list(names))
    return "major", _voiced(["C", "E", "G"])


@lru_cache(maxsize=512)
def _chord_names(root: str, quality: str) -> tuple[str, ...]:
    """The chord's note names from music21's chord symbol (cached: a ChordSymbol costs ~2 ms)."""
    symbol = harmony.ChordSymbol(root=pitch.Pitch(root), kind=_CHORD_KIND[quality])
    return tuple(p.name for p in symbol.pitches)


def _voiced(names: list[str]) -> list[pitch.Pitch]:
    placed: list[pitch.Pitch] = []
    for name in names:
        p = pitch.Pitch(name + ("4" if not placed else str(placed[-1].octave)))
        while placed and p.ps <= placed[-1].ps:
            p.octave = (p.octave or 4) + 1
        placed.append(p)
    return placed


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
        f"Stack thirds on {display(root)}: the letters are {_letters(pitches)}.",
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
    kinds = list(focus.get("scales") or _level_pool(_SCALE_LEVELS, difficulty))
    limit = _max_accidentals(difficulty)
    for _ in range(200):
        kind, tonic = _pick(rng, kinds), _pick(rng, _roots(difficulty))
        pitches = scale_pitches(tonic, kind)
        if all(accidental_count(p.name) <= limit for p in pitches):
            break
    else:
        kind, tonic = kinds[0], "C"
        pitches = scale_pitches(tonic, kind)
    noun = "mode" if kind in ("dorian", "phrygian", "lydian", "mixolydian", "locrian") else "scale"
    title = f"{display(tonic)} {kind} {noun}"
    played = _voiced([p.name for p in pitches] + [tonic])
    return {
        "prompt": f"Name the notes of the {title}, going up from {display(tonic)}.",
        "expected": Expected("notes", tuple(p.name for p in pitches), ordered=True),
        "hints": [
            f"Use each letter once, starting on {tonic[0]}: {_letters(pitches)}." if len(pitches) == 7
            else f"It has {len(pitches)} notes and starts on {display(tonic)}.",
            f"The step pattern is {step_pattern(pitches)}.",
        ],
        "explanation": f"The {title} is {display_all([*pitches, pitches[0]])}.",
        "example": {"type": "scale", "pitches": " ".join(p.nameWithOctave for p in played)},
        "data": {"tonic": tonic, "kind": kind},
    }


# Keys are cached: building a music21 Key builds its scale's interval network (~0.5 ms each), and a
# key-signature question would otherwise build thirty of them. The Keys are only ever read.
@lru_cache(maxsize=64)
def _key(name: str) -> key.Key:
    """The key named by its tonic with case (`E-` is E-flat major, `c#` C-sharp minor)."""
    return key.Key(name)


@lru_cache(maxsize=64)
def _keys(difficulty: int, modes: tuple[str, ...]) -> tuple[key.Key, ...]:
    limit = min(7, difficulty + 1)
    found = []
    for tonic in TONICS:
        for mode in modes:
            k = _key(tonic if mode == "major" else tonic.lower())
            if abs(k.sharps) <= limit:
                found.append(k)
    return tuple(found)


@lru_cache(maxsize=128)
def _related(name: str, relation: str) -> key.Key:
    """The relative or parallel key of the key `name`."""
    k = _key(name)
    return _key((k.relative if relation == "relative" else k.parallel).tonicPitchNameWithCase)


@lru_cache(maxsize=2)
def _accidental_order(kind: str) -> tuple[pitch.Pitch, ...]:
    """The order in which sharps (or flats) enter key signatures: C-sharp (C-flat) major's."""
    return tuple(_key("C#" if kind == "sharps" else "C-").alteredPitches)


def _key_name(k: key.Key) -> str:
    return f"{display(k.tonic)} {k.mode}"


def _modes_for(difficulty: int, focus: dict[str, Any]) -> tuple[str, ...]:
    return tuple(focus.get("modes") or (("major", "minor") if difficulty >= 3 else ("major",)))


def _quiz_key_signature(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    k = _pick(rng, _keys(difficulty, _modes_for(difficulty, focus)))
    kind = "sharps" if k.sharps > 0 else "flats"
    if k.sharps == 0:
        kind = _pick(rng, ["sharps", "flats"])
    order = list(_accidental_order(kind))
    relative = _related(k.tonicPitchNameWithCase, "relative")
    altered = display_all(k.alteredPitches) if k.sharps else "none"
    count = abs(k.sharps)
    return {
        "prompt": f"How many {kind} are in the key signature of {_key_name(k)}?",
        "expected": Expected("number", str(count)),
        "hints": [
            f"{kind.title()} always appear in the order {display_all(order)}.",
            f"The relative {relative.mode} of {_key_name(k)} is {_key_name(relative)}.",
        ],
        "explanation": f"{_key_name(k)} has {count} {kind if count != 1 else kind[:-1]}"
                       + (f": {altered}." if count else " (no sharps or flats)."),
        "example": {"type": "progression", "key": k.tonicPitchNameWithCase,
                    "numerals": "I IV V I" if k.mode == "major" else "i iv V i"},
        "data": {"key": k.tonicPitchNameWithCase},
    }


def _quiz_related_key(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    relation = focus.get("relation", "relative")
    k = _pick(rng, _keys(difficulty, _modes_for(max(difficulty, 3), focus)))
    other = _related(k.tonicPitchNameWithCase, relation)
    if relation == "relative":
        gap = interval.Interval(pitch.Pitch(other.tonic.name + "4"), pitch.Pitch(k.tonic.name + "4"))
        hints = [
            f"Relative keys share a key signature; {_key_name(k)} has "
            f"{abs(k.sharps)} {'sharp' if k.sharps > 0 else 'flat'}{'s' if abs(k.sharps) != 1 else ''}."
            if k.sharps else f"Relative keys share a key signature; {_key_name(k)} has no sharps or flats.",
            f"The tonics are {article(_size(gap))} {_size(gap)} apart.",
        ]
        why = f"{_key_name(other)} shares {_key_name(k)}'s key signature."
    else:
        hints = [f"Parallel keys share a tonic: {display(k.tonic)}.",
                 f"Only the mode changes from {k.mode} to {other.mode}."]
        why = f"{_key_name(other)} has the same tonic as {_key_name(k)}."
    return {
        "prompt": f"What is the {relation} {other.mode} of {_key_name(k)}?",
        "expected": Expected("key", f"{other.tonic.name} {other.mode}"),
        "hints": hints,
        "explanation": f"The {relation} {other.mode} of {_key_name(k)} is {_key_name(other)}. {why}",
        "example": {"type": "progression", "key": other.tonicPitchNameWithCase,
                    "numerals": "I IV V I" if other.mode == "major" else "i iv V i"},
        "data": {"key": k.tonicPitchNameWithCase, "relation": relation},
    }


def _size(gap: interval.Interval) -> str:
    simple = interval.Interval(gap.simpleName) if gap.generic.undirected > 1 else gap
    return simple.niceName.lower()


# ------------------------------------------------------------------------------ notes, accidentals
def _quiz_note_step(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    steps = {"whole step": "M2", "half step": "m2"}
    label = focus.get("step") or _pick(rng, sorted(steps))
    direction = _pick(rng, ["above", "below"]) if difficulty >= 2 else "above"
    limit = _max_accidentals(difficulty)
    for _ in range(200):
        start = pitch.Pitch(_pick(rng, _roots(difficulty)) + "4")
        ivl = interval.Interval(steps[label])
        target = (ivl if direction == "above" else ivl.reverse()).transposePitch(start)
        if accidental_count(target.name) <= limit:
            break
    letter = target.step
    return {
        "prompt": f"Which note is a {label} {direction} {display(start)}? Use the neighbouring letter name.",
        "expected": Expected("note", target.name),
        "hints": [
            f"A {label} is {_semitone_words(abs(ivl.semitones))}.",
            f"The answer is written with the letter {letter}.",
        ],
        "explanation": f"A {label} {direction} {display(start)} is {display(target)} "
                       f"({_semitone_words(abs(ivl.semitones))}, next letter name).",
        "example": {"type": "melody", "pitches": f"{start.nameWithOctave} {target.nameWithOctave}"},
        "data": {"start": start.nameWithOctave, "interval": steps[label], "direction": direction},
    }


def _quiz_alteration(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    way = focus.get("way") or _pick(rng, ["raise", "lower"])
    start = pitch.Pitch(_pick(rng, NATURALS if difficulty < 4 else _roots(difficulty)) + "4")
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
    start = pitch.Pitch(_pick(rng, choices) + "4")
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
        ts = meter.TimeSignature(_pick(rng, meters))
        kind, dots = _pick(rng, values)
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
def _quiz_ear_interval(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    names = [n for n in _interval_names(max(1, difficulty - 1), focus) if n not in ("A1", "d4", "A5")]
    low, high, _ = _interval_pair(rng, difficulty, names or ["P5"])
    ivl = interval.Interval(low, high)
    words = ivl.niceName.lower()
    return {
        "prompt": "Listen: the two notes are played one after the other, then together. Name the interval.",
        "expected": Expected("interval", ivl.name),
        "hints": [
            f"It spans {_semitone_words(ivl.semitones)}.",
            f"It is some kind of {_number_word(ivl.generic.undirected)}.",
        ],
        "explanation": f"You heard {display(low)} up to {display(high)}: {article(words)} {words}.",
        "example": {"type": "interval", "pitches": f"{low.nameWithOctave} {high.nameWithOctave}"},
        "data": {"lower": low.nameWithOctave, "upper": high.nameWithOctave},
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
}


# ------------------------------------------------------------------------------------ coverage
_INTERVAL_SKILLS = ("interval_name", "interval_semitones", "interval_build")
_ONE_INTERVAL = {
    "unison": "P1", "minor_second": "m2", "major_second": "M2", "minor_third": "m3", "major_third": "M3",
    "perfect_fourth": "P4", "perfect_fifth": "P5", "minor_sixth": "m6", "major_sixth": "M6",
    "minor_seventh": "m7", "major_seventh": "M7", "octave_interval": "P8", "tritone": "A4",
    "augmented_fourth": "A4", "diminished_fifth": "d5", "augmented_second": "A2",
    "diminished_seventh_interval": "d7", "augmented_sixth_interval": "A6", "chromatic_semitone": "A1",
    "diatonic_semitone": "m2", "minor_ninth": "m9", "major_ninth": "M9", "minor_tenth": "m10",
    "major_tenth": "M10", "perfect_eleventh": "P11", "augmented_eleventh": "A11", "perfect_twelfth": "P12",
    "major_thirteenth": "M13",
}
_ONE_QUALITY = {
    "major_triad": "major", "minor_triad": "minor", "diminished_triad": "diminished",
    "augmented_triad": "augmented", "dominant_seventh_chord": "dominant seventh",
    "major_seventh_chord": "major seventh", "minor_seventh_chord": "minor seventh",
    "half_diminished_seventh_chord": "half-diminished seventh",
    "diminished_seventh_chord": "diminished seventh",
}
_ONE_SCALE = {
    "major_scale": "major", "natural_minor_scale": "natural minor", "harmonic_minor_scale": "harmonic minor",
    "melodic_minor_scale": "melodic minor", "ionian_mode": "ionian", "dorian_mode": "dorian",
    "phrygian_mode": "phrygian", "lydian_mode": "lydian", "mixolydian_mode": "mixolydian",
    "aeolian_mode": "aeolian", "locrian_mode": "locrian", "major_pentatonic_scale": "major pentatonic",
    "minor_pentatonic_scale": "minor pentatonic",
}
_ONE_VALUE_METERS = {
    "common_time": ["4/4"], "cut_time": ["2/2"], "three_four_time": ["3/4"], "six_eight_time": ["6/8"],
    "twelve_eight_time": ["12/8"], "simple_meter": ["2/4", "3/4", "4/4"],
    "compound_meter": ["6/8", "9/8", "12/8"], "duple_meter": ["2/4", "2/2", "6/8"],
    "triple_meter": ["3/4", "9/8"], "quadruple_meter": ["4/4", "12/8"],
}

# concept id -> (skills, focus)
COVERAGE: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    **{cid: (_INTERVAL_SKILLS, {"intervals": [name]}) for cid, name in _ONE_INTERVAL.items()},
    "semitone": (("interval_semitones", "note_step"), {"intervals": ["m2"], "step": "half step"}),
    "whole_step": (("interval_semitones", "note_step"), {"intervals": ["M2"], "step": "whole step"}),
    "interval": (_INTERVAL_SKILLS, {}),
    "generic_interval": (("interval_name",), {}),
    "interval_quality": (("interval_name", "interval_semitones"), {}),
    "simple_intervals": (_INTERVAL_SKILLS, {}),
    "melodic_interval": (("interval_name", "interval_build"), {}),
    "harmonic_interval": (("interval_name", "interval_build"), {}),
    "perfect_intervals": (_INTERVAL_SKILLS, {"intervals": ["P1", "P4", "P5", "P8"]}),
    "augmented_and_diminished_intervals": (_INTERVAL_SKILLS, {"intervals": ["A4", "d5", "A2", "d7", "A6"]}),
    "enharmonic_intervals": (("interval_name",), {"intervals": ["A4", "d5", "A2", "m3"]}),
    "compound_intervals": (_INTERVAL_SKILLS, {"intervals": ["m9", "M9", "m10", "M10", "P11", "P12"]}),
    "interval_inversion": (("interval_inversion",), {}),
    **{cid: (("chord_notes", "chord_quality"), {"qualities": [q]}) for cid, q in _ONE_QUALITY.items()},
    "chord": (("chord_notes", "chord_quality"), {"qualities": list(_TRIADS)}),
    "triad": (("chord_notes", "chord_quality"), {"qualities": list(_TRIADS)}),
    "chord_members": (("chord_notes",), {"qualities": ["major", "minor"]}),
    "seventh_chords": (("chord_notes", "chord_quality"), {"qualities": list(_SEVENTHS)}),
    "arpeggio": (("chord_notes",), {"qualities": ["major", "minor"]}),
    **{cid: (("scale_notes",), {"scales": [s]}) for cid, s in _ONE_SCALE.items()},
    "scale": (("scale_notes",), {}),
    "diatonic_scale": (("scale_notes",), {"scales": ["major", "natural minor"]}),
    "modes": (("scale_notes",), {"scales": ["dorian", "phrygian", "lydian", "mixolydian", "locrian"]}),
    "key_signature": (("key_signature",), {}),
    "key_signature_identification": (("key_signature",), {}),
    "order_of_sharps": (("key_signature",), {}),
    "order_of_flats": (("key_signature",), {}),
    "relative_keys": (("related_key",), {"relation": "relative"}),
    "parallel_keys": (("related_key",), {"relation": "parallel"}),
    "note_names": (("note_step",), {}),
    "keyboard_layout": (("note_step",), {}),
    "accidentals": (("alteration", "note_step"), {}),
    "sharp": (("alteration",), {"way": "raise"}),
    "flat": (("alteration",), {"way": "lower"}),
    "enharmonic_equivalents": (("enharmonic",), {}),
    "note_values": (("beats",), {}),
    "whole_note": (("beats",), {"meters": ["4/4"]}),
    "half_note": (("beats",), {"meters": ["4/4", "3/4"]}),
    "quarter_note": (("beats",), {"meters": ["4/4", "3/4", "2/4"]}),
    "dotted_notes": (("beats",), {"dots": 1}),
    "double_dotted_notes": (("beats",), {"dots": 2}),
    "time_signature": (("beats",), {}),
    "meter": (("beats",), {}),
    **{cid: (("beats",), {"meters": m}) for cid, m in _ONE_VALUE_METERS.items()},
    "interval_recognition": (("ear_interval",), {}),
    "relative_pitch": (("ear_interval",), {}),
    "chord_quality_recognition": (("ear_chord",), {"qualities": list(_TRIADS)}),
    "major_minor_discrimination": (("ear_chord",), {"qualities": ["major", "minor"]}),
}

# Where a concept with no covered prerequisite borrows its questions.
CATEGORY_FALLBACK = {
    "intervals": "interval", "chords": "triad", "scales": "major_scale", "keys": "key_signature",
    "rhythm": "note_values", "notation": "note_names", "ear_training": "interval_recognition",
    "harmony": "triad", "jazz_pop": "seventh_chords", "counterpoint": "interval",
    "expression": "note_values", "form": "note_values", "technique": "note_names",
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
    skill = skills[rng.randrange(len(skills))]
    parts = SKILLS[skill](rng, difficulty, focus)
    return Question(concept_id=tested, requested_id=concept_id, skill=skill, **parts)
