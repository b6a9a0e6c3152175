"""Tolerant checking of learners' answers: many ways to write one right answer, none for a wrong one.

"E♭", "Eb", "e flat" and "E-flat" are one note; "m3", "min 3" and "minor thrid" one interval. Words
are forgiven small typos (rapidfuzz); note letters never are, because a typo in a letter is a
different note. Enharmonic spellings count only when the question says so: a scale spelled with
the wrong letters is a wrong scale, even if it sounds the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from music21 import interval, pitch
from rapidfuzz import fuzz, process

from music.spelling import NOTE_PATTERN, display, name_from_match

Kind = Literal["note", "notes", "interval", "quality", "number", "key", "choice"]


@dataclass(frozen=True, slots=True)
class Expected:
    """The right answer in canonical form.

    note: a music21 name ("E-"); notes: a tuple of names; interval: a music21 name ("m3", "M10");
    quality: a QUALITIES key ("half-diminished seventh"); number: a string Fraction accepts ("3/2");
    key: "<music21 tonic> <major|minor>" ("F# minor"); choice: any of `choices` (words).
    """

    kind: Kind
    value: str | tuple[str, ...]
    enharmonic: bool = False  # note/notes/key: accept another spelling of the same pitch
    ordered: bool = True  # notes: order matters (a scale) or not (the members of a chord)
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    correct: bool
    normalized: str  # how the answer was read, in the tutor's spelling ("" when unreadable)
    feedback: str | None = None


# ------------------------------------------------------------------------------ words and typos
_NUMBER_WORDS = {
    "zero": 0, "none": 0, "no": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "twenty-one": 21, "twenty-four": 24,
}
_INTERVAL_NUMBERS = {
    "unison": 1, "prime": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "octave": 8, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
    "thirteenth": 13,
}
_INTERVAL_QUALITIES = {
    "perfect": "P", "perf": "P", "major": "M", "maj": "M", "minor": "m", "min": "m",
    "augmented": "A", "aug": "A", "diminished": "d", "dim": "d",
}
_VOCABULARY = sorted(
    {*_NUMBER_WORDS, *_INTERVAL_NUMBERS, *_INTERVAL_QUALITIES, "dominant", "half", "triad", "chord",
     "sharp", "sharps", "flat", "flats", "natural", "double", "tritone", "semitone", "semitones", "beats",
     "whole", "step", "steps", "tone", "quarter", "and", "fully", "suspended", "power"}
)


def fix_typos(text: str) -> str:
    """Lower-case the text and snap misspelt words (4+ letters) to the answer vocabulary."""
    def repair(match: re.Match[str]) -> str:
        word = match.group(0).lower()
        if len(word) < 4 or word in _VOCABULARY:
            return word
        best = process.extractOne(word, _VOCABULARY, scorer=fuzz.ratio, score_cutoff=78)
        return best[0] if best else word

    return re.sub(r"[A-Za-z]{4,}", repair, text)


# ------------------------------------------------------------------------------------- notes
_NOTE_RE = re.compile(rf"(?<![A-Za-z]){NOTE_PATTERN}(?![A-Za-z])")
_SEPARATORS = re.compile(r"(?:[\s,;/&+|>–—.]|-|\band\b|\bthen\b|\bto\b)*")


def parse_notes(text: str) -> list[str] | None:
    """Spelled note names in order ("c-e-g" -> ["C", "E", "G"]), or None if anything else is there."""
    cleaned = re.sub(r"(?i)\b(?:the\s+)?notes?\s+(?:are|is)\b|^\s*(?:it'?s|they'?re)\b", " ", text)
    cleaned = re.sub(r"(?i)\b(sharp|flat|natural|double)\w*", lambda m: fix_typos(m.group(0)), cleaned)
    names, last = [], 0
    for match in _NOTE_RE.finditer(cleaned):
        if not _SEPARATORS.fullmatch(cleaned[last : match.start()]):
            return None
        names.append(name_from_match(match))
        last = match.end()
    if not names or not _SEPARATORS.fullmatch(cleaned[last:]):
        return None
    return names


def _same(a: str, b: str, enharmonic: bool) -> bool:
    if a == b:
        return True
    return enharmonic and pitch.Pitch(a).pitchClass == pitch.Pitch(b).pitchClass


def _check_note(answer: str, expected: Expected) -> Verdict:
    names = parse_notes(answer)
    want = str(expected.value)
    if not names or len(names) != 1:
        return Verdict(False, "", "Give one note name, such as E♭ or F♯.")
    got = names[0]
    if _same(got, want, expected.enharmonic):
        spelled = None if got == want else f"Yes, {display(got)} is the same pitch as {display(want)}."
        return Verdict(True, display(got), spelled)
    if pitch.Pitch(got).pitchClass == pitch.Pitch(want).pitchClass:
        return Verdict(False, display(got), f"{display(got)} sounds right but is spelled with the wrong "
                       f"letter here: the answer is {display(want)}.")
    return Verdict(False, display(got), None)


def _check_notes(answer: str, expected: Expected) -> Verdict:
    names = parse_notes(answer)
    want = list(expected.value)
    if not names:
        return Verdict(False, "", "List the note names, for example: C E G.")
    shown = " ".join(display(n) for n in names)
    if expected.ordered and len(names) == len(want) + 1 and _same(names[-1], names[0], False):
        names = names[:-1]  # a scale written up to the octave
    if expected.ordered:
        ok = len(names) == len(want) and all(_same(g, w, expected.enharmonic) for g, w in zip(names, want,
                                                                                            strict=True))
    else:
        unmatched = list(want)
        for got in names:
            hit = next((w for w in unmatched if _same(got, w, expected.enharmonic)), None)
            if hit is None:
                break
            unmatched.remove(hit)
        ok = not unmatched and len(names) == len(want)
    if ok:
        return Verdict(True, shown, None)
    return Verdict(False, shown, _notes_feedback(names, want, expected))


def _notes_feedback(names: list[str], want: list[str], expected: Expected) -> str | None:
    if len(names) != len(want):
        return f"There should be {len(want)} notes; you gave {len(names)}."
    if sorted(names) == sorted(want):
        return f"Right notes; now put them in order, starting from {display(want[0])}."
    if sorted(pitch.Pitch(n).pitchClass for n in names) == sorted(pitch.Pitch(n).pitchClass for n in want):
        return "Those pitches sound right, but some are spelled with the wrong letter."
    if not expected.ordered:
        return None
    wrong = [display(g) for g, w in zip(names, want, strict=True) if not _same(g, w, expected.enharmonic)]
    return f"Check {', '.join(wrong)}."


# ---------------------------------------------------------------------------------- intervals
_COMPACT_INTERVAL = re.compile(
    r"^\s*(?P<q>P|M|m|A|d|perf|maj|min|aug|dim|perfect|major|minor|augmented|diminished)\.?\s*"
    r"(?P<n>\d{1,2})(?:st|nd|rd|th)?\s*$"
)
_SPECIAL = {"tritone": ("A4", "d5"), "half step": ("m2",), "semitone": ("m2",), "whole step": ("M2",),
            "whole tone": ("M2",), "tone": ("M2",)}


def parse_interval(text: str) -> tuple[str | None, int | None]:
    """(quality letter, number) as far as the text gives them: "P5" -> ("P", 5), "5th" -> (None, 5)."""
    compact = _COMPACT_INTERVAL.match(text)
    if compact:
        q = compact.group("q")
        quality = q if len(q) == 1 else _INTERVAL_QUALITIES[q.lower()]
        return quality, int(compact.group("n"))
    words = fix_typos(text).lower().replace("-", " ")
    words = re.sub(r"\b(an?|it'?s|its|is|the|interval)\b", " ", words)
    quality = None
    for word, letter in _INTERVAL_QUALITIES.items():
        if re.search(rf"\b{word}\b", words):
            quality = letter
            break
    number = None
    digits = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\b", words)
    if digits:
        number = int(digits.group(1))
    else:
        for word, value in _INTERVAL_NUMBERS.items():
            if re.search(rf"\b{word}\b", words):
                number = value
                break
    return quality, number


def interval_words(name: str) -> str:
    """ "m3" -> "minor third", for feedback."""
    return interval.Interval(name).niceName.lower()


def _check_interval(answer: str, expected: Expected) -> Verdict:
    want = str(expected.value)
    wanted = interval.Interval(want)
    words = re.sub(r"[\s-]+", " ", fix_typos(answer).lower()).strip()
    for special, names in _SPECIAL.items():
        if re.search(rf"\b{special}\b", words) and not re.search(r"\d|second|third|fourth|fifth", words):
            if want in names:
                exact = interval_words(want)
                return Verdict(True, special, f"Yes: a {special}; its exact name here is {exact}.")
            return Verdict(False, special, None)
    quality, number = parse_interval(answer)
    if number is None:
        return Verdict(False, "", "Name the interval by quality and number, for example: minor third.")
    target_number = wanted.generic.undirected
    if quality is None:
        if number == target_number and want.startswith("P"):
            return Verdict(True, interval_words(want), f"Yes, a {interval_words(want)}.")
        if number == target_number:
            return Verdict(False, f"{number}", f"Right size; which kind of {_ordinal_word(number)} is it?")
        return Verdict(False, f"{number}", None)
    try:
        got = interval.Interval(f"{quality}{number}").name
    except interval.IntervalException:
        return Verdict(False, f"{quality}{number}", "That quality does not go with that number: seconds, "
                       "thirds, sixths and sevenths are major or minor; unisons, fourths, fifths and "
                       "octaves are perfect.")
    if got == want:
        return Verdict(True, interval_words(got), None)
    if number == target_number - 7 and got == wanted.semiSimpleName:
        return Verdict(False, interval_words(got), f"Close: the notes are more than an octave apart, so it "
                       f"is a {interval_words(want)}.")
    return Verdict(False, interval_words(got), None)


def _ordinal_word(number: int) -> str:
    return next((w for w, n in _INTERVAL_NUMBERS.items() if n == number), f"{number}th")


# ---------------------------------------------------------------------------------- qualities
QUALITIES: dict[str, tuple[str, ...]] = {
    "major": ("major", "maj", "M", "Δ"),
    "minor": ("minor", "min", "m", "-"),
    "diminished": ("diminished", "dim", "°", "o"),
    "augmented": ("augmented", "aug", "+"),
    "dominant seventh": ("dominant seventh", "dominant 7th", "dominant 7", "dominant", "dom7", "dom", "7"),
    "major seventh": ("major seventh", "major 7th", "major 7", "maj7", "M7", "Δ7"),
    "minor seventh": ("minor seventh", "minor 7th", "minor 7", "min7", "m7", "-7"),
    "half-diminished seventh": ("half diminished seventh", "half diminished 7th", "half diminished",
                                "m7b5", "m7♭5", "ø7", "ø"),
    "diminished seventh": ("diminished seventh", "diminished 7th", "fully diminished seventh",
                           "fully diminished", "dim7", "°7", "o7"),
    "minor-major seventh": ("minor major seventh", "minor major 7th", "mmaj7", "mM7"),
    "augmented seventh": ("augmented seventh", "augmented 7th", "aug7", "+7"),
}
_CASE_SENSITIVE = {"M", "m", "M7", "m7", "mM7"}


def parse_quality(text: str) -> str | None:
    """The QUALITIES key a written chord quality names ("min", "m", "minor chord" -> "minor")."""
    raw = re.sub(r"\s+", " ", text).strip().strip(".!")
    for quality, forms in QUALITIES.items():
        if raw in forms and raw in _CASE_SENSITIVE:
            return quality
    words = fix_typos(raw).lower().replace("-", " ")
    words = re.sub(r"\b(an?|it'?s|its|is|the|chord|triad|quality)\b", " ", words)
    words = re.sub(r"\s+", " ", words).strip()
    for quality, forms in QUALITIES.items():
        if words in {f.lower() for f in forms if f not in _CASE_SENSITIVE}:
            return quality
    return None


def _check_quality(answer: str, expected: Expected) -> Verdict:
    got = parse_quality(answer)
    want = str(expected.value)
    if got is None:
        return Verdict(False, "", "Name the quality: major, minor, diminished, augmented or a seventh type.")
    if got == want:
        return Verdict(True, got, None)
    if want.endswith("seventh") and not got.endswith("seventh") and want.startswith(got.split()[0]):
        return Verdict(False, got, "It has four notes: which kind of seventh chord is it?")
    return Verdict(False, got, None)


# ------------------------------------------------------------------------------------ numbers
_UNITS = re.compile(
    r"\b(semitones?|half[\s-]?steps?|beats?|counts?|sharps?|flats?|quarter[\s-]?notes?|eighth[\s-]?notes?"
    r"|notes?|times|of them|in total|it'?s|there are|there is)\b"
)


def parse_number(text: str) -> Fraction | None:
    """A count or length as written: "7", "seven", "1.5", "3/2", "1 1/2", "one and a half", "half"."""
    words = _UNITS.sub(" ", fix_typos(text).lower())
    words = re.sub(r"[^\w./\s-]", " ", words)
    words = re.sub(r"\s+", " ", words).strip()
    if not words:
        return None
    half = re.fullmatch(r"(?:(?P<whole>[\w-]+) and )?(?:a |one )?half", words)
    if half:
        whole = _one_number(half.group("whole")) if half.group("whole") else Fraction(0)
        return None if whole is None else whole + Fraction(1, 2)
    mixed = re.fullmatch(r"(\d+) (\d+)/(\d+)", words)
    if mixed:
        return int(mixed.group(1)) + Fraction(int(mixed.group(2)), int(mixed.group(3)))
    return _one_number(words)


def _one_number(word: str) -> Fraction | None:
    if word in _NUMBER_WORDS:
        return Fraction(_NUMBER_WORDS[word])
    try:
        return Fraction(word)
    except (ValueError, ZeroDivisionError):
        return None


def show_number(value: Fraction) -> str:
    """3 -> "3", 3/2 -> "1½"-style text people read easily ("1 1/2")."""
    if value.denominator == 1:
        return str(value.numerator)
    whole, part = divmod(value.numerator, value.denominator)
    return f"{whole} {part}/{value.denominator}" if whole else f"{part}/{value.denominator}"


def _check_number(answer: str, expected: Expected) -> Verdict:
    got = parse_number(answer)
    want = Fraction(str(expected.value))
    if got is None:
        return Verdict(False, "", "Answer with a number, such as 3 or 1 1/2.")
    return Verdict(got == want, show_number(got), None)


# --------------------------------------------------------------------------------------- keys
_KEY_RE = re.compile(
    rf"^\s*(?:the\s+)?(?:key\s+of\s+)?(?<![A-Za-z]){NOTE_PATTERN}(?P<m>m(?![a-z]))?"
    r"\s*(?P<mode>\w+)?\s*(?:key)?\s*$"
)


def parse_key(text: str) -> tuple[str, str | None] | None:
    """(tonic, mode or None): "A minor", "am", "F sharp major", "Eb" -> ("E-", None)."""
    cleaned = re.sub(r"(?i)\b(sharp|flat|natural|major|minor)\w*", lambda m: fix_typos(m.group(0)), text)
    match = _KEY_RE.match(cleaned)
    if not match or match.group("octave"):
        return None
    mode = "minor" if match.group("m") else None
    word = fix_typos(match.group("mode") or "").lower()
    if word in ("major", "minor"):
        mode = word
    elif word:
        return None
    return name_from_match(match), mode


def _check_key(answer: str, expected: Expected) -> Verdict:
    tonic_want, mode_want = str(expected.value).split()
    parsed = parse_key(answer)
    if parsed is None:
        return Verdict(False, "", "Name a key, such as A minor or E♭ major.")
    tonic, mode = parsed
    shown = f"{display(tonic)} {mode or ''}".strip()
    if not _same(tonic, tonic_want, expected.enharmonic):
        if pitch.Pitch(tonic).pitchClass == pitch.Pitch(tonic_want).pitchClass:
            return Verdict(False, shown, f"Right pitch, but the key is spelled {display(tonic_want)}.")
        return Verdict(False, shown, None)
    if mode is not None and mode != mode_want:
        return Verdict(False, shown, f"Right tonic, but it is the {mode_want} key.")
    return Verdict(True, f"{display(tonic_want)} {mode_want}", None)


def _check_choice(answer: str, expected: Expected) -> Verdict:
    words = re.sub(r"\s+", " ", fix_typos(answer).lower()).strip(" .!")
    options = [c.lower() for c in (expected.choices or (str(expected.value),))]
    best = process.extractOne(words, options, scorer=fuzz.ratio, score_cutoff=85)
    return Verdict(best is not None, best[0] if best else words, None)


_CHECKERS = {
    "note": _check_note, "notes": _check_notes, "interval": _check_interval, "quality": _check_quality,
    "number": _check_number, "key": _check_key, "choice": _check_choice,
}


def check(answer: str, expected: Expected) -> Verdict:
    """Is `answer` the expected answer, however it is written? Feedback explains near misses."""
    return _CHECKERS[expected.kind](answer, expected)


def canonical(expected: Expected) -> str:
    """The expected answer written the way the tutor shows it."""
    if expected.kind == "note":
        return display(str(expected.value))
    if expected.kind == "notes":
        return " ".join(display(n) for n in expected.value)
    if expected.kind == "interval":
        return interval_words(str(expected.value))
    if expected.kind == "number":
        return show_number(Fraction(str(expected.value)))
    if expected.kind == "key":
        tonic, mode = str(expected.value).split()
        return f"{display(tonic)} {mode}"
    return str(expected.value)
