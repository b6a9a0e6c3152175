"""The tutor's short reply: encouragement first, then the few things most worth fixing.

A learner reads this in a chat bubble, so it names at most three concrete problems, in the order a
teacher would fix them (wrong and missing notes, then intonation, then timing, then extra notes),
points at notes by name and position, and groups a pattern ("most notes were flat") into one
remark instead of listing each note.
"""

from __future__ import annotations

from music.practice.target import Target, display_name
from music.practice.verdicts import ExtraNote, NoteVerdict, Tempo

MAX_POINTS = 3
_WORDS = ("no", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten")
_ORDER = {"wrong_note": 0, "missing": 1, "out_of_tune": 2, "early": 3, "late": 3}


def _count(n: int) -> str:
    return _WORDS[n] if n < len(_WORDS) else str(n)


def _what(target: Target, note: NoteVerdict) -> str:
    """"the F4 (note 4)" or, in a rhythm, "stroke 4"."""
    if target.rhythm_only:
        return f"stroke {note.index + 1}"
    return f"the {display_name(note.expected)} (note {note.index + 1})"


def _point(target: Target, note: NoteVerdict) -> str:
    if note.verdict == "wrong_note" and note.played is not None:
        played = display_name(note.played)
        if note.semitones is not None and abs(note.semitones) == 12:
            way = "higher" if note.semitones > 0 else "lower"
            expected = display_name(note.expected)
            return f"note {note.index + 1} should be {expected}, you played it an octave {way}"
        return f"you played {played} instead of {display_name(note.expected)} on note {note.index + 1}"
    if note.verdict == "missing":
        return f"I didn't hear {_what(target, note)}"
    if note.verdict == "out_of_tune" and note.cents is not None:
        way = "flat" if note.cents < 0 else "sharp"
        return f"{_what(target, note)} was about {round(abs(note.cents) / 5) * 5:.0f} cents {way}"
    if note.verdict in ("early", "late") and note.timing_ms is not None:
        return f"{_what(target, note)} came in {note.verdict} (by about {abs(note.timing_ms) / 1000:.2f} s)"
    return f"{_what(target, note)} needs another look"


def _tuning_pattern(problems: list[NoteVerdict]) -> tuple[str | None, list[NoteVerdict]]:
    """One remark when three or more notes are out of tune the same way."""
    sour = [n for n in problems if n.verdict == "out_of_tune" and n.cents is not None]
    for way, sign in (("flat", -1), ("sharp", 1)):
        same = [n for n in sour if n.cents is not None and n.cents * sign > 0]
        if len(same) >= 3:
            mean = sum(abs(n.cents or 0.0) for n in same) / len(same)
            remark = (f"{_count(len(same)).lower()} notes were {way}, by about "
                      f"{round(mean / 5) * 5:.0f} cents: check your tuning against a tuner")
            return remark, [n for n in problems if n not in same]
    return None, problems


def _pulse(tempo: Tempo) -> str | None:
    if tempo.drift == "rushing":
        return "you sped up as you went, so keep the pulse even"
    if tempo.drift == "dragging":
        return "you slowed down as you went, so keep the pulse even"
    if tempo.label == "unsteady":
        return "the pulse wandered, so try it with a metronome"
    if tempo.expected_bpm and tempo.bpm and abs(tempo.bpm / tempo.expected_bpm - 1.0) > 0.1:
        way = "faster" if tempo.bpm > tempo.expected_bpm else "slower"
        return f"you played at about {tempo.bpm:.0f} bpm, {way} than the {tempo.expected_bpm:.0f} asked for"
    return None


def _extra_point(target: Target, extra: list[ExtraNote]) -> str:
    first = extra[0]
    what = "stroke" if target.rhythm_only or not first.played else display_name(first.played)
    where = f"after note {first.after + 1}" if first.after >= 0 else "before the first note"
    more = f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""
    return f"there was an extra {what} {where}{more}"


def compose(target: Target, notes: list[NoteVerdict], extra: list[ExtraNote], tempo: Tempo) -> str:
    """The reply text, e.g. "Nice and steady! Two things: you played G4 instead of A4 on note 6, and
    the F4 (note 4) was about 40 cents flat." """
    pulse = _pulse(tempo)
    problems = sorted((n for n in notes if n.verdict != "ok"), key=lambda n: (_ORDER[n.verdict], n.index))
    if pulse:  # a drifting or wrong tempo explains the early and late notes: say that once
        problems = [n for n in problems if n.verdict not in ("early", "late")]
    if not problems and not extra:
        opening = "Lovely, every stroke was there" if target.rhythm_only else "Lovely, every note was right"
        if pulse:
            return f"{opening}; one thing to polish: {pulse}."
        timing = " and on time" if tempo.label != "unknown" else ""
        return f"{opening}{timing}. Well done!"
    ok = len(notes) - len(problems)
    steady = tempo.label == "steady" and tempo.drift == "even"
    if steady and ok >= len(notes) / 2:
        opening = "Nice and steady!"
    elif ok == len(notes) - 1 or ok >= 0.8 * len(notes):
        opening = "Good, nearly there!"
    elif ok >= len(notes) / 2:
        opening = "Good effort!"
    else:
        opening = "Thanks for playing it, let's work on it together."
    pattern, rest = _tuning_pattern(problems)
    notes_first = [_point(target, n) for n in rest if n.verdict in ("wrong_note", "missing")]
    points = notes_first + ([pattern] if pattern else [])
    points += [_point(target, n) for n in rest if n.verdict not in ("wrong_note", "missing")]
    if extra:
        points.append(_extra_point(target, extra))
    if pulse:
        points.insert(min(len(notes_first), MAX_POINTS - 1), pulse)
    shown, hidden = points[:MAX_POINTS], len(points) - MAX_POINTS
    if len(shown) == 1:
        body = f"One thing: {shown[0]}."
    else:
        body = f"{_count(len(shown))} things: {', '.join(shown[:-1])}, and {shown[-1]}."
    if hidden > 0:
        body += f" ({hidden} more in the details.)"
    closing = " Try it again slowly." if ok < len(notes) / 2 else ""
    return f"{opening} {body}{closing}"
