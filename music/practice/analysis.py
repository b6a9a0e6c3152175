"""`analyze`: a recording and a target in, verdicts, a reply and a mastery score out."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from music.practice.align import align, fit_grid
from music.practice.decode import MAX_SECONDS, SAMPLE_RATE, load_audio, too_long
from music.practice.errors import BadTargetError, NoNotesError, SilenceError
from music.practice.feedback import compose
from music.practice.notes import SILENCE_DBFS, PlayedNote, listen, listen_rhythm, loudness
from music.practice.target import HIGHEST_MIDI, LOWEST_MIDI, Target, midi_to_hz, parse_target
from music.practice.verdicts import (
    VERDICTS,
    ExtraNote,
    NoteVerdict,
    Tempo,
    mastery,
    pitch_verdict,
    tempo_summary,
    timing_verdict,
)

MIN_BPM, MAX_BPM = 20.0, 400.0
SEARCH_MARGIN = 14  # semitones around the target searched for pitches: catches octave slips


@dataclass(frozen=True)
class Analysis:
    """The tutor's judgement of one take.

    `notes`: one verdict per target note, in target order; `extra`: notes played that are not in
    the target; `tempo`: the pulse; `score`: the mastery signal in [0, 1] (share of target notes
    played right), ready for the learner model; `feedback`: the reply for the learner;
    `duration_s`: length of the recording; `analysis_s`: CPU seconds the analysis took (decoding
    included when it decoded); `bpm`: the tempo asked for; `counts`: notes per verdict, and
    "extra"."""

    target: Target
    notes: list[NoteVerdict]
    extra: list[ExtraNote]
    tempo: Tempo
    score: float
    feedback: str
    duration_s: float
    analysis_s: float
    bpm: float | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def steadiness(self) -> float | None:
        return self.tempo.steadiness

    @property
    def all_ok(self) -> bool:
        return not self.extra and all(n.verdict == "ok" for n in self.notes)

    def to_json(self) -> dict[str, Any]:
        """The JSON form (the `etude practice analyze --json` contract)."""
        return {
            "target": self.target.text,
            "rhythm_only": self.target.rhythm_only,
            "bpm": self.bpm,
            "notes": [n.to_json() for n in self.notes],
            "extra": [e.to_json() for e in self.extra],
            "counts": dict(self.counts),
            "score": round(self.score, 3),
            "tempo": self.tempo.to_json(),
            "steadiness": None if self.steadiness is None else round(self.steadiness, 3),
            "feedback": self.feedback,
            "duration_s": round(self.duration_s, 3),
            "analysis_s": round(self.analysis_s, 3),
        }


def _check_bpm(bpm: float | None) -> float | None:
    if bpm is None:
        return None
    if not np.isfinite(bpm) or not MIN_BPM <= bpm <= MAX_BPM:
        raise BadTargetError(
            f"A tempo of {bpm:g} bpm is outside what I can judge ({MIN_BPM:.0f} to {MAX_BPM:.0f})."
        )
    return float(bpm)


def analyze_samples(
    samples: np.ndarray, sr: int, target: Target | str, bpm: float | None = None, *,
    max_seconds: float = MAX_SECONDS,
) -> Analysis:
    """`analyze` for samples already decoded (mono float at `sr` Hz)."""
    started = time.process_time()
    target = parse_target(target) if isinstance(target, str) else target
    bpm = _check_bpm(bpm)
    y = np.nan_to_num(np.asarray(samples, dtype=np.float32).reshape(-1), nan=0.0, posinf=0.0, neginf=0.0)
    duration = y.size / sr
    if duration > max_seconds + 0.5:
        raise too_long(duration, max_seconds)
    if y.size < sr // 10 or loudness(y, sr) < SILENCE_DBFS:
        raise SilenceError(
            "I couldn't hear anything in that recording. Check the microphone and play it again."
        )
    if target.rhythm_only:
        heard = listen_rhythm(y, sr)
    else:
        low, high = target.midi_range or (LOWEST_MIDI, HIGHEST_MIDI)
        heard = listen(y, sr, midi_to_hz(max(low - SEARCH_MARGIN, LOWEST_MIDI - 2)),
                       midi_to_hz(min(high + SEARCH_MARGIN, HIGHEST_MIDI + 12)))
    if not heard.notes:
        what = "strokes" if target.rhythm_only else "notes"
        raise NoNotesError(
            f"I can hear sound but no clear {what}: maybe only noise or talking. Record again closer to your "
            "instrument, somewhere quieter."
        )
    return _judge(target, bpm, heard.notes, duration, started)


def _judge(
    target: Target, bpm: float | None, played: list[PlayedNote], duration: float, started: float
) -> Analysis:
    alignment = align(target, played, bpm)
    grid = alignment.grid
    verdicts: list[NoteVerdict] = []
    for i, note in enumerate(target.notes):
        j = alignment.matched.get(i)
        if j is None:
            verdicts.append(NoteVerdict(i, note.name, None, None, None, "missing", None, None, None))
            continue
        heard = played[j]
        timing = deviation = None
        if grid is not None:
            deviation = heard.onset - grid.time(note.start)
            timing = timing_verdict(deviation, grid.beat_s)
        if note.midi is None or heard.midi is None:
            verdict, name, cents, semitones = "ok", "x", None, None
        else:
            verdict, semitones, cents = pitch_verdict(note.midi, heard.midi)
            name = target.spell(note.midi + semitones)
        if verdict == "ok" and timing in ("early", "late"):
            verdict = timing
        verdicts.append(NoteVerdict(
            i, note.name, name, cents, heard.onset, verdict, timing,
            None if deviation is None else deviation * 1000.0, semitones,
        ))
    extras = []
    for j in alignment.extra:
        heard = played[j]
        before = [i for i, k in alignment.matched.items() if k < j]
        name = None if heard.midi is None else target.spell(round(heard.midi))
        cents = None if heard.midi is None else (heard.midi - round(heard.midi)) * 100.0
        extras.append(ExtraNote(name, cents, heard.onset, max(before, default=-1)))
    keys = sorted(alignment.matched)
    beats = [target.notes[i].start for i in keys]
    onsets = [played[alignment.matched[i]].onset for i in keys]
    own = fit_grid(np.array(beats), np.array(onsets), None) if len(keys) >= 2 else None
    tempo = tempo_summary(beats, onsets, None if own is None else own.bpm, bpm)
    feedback = compose(target, verdicts, extras, tempo)
    counts = Counter(v.verdict for v in verdicts)
    return Analysis(
        target=target, notes=verdicts, extra=extras, tempo=tempo, score=mastery(verdicts), feedback=feedback,
        duration_s=duration, analysis_s=time.process_time() - started, bpm=bpm,
        counts={**{v: counts.get(v, 0) for v in VERDICTS}, "extra": len(extras)},
    )


def analyze(
    source: bytes | str | Path, target: Target | str, bpm: float | None = None, *,
    max_seconds: float = MAX_SECONDS,
) -> Analysis:
    """Judge a recording (a file path or the file's bytes: OGG/Opus, WebM, MP3, WAV, M4A...) against
    a target ("C4 D4 E4" or a parsed Target). `bpm`: the tempo asked for; without it, timing is
    judged against the learner's own steady pulse.

    Raises a PracticeError subclass, whose `message` is meant for the learner, for anything it
    cannot judge: a bad target, an empty/undecodable/too long file, silence, noise without notes."""
    started = time.process_time()
    parsed = parse_target(target) if isinstance(target, str) else target
    _check_bpm(bpm)
    samples = load_audio(source, sr=SAMPLE_RATE, max_seconds=max_seconds)
    result = analyze_samples(samples, SAMPLE_RATE, parsed, bpm, max_seconds=max_seconds)
    return replace(result, analysis_s=time.process_time() - started)


__all__ = ["Analysis", "analyze", "analyze_samples"]
