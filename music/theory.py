"""Answers to concrete theory questions, computed by music21 so the tutor never states a wrong fact.

`answer(text)` finds the first concrete thing a message names — a scale, a chord, an interval
between two notes, an interval above or below a note, a key signature, a relative or parallel key —
and returns the notes, a few short true sentences about it and a curriculum-style `example` that
music.synth can play. It returns None when nothing concrete is named ("what is a scale?"), so the
caller falls back to the knowledge graph.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from itertools import pairwise
from typing import Any

from music21 import duration, harmony, interval, key, meter, pitch, roman, scale

from music.spelling import display, display_all, name_from_match, note_pattern


@dataclass(frozen=True, slots=True)
class TheoryAnswer:
    """What the tutor may say: every fact and note here was computed by music21."""

    kind: str  # scale | chord | interval | transposition | key_signature | relative_key | parallel_key
    title: str
    facts: list[str]
    notes: list[str] = field(default_factory=list)  # display spellings, e.g. ["B♭", "D", "F"]
    example: dict[str, Any] | None = None
    chord: tuple[str, str] | None = None  # (root, music21 kind) of a chord answer


# ---------------------------------------------------------------------------------------- notes
_ARTICLE_OK_BEFORE = {"the", "of", "in", "from", "to", "and", "above", "below", "on"}
# What may follow a bare "a" that names the note A ("in a minor", "from a to e", "the a string");
# after anything else it is the article.
_NOTE_GOES_ON = {"major", "minor", "flat", "sharp", "natural", "harmonic", "melodic", "ionian", "dorian",
                 "phrygian", "lydian", "mixolydian", "aeolian", "locrian", "and", "or", "to", "is", "string",
                 "strings", "above", "below", "up", "down", "then", "vs", "versus", "in", "on", "for",
                 "please"}


_INTERVAL_QUALITIES = {"major", "minor", "perfect", "augmented", "diminished"}
_INTERVAL_SIZES = {"second", "third", "fourth", "fifth", "sixth", "seventh", "octave", "ninth", "2nd", "3rd",
                   "4th", "5th", "6th", "7th"}


def _note(text: str, match: re.Match[str], tag: str) -> str | None:
    """The spelled note a tagged match names, or None when a bare lowercase "a" is just the article."""
    start = match.start(f"{tag}_letter")
    letter = match.group(f"{tag}_letter")
    bare = not (match.group(f"{tag}_word") or match.group(f"{tag}_sign"))
    if letter == "a" and bare:
        before = text[:start].split()
        if not before or before[-1].lower() not in _ARTICLE_OK_BEFORE:
            return None
        after = text[start + 1:].split()
        following = after[0].lower().strip("?.!,;:") if after else ""
        if following and following not in _NOTE_GOES_ON:
            return None  # "the relative minor of a key", "chords in a blues": the article
        if len(after) > 1 and after[0].lower() in ("major", "minor") and \
                after[1].lower().strip("?.!,") in ("key", "keys"):
            return None  # "a melody in a minor key": any minor key, not A minor
        if len(after) > 1 and after[0].lower() in _INTERVAL_QUALITIES and \
                after[1].lower().strip("?.!,") in _INTERVAL_SIZES and \
                not (len(after) > 2 and after[2].lower().strip("?.!,") in ("chord", "chords", "triad")):
            return None  # "how many semitones in a minor seventh": the interval, not the A minor 7th chord
    return name_from_match(match, tag)


def article(phrase: str) -> str:
    """ "a" or "an" before a phrase, by its first sound as far as spelling tells; a Roman numeral
    is read as its number ("a ii-V-I", "a IV chord")."""
    if re.match(r"[ivIV]+[-\s°ø7]", phrase):
        return "a"
    return "an" if phrase[:1].lower() in "aeio" else "a"


def _semitones(count: int) -> str:
    return f"{count} semitone" + ("" if count == 1 else "s")


def _example(kind: str, pitches: Iterable[pitch.Pitch]) -> dict[str, Any]:
    """A curriculum-style example of `kind` (chord, interval, scale) that music.synth can play."""
    return {"type": kind, "pitches": " ".join(p.nameWithOctave for p in pitches)}


def _with_octave(name: str, octave: int = 4) -> pitch.Pitch:
    p = pitch.Pitch(name)
    p.octave = octave
    return p


def _stack_upwards(names: list[str], start_octave: int) -> list[pitch.Pitch]:
    """Place spelled names in rising order from the first, so the example sounds as written."""
    placed: list[pitch.Pitch] = []
    for name in names:
        p = _with_octave(name, start_octave)
        while placed and (p.diatonicNoteNum, p.ps) <= (placed[-1].diatonicNoteNum, placed[-1].ps):
            p.octave = (p.octave or 4) + 1
        placed.append(p)
    return placed


def _start_octave(name: str) -> int:
    """Octave 4 for tonics up to F♯, 3 above, so examples sit around middle C."""
    return 4 if pitch.Pitch(name).diatonicNoteNum % 7 in (1, 2, 3, 4) else 3


# --------------------------------------------------------------------------------------- scales
def _pentatonic(tonic: str, minor: bool) -> list[pitch.Pitch]:
    if minor:
        degrees = scale.MinorScale(tonic).getPitches()
        return [degrees[i] for i in (0, 2, 3, 4, 6)]
    degrees = scale.MajorScale(tonic).getPitches()
    return [degrees[i] for i in (0, 1, 2, 4, 5)]


def _blues(tonic: str, minor: bool) -> list[pitch.Pitch]:
    """Minor blues adds the diminished fifth to the minor pentatonic; major blues the minor third."""
    base = _pentatonic(tonic, minor)
    if minor:
        extra = interval.Interval("d5").transposePitch(base[0])
        return [*base[:3], extra, *base[3:]]
    extra = interval.Interval("m3").transposePitch(base[0])
    return [*base[:2], extra, *base[2:]]


def _whole_tone(tonic: str) -> list[pitch.Pitch]:
    notes = [pitch.Pitch(tonic)]
    for _ in range(5):
        notes.append(interval.Interval("M2").transposePitch(notes[-1]))
    return notes


_MODES = {
    "ionian": scale.MajorScale, "dorian": scale.DorianScale, "phrygian": scale.PhrygianScale,
    "lydian": scale.LydianScale, "mixolydian": scale.MixolydianScale,
    "aeolian": scale.MinorScale, "locrian": scale.LocrianScale,
}
_SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def _chromatic(tonic: str) -> list[pitch.Pitch]:
    """Twelve semitones up from `tonic`, spelled with sharps as a rising chromatic scale is by
    convention (music21's own spelling mixes in flats: E F F# G A- ...); the tonic keeps its own."""
    start = scale.ChromaticScale(tonic).getPitches()[0]
    out = [start]
    for k in range(1, 12):
        p = pitch.Pitch(_SHARP_NAMES[(start.pitchClass + k) % 12])
        p.octave = (start.midi + k) // 12 - 1
        out.append(p)
    return out


_SCALE_BUILDERS: dict[str, Callable[[str], list[pitch.Pitch]]] = {
    "major": lambda t: scale.MajorScale(t).getPitches()[:-1],
    "natural minor": lambda t: scale.MinorScale(t).getPitches()[:-1],
    "harmonic minor": lambda t: scale.HarmonicMinorScale(t).getPitches()[:-1],
    "melodic minor": lambda t: scale.MelodicMinorScale(t).getPitches()[:-1],
    "major pentatonic": lambda t: _pentatonic(t, minor=False),
    "minor pentatonic": lambda t: _pentatonic(t, minor=True),
    "blues": lambda t: _blues(t, minor=True),
    "major blues": lambda t: _blues(t, minor=False),
    "whole-tone": _whole_tone,
    "chromatic": lambda t: _chromatic(t),
    **{mode: (lambda t, cls=cls: cls(t).getPitches()[:-1]) for mode, cls in _MODES.items()},
}
SCALE_KINDS = tuple(_SCALE_BUILDERS)


def scale_pitches(tonic: str, kind: str) -> list[pitch.Pitch]:
    """One octave of a scale from `tonic` (a music21 name), without the repeated top note."""
    return [pitch.Pitch(name) for name in _scale_names(tonic, kind)]


@lru_cache(maxsize=1024)
def _scale_names(tonic: str, kind: str) -> tuple[str, ...]:
    """Building a music21 scale costs milliseconds; quizzes and answers ask for the same few."""
    return tuple(p.nameWithOctave for p in _SCALE_BUILDERS[kind](tonic))


def step_pattern(pitches: list[pitch.Pitch]) -> str:
    """Steps between neighbouring scale notes, up to the octave: "W W H W W W H"."""
    return _step_names(pitches)


_SCALE_ALIASES = {
    "minor": "natural minor", "pentatonic": "major pentatonic", "minor blues": "blues",
    "whole tone": "whole-tone", "wholetone": "whole-tone",
}
_SCALE_WORDS = sorted({*_SCALE_BUILDERS, *_SCALE_ALIASES}, key=len, reverse=True)
_SCALE_RE = re.compile(
    rf"(?<![\w]){note_pattern('t')}\s+(?P<stype>{'|'.join(re.escape(w) for w in _SCALE_WORDS)})\b"
    rf"(?:\s+(?P<noun>scale|mode|key))?",
    re.IGNORECASE,
)
_NAMED_MODE_OR_SCALE = {"major", "natural minor", "minor"}  # these alone might mean a key or a chord
# "the pentatonic scale in G", "a dorian mode starting on D": the tonic named after the scale
_SCALE_ON_RE = re.compile(
    rf"(?<![\w])(?P<stype>{'|'.join(re.escape(w) for w in _SCALE_WORDS)})\s+(?P<noun>scale|mode)\s+"
    rf"(?:in|on|from|starting\s+(?:on|from)|built\s+on|beginning\s+on)\s+(?:the\s+key\s+of\s+)?"
    rf"{note_pattern('t')}(?![\w#♯♭])",
    re.IGNORECASE,
)


def _step_names(pitches: list[pitch.Pitch]) -> str:
    """Steps between neighbours as W (2 semitones), H (1) or W+H (3), counting up to the octave."""
    ring = _stack_upwards([*(p.name for p in pitches), pitches[0].name], 4)
    names = {1: "H", 2: "W", 3: "W+H"}
    steps = [interval.Interval(a, b).semitones for a, b in pairwise(ring)]
    return " ".join(names.get(s, f"{s} semitones") for s in steps)


def _scale_answer(tonic: str, stype: str) -> TheoryAnswer:
    pitches = _SCALE_BUILDERS[stype](tonic)
    label = f"{display(tonic)} {stype.capitalize() if stype in _MODES else stype}"
    title = f"{label} mode" if stype in _MODES and stype != "aeolian" else f"{label} scale"
    placed = _stack_upwards([p.name for p in pitches] + [tonic], _start_octave(tonic))
    facts = [f"The {title} is {display_all([*pitches, pitches[0]])}."]
    facts.append(f"Its steps are {_step_names(pitches)}.")
    if stype in ("major", "natural minor") or stype in _MODES:
        k = key.Key(tonic) if stype in ("major", "ionian") else None
        if stype in ("natural minor", "aeolian"):
            k = key.Key(tonic.lower())
        if k is not None:
            facts.append(_signature_sentence(k))
            other = k.relative
            facts.append(f"Its relative {other.mode} is {_key_label(other)}.")
        else:
            parent = _MODES[stype](tonic).getRelativeMajor()
            facts.append(
                f"It uses the same notes as {display(parent.tonic)} major, starting on its "
                f"{_ordinal(_degree_in(parent, tonic))} degree."
            )
    names = [p.nameWithOctave for p in placed]
    return TheoryAnswer(
        kind="scale",
        title=title,
        facts=facts,
        notes=[display(p) for p in pitches],
        example={"type": "scale", "pitches": " ".join(names)},
    )


def _degree_in(parent: scale.ConcreteScale, tonic: str) -> int:
    return int(parent.getScaleDegreeFromPitch(pitch.Pitch(tonic)))


_ORDINALS = {1: "1st", 2: "2nd", 3: "3rd"}


def _ordinal(n: int) -> str:
    return _ORDINALS.get(n, f"{n}th")


# --------------------------------------------------------------------------------------- chords
# Spoken and written chord qualities, mapped to music21 chord-symbol kinds.
CHORD_KINDS: dict[str, str] = {
    "major": "major", "maj": "major", "minor": "minor", "min": "minor", "m": "minor",
    "diminished": "diminished", "dim": "diminished", "°": "diminished", "o": "diminished",
    "augmented": "augmented", "aug": "augmented", "+": "augmented",
    "dominant seventh": "dominant-seventh", "dominant 7th": "dominant-seventh",
    "dominant 7": "dominant-seventh",
    "seventh": "dominant-seventh", "7": "dominant-seventh", "dom7": "dominant-seventh",
    "major seventh": "major-seventh", "major 7th": "major-seventh", "maj7": "major-seventh",
    "M7": "major-seventh", "Δ7": "major-seventh", "Δ": "major-seventh",
    "minor seventh": "minor-seventh", "minor 7th": "minor-seventh", "m7": "minor-seventh",
    "min7": "minor-seventh", "-7": "minor-seventh",
    "half-diminished seventh": "half-diminished-seventh",
    "half diminished seventh": "half-diminished-seventh",
    "half-diminished": "half-diminished-seventh", "half diminished": "half-diminished-seventh",
    "m7b5": "half-diminished-seventh", "m7♭5": "half-diminished-seventh", "ø7": "half-diminished-seventh",
    "ø": "half-diminished-seventh",
    "diminished seventh": "diminished-seventh", "diminished 7th": "diminished-seventh",
    "dim7": "diminished-seventh", "°7": "diminished-seventh", "o7": "diminished-seventh",
    "minor major seventh": "minor-major-seventh", "minor-major seventh": "minor-major-seventh",
    "mmaj7": "minor-major-seventh", "mM7": "minor-major-seventh",
    "augmented seventh": "augmented-seventh", "aug7": "augmented-seventh", "+7": "augmented-seventh",
    "7#5": "augmented-seventh",
    "major sixth": "major-sixth", "6": "major-sixth", "minor sixth": "minor-sixth", "m6": "minor-sixth",
    "dominant ninth": "dominant-ninth", "9": "dominant-ninth", "major ninth": "major-ninth",
    "maj9": "major-ninth", "minor ninth": "minor-ninth", "m9": "minor-ninth",
    "sus2": "suspended-second", "suspended second": "suspended-second",
    "sus4": "suspended-fourth", "sus": "suspended-fourth", "suspended fourth": "suspended-fourth",
    "5": "power", "power": "power",
    # spoken with digits ("F# diminished 7", "A minor 7 flat 5"): never read as the bare triad
    "diminished 7": "diminished-seventh", "dim 7": "diminished-seventh",
    "minor 7": "minor-seventh", "min 7": "minor-seventh", "major 7": "major-seventh",
    "maj 7": "major-seventh", "augmented 7": "augmented-seventh", "major 9": "major-ninth",
    "minor 9": "minor-ninth", "half diminished 7": "half-diminished-seventh",
    "half-diminished 7": "half-diminished-seventh", "minor 7 flat 5": "half-diminished-seventh",
    "minor 7th flat 5": "half-diminished-seventh", "minor seventh flat five": "half-diminished-seventh",
    "minor seven flat five": "half-diminished-seventh", "minor 7 b5": "half-diminished-seventh",
}
# Written symbols attach to an uppercase root ("Bbmaj7"); spoken qualities follow a note ("B flat major").
_SYMBOLS = sorted((k for k in CHORD_KINDS if not re.fullmatch(r"[a-z -]{4,}", k)), key=len, reverse=True)
_WORDS = sorted((k for k in CHORD_KINDS if re.fullmatch(r"[a-z0-9 -]+", k) and len(k) > 1),
                key=len, reverse=True)
_SYMBOL_RE = re.compile(
    r"(?<![\w])(?P<r_letter>[A-G])(?P<r_acc>bb|b|##|#|♭|♯)?"
    rf"(?P<sym>{'|'.join(re.escape(s) for s in _SYMBOLS)})?(?![\w#♯♭+°ø])"
)
_SPOKEN_RE = re.compile(
    rf"(?<![\w]){note_pattern('r')}\s+(?P<q>{'|'.join(re.escape(w) for w in _WORDS)})"
    r"(?:\s+(?P<noun>chord|triad))?\b(?!\s+(?:scale|mode|key|pentatonic|blues))(?!\s*\d)",
    re.IGNORECASE,
)
_CHORD_CONTEXT = re.compile(r"\b(chords?|triads?|arpeggio)\b", re.IGNORECASE)
_SYMBOL_CONTEXT = re.compile(r"\b(chords?|triads?|notes?|spell|arpeggio)\b", re.IGNORECASE)
_KIND_WORDS = {
    "dominant-seventh": "dominant seventh", "major-seventh": "major seventh",
    "minor-seventh": "minor seventh",
    "half-diminished-seventh": "half-diminished seventh", "diminished-seventh": "diminished seventh",
    "minor-major-seventh": "minor-major seventh", "augmented-seventh": "augmented seventh",
    "major-sixth": "major sixth", "minor-sixth": "minor sixth", "dominant-ninth": "dominant ninth",
    "major-ninth": "major ninth", "minor-ninth": "minor ninth", "suspended-second": "suspended second",
    "suspended-fourth": "suspended fourth",
}

_MEMBER_NAMES = ("root", "third", "fifth", "seventh", "ninth", "eleventh", "thirteenth")


def _chord_answer(root: str, kind: str) -> TheoryAnswer:
    symbol = harmony.ChordSymbol(root=pitch.Pitch(root), kind=kind)
    names = [p.name for p in symbol.pitches]
    placed = _stack_upwards(names, _start_octave(root))
    kind_words = _KIND_WORDS.get(kind, kind)
    noun = "triad" if len(names) == 3 and kind not in ("suspended-second", "suspended-fourth") else "chord"
    if kind == "power":
        kind_words, noun = "power", "chord"
    title = f"{display(root)} {kind_words} {noun}"
    facts = [f"The {title} is {display_all(names)}."]
    steps = []
    for member in symbol.pitches[1:]:
        # music21 stacks the members above the root in their octaves, so a ninth is a ninth
        ivl = interval.Interval(symbol.root(), member)
        quality = ivl.niceName.lower()
        steps.append(f"{display(member)} is {article(quality)} {quality} above the root")
    facts.append(f"Its root is {display(root)}; " + ", ".join(steps) + ".")
    if noun == "triad" or len(names) == 4:
        members = []
        for label in _MEMBER_NAMES[: len(names)]:
            getter = getattr(symbol, label, None)
            found = getter if label != "root" else symbol.root()
            if found is not None:
                members.append(f"{label} {display(found)}")
        if len(members) == len(names):
            facts.append("Chord members: " + ", ".join(members) + ".")
    return TheoryAnswer(
        kind="chord",
        title=title,
        facts=facts,
        notes=[display(n) for n in names],
        example=_example("chord", placed),
        chord=(root, kind),
    )


def _upward(low: pitch.Pitch, name: str) -> pitch.Pitch:
    p = _with_octave(name, low.octave or 4)
    while p.diatonicNoteNum <= low.diatonicNoteNum:
        p.octave = (p.octave or 4) + 1
    return p


# "a diminished seventh on B", "build a major triad on F#": the quality first, then its root
_ON_ROOT_RE = re.compile(
    rf"\b(?P<q>{'|'.join(re.escape(w) for w in _WORDS)})(?:\s+(?:chord|triad))?\s+"
    rf"(?:built\s+|starting\s+|based\s+)?(?:on|from)\s+(?:the\s+note\s+)?(?<![\w]){note_pattern('o')}"
    r"(?![\w#♯♭])", re.IGNORECASE)


def _find_root_position(text: str) -> TheoryAnswer | None:
    for match in _ON_ROOT_RE.finditer(text):
        root = _note(text, match, "o")
        quality = match.group("q").lower()
        if root is not None and quality in CHORD_KINDS and quality not in ("seventh", "power") \
                and not re.search(r"\b(scale|mode|interval)\b", text, re.IGNORECASE):
            return _chord_answer(root, CHORD_KINDS[quality])
    for match in _SPOKEN_RE.finditer(text):
        root = _note(text, match, "r")
        quality = match.group("q").lower()
        if root is None or quality not in CHORD_KINDS:
            continue
        plain = CHORD_KINDS[quality] in ("major", "minor")
        # "play F major on the guitar": on a guitar a bare key name is its chord
        if match.group("noun") or not plain or _CHORD_CONTEXT.search(text) or _GUITAR.search(text):
            return _chord_answer(root, CHORD_KINDS[quality])
    for match in _SYMBOL_RE.finditer(text):
        acc = match.group("r_acc") or ""
        root = match.group("r_letter") + acc.replace("b", "-").replace("♭", "-").replace("♯", "#")
        sym = match.group("sym")
        kind = CHORD_KINDS[sym] if sym else "major"
        after = text[match.end():].lstrip().lower()
        named_chord = after.startswith(("chord", "triad"))
        distinctive = sym is not None and sym not in ("m", "5", "6", "9")
        minor_chord = sym == "m" and (_SYMBOL_CONTEXT.search(text) or _GUITAR.search(text))
        if named_chord or distinctive or minor_chord:
            return _chord_answer(root, kind)
    return None


_INVERSION_RE = re.compile(r"\b(?P<n>first|second|third|1st|2nd|3rd)\s+inversion\b", re.IGNORECASE)
_INVERSION_NUMBER = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3}
_INVERSION_FIGURES = {(3, 1): "6", (3, 2): "6/4", (4, 1): "6/5", (4, 2): "4/3", (4, 3): "4/2"}


def _find_chord(text: str) -> TheoryAnswer | None:
    """A chord the text names, in the inversion it asks for ("the first inversion of G major")."""
    found = _find_root_position(text)
    match = _INVERSION_RE.search(text)
    if found is None or match is None:
        return found
    number = _INVERSION_NUMBER[match.group("n").lower()]
    assert found.chord is not None
    size = len(found.notes)
    member = _MEMBER_NAMES[number]
    if number >= size:
        found.facts.insert(0, f"A {found.title} has no {_ordinal_word(number)} inversion: a chord of "
                              f"{size} notes has {size - 1}.")
        return found
    root, kind = found.chord
    names = [p.name for p in harmony.ChordSymbol(root=pitch.Pitch(root), kind=kind).pitches]
    order = names[number:] + names[:number]
    placed = _stack_upwards(order, 3)
    figure = _INVERSION_FIGURES.get((size, number))
    figured = f" (figured bass {figure})" if figure else ""
    return TheoryAnswer(
        kind="chord",
        title=f"{found.title} in {_ordinal_word(number)} inversion",
        facts=[f"In {_ordinal_word(number)} inversion{figured} the {found.title} has its {member}, "
               f"{display(order[0])}, in the bass: {display_all(order)}, from the bottom up.",
               *found.facts],
        notes=[display(n) for n in order],
        example=_example("chord", placed),
        chord=found.chord,
    )


def _ordinal_word(n: int) -> str:
    return ("root", "first", "second", "third")[n]


# ------------------------------------------------------------------------------------ intervals
_QUALITY = {"perfect": "P", "major": "M", "minor": "m", "augmented": "A", "diminished": "d",
            "maj": "M", "min": "m", "aug": "A", "dim": "d", "perf": "P"}
_NUMBER = {
    "unison": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "octave": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8, "9th": 9, "10th": 10,
    "11th": 11, "12th": 12, "13th": 13,
}


def _interval_pattern(largest: int = 13, unison: bool = True) -> str:
    """An interval's name in words: a quality and a number up to `largest` (groups q and n), or a
    name such as "tritone" or "half step" (group special); `_interval_symbols` reads the match."""
    numbers = "|".join(k for k, v in _NUMBER.items() if v <= largest)
    special = r"tritone|whole[\s-]?step|whole[\s-]?tone|half[\s-]?step|semitone|octave"
    special += "|unison" if unison else ""
    return rf"(?:(?P<q>{'|'.join(_QUALITY)})\s+(?P<n>{numbers})|(?P<special>{special}))"


def _interval_symbols(match: re.Match[str]) -> list[str]:
    """The music21 symbols a match of `_interval_pattern` names ("tritone": A4 and d5)."""
    if match.group("special"):
        return _SPECIAL_INTERVALS[re.sub(r"[\s-]", "", match.group("special").lower())]
    return [_QUALITY[match.group("q").lower()] + str(_NUMBER[match.group("n").lower()])]


_ABOVE_RE = re.compile(
    _interval_pattern()
    + rf"\s+(?P<dir>above|below|up from|down from|over|under|higher than|lower than)\s+{note_pattern('n')}",
    re.IGNORECASE,
)
_BETWEEN_RE = re.compile(
    rf"(?:\b(?P<pre>(?:(?:up|down)\s+)?from|between)\s+)?(?<![\w]){note_pattern('a')}\s+(?P<dir>(?:(?:up|down)\s+)?to|and)"
    rf"\s+{note_pattern('b')}(?![\w])",
    re.IGNORECASE,
)


def _interval_between(low_name: str, high_name: str, descending: bool) -> TheoryAnswer:
    first = _with_octave(low_name)
    second = _with_octave(high_name)
    if descending:
        while second.diatonicNoteNum >= first.diatonicNoteNum and second != first:
            second.octave = (second.octave or 4) - 1
    else:
        while second.diatonicNoteNum < first.diatonicNoteNum:
            second.octave = (second.octave or 4) + 1
    if first.diatonicNoteNum == second.diatonicNoteNum and first.ps != second.ps:
        # Same letter: name the rising chromatic semitone(s) rather than a "diminished unison".
        descending = second.ps < first.ps
        ivl = interval.Interval(*sorted((first, second), key=lambda p: p.ps))
    else:
        ivl = interval.Interval(first, second)
    way = "down" if descending else "up"
    name = ivl.niceName.lower()
    facts = [
        f"From {display(first)} {way} to {display(second)} is {article(name)} {name} ({ivl.name}).",
        f"{article(name).title()} {name} spans {_semitones(abs(ivl.semitones))}.",
    ]
    if ivl.generic.undirected <= 7:
        inverse = interval.Interval(ivl.simpleName).complement
        inverse_name = inverse.niceName.lower()
        facts.append(f"Its inversion is {article(inverse_name)} {inverse_name} ({inverse.name}).")
    return TheoryAnswer(
        kind="interval",
        title=f"{display(first)} to {display(second)}: {name}",
        facts=facts,
        notes=[display(first), display(second)],
        example=_example("interval", (first, second)),
    )


def _transposition(start: str, names: list[str], below: bool) -> TheoryAnswer:
    origin = _with_octave(start)
    results = []
    for name in names:
        ivl = interval.Interval(name)
        target = (ivl.reverse() if below else ivl).transposePitch(origin)
        results.append((ivl, target))
    way = "below" if below else "above"
    facts = []
    for ivl, target in results:
        name = ivl.niceName.lower()
        facts.append(f"{article(name).title()} {name} {way} {display(origin)} is {display(target)}.")
    ivl, target = results[0]
    name = ivl.niceName.lower()
    facts.append(f"{article(name).title()} {name} spans {_semitones(ivl.semitones)}.")
    pair = sorted([origin, target], key=lambda p: p.ps) if below else [origin, target]
    return TheoryAnswer(
        kind="transposition",
        title=f"{ivl.niceName.lower()} {way} {display(origin)}",
        facts=facts,
        notes=[display(t) for _, t in results],
        example=_example("interval", pair),
    )


_SPECIAL_INTERVALS = {"tritone": ["A4", "d5"], "wholestep": ["M2"], "wholetone": ["M2"], "halfstep": ["m2"],
                      "semitone": ["m2"], "octave": ["P8"], "unison": ["P1"]}


_TRANSPOSE_RE = re.compile(
    r"\btranspose\s+(?P<notes>.+?)\s+(?P<dir>up|down)\s+(?:by\s+)?(?:an?\s+)?"
    + _interval_pattern(unison=False) + r"\b",
    re.IGNORECASE,
)
_NOTE_RE = re.compile(rf"(?<![\w]){note_pattern('x')}(?![\w#♯♭])", re.IGNORECASE)


def _find_transposed_notes(text: str) -> TheoryAnswer | None:
    """'transpose C E G up a major second': each note moved by the interval, spelled by music21."""
    match = _TRANSPOSE_RE.search(text)
    if not match:
        return None
    start = match.start("notes")
    names = [name for m in _NOTE_RE.finditer(text, start, match.end("notes"))
             if (name := _note(text, m, "x")) is not None]
    if not names:
        return None
    try:
        moved_by = interval.Interval(_interval_symbols(match)[0])
    except interval.IntervalException:
        return None
    down = match.group("dir").lower() == "down"
    pitches = _stack_upwards(names, _start_octave(names[0]))
    moved = [moved_by.transposePitch(p, reverse=down) for p in pitches]
    before, after = " ".join(display(p) for p in pitches), " ".join(display(p) for p in moved)
    way = "down" if down else "up"
    return TheoryAnswer(
        kind="transposition",
        title=f"{before} transposed {way} {article(moved_by.niceName)} {moved_by.niceName.lower()}",
        facts=[f"{before} moved {way} {article(moved_by.niceName)} {moved_by.niceName.lower()} is {after}."]
        + (["Every interval between the notes stays the same."] if len(names) > 1 else []),
        notes=[display(p) for p in moved],
        example=_example("scale", moved),
    )


def _find_transposition(text: str) -> TheoryAnswer | None:
    for match in _ABOVE_RE.finditer(text):
        start = _note(text, match, "n")
        if start is None:
            continue
        below = match.group("dir").lower() in ("below", "down from", "under", "lower than")
        try:
            return _transposition(start, _interval_symbols(match), below)
        except interval.IntervalException:
            return None  # "a major fifth" names no interval
    return None


def _find_between(text: str) -> TheoryAnswer | None:
    for match in _BETWEEN_RE.finditer(text):
        first, second = _note(text, match, "a"), _note(text, match, "b")
        if first and second:
            words = f"{match.group('pre') or ''} {match.group('dir')}".lower()
            return _interval_between(first, second, descending="down" in words)
    return None


_INTERVAL_INVERSION_RE = re.compile(
    r"(?P<before>\binver(?:sion|t|ted|ting)\s+(?:of\s+)?(?:an?\s+|the\s+)?)?(?<![\w])"
    + _interval_pattern(largest=8) + r"(?![\w])"
    r"(?!\s+(?:chords?|arpeggios?|triads?))"  # "the second inversion of a major seventh chord"
    r"(?P<after>\s+(?:inverts?|inverted|turned\s+upside\s+down|upside\s+down)\b)?",
    re.IGNORECASE,
)


def _find_interval_inversion(text: str) -> TheoryAnswer | None:
    """ "the inversion of a minor second": the interval that completes it to an octave."""
    match = next((m for m in _INTERVAL_INVERSION_RE.finditer(text) if m.group("before") or m.group("after")),
                 None)
    if match is None:
        return None
    try:
        ivl = interval.Interval(_interval_symbols(match)[0])
    except interval.IntervalException:
        return None  # "perfect third", "major fifth": no such interval
    inverse = ivl.complement
    name, inverse_name = ivl.niceName.lower(), inverse.niceName.lower()
    facts = [
        f"The inversion of {article(name)} {name} ({ivl.name}) is {article(inverse_name)} {inverse_name} "
        f"({inverse.name}): moving its lower note up an octave turns the one into the other.",
        f"{article(name).title()} {name} spans {_semitones(ivl.semitones)} and {article(inverse_name)} "
        f"{inverse_name} {_semitones(inverse.semitones)}; together they make the octave's 12.",
        "Inverting keeps perfect intervals perfect, swaps major and minor and swaps augmented and "
        "diminished, and the numbers add up to nine.",
    ]
    low = pitch.Pitch("C4")
    return TheoryAnswer(
        kind="interval",
        title=f"Inversion of {article(name)} {name}",
        facts=facts,
        notes=[],
        example=_example("interval", (low, inverse.transposePitch(low))),
    )


# ------------------------------------------------------------------------------------------ keys
_KEY_RE = re.compile(rf"(?<![\w]){note_pattern('k')}(?:\s+(?P<mode>major|minor))?(?![\w#♯♭])", re.IGNORECASE)
_SIGNATURE_RE = re.compile(r"\b(key\s+signature|sharps|flats|accidentals)\b", re.IGNORECASE)
_RELATION_RE = re.compile(r"\b(?P<rel>relative|parallel)(?:\s+(?P<want>major|minor))?\b", re.IGNORECASE)


def _key_label(k: key.Key) -> str:
    return f"{display(k.tonic)} {k.mode}"


def _signature_sentence(k: key.Key) -> str:
    count = k.sharps
    if count == 0:
        return f"{_key_label(k)} has no sharps or flats in its key signature."
    kind = "sharp" if count > 0 else "flat"
    altered = ", ".join(display(p) for p in k.alteredPitches)
    sentence = f"{_key_label(k)} has {abs(count)} {kind}{'s' if abs(count) > 1 else ''}: {altered}."
    if abs(count) > 7:
        twin_tonic = k.tonic.getEnharmonic().name
        twin = key.Key(twin_tonic if k.mode == "major" else twin_tonic.lower())
        sentence += f" That is a theoretical key; its enharmonic twin {_key_label(twin)} is written instead."
    return sentence


def _keys_in(text: str, start: int = 0) -> list[tuple[str, str | None]]:
    found = []
    for match in _KEY_RE.finditer(text, start):
        name = _note(text, match, "k")
        if name is not None:
            mode = match.group("mode")
            found.append((name, mode.lower() if mode else None))
    return found


def _make_key(name: str, mode: str) -> key.Key:
    return key.Key(name if mode == "major" else name.lower())


def _chord_in_key(pattern: re.Pattern[str], text: str, default_mode: str
                  ) -> tuple[re.Match[str], key.Key] | None:
    """The match of a chord's name ("the Neapolitan of", "a German sixth in") and the key named
    after it, `default_mode` when the text gives none."""
    match = pattern.search(text)
    keys = _keys_in(text, match.end()) if match else []
    if match is None or not keys:
        return None
    name, mode = keys[0]
    return match, _make_key(name, mode or default_mode)


def _key_example(k: key.Key) -> dict[str, Any]:
    numerals = "I IV V I" if k.mode == "major" else "i iv V i"
    return {"type": "progression", "key": k.tonicPitchNameWithCase, "numerals": numerals}


def _find_signature(text: str) -> TheoryAnswer | None:
    if not _SIGNATURE_RE.search(text):
        return None
    keys = [(n, m) for n, m in _keys_in(text) if m is not None] or [
        (n, "major") for n, _ in _keys_in(text) if re.search(r"\bkey\b|\bin\b", text, re.IGNORECASE)
    ]
    if not keys:
        return None
    k = _make_key(*keys[0])
    return TheoryAnswer(
        kind="key_signature",
        title=f"key signature of {_key_label(k)}",
        facts=[_signature_sentence(k), f"Its relative {k.relative.mode} is {_key_label(k.relative)}."],
        notes=[display(p) for p in k.alteredPitches],
        example=_key_example(k),
    )


def _find_relation(text: str) -> TheoryAnswer | None:
    relation = _RELATION_RE.search(text)
    if not relation:
        return None
    keys = _keys_in(text[relation.end():]) or _keys_in(text[: relation.start()])
    if not keys:
        return None
    name, mode = keys[0]
    want = (relation.group("want") or "").lower()
    if mode is None:
        mode = "minor" if want == "major" else "major"
    k = _make_key(name, mode)
    rel = relation.group("rel").lower()
    other = k.relative if rel == "relative" else k.parallel
    if want and other.mode != want:
        return None  # "relative major of C major" asks for nothing that exists
    facts = [f"The {rel} {other.mode} of {_key_label(k)} is {_key_label(other)}."]
    if rel == "relative":
        minor, major = (other, k) if other.mode == "minor" else (k, other)
        gap = interval.Interval(_with_octave(minor.tonic.name), _upward(_with_octave(minor.tonic.name),
                                                                          major.tonic.name))
        facts.append(f"Both share one key signature: {_signature_sentence(k).split(': ')[-1]}"
                     if k.sharps else "Both share one key signature, with no sharps or flats.")
        facts.append(f"{_key_label(major)} starts a {gap.niceName.lower()} above {_key_label(minor)}.")
    else:
        facts.append("They share a tonic but not a key signature.")
        facts += [_signature_sentence(k), _signature_sentence(other)]
    return TheoryAnswer(
        kind=f"{rel}_key",
        title=f"{rel} {other.mode} of {_key_label(k)}",
        facts=facts,
        notes=[display(other.tonic)],
        example=_key_example(other),
    )


def _generic_article(text: str, match: re.Match[str]) -> bool:
    """"notes in a chromatic scale", "the steps of a major scale": a lowercase "a" before a scale
    named as such is the article of a general question, not the note A ("the a minor scale" is)."""
    bare = not (match.group("t_word") or match.group("t_sign"))
    before = text[: match.start("t_letter")].split()
    return (match.group("t_letter") == "a" and bare and bool(match.group("noun"))
            and (not before or before[-1].lower() != "the"))


def _find_scale(text: str) -> TheoryAnswer | None:
    for match in _SCALE_ON_RE.finditer(text):
        raw = re.sub(r"\s+", " ", match.group("stype").lower())
        # "in a major key" names no tonic; "on A" (capital, or a sign) does
        if match.group("t_letter") == "a" and not (match.group("t_word") or match.group("t_sign")):
            continue
        return _scale_answer(name_from_match(match, "t"), _SCALE_ALIASES.get(raw, raw))
    for match in _SCALE_RE.finditer(text):
        tonic = _note(text, match, "t")
        if tonic is None or _generic_article(text, match):
            continue
        raw = re.sub(r"\s+", " ", match.group("stype").lower())
        stype = _SCALE_ALIASES.get(raw, raw)
        noun = (match.group("noun") or "").lower()
        bare = raw in _NAMED_MODE_OR_SCALE and noun not in ("scale", "mode")
        if bare and not re.search(r"\bnotes?\b|\bscale\b", text, re.IGNORECASE):
            continue
        return _scale_answer(tonic, stype)
    return None


# ------------------------------------------------------------------------------ Roman numerals
_ROMAN_RE = re.compile(
    r"(?<![\w/])(?P<rn>[b♭#♯]?(?:VII|VI|IV|V|III|II|I|vii|vi|iv|v|iii|ii|i))(?P<fig>°7|ø7|o7|maj7|7|°|o|\+)?"
    # an applied chord: "V/V", "V7 of ii", "the V of IV"
    r"(?:\s*(?:/|\s+of\s+(?:the\s+)?)(?P<target>[b♭#♯]?(?:VII|VI|IV|V|III|II|I|vii|vi|iv|v|iii|ii|i))\b)?"
    r"(?P<chord>\s*(?:chord|triad))?\s+(?:in|of)\s+(?:the\s+key\s+of\s+)?" + note_pattern("k")
    + r"(?:\s*(?P<mode>major|minor))?\b"
)


def _find_roman(text: str) -> TheoryAnswer | None:
    """'the V chord in G', 'ii7 in C major', 'what is iv in A minor': the chord a numeral names."""
    for match in _ROMAN_RE.finditer(text):
        numeral = match.group("rn")
        target = match.group("target")
        if numeral in ("I", "i", "v") and not (match.group("chord") or match.group("fig") or target):
            continue  # "I in C" is more likely the pronoun; "v" alone is ambiguous
        tonic = name_from_match(match, "k")
        mode = (match.group("mode") or "major").lower()
        home = _make_key(tonic, mode)
        figure = numeral.replace("♭", "b").replace("♯", "#") + (match.group("fig") or "").replace("ø", "/o")
        if target:
            figure += "/" + target.replace("♭", "b").replace("♯", "#")
        try:
            chord_ = roman.RomanNumeral(figure.replace("°", "o"), home)
        except Exception:  # music21 raises several types for figures it cannot read
            continue
        if not chord_.pitches:
            continue
        notes = [display(p) for p in chord_.pitches]
        root = display(chord_.root())
        common = chord_.commonName
        shown = f"{numeral}{match.group('fig') or ''}" + (f"/{target}" if target else "")
        facts = [f"In {_key_label(home)}, {shown} is the {root} {common}: {' '.join(notes)}."]
        if target:
            aim = roman.RomanNumeral(target.replace("♭", "b").replace("♯", "#"), home)
            degree = home.getScaleDegreeFromPitch(chord_.root())
            on = f", built on the {_ordinal(degree)} degree of the scale" if degree else ""
            role = {"V": "dominant", "VII": "leading-tone chord"}.get(numeral.upper(), numeral)
            facts.append(f"It is the {role} of {target} "
                         f"({display(aim.root())}){on}.")
        else:
            facts.append(f"It is built on the {_ordinal(chord_.scaleDegree)} degree of the scale.")
        return TheoryAnswer(
            kind="roman_numeral",
            title=f"{shown} in {_key_label(home)}",
            facts=facts,
            notes=notes,
            example=_example("chord", chord_.pitches),
        )
    return None


# ------------------------------------------------------------------------- scale-degree names
# name -> (degree, Roman numeral in major, in minor); in minor the dominant and leading-tone chords
# take the raised seventh (harmonic minor), the subtonic is the natural one
_DEGREES: dict[str, tuple[int, str, str]] = {
    "tonic": (1, "I", "i"), "supertonic": (2, "ii", "iio"), "mediant": (3, "iii", "III"),
    "subdominant": (4, "IV", "iv"), "dominant": (5, "V", "V"), "submediant": (6, "vi", "VI"),
    "leading tone": (7, "viio", "viio"), "subtonic": (7, "", "VII"),
}
_ORDINAL_WORDS = {"1st": 1, "first": 1, "2nd": 2, "second": 2, "3rd": 3, "third": 3, "4th": 4, "fourth": 4,
             "5th": 5, "fifth": 5, "6th": 6, "sixth": 6, "7th": 7, "seventh": 7}
_DEGREE_NAMES = ("tonic", "supertonic", "mediant", "subdominant", "dominant", "submediant", "leading tone")
_DEGREE_RE = re.compile(
    r"\b(?:(?P<degree>supertonic|subdominant|submediant|subtonic|tonic|mediant|dominant|leading[\s-]tone)"
    r"|(?P<ordinal>" + "|".join(_ORDINAL_WORDS) + r")\s+(?:scale\s+)?degree"
    r"|(?P<bare>" + "|".join(_ORDINAL_WORDS) + r"))"
    r"(?:\s+(?:note|chord|triad))?\s+(?:of|in)\s+(?:the\s+key\s+of\s+)?(?=\S)"
)
_NOT_A_DEGREE = {"neapolitan", "italian", "german", "french", "augmented", "diminished", "major", "minor",
                 "perfect", "added", "flat", "sharp", "flattened", "raised", "lowered"}
# after a bare ordinal ("the 5th of A major") the key must follow at once and say its mode or
# "scale"/"key": "the seventh of G7" is a chord member, not the leading tone of G major
_BARE_KEY_RE = re.compile(r"(?:the\s+)?[A-Ga-g](?:[#♯b♭]|\s*(?:sharp|flat))?\s*(?:major|minor|scale|key)\b",
                          re.IGNORECASE)


def _find_degree(text: str) -> TheoryAnswer | None:
    """'the dominant of A major', 'leading tone in F# minor': the note a degree name picks, and its
    triad in the key. A key without a mode is major."""
    match = _DEGREE_RE.search(text.lower())
    if not match:
        return None
    if match.group("bare"):
        before = text[: match.start()].split()
        if before and before[-1].lower() in _NOT_A_DEGREE:
            return None  # "the Neapolitan sixth of A minor", "a major third of ...": not a degree
        if not _BARE_KEY_RE.match(text, match.end()):
            return _degree_of_note(text, match)
    keys = _keys_in(text, match.end())  # the whole text: "of a minor" is the key of A minor
    if not keys:
        return None
    name, mode = keys[0]
    home = _make_key(name, mode or "major")
    ordinal = match.group("ordinal") or match.group("bare")
    if ordinal:  # "the 3rd degree of D major": the mediant
        degree_name = _DEGREE_NAMES[_ORDINAL_WORDS[ordinal] - 1]
    else:
        degree_name = re.sub(r"[\s-]+", " ", match.group("degree"))
    number, in_major, in_minor = _DEGREES[degree_name]
    figure = in_major if home.mode == "major" else in_minor
    if not figure:
        return None  # a major key has a leading tone, not a subtonic
    chord_ = roman.RomanNumeral(figure, home)
    note = display(chord_.root())
    triad = [display(p) for p in chord_.pitches]
    shown = figure.replace("o", "°")
    facts = [
        f"In {_key_label(home)}, the {degree_name} is {note}, the {_ordinal(number)} degree.",
        f"Its triad is {' '.join(triad)} ({shown}, {article(chord_.commonName)} {chord_.commonName}).",
    ]
    if home.mode == "minor" and degree_name in ("dominant", "leading tone"):
        raised = display(chord_.pitches[1] if number == 5 else chord_.root())
        facts.append(f"It uses the raised seventh degree, {raised}, of the harmonic minor.")
    return TheoryAnswer(
        kind="scale_degree",
        title=f"{degree_name} of {_key_label(home)}",
        facts=facts,
        notes=triad,
        example=_example("chord", chord_.pitches),
    )


_BARE_NOTE_END_RE = re.compile(r"(?:the\s+(?:note\s+)?)?" + note_pattern("k") + r"\s*[?.!]*\s*$",
                               re.IGNORECASE)


def _degree_of_note(text: str, match: re.Match[str]) -> TheoryAnswer | None:
    """ "the fifth of B flat": a bare note ends the question, so the degree is the same in its
    major and minor keys (2nd, 4th, 5th) or both are given (3rd, 6th, 7th). Anything after the
    note ("the seventh of G7", "the third of C in a chord") is not this question."""
    bare = _BARE_NOTE_END_RE.match(text, match.end())
    name = _note(text, bare, "k") if bare else None
    if name is None:
        return None
    number = _ORDINAL_WORDS[match.group("bare")]
    if number == 1:
        return None
    major, minor = _make_key(name, "major"), _make_key(name, "minor")
    in_major = display(major.pitchFromDegree(number))
    in_minor = display(minor.pitchFromDegree(number))
    step_major, step_minor = _step(major, number), _step(minor, number)
    up_major, up_minor = step_major.niceName.lower(), step_minor.niceName.lower()
    ordinal = _ordinal(number)
    if in_major == in_minor:
        facts = [f"The {ordinal} of {display(major.tonic)} is {in_major}, in {_key_label(major)} and in "
                 f"{_key_label(minor)} alike.",
                 f"{display(major.tonic)} up to {in_major} is {article(up_major)} {up_major}."]
    else:
        facts = [f"In {_key_label(major)} the {ordinal} degree is {in_major}; in {_key_label(minor)} it is "
                 f"{in_minor}.",
                 f"{display(major.tonic)} up to {in_major} is {article(up_major)} {up_major}, and up to "
                 f"{in_minor} {article(up_minor)} {up_minor}."]
    if number == 7:
        raised = display(minor.pitchFromDegree(7).transpose("A1"))
        facts.append(f"The harmonic and melodic minor raise it to {raised}, a leading tone.")
    low = pitch.Pitch(f"{major.tonic.name}4")
    high = step_major.transposePitch(low)
    return TheoryAnswer(
        kind="scale_degree",
        title=f"The {ordinal} of {display(major.tonic)}",
        facts=facts,
        notes=[in_major] if in_major == in_minor else [in_major, in_minor],
        example=_example("interval", (low, high)),
    )


def _step(home: key.Key, number: int) -> interval.Interval:
    """The simple interval from the key's tonic up to its degree `number`."""
    return interval.Interval(interval.Interval(home.tonic, home.pitchFromDegree(number)).simpleName)


_KEY_DOMINANT_SEVENTH_RE = re.compile(
    r"\bdominant\s+(?:seventh|7th)(?:\s+chord)?\s+(?:of|in)\s+(?:the\s+key\s+of\s+)?(?=\S)", re.IGNORECASE)


def _find_key_dominant_seventh(text: str) -> TheoryAnswer | None:
    """'the dominant seventh chord in F': the key's V7 (C7), not a dominant seventh on F."""
    found = _chord_in_key(_KEY_DOMINANT_SEVENTH_RE, text, "major")
    if found is None:
        return None
    _, home = found
    chord_ = roman.RomanNumeral("V7", home)
    notes = [display(p) for p in chord_.pitches]
    third, seventh = display(chord_.third), display(chord_.seventh)
    facts = [f"In {_key_label(home)}, the dominant seventh chord is V7, built on the 5th degree, "
             f"{display(chord_.root())}: {' '.join(notes)}.",
             f"Its third and seventh, {third} and {seventh}, form a tritone that resolves to the tonic "
             f"chord, {third} rising to {display(home.tonic)} and {seventh} falling to "
             f"{display(home.pitchFromDegree(3))}."]
    if home.mode == "minor":
        facts.append(f"It takes the raised seventh degree, {third}, of the harmonic minor.")
    return TheoryAnswer(
        kind="roman_numeral",
        title=f"V7 in {_key_label(home)}",
        facts=facts,
        notes=notes,
        example=_example("chord", chord_.pitches),
    )


# ------------------------------------------------------- Neapolitan and tritone substitution
_NEAPOLITAN_RE = re.compile(
    r"\bneapolitan(?:\s+(?:sixth|6th|chord|triad))*\s+(?:of|in|for)\s+(?:the\s+key\s+of\s+)?(?=\S)",
    re.IGNORECASE,
)


_COUNT_WORDS = {"no": 0, "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7}
_WHICH_KEY_RE = re.compile(
    r"\b(?:what|which)\s+(?:major\s+|minor\s+)?keys?\s+(?:has|have|with|uses?|is\s+written\s+with)\s+"
    r"(?P<count>[0-7]|no|zero|one|two|three|four|five|six|seven)\s+(?P<sign>sharps?|flats?)\b",
    re.IGNORECASE,
)


def _find_key_of_signature(text: str) -> TheoryAnswer | None:
    """'what key has 4 sharps': the major key and its relative minor with that signature."""
    match = _WHICH_KEY_RE.search(text)
    if not match:
        return None
    raw = match.group("count").lower()
    count = int(raw) if raw.isdigit() else _COUNT_WORDS[raw]
    sharps = count if match.group("sign").lower().startswith("sharp") else -count
    major = key.KeySignature(sharps).asKey("major")
    minor = major.relative
    return TheoryAnswer(
        kind="key_of_signature",
        title=f"keys with {count} {match.group('sign').lower()}",
        facts=[f"{_key_label(major)} and its relative minor, {_key_label(minor)}, are written with that "
               "key signature.", _signature_sentence(major)],
        notes=[display(p) for p in major.alteredPitches],
        example=_key_example(major),
    )


def _find_neapolitan(text: str) -> TheoryAnswer | None:
    """'the Neapolitan chord in C minor': the major triad on the lowered second degree, usually
    in first inversion (N6). A key without a mode is minor, the Neapolitan's home."""
    found = _chord_in_key(_NEAPOLITAN_RE, text, "minor")
    if found is None:
        return None
    _, home = found
    chord_ = roman.RomanNumeral("N6", home)
    root = display(chord_.root())
    triad = [display(p) for p in roman.RomanNumeral("bII", home).pitches]
    bass = display(chord_.bass())
    return TheoryAnswer(
        kind="neapolitan",
        title=f"Neapolitan chord of {_key_label(home)}",
        facts=[
            f"In {_key_label(home)}, the Neapolitan chord is the {root} major triad, {' '.join(triad)}, "
            "built on the lowered second degree (♭II).",
            f"It usually stands in first inversion (N6), with {bass} in the bass, and leads to the dominant.",
        ],
        notes=triad,
        example={"type": "progression", "key": home.tonicPitchNameWithCase, "numerals": "i N6 V i"
                 if home.mode == "minor" else "I N6 V I"},
    )


_AUGMENTED_SIXTH_RE = re.compile(
    r"\b(?P<kind>italian|french|german)\s+(?:augmented\s+)?(?:sixth|6th|6)(?:\s+chord)?\s+(?:of|in|for)\s+"
    r"(?:the\s+key\s+of\s+)?(?=\S)", re.IGNORECASE)
_AUGMENTED_SIXTHS = {"italian": ("It6", "Italian"), "french": ("Fr43", "French"),
                     "german": ("Ger65", "German")}


def _find_augmented_sixth(text: str) -> TheoryAnswer | None:
    """'a German sixth in C', 'the Italian augmented sixth of A minor': its notes in that key from
    music21's It6 / Fr43 / Ger65, with the augmented sixth and where it resolves."""
    found = _chord_in_key(_AUGMENTED_SIXTH_RE, text, "major")
    if found is None:
        return None
    match, home = found
    figure, kind = _AUGMENTED_SIXTHS[match.group("kind").lower()]
    chord_ = roman.RomanNumeral(figure, home)
    members = [display(p) for p in chord_.pitches]
    bass, top = chord_.pitches[0], chord_.pitches[-1]
    if interval.Interval(bass, top).name != "A6":  # music21's figure, checked: never state a wrong span
        return None
    dominant = display(home.getDominant())
    label = _key_label(home)
    home_numeral = "I" if home.mode == "major" else "i"
    return TheoryAnswer(
        kind="augmented_sixth",
        title=f"{kind} augmented sixth chord in {label}",
        facts=[
            f"In {label}, the {kind} augmented sixth chord is {' '.join(members)}.",
            f"{display(bass)} in the bass and {display(top)} above it form an augmented sixth, which "
            f"opens outward by semitones to the octave on {dominant}, the dominant.",
        ],
        notes=members,
        example={"type": "progression", "key": home.tonicPitchNameWithCase,
                 "numerals": f"{home_numeral} {figure} V {home_numeral}"},
    )


_SUBSTITUTE_RE = re.compile(
    r"\btritone\s+sub(?:stitution|stitute)?s?\s+(?:for|of)\s+(?:an?\s+|the\s+)?"
    r"(?P<r_letter>[A-Ga-g])(?P<r_acc>#|♯|b|♭)?\s*(?:7|dominant\s+seventh|dom7)(?![\w])",
)


def _find_substitute(text: str) -> TheoryAnswer | None:
    """'a tritone sub for G7': the dominant seventh a tritone away, which shares its tritone."""
    match = _SUBSTITUTE_RE.search(text)
    if not match:
        return None
    acc = (match.group("r_acc") or "").replace("b", "-").replace("♭", "-").replace("♯", "#")
    original = _with_octave(match.group("r_letter").upper() + acc, 3)
    other = original.transpose("d5")
    if len(other.name) > 2 or other.name in ("F-", "C-", "E#", "B#"):  # spell it the usual way
        other = other.getEnharmonic()
    first = harmony.ChordSymbol(root=original.name, kind="dominant-seventh")
    second = harmony.ChordSymbol(root=other.name, kind="dominant-seventh")
    shared = sorted({p.pitchClass for p in first.pitches} & {p.pitchClass for p in second.pitches})
    named = [display(p) for p in first.pitches if p.pitchClass in shared]
    notes = [display(p) for p in second.pitches]
    return TheoryAnswer(
        kind="tritone_substitution",
        title=f"tritone substitute for {display(original)}7",
        facts=[
            f"The tritone substitute for {display(original)}7 is {display(other)}7: {' '.join(notes)}.",
            f"Its root lies a tritone from {display(original)}, and both chords share the tritone "
            f"{' and '.join(named)} (the third and seventh of one are the seventh and third of the other).",
        ],
        notes=notes,
        example=_example("chord", second.pitches),
    )


# ------------------------------------------------------------------------------- note lengths
_NOTE_VALUES = {
    "whole": "whole", "semibreve": "whole", "half": "half", "minim": "half", "quarter": "quarter",
    "crotchet": "quarter", "eighth": "eighth", "quaver": "eighth", "sixteenth": "16th",
    "semiquaver": "16th", "thirty-second": "32nd", "demisemiquaver": "32nd",
}
_BRITISH = ("semibreve", "minim", "crotchet", "quaver", "semiquaver", "demisemiquaver")
_LENGTH_RE = re.compile(  # "half note", "half rest", "crotchet"; never "half step"
    r"\bhow\s+(?:many|long)\b.*?\b(?:(?P<dots>double[\s-]dotted|dotted)\s+)?"
    r"(?:(?P<value>" + "|".join(v for v in _NOTE_VALUES if v not in _BRITISH) + r")[\s-]+(?P<noun>note|rest)"
    r"|(?P<british>" + "|".join(_BRITISH) + r"))s?\b",
    re.IGNORECASE,
)
_METER_RE = re.compile(r"\b(?P<meter>[1-9]\d?/(?:1|2|4|8|16))\b")
_DOT_WORDS = {None: 0, "dotted": 1}


_PARTS = {Fraction(1, 2): "half a beat", Fraction(1, 4): "a quarter of a beat",
          Fraction(1, 3): "a third of a beat", Fraction(2, 3): "two thirds of a beat",
          Fraction(3, 4): "three quarters of a beat", Fraction(1, 8): "an eighth of a beat"}


def _beats(count: Fraction) -> str:
    """'3 beats', '1 beat', 'half a beat', '3½ beats'."""
    whole, part = divmod(count, 1)
    if not part:
        return f"{whole} beat{'' if whole == 1 else 's'}"
    if not whole and part in _PARTS:
        return _PARTS[part]
    if part == Fraction(1, 2):
        return f"{whole}½ beats"
    return f"{count.numerator}/{count.denominator} beats"


def _find_length(text: str) -> TheoryAnswer | None:
    """'how many beats in a dotted half note': its length in beats, the quarter note being the
    beat unless the message names a meter ('in 6/8': the dotted quarter)."""
    match = _LENGTH_RE.search(text)
    if not match or not re.search(r"\b(beats?|counts?|long|last)\b", text, re.IGNORECASE):
        return None
    dots = 2 if match.group("dots") and match.group("dots").lower().startswith("double") else (
        1 if match.group("dots") else 0)
    word = (match.group("value") or match.group("british")).lower()
    length = duration.Duration(type=_NOTE_VALUES[word], dots=dots).quarterLength
    noun = f" {match.group('noun').lower()}" if match.group("value") else ""
    dotted = f"{match.group('dots')} " if match.group("dots") else ""
    named = re.sub(r"\s+", " ", dotted + word).lower() + noun
    found = _METER_RE.search(text)
    signature = meter.TimeSignature(found.group("meter") if found else "4/4")
    unit = signature.beatDuration.quarterLength
    beats = Fraction(length) / Fraction(unit)
    beat_name = signature.beatDuration.fullName.lower() + " note"
    facts = [f"In {signature.ratioString}, where the beat is a {beat_name}, {article(named)} {named} "
             f"lasts {_beats(beats)}."]
    if dots:
        facts.append("A dot adds half the note's value" + (", and a second dot half of that." if dots == 2
                                                           else "."))
    return TheoryAnswer(kind="note_length", title=f"length of a {named}", facts=facts)


# ------------------------------------------------------------------ chords of a key, progressions
_DIATONIC_RE = re.compile(
    r"\b(?:diatonic\s+)?(?:chords|triads|harmonies)\b(?P<between>[\w\s']{0,30}?)\s+(?:in|of|for|from)\s+"
    r"(?:the\s+)?(?:key\s+of\s+)?(?=[A-Ga-g])", re.IGNORECASE)
_TRIADS = {"major": "I ii iii IV V vi viio", "minor": "i iio III iv v VI VII"}
_SEVENTHS = {"major": "I7 ii7 iii7 IV7 V7 vi7 vii/o7", "minor": "i7 ii/o7 III7 iv7 v7 VI7 VII7"}


def _key_after(text: str, position: int) -> key.Key | None:
    """The key named right at `position` ("G", "F# minor"); major when no mode is said."""
    keys = _keys_in(text, position)
    if not keys or text[position:].lstrip()[:1].upper() != keys[0][0][0]:
        return None
    return _make_key(keys[0][0], keys[0][1] or "major")


def _listed(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{numeral} {name}" for numeral, name in pairs)


def _find_diatonic(text: str) -> TheoryAnswer | None:
    """'what chords are in the key of G', 'diatonic chords of D major', 'triads in F# minor': the
    chord on each degree, computed by music21; a key without a mode is major."""
    match = _DIATONIC_RE.search(text)
    if not match:
        return None
    home = _key_after(text, match.end())
    if home is None:
        return None
    mode = home.mode
    triads = progression_chords(_TRIADS[mode], home.tonicPitchNameWithCase)
    sevenths = progression_chords(_SEVENTHS[mode], home.tonicPitchNameWithCase)
    label = _key_label(home)
    if mode == "major":
        primary = [name for numeral, name in triads if numeral in ("I", "IV", "V")]
        facts = [
            f"The chords of {label}, one on each degree of its scale: {_listed(triads)}.",
            f"As seventh chords: {_listed(sevenths)}.",
            f"The primary triads I, IV and V ({primary[0]}, {primary[1]} and {primary[2]}) "
            "harmonise most simple melodies in the key.",
        ]
    else:
        raised = progression_chords("V viio V7", home.tonicPitchNameWithCase)
        facts = [
            f"The chords of {label} from its natural minor scale: {_listed(triads)}.",
            f"As seventh chords: {_listed(sevenths)}.",
            "With the raised seventh of the harmonic minor, as cadences usually have it, the "
            f"dominant becomes {raised[0][0]} {raised[0][1]} (or {raised[2][0]} {raised[2][1]}) and "
            f"the leading-tone triad {raised[1][0]} {raised[1][1]}.",
        ]
    home_numeral = "I" if mode == "major" else "i"
    example = {"type": "progression", "key": home.tonicPitchNameWithCase,
               "numerals": f"{_TRIADS[mode]} {home_numeral}"}
    return TheoryAnswer(kind="diatonic_chords", title=f"Chords in {label}", facts=facts,
                        notes=[name for _, name in triads], example=example)


_NUMERAL = r"[b♭#♯]?(?:VII|VI|IV|V|III|II|I|vii|vi|iv|v|iii|ii|i)(?:maj7|ø7|°7|o7|7|°|o)?"
_PROGRESSION_RE = re.compile(
    rf"(?<![\w/])(?P<seq>{_NUMERAL}(?:(?:\s*[-–—,]\s*|\s+){_NUMERAL}){{1,7}})(?:\s+(?:progression|cadence))?"
    r"\s+(?:in|of)\s+(?:the\s+key\s+of\s+)?(?=[A-Ga-g])")
_NUMERAL_RE = re.compile(_NUMERAL + r"(?![\w°ø])")


def _find_progression(text: str) -> TheoryAnswer | None:
    """'ii V I in Bb', 'I-IV-V in D', 'i iv V7 in A minor': every chord of a progression in a key.
    A bare ii-V-I also gets its jazz form with sevenths, which is what players mean by it."""
    match = _PROGRESSION_RE.search(text)
    if not match:
        return None
    home = _key_after(text, match.end())
    if home is None:
        return None
    written = _NUMERAL_RE.findall(match.group("seq"))
    mode = home.mode
    figures = []
    for numeral in written:
        figure = numeral.replace("♭", "b").replace("♯", "#").replace("ø7", "/o7").replace("°", "o")
        if figure.endswith("maj7"):
            figure = figure[:-4] + "7"  # music21's diatonic seventh: a major seventh on I and IV
        figures.append(figure)
    try:
        chords = progression_chords(" ".join(figures), home.tonicPitchNameWithCase)
    except Exception:  # a figure music21 cannot read: not a progression after all
        return None
    label = _key_label(home)
    shown = " ".join(numeral for numeral, _ in chords)
    facts = [f"In {label}, {shown} is {', '.join(name for _, name in chords)}."]
    if [n.lower() for n in written] == ["ii", "v", "i"] and mode == "major":
        jazz = progression_chords("ii7 V7 I7", home.tonicPitchNameWithCase)
        facts.append(f"With sevenths, as jazz players mean it: {' '.join(n for n, _ in jazz)}, that is "
                     f"{', '.join(name for _, name in jazz)}.")
    example = {"type": "progression", "key": home.tonicPitchNameWithCase, "numerals": " ".join(figures)}
    return TheoryAnswer(kind="progression", title=f"{shown} in {label}", facts=facts,
                        notes=[name for _, name in chords], example=example)


# -------------------------------------------------------------------------- enharmonic spellings
_NOTE_END = r"(?![\w#♯♭])"
_SAME_NOTE_RE = re.compile(
    rf"\b(?:is|isn't)\s+(?:the\s+note\s+)?(?<![\w]){note_pattern('a')}\s+(?:really\s+|just\s+|actually\s+)?"
    r"(?:the\s+same(?:\s+(?:note|pitch|key|thing))?\s+as|equal\s+to|enharmonic(?:ally\s+equivalent)?\s+(?:to|with)"
    rf"|equivalent\s+to)\s+(?:the\s+note\s+)?{note_pattern('b')}{_NOTE_END}"
    rf"|\bare\s+(?<![\w]){note_pattern('c')}\s+and\s+{note_pattern('d')}\s+(?:really\s+|just\s+)?"
    r"(?:the\s+same|enharmonic|equivalent|one\s+note)", re.IGNORECASE)
_ENHARMONIC_OF_RE = re.compile(
    r"\b(?:enharmonic(?:\s+(?:equivalents?|spellings?|names?))?\s+(?:of|for|to)|other\s+names?\s+(?:of|for)"
    rf"|another\s+name\s+for)\s+(?:the\s+note\s+)?(?<![\w]){note_pattern('e')}{_NOTE_END}", re.IGNORECASE)


def _respelled(name: str) -> str:
    """The other spellings of a pitch, those with single accidentals first: "F♯ (or E♯♯ with a
    double sharp)"."""
    single = pitch.Pitch(name).getAllCommonEnharmonics(alterLimit=1)
    double = [p for p in pitch.Pitch(name).getAllCommonEnharmonics(alterLimit=2) if p not in single]
    doubled = " or ".join(display(p) for p in double)
    if not single:
        return f"{doubled}, with double accidentals only"
    said = " or ".join(display(p) for p in single)
    return f"{said} (or {doubled} with a double accidental)" if double else said


def _find_enharmonic(text: str) -> TheoryAnswer | None:
    """'is E sharp the same as F', 'are C# and Db the same note', 'the enharmonic of G flat': whether
    two spellings name one pitch, or the spellings that do, from music21's pitch classes."""
    match = _ENHARMONIC_OF_RE.search(text)
    if match:
        name = _note(text, match, "e")
        if name is None:
            return None
        shown = display(pitch.Pitch(name))
        facts = [f"{shown} can also be spelled {_respelled(name)}: enharmonic equivalents, different names "
                 "for one pitch on the piano and in equal temperament."]
        return TheoryAnswer(kind="enharmonic", title=f"Enharmonic spellings of {shown}", facts=facts,
                            notes=[shown])
    match = _SAME_NOTE_RE.search(text)
    if not match:
        return None
    tags = ("a", "b") if match.group("a_letter") else ("c", "d")
    first, second = (_note(text, match, tag) for tag in tags)
    if first is None or second is None:
        return None
    one, two = pitch.Pitch(first), pitch.Pitch(second)
    a, b = display(one), display(two)
    if one.name == two.name:
        facts = [f"Yes: {a} and {b} are the same note, spelled the same way."]
    elif one.pitchClass == two.pitchClass:
        facts = [f"Yes: {a} and {b} are enharmonic equivalents, two names for the same pitch on the piano "
                 "and in equal temperament.",
                 "Which name is written depends on the key or chord: a major or minor scale uses each "
                 "letter once."]
    else:
        apart = (two.pitchClass - one.pitchClass) % 12
        apart = min(apart, 12 - apart)
        facts = [f"No: {a} and {b} are different pitches, {_semitones(apart)} apart."]
    return TheoryAnswer(kind="enharmonic", title=f"{a} and {b}", facts=facts, notes=[a, b])


# ------------------------------------------------------------------------- modes by their degrees
_MODE_QUESTION_RE = re.compile(
    r"\b(?:(?:which|what)\s+(?:church\s+|diatonic\s+|greek\s+)?modes?|modes?\s+(?:that\s+)?(?:has|have|with))\b",
    re.IGNORECASE)
_DEGREE_NUMBERS = {**{word: n for word, n in _ORDINAL_WORDS.items() if n > 1},
                   **{str(n): n for n in range(2, 8)}}
_SIGN_WORDS = {"raised": 1, "sharp": 1, "sharpened": 1, "augmented": 1, "#": 1, "♯": 1,
               "lowered": -1, "flat": -1, "flatted": -1, "flattened": -1, "b": -1, "♭": -1,
               "natural": 0, "major": 0, "perfect": 0, "minor": -1, "diminished": -1}
_ALTERED_RE = re.compile(
    r"(?<![\w#♯♭])(?P<sign>raised|sharp(?:ened)?|augmented|lowered|flat(?:ted|tened)?|natural|major|minor|"
    r"perfect|diminished|#|♯|b|♭)\s*(?P<degree>[2-7](?:nd|rd|th)?|second|third|fourth|fifth|sixth|seventh)"
    r"(?![\w/])", re.IGNORECASE)
_MAJOR_SEMITONES = {2: 2, 3: 4, 4: 5, 5: 7, 6: 9, 7: 11}
_MODE_ORDER = ("ionian", "dorian", "phrygian", "lydian", "mixolydian", "aeolian", "locrian")


@lru_cache(maxsize=1)
def _mode_alterations() -> dict[str, dict[int, int]]:
    """Each mode's degrees 2-7 as semitones away from the major scale's (music21 builds both on C)."""
    out = {}
    for mode in _MODE_ORDER:
        pitches = _MODES[mode]("C").getPitches()
        out[mode] = {d: int(pitches[d - 1].ps - pitches[0].ps) - _MAJOR_SEMITONES[d] for d in range(2, 8)}
    return out


def _degree_label(degree: int, shift: int) -> str:
    return f"{'♯' if shift > 0 else '♭' if shift < 0 else '♮'}{degree}"


def _find_mode(text: str) -> TheoryAnswer | None:
    """'which mode has a raised fourth', 'what modes have a flat 7', 'which mode has a b3 and a natural
    6': the modes of the major scale whose degrees differ from major that way, from music21's scales."""
    if not _MODE_QUESTION_RE.search(text):
        return None
    wanted: dict[int, int] = {}
    for match in _ALTERED_RE.finditer(text):
        degree = _DEGREE_NUMBERS[match.group("degree").lower()]
        sign = _SIGN_WORDS[match.group("sign").lower()]
        if match.group("sign").lower() in ("major", "minor") and degree in (4, 5):
            return None  # "a major fourth" is no degree of a mode
        if match.group("sign").lower() in ("perfect", "diminished") and degree not in (4, 5):
            return None
        wanted[degree] = sign
    if not wanted:
        return None
    word = {1: "a raised", -1: "a lowered", 0: "a natural"}
    asked = " and ".join(f"{word[s]} {_ordinal(d)} ({_degree_label(d, s)})"
                         for d, s in sorted(wanted.items()))
    alterations = _mode_alterations()
    found = [m for m in _MODE_ORDER if all(alterations[m][d] == s for d, s in wanted.items())]

    def differs(mode: str) -> str:
        changed = [_degree_label(d, s) for d, s in sorted(alterations[mode].items()) if s]
        return ", ".join(changed) if changed else "none: it is the major scale"

    if not found:
        facts = [f"None of the seven modes of the major scale has {asked} (each against the major "
                 "scale on the same note)."]
        return TheoryAnswer(kind="modes", title="Modes of the major scale", facts=facts)
    first = found[0]
    pitches = _SCALE_BUILDERS[first]("C")
    named = [m.capitalize() for m in found]
    if len(found) == 1:
        facts = [f"The {named[0]} mode is the only mode of the major scale with {asked}."]
        if [d for d, s in alterations[first].items() if s] != [d for d, s in wanted.items() if s]:
            facts.append("Against the major scale on the same note, its altered degrees are "
                         f"{differs(first)}.")
        facts.append(f"On C: {display_all([*pitches, pitches[0]])}.")
    else:
        facts = [f"The modes with {asked}: " + "; ".join(f"{m.capitalize()} ({differs(m)})" for m in found)
                 + ", each against the major scale on the same note.",
                 f"The {named[0]} mode on C: {display_all([*pitches, pitches[0]])}."]
    placed = _stack_upwards([p.name for p in pitches] + ["C"], 4)
    title = f"{named[0]} mode" if len(found) == 1 else "Modes of the major scale"
    return TheoryAnswer(kind="modes", title=title, facts=facts, notes=[display(p) for p in pitches],
                        example={"type": "scale", "pitches": " ".join(p.nameWithOctave for p in placed)})


_FINDERS: tuple[Callable[[str], TheoryAnswer | None], ...] = (
    _find_enharmonic, _find_mode, _find_interval_inversion,
    _find_transposed_notes, _find_transposition, _find_key_of_signature, _find_signature,
    _find_relation, _find_diatonic, _find_progression, _find_roman, _find_key_dominant_seventh,
    _find_degree, _find_neapolitan,
    _find_augmented_sixth,
    _find_substitute, _find_length, _find_between, _find_chord, _find_scale,
)


def answer(text: str) -> TheoryAnswer | None:
    """The computed answer to the first concrete theory question in `text`, or None."""
    text = text.strip()
    if not text:
        return None
    for finder in _FINDERS:
        found = finder(text)
        if found is not None:
            return _with_guitar_shape(found) if _GUITAR.search(text) else found
    return None


_GUITAR = re.compile(r"\b(guitars?|fret(board)?s?|tabs?|fingering)\b", re.IGNORECASE)


def _with_guitar_shape(found: TheoryAnswer) -> TheoryAnswer:
    """A chord asked about on the guitar also gets its frets (music.fretboard checks them)."""
    from dataclasses import replace

    from music.fretboard import guitar_shape

    if found.chord is None:
        return found
    shape = guitar_shape(*found.chord)
    if shape is None:
        return replace(found, facts=[*found.facts, "I have no checked guitar shape for this "
                                     "chord; its notes are above."])
    return replace(found, facts=[*found.facts, shape.describe()])


# ------------------------------------------------------------------------------ progressions
_NO_SYMBOL = "Chord Symbol Cannot Be Identified"


def progression_chords(numerals: str, key_name: str) -> list[tuple[str, str]]:
    """(numeral, chord name) per chord of a curriculum progression, as a musician writes them.

    The curriculum stores music21 figures: "I7" is the diatonic seventh (in major a major seventh,
    written Imaj7), "bIId7" a dominant seventh on the lowered second (written ♭II7). The chord name
    comes from the pitches music21 realises ("D♭7"); a chord no symbol names (an augmented sixth)
    is spelled out instead.
    """
    tonality = key.Key(key_name)
    out = []
    for figure in numerals.split():
        rn = roman.RomanNumeral(figure, tonality)
        symbol = harmony.chordSymbolFigureFromChord(rn)
        if not symbol or symbol == _NO_SYMBOL:
            name = "–".join(display(p) for p in rn.pitches)
        else:
            name = re.sub(r"(?<=[A-G])-", "♭", symbol).replace("#", "♯")
            name = re.sub(r"^([A-G][♭♯]*)o", r"\1°", name)
        out.append((_numeral_display(figure, symbol), name))
    return out


def _numeral_display(figure: str, symbol: str) -> str:
    """A music21 figure in the usual analysis spelling: ♭/♯ signs, ° and ø, d7 as 7, maj7 where the
    diatonic seventh is a major seventh."""
    shown = figure.replace("d7", "7").replace("/o7", "ø7")
    shown = re.sub(r"^b", "♭", shown)
    shown = re.sub(r"(?<=/)b", "♭", shown)
    shown = shown.replace("#", "♯")
    shown = re.sub(r"(?<=[iIvV])o", "°", shown)
    if figure.endswith("7") and "d7" not in figure and "/" not in figure and symbol.endswith("maj7"):
        shown = shown[:-1] + "maj7"
    return shown
