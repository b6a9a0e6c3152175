"""From samples to the notes the learner played: onsets, pitch changes and loudness.

A note starts where something starts: an onset in the spectral-flux envelope (a struck or plucked
note, a re-articulated repeat), a sustained pitch change (legato on a voice or a bowed string), or
sound rising out of silence. Boundaries that split one steady pitch without a fresh attack are
dropped again, so vibrato, a noisy floor or a wobbly bow do not turn one note into two. Each note's
pitch is the median of its periodic frames after the attack, which is robust to a few frames of
octave error and to vibrato.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass

import numpy as np

from music.practice.pitch import HOP_S, track_pitch

MAX_APERIODICITY = 0.35  # YIN dip depth above which a frame is noise rather than a note
MIN_NOTE_S = 0.05  # of periodic frames; shorter blips are clicks, breaths or pitch glitches
ATTACK_S = 0.035  # skipped before measuring a note's pitch: attacks wander
REATTACK_DB = 4.0  # a boundary inside one pitch survives only with this much fresh energy
MIN_GAP_S = 0.07  # boundaries closer than this belong to one attack
DIP_DB = 4.0  # a dip in level this deep on both sides marks a re-articulated note
PITCH_CHANGE = 0.6  # semitones a sustained pitch must move to start a new (legato) note
SILENCE_DBFS = -55.0  # a recording whose loudest frames stay below this is silence


@dataclass(frozen=True, slots=True)
class PlayedNote:
    """A note heard in the recording: onset and offset in seconds, fractional MIDI pitch (None in a
    rhythm analysis, where pitch is not measured) and loudness (dBFS) at its strongest."""

    onset: float
    offset: float
    midi: float | None
    level_db: float


@dataclass(frozen=True, slots=True)
class Listening:
    """Everything heard: the notes, the level of the loudest frames and of the noise floor."""

    notes: list[PlayedNote]
    peak_db: float
    floor_db: float


def onset_frames(y: np.ndarray, sr: int, n_frames: int) -> np.ndarray:
    """Onset peaks (frame indices on the HOP_S grid) of librosa's spectral-flux envelope."""
    import librosa

    hop = round(HOP_S * sr)
    envelope = librosa.onset.onset_strength(y=y, sr=sr, hop_length=hop)
    envelope = np.pad(envelope, (0, max(0, n_frames - envelope.size)))[:n_frames]
    peaks = librosa.onset.onset_detect(
        onset_envelope=envelope, sr=sr, hop_length=hop, units="frames", delta=0.1, wait=4
    )
    return np.asarray(peaks, dtype=int)


def _level_gate(db: np.ndarray, noise: np.ndarray | None = None) -> tuple[float, float, float]:
    """Loudest level, noise floor and the level a frame needs to count as sounding.

    The floor is the typical level of the frames that are noise (not periodic) when there are
    enough of them, else the quietest tenth: a take that is one long note has no quiet tenth."""
    peak = float(np.percentile(db, 99.5))
    if noise is not None and np.count_nonzero(noise) >= max(5, db.size // 20):
        floor = float(np.median(db[noise]))
    elif noise is not None:
        floor = float(np.min(db))
    else:
        floor = float(np.percentile(db, 10))
    return peak, floor, max(floor + 3.0, peak - 50.0)


def loudness(y: np.ndarray, sr: int) -> float:
    """The level (dBFS) of the loudest short frames (99.5th percentile): below SILENCE_DBFS the
    recording is silence, whatever its few loudest samples (a click, a bump of the phone) say."""
    n = int(np.floor(y.size / (HOP_S * sr))) + 1
    return float(np.percentile(level_track(y, sr, n), 99.5))


def _runs(mask: np.ndarray, bridge: int) -> list[tuple[int, int]]:
    """[start, end) of the True runs of `mask`, bridging False gaps of up to `bridge` frames."""
    runs: list[tuple[int, int]] = []
    index = np.flatnonzero(mask)
    if index.size == 0:
        return runs
    start = prev = int(index[0])
    for i in index[1:]:
        i = int(i)
        if i - prev > bridge + 1:
            runs.append((start, prev + 1))
            start = i
        prev = i
    runs.append((start, prev + 1))
    return runs


def _pitch_changes(midi: np.ndarray, start: int, end: int, hold: int) -> list[int]:
    """Frames in [start, end) where the pitch moves by PITCH_CHANGE semitones and stays `hold` frames."""
    cuts: list[int] = []
    reference = None
    i = start
    while i < end:
        value = midi[i]
        if np.isnan(value):
            i += 1
            continue
        if reference is None:
            reference = value
        ahead = midi[i : min(end, i + hold)]
        ahead = ahead[~np.isnan(ahead)]
        if (
            ahead.size >= hold - 1
            and np.all(np.abs(ahead - reference) >= PITCH_CHANGE)
            and np.ptp(ahead) < PITCH_CHANGE
        ):
            cuts.append(i)
            reference = float(np.median(ahead))
            i += hold
            continue
        reference = 0.8 * reference + 0.2 * value if abs(value - reference) < PITCH_CHANGE else reference
        i += 1
    return cuts


def level_track(y: np.ndarray, sr: int, n_frames: int) -> np.ndarray:
    """Level (dBFS) in short windows of one hop centred on the HOP_S grid: fine enough to see the
    brief dip between two legato notes of the same pitch, which the pitch frames smear out."""
    hop = round(HOP_S * sr)
    padded = np.pad(np.asarray(y, dtype=np.float64), (hop // 2, hop * (n_frames + 1)))
    frames = padded[: n_frames * hop].reshape(n_frames, hop)
    return 10.0 * np.log10(np.maximum(np.mean(frames**2, axis=1), 1e-12))


def level_dips(level: np.ndarray, gate: float, span: int = 8) -> list[int]:
    """Frames where the level rises again after dipping DIP_DB below both its neighbourhoods: a
    re-articulated note (a bow change, a tongued or re-sung repeat)."""
    cuts: list[int] = []
    smooth = np.convolve(level, np.ones(2) / 2.0, mode="same")
    for i in range(span, smooth.size - span):
        here = smooth[i]
        if here > smooth[i - 1] or here > smooth[i + 1]:
            continue
        before = np.max(smooth[i - span : i])
        after = np.max(smooth[i + 1 : i + span + 1])
        if before - here >= DIP_DB and after - here >= DIP_DB and after > gate:
            cuts.append(i + 1)
    return cuts


def reattack(level: np.ndarray, frame: int, span: int = 6) -> float:
    """dB gained at a boundary: loudest just after it against quietest just before it."""
    before = level[max(0, frame - span) : frame + 1]
    after = level[frame : frame + span + 1]
    return float(np.max(after) - np.min(before)) if before.size and after.size else 0.0


def _median_filter(values: np.ndarray, size: int) -> np.ndarray:
    """Running median ignoring NaN (NaN stays where every value in the window is NaN)."""
    half = size // 2
    padded = np.pad(values, half, constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows
        return np.nanmedian(windows, axis=1)


def _pitch_of(values: np.ndarray) -> float:
    """A note's pitch: the mean of its frames within a quarter tone of their median. The median
    alone throws out octave glitches and slides, but under vibrato it lands wherever the cycles
    were cut; the mean of the frames around it averages the vibrato out."""
    centre = float(np.median(values))
    near = values[np.abs(values - centre) < 0.5]
    return float(np.mean(near)) if near.size else centre


def listen(y: np.ndarray, sr: int, fmin: float, fmax: float) -> Listening:
    """The pitched notes in `y`, searching fundamentals between `fmin` and `fmax` Hz."""
    track = track_pitch(y, sr, fmin, fmax)
    n = track.midi.size
    peaks = onset_frames(y, sr, n)
    peak_db, floor_db, gate = _level_gate(track.db, ~(track.aperiodicity < MAX_APERIODICITY))
    level = level_track(y, sr, n)
    periodic = (track.aperiodicity < MAX_APERIODICITY) & (track.db > gate) & np.isfinite(track.midi)
    midi = np.where(periodic, track.midi, np.nan)
    smooth = _median_filter(midi, 5)
    hold = max(3, round(0.05 / track.hop_s))
    skip = round(ATTACK_S / track.hop_s)
    min_frames = max(2, round(MIN_NOTE_S / track.hop_s))
    min_gap = round(MIN_GAP_S / track.hop_s)
    dips = set(level_dips(level, gate))
    onset_set = set(int(p) for p in peaks) | dips

    segments: list[tuple[int, int]] = []
    for start, end in _runs(periodic, bridge=2):
        # One attack can show as a level dip, a pitch change and a flux peak a few frames apart:
        # keep the strongest evidence (a dip, then a pitch change, then flux) and drop the others.
        kept = [start, end]
        candidates = [sorted(d for d in dips if start < d < end),
                      _pitch_changes(smooth, start, end, hold),
                      sorted(p for p in peaks if start < p < end)]
        for cut in itertools.chain.from_iterable(candidates):
            if all(abs(cut - edge) >= min_gap for edge in kept):
                kept.append(int(cut))
        for a, b in itertools.pairwise(sorted(kept)):
            segments.append((a, b))

    notes: list[tuple[int, int, float]] = []
    for a, b in segments:
        values = midi[a + min(skip, max(0, (b - a) // 3)) : b]
        values = values[~np.isnan(values)]
        if values.size < min_frames:
            continue
        pitch = _pitch_of(values)
        if notes:
            pa, pb, pp = notes[-1]
            same = abs(pitch - pp) < 0.5 and a - pb <= 3
            if same and a not in dips and reattack(track.db, a) < REATTACK_DB:
                merged = midi[pa + min(skip, max(0, (pb - pa) // 3)) : b]
                notes[-1] = (pa, b, _pitch_of(merged[~np.isnan(merged)]))
                continue
        notes.append((a, b, pitch))

    played = []
    for a, b, pitch in notes:
        start = a
        near = [p for p in onset_set if a - 4 <= p <= a]
        if near:
            start = max(near)
        loudest = float(np.max(track.db[a:b]))
        played.append(PlayedNote(start * track.hop_s, b * track.hop_s, pitch, loudest))
    return Listening(played, peak_db, floor_db)


def listen_rhythm(y: np.ndarray, sr: int) -> Listening:
    """The strokes in `y` (claps, taps, any notes): onsets with a real rise in level; pitch ignored."""
    n = int(np.floor(y.size / (HOP_S * sr))) + 1
    db = level_track(y, sr, n)
    peaks = onset_frames(y, sr, n)
    peak_db, floor_db, gate = _level_gate(db)
    strokes: list[PlayedNote] = []
    for p in peaks:
        after = db[p : p + 5]
        if after.size == 0 or np.max(after) < max(gate, floor_db + 6.0) or reattack(db, int(p)) < REATTACK_DB:
            continue
        strokes.append(PlayedNote(p * HOP_S, p * HOP_S, None, float(np.max(after))))
    for i in range(len(strokes) - 1):
        current = strokes[i]
        strokes[i] = PlayedNote(current.onset, strokes[i + 1].onset, None, current.level_db)
    if strokes:
        last = strokes[-1]
        strokes[-1] = PlayedNote(last.onset, n * HOP_S, None, last.level_db)
    return Listening(strokes, peak_db, floor_db)

