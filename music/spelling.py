"""Note names as people type them and as the tutor shows them.

Learners write "Eb", "E♭", "E flat" or "e-flat"; music21 wants "E-". Every module that reads or
prints a note name goes through here, so spelling rules live in one place.
"""

from __future__ import annotations

import re

from music21 import pitch

# An accidental after a note letter, longest alternatives first. A bare "-" only counts as a flat
# when no note letter follows it, so "c-e-g" reads as three notes while "B- D F" keeps its flat.
_ACCIDENTAL = (
    r"(?:\s*-?\s*(?P<word>double[\s-]*sharp|double[\s-]*flat|sharp|flat|natural)\b"
    r"|(?P<sign>##|#|♯♯|♯|𝄪|x(?![a-z])|bb(?![a-z])|b(?![a-z])|♭♭|♭|𝄫|--(?![A-Ga-g])|-(?![A-Ga-g-])|♮))"
)
NOTE_PATTERN = rf"(?P<letter>[A-Ga-g])(?:{_ACCIDENTAL})?(?P<octave>-?\d)?"
_NOTE_RE = re.compile(rf"^\s*{NOTE_PATTERN}\s*$")

_ALTER = {
    "#": 1, "♯": 1, "sharp": 1,
    "##": 2, "♯♯": 2, "𝄪": 2, "x": 2, "double sharp": 2,
    "b": -1, "♭": -1, "-": -1, "flat": -1,
    "bb": -2, "♭♭": -2, "𝄫": -2, "--": -2, "double flat": -2,
    "natural": 0, "♮": 0,
}


def note_pattern(tag: str) -> str:
    """NOTE_PATTERN without an octave, its groups prefixed by `tag_`, so one regex can hold several."""
    body = NOTE_PATTERN.removesuffix("(?P<octave>-?\\d)?")
    for group in ("letter", "word", "sign"):
        body = body.replace(f"(?P<{group}>", f"(?P<{tag}_{group}>")
    return body


def accidental_alter(match: re.Match[str], tag: str = "") -> int:
    """Semitone alteration of a (tagged) NOTE_PATTERN match, 0 when it has no accidental."""
    prefix = f"{tag}_" if tag else ""
    word = match.group(prefix + "word")
    if word:
        return _ALTER[re.sub(r"[\s-]+", " ", word.lower())]
    sign = match.group(prefix + "sign")
    return _ALTER[sign.lower()] if sign else 0


def name_from_match(match: re.Match[str], tag: str = "") -> str:
    """music21 pitch name ("E-", "F#") of a (tagged) NOTE_PATTERN match, ignoring any octave digit."""
    alter = accidental_alter(match, tag)
    letter = match.group(f"{tag}_letter" if tag else "letter")
    return letter.upper() + ("#" * alter if alter > 0 else "-" * -alter)


def parse_note(text: str) -> str | None:
    """The music21 pitch name of one typed note ("e flat" -> "E-"), or None if it is not one."""
    match = _NOTE_RE.match(text)
    if not match or match.group("octave"):
        return None
    return name_from_match(match)


def display(name: str | pitch.Pitch) -> str:
    """A pitch name for people: "E-" -> "E♭", "F##" -> "F♯♯" (octave digits dropped)."""
    p = name if isinstance(name, pitch.Pitch) else pitch.Pitch(name)
    return p.name.replace("-", "♭").replace("#", "♯")


def display_all(names: list[str] | list[pitch.Pitch]) -> str:
    """Space-separated display names, the way the tutor lists notes."""
    return " ".join(display(n) for n in names)


def accidental_count(name: str) -> int:
    """How many sharps/flats a spelled name carries (double sharps count twice)."""
    alter = pitch.Pitch(name).accidental
    return abs(int(alter.alter)) if alter is not None else 0
