"""Synthetic practice recordings with known mistakes, for the tests and the benchmark.

A take is a target performed with chosen (or random) mistakes: wrong notes, detuned notes, notes
played early or late, skipped notes and extra notes, in one of two timbres, under white noise at a
given SNR. Every take carries its ground truth: the verdict each target note deserves, so the
analysis can be scored against it. Tests and the benchmark share this module so both measure the
same thing.

Timbres: "piano" is the tutor's own synthesizer (music.synth: decaying harmonic partials);
"voice" is a bright, sustained sawtooth-like tone with a soft attack and vibrato, the opposite
case for onset detection and pitch tracking (a bowed string, a singer, a reed); "click" is the
synthesizer's unpitched tick for rhythm targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from music.practice.target import Target, midi_to_hz
from music.practice.verdicts import OUT_OF_TUNE_CENTS, timing_tolerance

Timbre = Literal["piano", "voice", "click"]
LEAD_IN_S = 0.4
PEAK = 0.89
AMBIGUOUS_CENTS = (27.0, 33.0)  # a detune this close to the threshold has no fair right answer


@dataclass(frozen=True, slots=True)
class Performed:
    """One sounded note: its true pitch (fractional MIDI), start and length in seconds, and which
    target note it was meant to be (None for an extra note)."""

    midi: float
    start: float
    length: float
    target_index: int | None


@dataclass(frozen=True, slots=True)
class Mistakes:
    """Per-note probabilities of each mistake in a random take (at most one mistake per note)."""

    wrong: float = 0.0
    detune: float = 0.0
    timing: float = 0.0
    missing: float = 0.0
    extra: float = 0.0


@dataclass(slots=True)
class Take:
    """A rendered recording and its ground truth.

    `expected[i]` is the verdict target note i deserves, or None when it is too close to a
    threshold to score fairly; `extras` counts the extra notes played."""

    samples: np.ndarray
    sr: int
    bpm: float
    notes: list[Performed]
    expected: list[str | None]
    cents: list[float | None] = field(default_factory=list)
    shift_s: list[float] = field(default_factory=list)
    extras: int = 0

    @property
    def seconds(self) -> float:
        return self.samples.size / self.sr


def perform(
    target: Target,
    bpm: float,
    *,
    wrong: dict[int, int] | None = None,
    detune: dict[int, float] | None = None,
    shift: dict[int, float] | None = None,
    missing: set[int] | frozenset[int] = frozenset(),
    extra: dict[int, int] | None = None,
    jitter_s: float = 0.0,
    jitter_cents: float = 0.0,
    legato: float = 0.9,
    rng: np.random.Generator | None = None,
) -> tuple[list[Performed], list[str | None], list[float | None], list[float]]:
    """The notes of a performance of `target` at `bpm` with the given mistakes.

    `wrong` maps a note index to semitones added, `detune` to cents added, `shift` to seconds of
    early (negative) or late (positive) onset; `extra` inserts a note `semitones` away from note i
    halfway to the next one. `jitter_*` add small human deviations (Gaussian, clipped at 2.5 sigma)
    that stay well inside the tolerances. Returns the notes, the expected verdicts, the true cents
    off and the true onset shifts per target note."""
    wrong, detune, shift, extra = wrong or {}, detune or {}, shift or {}, extra or {}
    rng = rng or np.random.default_rng(0)
    beat = 60.0 / bpm
    tolerance = timing_tolerance(beat)
    onsets: list[float] = []
    for i, note in enumerate(target.notes):
        jitter = 0.0
        if jitter_s:
            jitter = float(np.clip(rng.normal(0.0, jitter_s), -2.5 * jitter_s, 2.5 * jitter_s))
        onsets.append(LEAD_IN_S + note.start * beat + shift.get(i, 0.0) + jitter)
    played: list[Performed] = []
    expected: list[str | None] = []
    cents: list[float | None] = []
    shifts: list[float] = []
    for i, note in enumerate(target.notes):
        base = 67.0 if note.midi is None else float(note.midi)
        wobble = float(np.clip(rng.normal(0.0, jitter_cents), -2.5 * jitter_cents, 2.5 * jitter_cents)) \
            if jitter_cents else 0.0
        off = detune.get(i, 0.0) + wobble
        true_shift = onsets[i] - (LEAD_IN_S + note.start * beat)
        shifts.append(true_shift)
        next_onset = onsets[i + 1] if i + 1 < len(onsets) else onsets[i] + note.beats * beat
        length = min(note.beats * beat * legato, next_onset - onsets[i] - 0.03)
        if i in extra:
            middle = (onsets[i] + next_onset) / 2.0
            length = min(length, middle - onsets[i] - 0.03)
            extra_length = max(0.08, min(note.beats * beat * legato / 2.0, next_onset - middle - 0.03))
            played.append(Performed(base + extra[i], middle, extra_length, None))
        if i in missing:
            expected.append("missing")
            cents.append(None)
            continue
        played.append(Performed(base + wrong.get(i, 0) + off / 100.0, onsets[i], max(length, 0.06), i))
        cents.append(None if note.midi is None else off)
        if wrong.get(i, 0) and note.midi is not None:
            expected.append("wrong_note")
        elif note.midi is not None and abs(off) >= OUT_OF_TUNE_CENTS:
            expected.append(None if AMBIGUOUS_CENTS[0] <= abs(off) <= AMBIGUOUS_CENTS[1] else "out_of_tune")
        elif note.midi is not None and AMBIGUOUS_CENTS[0] <= abs(off):
            expected.append(None)
        elif abs(true_shift) > tolerance:
            expected.append("early" if true_shift < 0 else "late")
        else:
            expected.append("ok")
    played.sort(key=lambda p: p.start)
    return played, expected, cents, shifts


def _voice_tone(hz: float, length: float, sr: int, phase: float) -> np.ndarray:
    """A sustained sawtooth-like tone: 40 ms attack, gentle decay, 5.5 Hz vibrato of ±15 cents."""
    release = 0.06
    t = np.arange(int((length + release) * sr)) / sr
    depth = 15.0 * np.clip((t - 0.15) / 0.2, 0.0, 1.0)
    inst = hz * 2.0 ** (depth * np.sin(2 * np.pi * 5.5 * t + phase) / 1200.0)
    angle = 2 * np.pi * np.cumsum(inst) / sr
    tone = np.zeros_like(t)
    for n in range(1, 16):
        if n * hz >= min(sr / 2 - 500, 6000):
            break
        tone += np.sin(n * angle) / n
    envelope = np.clip(t / 0.04, 0.0, 1.0) * (0.8 + 0.2 * np.exp(-t / 0.2))
    held = int(length * sr)
    envelope[held:] *= np.linspace(1.0, 0.0, t.size - held)
    return tone * envelope


def render(
    notes: list[Performed],
    timbre: Timbre = "piano",
    *,
    snr_db: float | None = None,
    sr: int = 22_050,
    tail_s: float = 0.5,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Mono float32 samples of the notes, peak-normalised, plus white noise at `snr_db` (signal power
    over the whole take against the noise power) when given."""
    from music.synth import SAMPLE_RATE, Event, synthesize

    rng = rng or np.random.default_rng(0)
    if any(n.start < 0 for n in notes):
        raise ValueError("a note starts before the recording does")
    if timbre in ("piano", "click"):
        if sr != SAMPLE_RATE:
            raise ValueError(f"the {timbre} timbre renders at {SAMPLE_RATE} Hz")
        voice = "click" if timbre == "click" else "piano"
        events = [Event(n.start, n.length, (midi_to_hz(n.midi),), 1.0, voice) for n in notes]
        body = synthesize(events).astype(np.float64)
    else:
        end = max((n.start + n.length for n in notes), default=0.0) + 0.1
        body = np.zeros(int(end * sr) + 1)
        for n in notes:
            tone = _voice_tone(midi_to_hz(n.midi), n.length, sr, float(rng.uniform(0, 2 * np.pi)))
            begin = round(n.start * sr)
            stop = min(body.size, begin + tone.size)
            body[begin:stop] += tone[: stop - begin]
    samples = np.concatenate([body, np.zeros(int(tail_s * sr))])
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak > 0:
        samples *= PEAK / peak
    if snr_db is not None:
        power = float(np.mean(samples**2))
        samples = samples + rng.normal(0.0, np.sqrt(power / 10.0 ** (snr_db / 10.0)), samples.size)
        samples *= min(1.0, 0.99 / max(float(np.max(np.abs(samples))), 1e-9))
    return samples.astype(np.float32)


def take(
    target: Target,
    bpm: float,
    timbre: Timbre = "piano",
    *,
    snr_db: float | None = None,
    rng: np.random.Generator | None = None,
    jitter_s: float = 0.0,
    jitter_cents: float = 0.0,
    wrong: dict[int, int] | None = None,
    detune: dict[int, float] | None = None,
    shift: dict[int, float] | None = None,
    missing: set[int] | frozenset[int] = frozenset(),
    extra: dict[int, int] | None = None,
    legato: float = 0.9,
) -> Take:
    """`perform` then `render`: a recording of `target` with exactly the mistakes given (see
    `perform` for their meaning)."""
    rng = rng or np.random.default_rng(0)
    notes, expected, cents, shifts = perform(
        target, bpm, wrong=wrong, detune=detune, shift=shift, missing=missing, extra=extra,
        jitter_s=jitter_s, jitter_cents=jitter_cents, legato=legato, rng=rng,
    )
    extras = sum(n.target_index is None for n in notes)
    samples = render(notes, "click" if target.rhythm_only else timbre, snr_db=snr_db, rng=rng)
    return Take(samples, 22_050, bpm, notes, expected, cents, shifts, extras)


def random_take(
    target: Target,
    rng: np.random.Generator,
    *,
    bpm: float,
    mistakes: Mistakes,
    timbre: Timbre = "piano",
    snr_db: float | None = None,
) -> Take:
    """A take with random mistakes drawn per note from `mistakes` (at most one per note).

    Wrong notes are 1 to 3 semitones off either way, or an octave (one in ten); detunes are 10 to 60
    cents either way; timing shifts are 1.5 to 2.2 timing tolerances early or late, capped at 45% of
    the gap to the neighbouring note so notes keep their order; extras are 1 to 5 semitones from the
    note before. Human jitter: 10 ms of onset and 3 cents of pitch (standard deviations)."""
    beat = 60.0 / bpm
    tolerance = timing_tolerance(beat)
    n = len(target.notes)
    wrong: dict[int, int] = {}
    detune: dict[int, float] = {}
    shift: dict[int, float] = {}
    missing: set[int] = set()
    extra: dict[int, int] = {}
    pitched = not target.rhythm_only
    for i in range(n):
        roll = rng.random()
        edges = np.cumsum([mistakes.wrong if pitched else 0.0, mistakes.detune if pitched else 0.0,
                           mistakes.timing, mistakes.missing])
        if roll < edges[0]:
            step = 12 if rng.random() < 0.1 else int(rng.integers(1, 4))
            wrong[i] = step * int(rng.choice([-1, 1]))
        elif roll < edges[1]:
            detune[i] = float(rng.uniform(10.0, 60.0)) * float(rng.choice([-1, 1]))
        elif roll < edges[2]:
            sign = float(rng.choice([-1, 1]))
            if sign < 0:
                gap = (target.notes[i].start - target.notes[i - 1].start) * beat if i else None
                room = 0.45 * gap if gap is not None else LEAD_IN_S - 0.1
            else:
                gap = (target.notes[i + 1].start - target.notes[i].start) * beat if i + 1 < n else beat
                room = 0.45 * gap
            size = float(rng.uniform(1.5, 2.2)) * tolerance
            if size <= room:
                shift[i] = sign * size
        elif roll < edges[3] and len(missing) < n // 3:
            missing.add(i)
        if i + 1 < n and rng.random() < mistakes.extra:
            extra[i] = int(rng.integers(1, 6)) * int(rng.choice([-1, 1]))
    return take(target, bpm, timbre, snr_db=snr_db, rng=rng, jitter_s=0.010, jitter_cents=3.0,
                wrong=wrong, detune=detune, shift=shift, missing=missing, extra=extra)
