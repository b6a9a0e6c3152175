"""Tolerant checking of learners' answers: many ways to write one right answer, none for a wrong one.

"E♭", "Eb", "e flat" and "E-flat" are one note; "m3", "min 3" and "minor thrid" one interval. Words
are forgiven small typos (rapidfuzz); note letters never are, because a typo in a letter is a
different note. Enharmonic spellings count only when the question says so: a scale spelled with
the wrong letters is a wrong scale, even if it sounds the same. Inversions are read in words or
figures ("first", "1st", "6", "6/3"; "4/2" or "2" for a seventh chord), Roman numerals with their
figures and quality signs ("V6/5", "vii°", "vii dim"; the case is the chord's quality, so "II" is
not "ii"), scales by name ("Aeolian" is the natural minor) and cadences by name, abbreviation,
British term or chords ("PAC", "interrupted", "IV-I").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from music21 import interval, key, pitch, roman
from rapidfuzz import fuzz, process

from music.spelling import NOTE_PATTERN, display, name_from_match
from music.theory import article

Kind = Literal[
    "note", "notes", "interval", "quality", "number", "key", "choice",
    "inversion", "roman", "scale", "cadence",
]


@dataclass(frozen=True, slots=True)
class Expected:
    """The right answer in canonical form.

    note: a music21 name ("E-"); notes: a tuple of names; interval: a music21 name ("m3", "M10");
    quality: a QUALITIES key ("half-diminished seventh"); number: a string Fraction accepts ("3/2");
    key: "<music21 tonic> <major|minor>" ("F# minor"); choice: any of `choices` (words);
    inversion: (position "0"-"3", chord size "3" or "4"): ("1", "3") is a triad in first inversion;
    roman: (music21 figure, key tonic with case): ("V65", "C"), ("viio7", "a");
    scale: a music.theory scale kind ("harmonic minor", "dorian");
    cadence: (the cadence, the least specific name accepted): ("perfect authentic", "authentic").
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


def fix_typos(text: str, vocabulary: list[str] | None = None) -> str:
    """Lower-case the text and snap misspelt words (4+ letters) to the answer vocabulary (or the one
    given: each answer kind may bring its own words)."""
    words = _VOCABULARY if vocabulary is None else vocabulary

    def repair(match: re.Match[str]) -> str:
        word = match.group(0).lower()
        if len(word) < 4 or word in words:
            return word
        best = process.extractOne(word, words, scorer=fuzz.ratio, score_cutoff=78)
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
                said = f"Yes: {article(special)} {special}; its exact name here is {exact}."
                return Verdict(True, special, said)
            return Verdict(False, special, None)
    quality, number = parse_interval(answer)
    if number is None:
        return Verdict(False, "", "Name the interval by quality and number, for example: minor third.")
    target_number = wanted.generic.undirected
    if quality is None:
        if number == target_number and want.startswith("P"):
            named = interval_words(want)
            return Verdict(True, named, f"Yes, {article(named)} {named}.")
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
                       f"is {article(interval_words(want))} {interval_words(want)}.")
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


# ------------------------------------------------------------------------------ inversions
POSITIONS = ("root position", "first inversion", "second inversion", "third inversion")
FIGURES = {3: ("5/3", "6", "6/4"), 4: ("7", "6/5", "4/3", "4/2")}  # by chord size, then position
_TRIAD_FIGURES = {"53": 0, "63": 1, "6": 1, "64": 2}
_SEVENTH_FIGURES = {"7": 0, "753": 0, "65": 1, "653": 1, "43": 2, "643": 2, "42": 3, "642": 3}
_SCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉", "01234567890123456789")
_FIGURE_WORDS = {"two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7"}
_INVERSION_VOCABULARY = sorted({"root", "first", "second", "third", "fifth", "seventh", "inversion",
                                "position", "bass", "inverted", "uninverted", *_FIGURE_WORDS})
_BASS_MEMBER = re.compile(r"\b(root|third|fifth|seventh)\s+(?:is\s+)?in\s+(?:the\s+)?bass\b")
_ORDINAL_POSITIONS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3}


def _read_position(text: str) -> tuple[int | None, str]:
    """The position the words name ("first inversion", "third in the bass") and the figure's digits."""
    words = fix_typos(text.translate(_SCRIPT_DIGITS), _INVERSION_VOCABULARY).lower()
    position = None
    member = _BASS_MEMBER.search(words)
    if member:
        position = ("root", "third", "fifth", "seventh").index(member.group(1))
        words = words[: member.start()] + words[member.end() :]
    elif re.search(r"\b(root|uninverted|not inverted|no inversion)\b", words):
        position = 0
    else:
        ordinal = re.search(r"\b(first|1st|second|2nd|third|3rd)\b", words)
        if ordinal:
            position = _ORDINAL_POSITIONS[ordinal.group(1)]
    words = re.sub(r"\b(1st|2nd|3rd)\b", " ", words)
    words = re.sub(r"\b(two|three|four|five|six|seven)\b", lambda m: _FIGURE_WORDS[m.group(1)], words)
    return position, "".join(re.findall(r"\d", words))


def _figure_position(digits: str, size: int) -> tuple[int | None, int]:
    """(position, size of chord the figure belongs to): "6" -> (1, 3), "4/2" -> (3, 4). A bare "1" or
    "3" counts as an ordinal; a bare "2" is 4/2 for a seventh chord, "second" for a triad."""
    if digits in ("1", "3"):
        return int(digits), size
    if digits == "2":
        return (3, 4) if size == 4 else (2, 3)
    if digits in _TRIAD_FIGURES:
        return _TRIAD_FIGURES[digits], 3
    if digits in _SEVENTH_FIGURES:
        return _SEVENTH_FIGURES[digits], 4
    return None, size


def _check_inversion(answer: str, expected: Expected) -> Verdict:
    position, size = (int(v) for v in expected.value)
    words, digits = _read_position(answer)
    figured, family = _figure_position(digits, size) if digits else (None, size)
    if digits and figured is None:
        return Verdict(False, digits, f"{digits} is not an inversion figure; a {_chord_noun(size)} uses "
                       f"{', '.join(FIGURES[size])}.")
    if words is None and figured is None:
        return Verdict(False, "", "Name the position: root position, first, second or third inversion, or "
                       "its figure, such as 6 or 6/4.")
    if words is not None and figured is not None and words != figured:
        return Verdict(False, POSITIONS[words], f"The words and the figure disagree: {POSITIONS[words]} of "
                       f"a {_chord_noun(family)} is figured {FIGURES[family][words]}.")
    got = words if words is not None else figured
    assert got is not None
    shown = POSITIONS[got]
    if family != size:
        return Verdict(False, shown, f"{digits} is a figure for a {_chord_noun(family)}; a "
                       f"{_chord_noun(size)} is figured {', '.join(FIGURES[size])}.")
    if got >= size:
        return Verdict(False, shown, "A triad has only root position and two inversions.")
    if got != position and digits == "2" and words is None and size == 4:
        return Verdict(False, shown, "For a seventh chord a bare 2 is short for 4/2, the third inversion.")
    return Verdict(got == position, shown, None)


def _chord_noun(size: int) -> str:
    return "triad" if size == 3 else "seventh chord"


# -------------------------------------------------------------------------- Roman numerals
_NUMERAL = re.compile(r"^\s*(?P<acc>[b#]?)(?P<rn>VII|VI|IV|V|III|II|I|vii|vi|iv|v|iii|ii|i)(?P<rest>.*)$")
_FIGURE_TAIL = re.compile(r"^(?P<q>o|ø|\+|M)?(?P<fig>\d*)$")
_SHORT_FIGURES = {"": "", "5": "", "53": "", "6": "6", "63": "6", "64": "64", "7": "7", "753": "7",
                  "65": "65", "653": "65", "43": "43", "643": "43", "42": "42", "642": "42", "2": "42"}
_QUALITY_MARKS = [
    (r"half[\s-]*dim(?:inished)?", "ø"), (r"fully[\s-]*dim(?:inished)?", "o"), (r"dim(?:inished)?", "o"),
    (r"aug(?:mented)?", "+"), (r"maj(?:or)?", "M"), (r"Δ", "M"), (r"/o", "ø"), (r"Ø", "ø"),
    (r"[°º]", "o"),
]


def parse_roman(text: str) -> str | None:
    """A written Roman numeral as a music21 figure: "vii°6" -> "viio6", "V6/5" -> "V65",
    "ii half-dim 7" -> "iiø7", "IVmaj7" -> "IVM7". Case is kept: it is the chord's quality."""
    raw = re.sub(r"(?i)^\s*(?:it'?s|it is|the)\s+|\s+chord\s*$|\s+in\s+.*$", "", text.strip().strip(".!"))
    raw = raw.translate(_SCRIPT_DIGITS).replace("♭", "b").replace("♯", "#").replace("⁰", "o")
    match = _NUMERAL.match(raw)
    if not match:
        return None
    rest = match.group("rest")
    for pattern, mark in _QUALITY_MARKS:
        rest = re.sub(pattern, mark, rest, flags=re.IGNORECASE if pattern[0].isalpha() else 0)
    rest = re.sub(r"[\s/-]", "", rest)
    tail = _FIGURE_TAIL.match(rest)
    if not tail or tail.group("fig") not in _SHORT_FIGURES:
        return None
    quality, figure = tail.group("q") or "", _SHORT_FIGURES[tail.group("fig")]
    numeral = match.group("rn")
    if (quality in ("o", "ø") and numeral.isupper()) or (quality == "+" and numeral.islower()):
        return None  # "VII°" contradicts itself: diminished is lower case, augmented upper case
    if quality == "ø" and not figure:
        figure = "7"  # "viiø" names the half-diminished seventh chord
    return match.group("acc") + numeral + quality + figure


def display_roman(figure: str) -> str:
    """A music21 figure the way a textbook prints it: "viio6" -> "vii°6", "V65" -> "V6/5"."""
    match = re.match(r"^(?P<head>[b#]?[IViv]+)(?P<q>o|ø|\+|M)?(?P<fig>\d*)$", figure)
    if not match:
        return figure
    head = match.group("head").replace("b", "♭").replace("#", "♯")
    quality = {"o": "°"}.get(match.group("q") or "", match.group("q") or "")
    fig = {"64": "6/4", "65": "6/5", "43": "4/3", "42": "4/2"}.get(match.group("fig"), match.group("fig"))
    return head + quality + fig


def roman_chord(figure: str, tonality: str) -> roman.RomanNumeral | None:
    """The chord a figure names in a key (`tonality` with case: "C", "a"), or None if music21 cannot
    read it. In minor, ♭III, ♭VI and ♭VII are read against the parallel major (pop usage), so they
    name the natural-minor chords."""
    k = key.Key(tonality)
    head = re.match(r"b(III|VI|VII|iii|vi|vii)(?![iv])", figure)
    if k.mode == "minor" and head:
        k = key.Key(k.tonic.name)  # the parallel major: its flat degrees are minor's own
    try:
        chord_ = roman.RomanNumeral(figure, k)
    except Exception:  # music21 raises several types for figures it cannot read
        return None
    return chord_ if chord_.pitches else None


CASE_RULES = {
    "major triad": "upper case", "minor triad": "lower case", "diminished triad": "lower case with °",
    "augmented triad": "upper case with +", "dominant seventh chord": "upper case with 7",
    "major seventh chord": "upper case with 7 (or M7)", "minor seventh chord": "lower case with 7",
    "half-diminished seventh chord": "lower case with ø7", "diminished seventh chord": "lower case with °7",
}


def _check_roman(answer: str, expected: Expected) -> Verdict:
    figure, tonality = (str(v) for v in expected.value)
    want = roman_chord(figure, tonality)
    assert want is not None, figure
    written = parse_roman(answer)
    got = roman_chord(written, tonality) if written else None
    if written is None or got is None:
        return Verdict(False, "", "Write a Roman numeral, such as ii, V7 or vii°6: upper case for major "
                       "(and augmented, +), lower case for minor (and diminished, °).")
    shown = display_roman(written)
    names = sorted(p.name for p in got.pitches)
    if names == sorted(p.name for p in want.pitches):
        if got.bass().name == want.bass().name:
            return Verdict(True, shown, None)
        return Verdict(False, shown, "Right chord; check the figure: the bass note decides the inversion.")
    if got.scaleDegree != want.scaleDegree:
        return Verdict(False, shown, None)
    if len(got.pitches) != len(want.pitches):
        size = "four notes: add the 7 or an inversion figure" if len(want.pitches) == 4 else \
            "three notes: it is a triad, not a seventh chord"
        return Verdict(False, shown, f"Right degree, but the chord has {size}.")
    common = want.commonName
    rule = CASE_RULES.get(common)
    said = f"Right degree, but the chord is {article(common)} {common}"
    return Verdict(False, shown, said + (f": write it {rule}." if rule else "."))


# ---------------------------------------------------------------------------------- scales
_SCALE_NAMES = {
    "major": "major", "maj": "major", "ionian": "major",
    "natural minor": "natural minor", "minor": "natural minor", "aeolian": "natural minor",
    "pure minor": "natural minor",
    "harmonic minor": "harmonic minor", "harmonic": "harmonic minor",
    "melodic minor": "melodic minor", "melodic": "melodic minor", "jazz minor": "melodic minor",
    "dorian": "dorian", "phrygian": "phrygian", "lydian": "lydian", "mixolydian": "mixolydian",
    "locrian": "locrian",
    "major pentatonic": "major pentatonic", "pentatonic": "major pentatonic",
    "minor pentatonic": "minor pentatonic",
    "blues": "blues", "minor blues": "blues", "major blues": "major blues",
    "whole tone": "whole-tone", "whole-tone": "whole-tone", "chromatic": "chromatic",
}
_MODE_NAMES = {"ionian", "dorian", "phrygian", "lydian", "mixolydian", "aeolian", "locrian"}
_SCALE_VOCABULARY = sorted({w for name in _SCALE_NAMES for w in name.replace("-", " ").split() if len(w) > 3}
                           | {"scale", "mode"})


def parse_scale(text: str) -> str | None:
    """The scale kind a name means: "Aeolian", "minor", "natural minor scale" -> "natural minor"."""
    words = fix_typos(text, _SCALE_VOCABULARY).lower().replace("-", " ")
    words = re.sub(r"\b(the|an?|it'?s|its|it|is|scale|mode|form|of)\b", " ", words)
    words = re.sub(r"[^\w\s]", " ", words)
    words = re.sub(r"\s+", " ", words).strip()
    if words in _SCALE_NAMES:
        return _SCALE_NAMES[words]
    if not words:
        return None
    best = process.extractOne(words, list(_SCALE_NAMES), scorer=fuzz.ratio, score_cutoff=88)
    return _SCALE_NAMES[best[0]] if best else None


def scale_title(kind: str) -> str:
    """ "dorian" -> "Dorian mode", "harmonic minor" -> "harmonic minor scale"."""
    return f"{kind.title()} mode" if kind in _MODE_NAMES else f"{kind} scale"


def _check_scale(answer: str, expected: Expected) -> Verdict:
    want = _SCALE_NAMES.get(str(expected.value), str(expected.value))
    got = parse_scale(answer)
    if got is None:
        return Verdict(False, "", "Name the scale or mode, for example: major, harmonic minor or Dorian.")
    if got == want:
        return Verdict(True, got, None)
    bare = re.sub(r"\W|scale", "", answer.lower())
    if bare == "minor" and want.endswith("minor"):
        return Verdict(False, got, "Minor, yes, but which form? Listen to the 6th and 7th degrees.")
    if bare == "pentatonic" and want.endswith("pentatonic"):
        return Verdict(False, got, "Pentatonic, yes: major or minor? Listen to the third above the tonic.")
    return Verdict(False, got, None)


# -------------------------------------------------------------------------------- cadences
CADENCES = ("perfect authentic", "imperfect authentic", "authentic", "half", "phrygian half", "plagal",
            "deceptive")
_BROADER = {"perfect authentic": "authentic", "imperfect authentic": "authentic", "phrygian half": "half"}
_CADENCE_VOCABULARY = sorted({"perfect", "imperfect", "authentic", "plagal", "deceptive", "phrygian", "half",
                              "cadence", "interrupted", "close", "full", "semicadence", "amen", "false",
                              "church"})
_CADENCE_SHORT = {"pac": "perfect authentic", "iac": "imperfect authentic", "hc": "half", "ac": "authentic",
                  "phc": "phrygian half"}
_CADENCE_FORMULAS = [(r"v7?-i", "authentic"), (r"iv-i", "plagal"), (r"v7?-vi", "deceptive"),
                     (r"iv6-v", "phrygian half")]


def parse_cadence(text: str) -> str | None:
    """One of CADENCES, or "perfect" / "imperfect" alone (British usage names V-I a perfect cadence and
    a half cadence an imperfect one, American usage shortens the authentic kinds the same way)."""
    words = fix_typos(text, _CADENCE_VOCABULARY).lower().replace("–", "-").replace("—", "-")
    words = re.sub(r"\b(it'?s|its|it|is|an?|the|cadences?|one)\b", " ", words)
    words = re.sub(r"\s+", " ", words).strip(" .!")
    if words in _CADENCE_SHORT:
        return _CADENCE_SHORT[words]
    compact = words.replace(" ", "")
    for formula, name in _CADENCE_FORMULAS:
        if re.fullmatch(formula, compact):
            return name
    found = set()
    if re.search(r"\bphrygian\b", words):
        found.add("phrygian half")
    elif re.search(r"\b(half|semicadence|semi cadence)\b", words):
        found.add("half")
    if re.search(r"\b(deceptive|interrupted|false)\b", words):
        found.add("deceptive")
    if re.search(r"\b(plagal|amen|church)\b", words):
        found.add("plagal")
    if re.search(r"\b(authentic|full close)\b", words):
        found.add("imperfect authentic" if re.search(r"\bimperfect\b", words) else
                  "perfect authentic" if re.search(r"\bperfect\b", words) else "authentic")
    elif not found and re.search(r"\bimperfect\b", words):
        found.add("imperfect")
    elif not found and re.search(r"\bperfect\b", words):
        found.add("perfect")
    return found.pop() if len(found) == 1 else None


def cadence_title(name: str) -> str:
    return f"{name.replace('phrygian', 'Phrygian')} cadence"


def _check_cadence(answer: str, expected: Expected) -> Verdict:
    precise, required = (str(v) for v in expected.value)
    got = parse_cadence(answer)
    if got is None:
        return Verdict(False, "", "Name one cadence: authentic (perfect or imperfect), half, plagal or "
                       "deceptive.")
    title = cadence_title(precise)
    if got == precise:
        return Verdict(True, cadence_title(got), None)
    if got == _BROADER.get(precise) and required != precise:
        return Verdict(True, cadence_title(got), f"More precisely, {article(title)} {title}.")
    if got == "perfect":
        if precise == "perfect authentic" or (precise == "imperfect authentic" and required == "authentic"):
            return Verdict(True, "perfect cadence", f"Yes, V–I; in full, {article(title)} {title}.")
        if precise == "imperfect authentic":
            return Verdict(False, "perfect cadence", "V–I is a “perfect cadence” in British terms, but this "
                           "one is an imperfect authentic cadence.")
        return Verdict(False, "perfect cadence", None)
    if got == "imperfect":
        if precise == "imperfect authentic":
            return Verdict(True, "imperfect cadence", f"Yes: {article(title)} {title}.")
        if precise in ("half", "phrygian half") and required != "phrygian half":
            more = "" if precise == "half" else f"; more precisely, this is {article(title)} {title}"
            return Verdict(True, "imperfect cadence", f"Yes: “imperfect cadence” is the British name for a "
                           f"half cadence{more}.")
        return Verdict(False, "imperfect cadence", None)
    broad = _BROADER.get(precise, precise)
    if got == broad:
        return Verdict(False, cadence_title(got), f"{broad.title()}, yes, but which kind?")
    if _BROADER.get(got) == broad:
        return Verdict(False, cadence_title(got), f"It is {article(broad)} {broad} cadence, but not "
                       f"{article(cadence_title(got))} {cadence_title(got)}.")
    return Verdict(False, cadence_title(got), None)


def _check_choice(answer: str, expected: Expected) -> Verdict:
    words = re.sub(r"\s+", " ", fix_typos(answer).lower()).strip(" .!")
    options = [c.lower() for c in (expected.choices or (str(expected.value),))]
    best = process.extractOne(words, options, scorer=fuzz.ratio, score_cutoff=85)
    return Verdict(best is not None, best[0] if best else words, None)


_CHECKERS = {
    "note": _check_note, "notes": _check_notes, "interval": _check_interval, "quality": _check_quality,
    "number": _check_number, "key": _check_key, "choice": _check_choice, "inversion": _check_inversion,
    "roman": _check_roman, "scale": _check_scale, "cadence": _check_cadence,
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
    if expected.kind == "inversion":
        position, size = (int(v) for v in expected.value)
        return f"{POSITIONS[position]} ({FIGURES[size][position]})"
    if expected.kind == "roman":
        return display_roman(str(expected.value[0]))
    if expected.kind == "scale":
        return scale_title(_SCALE_NAMES.get(str(expected.value), str(expected.value)))
    if expected.kind == "cadence":
        return cadence_title(str(expected.value[0]))
    return str(expected.value)
