"""Every quiz answer worked out again from the question's inputs, straight from music21.

The quiz computes its answers with music21 too, but along other paths (chord symbols, RomanNumeral
figures, Key helpers). Here each answer is rebuilt the long way: intervals from the two pitches,
inversions and Roman numerals from music21's own reading of the chord's notes, diatonic chords by
stacking thirds in a music21 scale, cadences from the numerals music21 hears in each voiced chord.
"""

from __future__ import annotations

import random
from fractions import Fraction
from itertools import pairwise

from music21 import chord, duration, interval, key, meter, pitch, roman, scale

from music.answers import Expected
from music.quiz import SKILLS, Question
from music.theory import scale_pitches


def ask(skill: str, seed: int, difficulty: int, focus: dict | None = None) -> Question:
    """One question from one generator, as make_question would build it for a concept with `focus`."""
    parts = SKILLS[skill](random.Random(seed), difficulty, focus or {})
    return Question(concept_id="test", requested_id="test", skill=skill, **parts)

# ------------------------------------------------------------------------------------ scales
_MODES = {
    "major": scale.MajorScale, "ionian": scale.MajorScale, "natural minor": scale.MinorScale,
    "aeolian": scale.MinorScale, "harmonic minor": scale.HarmonicMinorScale,
    "melodic minor": scale.MelodicMinorScale, "dorian": scale.DorianScale, "phrygian": scale.PhrygianScale,
    "lydian": scale.LydianScale, "mixolydian": scale.MixolydianScale, "locrian": scale.LocrianScale,
    "whole-tone": scale.WholeToneScale, "chromatic": scale.ChromaticScale,
}


def scale_names(tonic: str, kind: str) -> list[str]:
    """One octave of the scale from music21's scale classes (pentatonics and blues by their degrees)."""
    if kind in _MODES:
        return [p.name for p in _MODES[kind](tonic).getPitches(f"{tonic}4", f"{tonic}5")[:-1]]
    if kind == "major pentatonic":
        return [scale.MajorScale(tonic).pitchFromDegree(d).name for d in (1, 2, 3, 5, 6)]
    minor = [scale.MinorScale(tonic).pitchFromDegree(d).name for d in (1, 3, 4, 5, 7)]
    if kind == "minor pentatonic":
        return minor
    if kind == "blues":
        blue = pitch.Pitch(tonic).transpose("d5").name
        return [*minor[:3], blue, *minor[3:]]
    raise AssertionError(f"no scale {kind!r}")


def steps(names: list[str]) -> list[int]:
    """Semitones between neighbours, up to the octave: the scale's shape whatever its tonic."""
    ring = [pitch.Pitch(n) for n in [*names, names[0]]]
    return [(b.pitchClass - a.pitchClass) % 12 for a, b in pairwise(ring)]


def scale_heard(played: list[str], pool: list[str]) -> list[str]:
    """The kinds in `pool` whose scale from the first played note sounds exactly like `played`."""
    tonic = pitch.Pitch(played[0]).name
    heard = [pitch.Pitch(p).name for p in played[:-1]]
    return [kind for kind in pool if steps(scale_names(tonic, kind)) == steps(heard)
            and len(scale_names(tonic, kind)) == len(heard)]


# ------------------------------------------------------------------------------------ chords
_STACKS = {
    "major": ("M3", "P5"), "minor": ("m3", "P5"), "diminished": ("m3", "d5"), "augmented": ("M3", "A5"),
    "dominant seventh": ("M3", "P5", "m7"), "major seventh": ("M3", "P5", "M7"),
    "minor seventh": ("m3", "P5", "m7"), "half-diminished seventh": ("m3", "d5", "m7"),
    "diminished seventh": ("m3", "d5", "d7"),
}


def chord_members(root: str, quality: str) -> list[str]:
    """Root, third, fifth (and seventh) by the intervals that define the quality."""
    low = pitch.Pitch(root + "4")
    return [root, *(low.transpose(step).name for step in _STACKS[quality])]


def quality_of(ch: chord.Chord) -> str:
    return ch.commonName.removesuffix(" chord").removesuffix(" triad")


_FIGURE_POSITION = {"": 0, "7": 0, "6": 1, "65": 1, "64": 2, "43": 2, "42": 3}
_NUMERALS = ("i", "ii", "iii", "iv", "v", "vi", "vii")


def diatonic_chord(figure: str, tonality: str) -> list[str]:
    """The chord a diatonic figure names, from the bass up, by stacking thirds in the key's scale:
    major keys use the major scale; minor keys the natural minor, except V and vii° which take the
    raised leading tone of the harmonic minor."""
    k = key.Key(tonality)
    head = figure.rstrip("0123456789").rstrip("oø+M")
    degree = _NUMERALS.index(head.lower()) + 1
    tail = figure[len(figure.rstrip("0123456789")):]
    size = 4 if tail in ("7", "65", "43", "42") else 3
    if k.mode == "major":
        source = scale.MajorScale(k.tonic.name)
    elif degree in (5, 7):
        source = scale.HarmonicMinorScale(k.tonic.name)
    else:
        source = scale.MinorScale(k.tonic.name)
    members = [source.pitchFromDegree((degree - 1 + 2 * i) % 7 + 1).name for i in range(size)]
    position = _FIGURE_POSITION[tail]
    return members[position:] + members[:position]


def figure_of(ch: chord.Chord, tonality: str) -> str:
    """The Roman numeral figure of a diatonic chord, from music21's analysis: the degree and inversion
    music21 reads, the case and sign its quality needs, the figure its inversion needs."""
    analysed = roman.romanNumeralFromChord(ch, key.Key(tonality))
    numeral = _NUMERALS[analysed.scaleDegree - 1]
    quality = quality_of(ch)
    upper = quality in ("major", "augmented", "dominant seventh", "major seventh")
    sign = {"diminished": "o", "augmented": "+", "half-diminished seventh": "ø",
            "diminished seventh": "o"}.get(quality, "")
    position = analysed.inversion()
    figure = (("", "6", "64") if len(ch.pitches) == 3 else ("7", "65", "43", "42"))[position]
    return (numeral.upper() if upper else numeral) + sign + figure


# ---------------------------------------------------------------------------------- cadences
def cadence_of(voicings: list[list[str]], tonality: str) -> str:
    """The cadence that ends the phrase, from the numerals music21 reads in its last two chords."""
    k = key.Key(tonality)
    before, last = (roman.romanNumeralFromChord(chord.Chord(v), k) for v in voicings[-2:])
    top = max((pitch.Pitch(n) for n in voicings[-1]), key=lambda p: p.ps).name
    if last.scaleDegree == 5 and last.isMajorTriad():
        phrygian = k.mode == "minor" and before.scaleDegree == 4 and before.inversion() == 1
        return "phrygian half" if phrygian else "half"
    if last.scaleDegree == 1 and before.scaleDegree in (5, 7):
        perfect = (before.scaleDegree == 5 and before.inversion() == 0 and last.inversion() == 0
                   and top == k.tonic.name)
        return "perfect authentic" if perfect else "imperfect authentic"
    if last.scaleDegree == 1 and before.scaleDegree == 4:
        return "plagal"
    if last.scaleDegree == 6 and before.scaleDegree == 5:
        return "deceptive"
    raise AssertionError(f"no cadence ends {voicings}")


# ------------------------------------------------------------------------------------ answers
def recomputed(q: Question) -> Expected:
    """The expected answer worked out again from the question's inputs, straight from music21."""
    d = q.data
    if q.skill in ("interval_name", "ear_interval", "interval_name_down"):
        low, high = pitch.Pitch(d["lower"]), pitch.Pitch(d["upper"])
        assert low.ps <= high.ps  # named up from the lower note, whichever way it was played
        return Expected("interval", interval.Interval(low, high).name)
    if q.skill == "interval_harmonic":
        low, high = sorted((pitch.Pitch(n) for n in d["notes"]), key=lambda p: p.ps)
        return Expected("interval", interval.Interval(low, high).name)
    if q.skill == "interval_semitones":
        return Expected("number", str(interval.Interval(d["interval"]).semitones))
    if q.skill == "interval_build":
        return Expected("note", interval.Interval(d["interval"]).transposePitch(pitch.Pitch(d["lower"])).name)
    if q.skill == "interval_build_down":
        name = d["interval"]
        return Expected("note", pitch.Pitch(d["upper"]).transpose(f"{name[0]}-{name[1:]}").name)
    if q.skill == "interval_inversion":
        return Expected("interval", interval.Interval(d["interval"]).complement.name)
    if q.skill == "chord_notes":
        return Expected("notes", tuple(pitch.Pitch(p).name for p in d["pitches"]), ordered=False)
    if q.skill in ("chord_quality", "ear_chord"):
        return Expected("quality", quality_of(chord.Chord(d["pitches"])))
    if q.skill == "scale_notes":
        return Expected("notes", tuple(p.name for p in scale_pitches(d["tonic"], d["kind"])))
    if q.skill == "scale_degree":
        return Expected("note", _degree_note(d["key"], d["degree"], d["seventh"]))
    if q.skill == "ear_scale":
        assert q.example is not None
        heard = scale_heard(str(q.example["pitches"]).split(), d["pool"])
        assert len(heard) == 1, heard  # exactly one scale of the choices sounds like that
        return Expected("scale", heard[0])
    if q.skill == "key_signature":
        return Expected("number", str(abs(key.Key(d["key"]).sharps)))
    if q.skill == "related_key":
        k = key.Key(d["key"])
        other = k.relative if d["relation"] == "relative" else k.parallel
        return Expected("key", f"{other.tonic.name} {other.mode}")
    if q.skill == "note_step":
        ivl = interval.Interval(d["interval"])
        ivl = ivl if d["direction"] == "above" else ivl.reverse()
        return Expected("note", ivl.transposePitch(pitch.Pitch(d["start"])).name)
    if q.skill == "alteration":
        start = pitch.Pitch(d["start"])
        return Expected("note", pitch.Pitch(start.step, accidental=(start.alter + (1 if d["way"] == "raise"
                                                                                       else -1))).name)
    if q.skill == "enharmonic":
        start = pitch.Pitch(d["start"])
        spellings = [start.getEnharmonic(), *start.getAllCommonEnharmonics()]
        twin = next(p for p in spellings if p.step == d["letter"])
        return Expected("note", twin.name)
    if q.skill == "beats":
        ts = meter.TimeSignature(d["meter"])
        length = Fraction(duration.Duration(type=d["type"], dots=d["dots"]).quarterLength)
        return Expected("number", str(length / Fraction(ts.beatDuration.quarterLength)))
    if q.skill == "chord_inversion":
        ch = chord.Chord(d["pitches"])
        assert ch.root().name == d["root"] and quality_of(ch) == d["quality"]
        return Expected("inversion", (str(ch.inversion()), str(len(ch.pitches))))
    if q.skill == "inversion_spell":
        members = chord_members(d["root"], d["quality"])
        position = d["position"]
        return Expected("notes", tuple(members[position:] + members[:position]), ordered=True)
    if q.skill == "roman_numeral":
        return Expected("roman", (figure_of(chord.Chord(d["pitches"]), d["key"]), d["key"]))
    if q.skill == "roman_chord":
        names = diatonic_chord(d["figure"], d["key"])
        inverted = _FIGURE_POSITION[d["figure"][len(d["figure"].rstrip("0123456789")):]] > 0
        return Expected("notes", tuple(names), ordered=inverted)
    if q.skill in ("cadence_type", "ear_cadence"):
        return Expected("cadence", (cadence_of(d["voicings"], d["key"]), d["required"]))
    raise AssertionError(f"no independent check for {q.skill}")


def _degree_note(tonality: str, degree: int, seventh: str | None) -> str:
    k = key.Key(tonality)
    if k.mode == "major":
        return scale.MajorScale(k.tonic.name).pitchFromDegree(degree).name
    if seventh == "leading tone":
        return scale.HarmonicMinorScale(k.tonic.name).pitchFromDegree(7).name
    return scale.MinorScale(k.tonic.name).pitchFromDegree(degree).name
