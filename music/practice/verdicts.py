"""Per-note verdicts, extra notes, tempo steadiness and the mastery score.

One verdict per target note, the most important problem first: missing, then wrong_note, then
out_of_tune (|cents| ≥ 30 from the target's equal-tempered pitch, A4 = 440 Hz), then early/late
(the onset is further than `timing_tolerance` from its grid point). The timing judgement is kept in
its own field too, so an out-of-tune late note still says it was late.

Where "out of tune" ends and "wrong note" begins: at 70 cents, not at the 50 where the nearest
semitone changes. A learner who aims at E4 and lands 55 cents sharp (a singer, a violinist, a
trombonist) played a very sharp E, not a flat F: a real wrong note (a neighbouring key, fret or
finger) lands within a few tens of cents of the other note, 100 cents or more from the target.
Telling them "you played F instead of E" would send them after the wrong fix. Beyond 70 cents the
note is named by its nearest semitone, and an octave slip is a wrong note too (on most instruments
it is another note, and a learner told "right" would be misled).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

OUT_OF_TUNE_CENTS = 30.0
WRONG_NOTE_CENTS = 70.0  # further than this from the target is another note (see the module docstring)
STEADY_CV, FAIRLY_STEADY_CV = 0.08, 0.15  # inter-onset interval variation, normalised by the target
DRIFT = 0.06  # relative tempo change from the first to the second half that counts as rushing/dragging

Verdict = Literal["ok", "wrong_note", "out_of_tune", "missing", "early", "late"]
Timing = Literal["early", "late", "on_time"]
VERDICTS: tuple[Verdict, ...] = ("ok", "wrong_note", "out_of_tune", "missing", "early", "late")


def timing_tolerance(beat_s: float) -> float:
    """How far (seconds) an onset may sit from its grid point and still count as on time: 80 ms or
    a fifth of a beat, whichever is larger (slow tempi leave more room)."""
    return max(0.08, 0.2 * beat_s)


@dataclass(frozen=True, slots=True)
class NoteVerdict:
    """What happened to one target note.

    `cents`: how far the played pitch is from the equal-tempered pitch of the note named in
    `played` (for a right note, the target; negative = flat). `timing_ms`: onset minus its grid
    point (negative = early). Both are None when not measured (missing note, rhythm target, a single
    note without a tempo)."""

    index: int
    expected: str
    played: str | None
    cents: float | None
    onset_s: float | None
    verdict: Verdict
    timing: Timing | None
    timing_ms: float | None
    semitones: int | None

    def to_json(self) -> dict[str, object]:
        return {
            "index": self.index, "expected": self.expected, "played": self.played,
            "cents": None if self.cents is None else round(self.cents, 1),
            "onset_s": None if self.onset_s is None else round(self.onset_s, 3),
            "verdict": self.verdict, "timing": self.timing,
            "timing_ms": None if self.timing_ms is None else round(self.timing_ms),
            "semitones": self.semitones,
        }


@dataclass(frozen=True, slots=True)
class ExtraNote:
    """A note that was played but is not in the target; `after` is the index of the target note it
    follows (-1: before the first)."""

    played: str | None
    cents: float | None
    onset_s: float
    after: int

    def to_json(self) -> dict[str, object]:
        return {"played": self.played, "cents": None if self.cents is None else round(self.cents, 1),
                "onset_s": round(self.onset_s, 3), "after": self.after}


@dataclass(frozen=True, slots=True)
class Tempo:
    """How the pulse went.

    `bpm`: the learner's own tempo (fitted to their onsets); `expected_bpm`: the one asked for;
    `cv`: coefficient of variation of inter-onset intervals, each divided by its written length in
    beats (0 = metronomic); `steadiness` in [0, 1] (1 - cv / 0.3, clipped); `label`: steady,
    fairly steady, unsteady or unknown (fewer than three matched notes); `drift`: rushing, dragging or
    even, from the tempo of the first half against the second."""

    bpm: float | None
    expected_bpm: float | None
    cv: float | None
    steadiness: float | None
    label: str
    drift: str

    def to_json(self) -> dict[str, object]:
        return {
            "bpm": None if self.bpm is None else round(self.bpm, 1), "expected_bpm": self.expected_bpm,
            "cv": None if self.cv is None else round(self.cv, 3),
            "steadiness": None if self.steadiness is None else round(self.steadiness, 3),
            "label": self.label, "drift": self.drift,
        }


def pitch_verdict(expected: int, played: float) -> tuple[Verdict, int, float]:
    """(verdict, semitones off, cents from the played note's own pitch) for a pitched note."""
    off = (played - expected) * 100.0
    if abs(off) < WRONG_NOTE_CENTS:
        return ("out_of_tune" if abs(off) >= OUT_OF_TUNE_CENTS else "ok"), 0, off
    semitones = round(played - expected)
    return "wrong_note", semitones, (played - (expected + semitones)) * 100.0


def timing_verdict(deviation_s: float, beat_s: float) -> Timing:
    tolerance = timing_tolerance(beat_s)
    if deviation_s < -tolerance:
        return "early"
    if deviation_s > tolerance:
        return "late"
    return "on_time"


def tempo_summary(
    beats: list[float], onsets: list[float], bpm: float | None, expected_bpm: float | None
) -> Tempo:
    """Steadiness from matched notes: `beats` are their written positions, `onsets` their times."""
    if len(beats) < 3:
        return Tempo(bpm, expected_bpm, None, None, "unknown", "even")
    b, o = np.asarray(beats), np.asarray(onsets)
    spans = np.diff(b)
    keep = spans > 1e-9
    local = np.diff(o)[keep] / spans[keep]  # seconds per beat between neighbouring notes
    local = local[local > 0]
    if local.size < 2:
        return Tempo(bpm, expected_bpm, None, None, "unknown", "even")
    centre = float(np.median(local))
    cv = float(1.4826 * np.median(np.abs(local - centre)) / centre)
    label = "steady" if cv < STEADY_CV else "fairly steady" if cv < FAIRLY_STEADY_CV else "unsteady"
    half = local.size // 2
    drift = "even"
    if half >= 2:
        change = float(np.median(local[:half]) / np.median(local[half:]) - 1.0)  # > 0: beats got shorter
        drift = "rushing" if change > DRIFT else "dragging" if change < -DRIFT else "even"
    steadiness = float(np.clip(1.0 - cv / 0.3, 0.0, 1.0))
    return Tempo(bpm, expected_bpm, cv, steadiness, label, drift)


def mastery(notes: list[NoteVerdict]) -> float:
    """The mastery signal for the learner model: the share of target notes played right."""
    return sum(n.verdict == "ok" for n in notes) / len(notes) if notes else 0.0
