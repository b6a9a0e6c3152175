"""Harmony questions: chord inversions, Roman numerals in a key, and cadences written and heard.

Chords come from music21 (chord symbols for inversions, RomanNumeral in a Key for numerals), so the
stated answer is music21's own. Cadences are voiced in four parts: the bass takes each chord's bass
note, the three upper voices hold the chord members, and a small search keeps the upper voices
moving little, avoids parallel fifths and octaves, and puts the top voice where the cadence needs
it (the tonic for a perfect authentic cadence, the third or fifth for an imperfect one).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise, permutations
from typing import Any

from music21 import key, pitch

from music.answers import CASE_RULES, FIGURES, POSITIONS, Expected, cadence_title, display_roman, roman_chord
from music.quiz_base import (
    SEVENTHS,
    chord_names,
    dashed,
    key_name,
    key_of,
    keys_for,
    level_pool,
    max_accidentals,
    ordinal,
    pick,
    roots,
    voiced,
)
from music.spelling import accidental_count, display
from music.theory import article

MEMBERS = ("root", "third", "fifth", "seventh")
DEGREE_NAMES = ("tonic", "supertonic", "mediant", "subdominant", "dominant", "submediant", "leading tone")


# ------------------------------------------------------------------------------------ inversions
_INVERSION_QUALITIES = [
    (1, ["major", "minor"]),
    (4, ["diminished"]),
    (5, ["dominant seventh", "major seventh", "minor seventh", "half-diminished seventh"]),
    (7, ["diminished seventh"]),
]  # no augmented triads: each inversion of one is spelled like another augmented triad


def _inversion_qualities(difficulty: int, focus: dict[str, Any]) -> list[str]:
    pool = level_pool(_INVERSION_QUALITIES, difficulty)
    if focus.get("sevenths"):
        return [q for q in level_pool(_INVERSION_QUALITIES, max(difficulty, 5)) if q in SEVENTHS]
    if focus.get("triads"):
        return [q for q in pool if q not in SEVENTHS]
    return pool


def _inverted_chord(
    rng: random.Random, difficulty: int, focus: dict[str, Any], inverted: bool = False
) -> tuple[str, str, int, list[pitch.Pitch]]:
    """(root, quality, position, the notes from the bass up); a focus position comes up 2 times in 3,
    and without one `inverted` asks for an inversion (spelling root position is no inversion question)."""
    qualities, limit = _inversion_qualities(difficulty, focus), max_accidentals(difficulty)
    for _ in range(200):
        quality, root = pick(rng, qualities), pick(rng, roots(difficulty))
        names = chord_names(root, quality)
        if all(accidental_count(n) <= limit for n in names):
            break
    else:
        quality, root = qualities[0], "C"
        names = chord_names(root, quality)
    wanted = [p for p in focus.get("positions", ()) if p < len(names)]
    if wanted and rng.randrange(3):
        position = pick(rng, wanted)
    else:
        position = rng.randrange(1 if inverted and not wanted else 0, len(names))
    return root, quality, position, voiced([*names[position:], *names[:position]], octave=3)


def _chord_title(root: str, quality: str, size: int) -> str:
    return f"{display(root)} {quality} {'triad' if size == 3 else 'chord'}"


def _quiz_chord_inversion(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    root, quality, position, pitches = _inverted_chord(rng, difficulty, focus)
    size, bass = len(pitches), pitches[0]
    stacked = voiced(list(chord_names(root, quality)))
    noun = "triad" if size == 3 else "seventh chord"
    member, figure = MEMBERS[position], FIGURES[size][position]
    return {
        "prompt": f"Read from the bass up, a {noun} is spelled {dashed(pitches)}. Is it in root position, "
                  f"or which inversion?",
        "expected": Expected("inversion", (str(position), str(size))),
        "hints": [
            f"Rearrange the notes into stacked thirds to find the root: {dashed(stacked)}.",
            f"The root is {display(root)}; the bass, {display(bass)}, is its {member}.",
            f"A {noun} is figured {', '.join(FIGURES[size])} from root position up to its last inversion.",
        ],
        "explanation": f"{dashed(pitches)} is the {_chord_title(root, quality, size)} with its {member}, "
                       f"{display(bass)}, in the bass: {POSITIONS[position]}, figured {figure}.",
        "example": {"type": "chord", "pitches": " ".join(p.nameWithOctave for p in pitches)},
        "data": {"pitches": [p.nameWithOctave for p in pitches], "root": root, "quality": quality},
    }


def _quiz_inversion_spell(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    root, quality, position, pitches = _inverted_chord(rng, difficulty, focus, inverted=True)
    size, bass = len(pitches), pitches[0]
    title = _chord_title(root, quality, size)
    where = POSITIONS[position]
    return {
        "prompt": f"Spell the {title} in {where}, from the bass up.",
        "expected": Expected("notes", tuple(p.name for p in pitches), ordered=True),
        "hints": [
            f"Stack thirds on {display(root)}: the letters are "
            f"{' '.join(pitch.Pitch(n).step for n in chord_names(root, quality))}.",
            f"{where.capitalize()} puts the {MEMBERS[position]}, {display(bass)}, in the bass; the other "
            f"notes follow in order above it.",
        ],
        "explanation": f"{where.capitalize()} puts the {MEMBERS[position]} in the bass, so the {title} reads "
                       f"{dashed(pitches)} from the bass up (figured {FIGURES[size][position]}).",
        "example": {"type": "chord", "pitches": " ".join(p.nameWithOctave for p in pitches)},
        "data": {"root": root, "quality": quality, "position": position},
    }


# -------------------------------------------------------------------------------- Roman numerals
_TRIAD_NUMERALS = {"major": ["I", "ii", "iii", "IV", "V", "vi", "viio"],
                   "minor": ["i", "iio", "III", "iv", "V", "VI", "viio"]}  # minor: V and vii° from harmonic
_SEVENTH_NUMERALS = {"major": ["I7", "ii7", "iii7", "IV7", "V7", "vi7", "viiø7"],
                     "minor": ["iiø7", "iv7", "V7", "VI7", "viio7"]}
_PRIMARY_NUMERALS = {"major": ["I", "IV", "V"], "minor": ["i", "iv", "V"]}
_INVERTED = {3: ["6", "64"], 4: ["65", "43", "42"]}
_SIX_FOURS = {"I", "i", "IV", "iv", "V"}


@dataclass(frozen=True, slots=True)
class Numeral:
    """A Roman numeral realised in a key by music21 (cached: RomanNumeral and Key cost milliseconds)."""

    figure: str
    tonality: str  # tonic with case: "D", "a"
    names: tuple[str, ...]  # from the bass up
    members: tuple[str, ...]  # root, third, fifth (, seventh)
    degree: int
    position: int
    common: str  # "minor triad", "dominant seventh chord"

    @property
    def root(self) -> str:
        return self.members[0]


@lru_cache(maxsize=1024)
def numeral(figure: str, tonality: str) -> Numeral:
    chord_ = roman_chord(figure, tonality)
    if chord_ is None:
        raise ValueError(f"music21 cannot read {figure!r} in {tonality!r}")
    members = [chord_.root(), chord_.third, chord_.fifth] + ([chord_.seventh] if chord_.seventh else [])
    ordered = sorted(chord_.pitches, key=lambda p: p.ps)
    return Numeral(figure, tonality, tuple(p.name for p in ordered), tuple(p.name for p in members if p),
                   int(chord_.scaleDegree), int(chord_.inversion()), chord_.commonName)


def _numeral_pool(mode: str, difficulty: int, focus: dict[str, Any]) -> list[str]:
    chords = focus.get("chords")
    if chords == "primary":
        return _PRIMARY_NUMERALS[mode]
    if chords == "sevenths":
        return _SEVENTH_NUMERALS[mode]
    if chords == "triads" or difficulty < 5:
        return _TRIAD_NUMERALS[mode]
    return _TRIAD_NUMERALS[mode] + _SEVENTH_NUMERALS[mode]


def _numeral_in_key(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> tuple[key.Key, Numeral]:
    """A key and a diatonic numeral in it (inverted half the time from level 6), within the accidentals."""
    modes = tuple(focus.get("modes") or (("major", "minor") if difficulty >= 4 else ("major",)))
    keys, limit = keys_for(difficulty, modes), max_accidentals(difficulty)
    for _ in range(200):
        k = pick(rng, keys)
        figure = pick(rng, _numeral_pool(k.mode, difficulty, focus))
        if difficulty >= 6 and rng.randrange(2):
            if figure.endswith("7"):
                figure = figure[:-1] + pick(rng, _INVERTED[4])
            else:  # six-fours only where they are common: the cadential, pedal and passing ones
                figure += pick(rng, _INVERTED[3]) if figure in _SIX_FOURS else "6"
        found = numeral(figure, k.tonicPitchNameWithCase)
        if all(accidental_count(n) <= limit for n in found.names):
            return k, found
    k = keys[0]
    return k, numeral(_PRIMARY_NUMERALS[k.mode][0], k.tonicPitchNameWithCase)


def _degree_words(k: key.Key, n: Numeral) -> str:
    name = DEGREE_NAMES[n.degree - 1]
    if n.degree == 7 and k.mode == "minor" and n.root != k.getLeadingTone().name:
        name = "subtonic"
    return f"the {ordinal(n.degree)} degree ({name})"


def _leading_tone_note(k: key.Key, n: Numeral) -> str:
    """In minor, why V and vii° hold a raised note: the leading tone of the harmonic minor."""
    lead = k.getLeadingTone().name
    if k.mode != "minor" or lead not in n.names:
        return ""
    return (f" In minor its {display(lead)} is the leading tone, raised from {display(k.pitchFromDegree(7))} "
            f"as in the harmonic minor scale.")


def _inversion_words(n: Numeral) -> str:
    if not n.position:
        return ""
    return f", with its {MEMBERS[n.position]} in the bass ({FIGURES[len(n.members)][n.position]})"


def _quiz_roman_numeral(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    k, n = _numeral_in_key(rng, difficulty, focus)
    pitches, stacked = voiced(list(n.names), octave=3), voiced(list(n.members), octave=3)
    ask = ", read from the bass up? Add a figure if it is inverted." if difficulty >= 6 else "?"
    rule = CASE_RULES.get(n.common, "")
    last = f"It is {article(n.common)} {n.common}" + (f": write it {rule}." if rule else ".")
    if n.position:
        last += f" The bass is its {MEMBERS[n.position]}: figure {FIGURES[len(n.members)][n.position]}."
    return {
        "prompt": f"In {key_name(k)}, what Roman numeral names the chord {dashed(pitches)}{ask}",
        "expected": Expected("roman", (n.figure, n.tonality)),
        "hints": [
            f"Stacked in thirds the chord is {dashed(stacked)}, so its root is {display(n.root)}.",
            f"{display(n.root)} is {_degree_words(k, n)} of {key_name(k)}.",
            last,
        ],
        "explanation": f"In {key_name(k)}, {dashed(pitches)} is {display_roman(n.figure)}: "
                       f"{article(n.common)} {n.common} on {_degree_words(k, n)}{_inversion_words(n)}."
                       f"{_leading_tone_note(k, n)}",
        "example": {"type": "chord", "pitches": " ".join(p.nameWithOctave for p in pitches)},
        "data": {"key": n.tonality, "pitches": [p.nameWithOctave for p in pitches]},
    }


def _quiz_roman_chord(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    k, n = _numeral_in_key(rng, difficulty, focus)
    pitches = voiced(list(n.names), octave=3)
    shown = display_roman(n.figure)
    hints = [f"{shown} is built on {_degree_words(k, n)} of {key_name(k)}: {display(n.root)}.",
             f"Stack thirds on {display(n.root)} using the notes of {key_name(k)}."
             + (" In minor, raise the 7th degree as in the harmonic minor scale."
                if _leading_tone_note(k, n) else "")]
    if n.position:
        hints.append(f"The figure {FIGURES[len(n.members)][n.position]} puts the {MEMBERS[n.position]} "
                     f"in the bass.")
    return {
        "prompt": f"In {key_name(k)}, which notes make up {shown}?"
                  + (" Spell it from the bass up." if n.position else ""),
        "expected": Expected("notes", n.names, ordered=bool(n.position)),
        "hints": hints,
        "explanation": f"In {key_name(k)}, {shown} is {dashed(pitches)}: {article(n.common)} {n.common} on "
                       f"{display(n.root)}, {_degree_words(k, n)}{_inversion_words(n)}."
                       f"{_leading_tone_note(k, n)}",
        "example": {"type": "chord", "pitches": " ".join(p.nameWithOctave for p in pitches)},
        "data": {"key": n.tonality, "figure": n.figure},
    }


# -------------------------------------------------------------------------------------- cadences
# Phrases by cadence and mode, each with the level it appears from. Authentic phrases end V(7)-I or
# an inverted dominant; which of them is perfect depends on the top voice too (see _cadence_phrase).
_PHRASES: dict[tuple[str, str], list[tuple[int, tuple[str, ...]]]] = {
    ("authentic", "major"): [(1, ("I", "IV", "V", "I")), (1, ("I", "ii6", "V", "I")),
                             (3, ("I", "vi", "ii6", "V7", "I")), (6, ("I", "IV", "I64", "V7", "I"))],
    ("inverted authentic", "major"): [(1, ("I", "ii6", "V65", "I")), (1, ("I", "IV", "viio6", "I"))],
    ("half", "major"): [(1, ("I", "IV", "V")), (1, ("I", "ii6", "V")), (3, ("I", "vi", "IV", "V"))],
    ("plagal", "major"): [(1, ("I", "IV", "I")), (3, ("I", "vi", "IV", "I"))],
    ("deceptive", "major"): [(1, ("I", "IV", "V", "vi")), (3, ("I", "ii6", "V7", "vi"))],
    ("authentic", "minor"): [(1, ("i", "iv", "V", "i")), (3, ("i", "iio6", "V7", "i")),
                             (6, ("i", "iv", "i64", "V7", "i"))],
    ("inverted authentic", "minor"): [(1, ("i", "iv", "V65", "i")), (1, ("i", "iv", "viio6", "i"))],
    ("half", "minor"): [(1, ("i", "iv", "V")), (3, ("i", "VI", "iv", "V"))],
    ("plagal", "minor"): [(1, ("i", "iv", "i")), (3, ("i", "VI", "iv", "i"))],
    ("deceptive", "minor"): [(1, ("i", "iv", "V", "VI")), (3, ("i", "iio6", "V7", "VI"))],
    ("phrygian half", "minor"): [(1, ("i", "iv6", "V")), (1, ("i", "VI", "iv6", "V"))],
}
_CADENCE_LEVELS = [
    (1, ["perfect authentic", "imperfect authentic", "half", "plagal"]),
    (3, ["deceptive"]),
    (7, ["phrygian half"]),
]
_BROADER = {"perfect authentic": "authentic", "imperfect authentic": "authentic", "phrygian half": "half"}
_FUNCTIONS = {1: "tonic", 2: "supertonic", 3: "mediant", 4: "subdominant", 5: "dominant", 6: "submediant",
              7: "leading-tone"}


@dataclass(frozen=True, slots=True)
class Phrase:
    cadence: str  # one of answers.CADENCES, never plain "authentic"
    required: str  # the least specific name the answer may use
    tonality: str
    figures: tuple[str, ...]
    voicings: tuple[tuple[str, ...], ...]  # each chord's notes from the bass up, with octaves

    @property
    def top(self) -> str:
        return pitch.Pitch(self.voicings[-1][-1]).name


def _modes(difficulty: int, focus: dict[str, Any], cadence: str) -> tuple[str, ...]:
    if cadence == "phrygian half":
        return ("minor",)
    return tuple(focus.get("modes") or (("major", "minor") if difficulty >= 4 else ("major",)))


def _cadence_phrase(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> Phrase:
    """A phrase ending in a cadence from the focus (2 times in 3 when it names others) or the level's pool."""
    main, others = list(focus.get("cadences") or ()), list(focus.get("others") or ())
    if main:
        cadence = pick(rng, main) if not others or rng.randrange(3) else pick(rng, others)
    else:
        cadence = pick(rng, level_pool(_CADENCE_LEVELS, difficulty))
    k = pick(rng, keys_for(difficulty, _modes(difficulty, focus, cadence)))
    family = "authentic" if cadence.endswith("authentic") else cadence
    phrases = [p for level, p in _PHRASES[(family, k.mode)] if level <= difficulty]
    top: int | None = None
    if cadence == "perfect authentic":
        top = 0
    elif cadence == "imperfect authentic":
        if difficulty >= 5 and rng.randrange(2):  # an inverted dominant, or vii° for V, from level 5
            phrases = [p for _, p in _PHRASES[("inverted authentic", k.mode)]]
            top = rng.randrange(3)
        else:
            top = 1 + rng.randrange(2)  # the third or the fifth on top
    figures = pick(rng, phrases)
    if focus.get("precise") or (difficulty >= 5 and cadence != "phrygian half"):
        required = cadence  # perfect or imperfect must be told apart from level 5
    else:
        required = _BROADER.get(cadence, cadence)
    tonality = k.tonicPitchNameWithCase
    return Phrase(cadence, required, tonality, figures, voice_phrase(figures, tonality, top))


# ------------------------------------------------------------------------------------- voicing
_BASS_RANGE, _SOPRANO_RANGE = (36, 57), (62, 79)  # C2-A3, D4-G5


@lru_cache(maxsize=512)
def voice_phrase(figures: tuple[str, ...], tonality: str, top: int | None) -> tuple[tuple[str, ...], ...]:
    """Four-part voicings of the numerals, from the bass up; `top` is the chord member (0 root, 1 third,
    2 fifth) the last chord must have in its top voice, or None for any."""
    chords = [numeral(f, tonality) for f in figures]
    basses = _bass_line(chords)
    options = [_upper_options(c, b) for c, b in zip(chords, basses, strict=True)]
    if top is not None:
        options[-1] = [o for o in options[-1] if o[-1].name == chords[-1].members[top]]
    # cheapest path through the options, chord by chord (a tiny dynamic programme)
    best: list[tuple[float, list[tuple[pitch.Pitch, ...]]]] = [(0.0, [o]) for o in options[0]]
    for i in range(1, len(chords)):
        step = []
        for option in options[i]:
            cost, path = min(
                ((c + _motion_cost((basses[i - 1], *p[-1]), (basses[i], *option)), p) for c, p in best),
                key=lambda item: item[0],
            )
            step.append((cost, [*path, option]))
        best = step
    _, path = min(best, key=lambda item: item[0])
    return tuple(tuple(p.nameWithOctave for p in (b, *upper)) for b, upper in zip(basses, path, strict=True))


def _bass_line(chords: list[Numeral]) -> list[pitch.Pitch]:
    """Each chord's bass note, moving as little as possible from the last (from near A2), the whole line
    then moved by octaves into the bass register."""
    line: list[pitch.Pitch] = []
    for c in chords:
        target = line[-1].ps if line else 45.0
        choices = [pitch.Pitch(f"{c.names[0]}{octave}") for octave in range(1, 5)]
        line.append(min(choices, key=lambda p: (abs(p.ps - target), p.ps)))
    shift = 0
    while min(p.ps for p in line) + 12 * shift < _BASS_RANGE[0]:
        shift += 1
    while max(p.ps for p in line) + 12 * shift > _BASS_RANGE[1] and \
            min(p.ps for p in line) + 12 * (shift - 1) >= _BASS_RANGE[0]:
        shift -= 1
    for p in line:
        p.octave = (p.octave or 4) + shift
    return line


def _upper_options(c: Numeral, bass: pitch.Pitch) -> list[tuple[pitch.Pitch, ...]]:
    """Tenor, alto and soprano holding the chord members (a triad's three, or a seventh chord's three
    above its bass), no voice more than an octave from the next, the soprano in range."""
    members = list(c.members)
    if len(members) == 4:
        members.remove(c.names[0])
    found = []
    for order in permutations(members):
        for octave in (3, 4):
            tenor = pitch.Pitch(f"{order[0]}{octave}")
            if not bass.ps < tenor.ps <= 67:
                continue
            alto = _above(order[1], tenor)
            for alto_choice in (alto, pitch.Pitch(f"{alto.name}{(alto.octave or 4) + 1}")):
                soprano = _above(order[2], alto_choice)
                voices = (tenor, alto_choice, soprano)
                spaced = all(b.ps - a.ps <= 12 for a, b in pairwise(voices))
                if spaced and _SOPRANO_RANGE[0] <= soprano.ps <= _SOPRANO_RANGE[1]:
                    found.append(voices)
    return found


def _above(name: str, low: pitch.Pitch) -> pitch.Pitch:
    p = pitch.Pitch(f"{name}{low.octave}")
    while p.ps <= low.ps:
        p.octave = (p.octave or 4) + 1
    return p


def _motion_cost(before: tuple[pitch.Pitch, ...], after: tuple[pitch.Pitch, ...]) -> float:
    """Semitones the upper voices move, plus a heavy price for parallel fifths and octaves."""
    cost = sum(abs(a.ps - b.ps) for a, b in zip(before[1:], after[1:], strict=True))
    for i in range(len(before)):
        for j in range(i + 1, len(before)):
            first, second = (before[j].ps - before[i].ps) % 12, (after[j].ps - after[i].ps) % 12
            moved = before[i].ps != after[i].ps and before[j].ps != after[j].ps
            if moved and first == second and first in (0, 7):
                cost += 50
    return cost


# ---------------------------------------------------------------------------- cadence questions
def _ending(phrase: Phrase) -> tuple[Numeral, Numeral]:
    return numeral(phrase.figures[-2], phrase.tonality), numeral(phrase.figures[-1], phrase.tonality)


def _top_words(phrase: Phrase) -> str:
    final = numeral(phrase.figures[-1], phrase.tonality)
    return f"{display(phrase.top)}, the {MEMBERS[final.members.index(phrase.top)]} of the tonic chord"


def _cadence_reason(phrase: Phrase) -> str:
    """Why the phrase ends with its cadence, in one sentence."""
    before, last = _ending(phrase)
    ends = f"{display_roman(before.figure)}–{display_roman(last.figure)}"
    title = cadence_title(phrase.cadence)
    if phrase.cadence == "perfect authentic":
        return (f"It ends {ends}, dominant to tonic with both chords in root position and the tonic, "
                f"{display(phrase.top)}, in the top voice: {article(title)} {title}.")
    if phrase.cadence == "imperfect authentic":
        if before.degree == 7:
            why = "the leading-tone chord stands in for V"
        elif before.position or last.position:
            why = "the dominant is inverted"
        else:
            why = f"the top voice ends on {_top_words(phrase)}, not on the tonic"
        return f"It ends {ends}, dominant to tonic, but {why}: {article(title)} {title}."
    if phrase.cadence == "half":
        return f"It ends {ends}, stopping on the dominant: {article(title)} {title}."
    if phrase.cadence == "phrygian half":
        fall = f"{display(before.names[0])} to {display(last.names[0])}"
        return (f"It ends {ends} in a minor key, the bass falling a semitone from scale degree 6 to 5 "
                f"({fall}): {article(title)} {title}.")
    if phrase.cadence == "plagal":
        return f"It ends {ends}, subdominant to tonic: {article(title)} {title}."
    return (f"It ends {ends}: the dominant moves to the submediant instead of the tonic, "
            f"{article(title)} {title}.")


def _cadence_question(
    rng: random.Random, difficulty: int, focus: dict[str, Any], ear: bool
) -> dict[str, Any]:
    phrase = _cadence_phrase(rng, difficulty, focus)
    k = key_of(phrase.tonality)
    before, last = _ending(phrase)
    shown = "–".join(display_roman(f) for f in phrase.figures)
    authentic = phrase.cadence.endswith("authentic")
    homes = last.degree == 1
    if ear:
        prompt = f"Listen: a short phrase in {key_name(k)}. Which cadence ends it?"
        hints = [
            "The last chord is the tonic: the phrase comes home." if homes else
            "The last chord is not the tonic: the phrase does not come home.",
            f"The last two chords are {display_roman(before.figure)} and {display_roman(last.figure)}.",
        ]
    else:
        melody = f", and its top voice ends on {display(phrase.top)}" if authentic else ""
        prompt = f"In {key_name(k)}, a phrase runs {shown}{melody}. Which cadence ends it?"
        hints = [
            f"Look at the last two chords: {display_roman(before.figure)} is the {_FUNCTIONS[before.degree]} "
            f"chord and {display_roman(last.figure)} the {_FUNCTIONS[last.degree]} chord.",
            "Authentic: V to I; half: stopping on V; plagal: IV to I; deceptive: V to vi (VI in minor).",
        ]
    if authentic:
        hints.append(f"A perfect authentic cadence needs V and I in root position and the tonic on top; this "
                     f"one ends with {_top_words(phrase)}.")
    elif phrase.cadence == "phrygian half":
        hints.append(f"{'Listen to' if ear else 'Look at'} the bass: it falls a semitone onto the dominant, "
                     f"scale degree 6 to 5, as iv6 moves to V in minor.")
    example = {"type": "progression", "key": phrase.tonality, "numerals": " ".join(phrase.figures),
               "voicings": [" ".join(v) for v in phrase.voicings]}
    return {
        "prompt": prompt,
        "expected": Expected("cadence", (phrase.cadence, phrase.required)),
        "hints": hints,
        "explanation": _cadence_reason(phrase),
        "example": example,
        "data": {"key": phrase.tonality, "numerals": list(phrase.figures),
                 "voicings": [list(v) for v in phrase.voicings], "required": phrase.required},
    }


def _quiz_cadence_type(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    return _cadence_question(rng, difficulty, focus, ear=False)


def _quiz_ear_cadence(rng: random.Random, difficulty: int, focus: dict[str, Any]) -> dict[str, Any]:
    return _cadence_question(rng, difficulty, focus, ear=True)


SKILLS = {
    "chord_inversion": _quiz_chord_inversion,
    "inversion_spell": _quiz_inversion_spell,
    "roman_numeral": _quiz_roman_numeral,
    "roman_chord": _quiz_roman_chord,
    "cadence_type": _quiz_cadence_type,
    "ear_cadence": _quiz_ear_cadence,
}
