"""Frame-wise pitch, periodicity and loudness: the YIN estimator, vectorised over all frames.

Why not librosa.pyin: its HMM decoding costs several seconds of CPU per 10 s of audio, ten times the
budget. librosa.yin is fast but returns only f0, and the tutor also needs *how periodic* each frame
is, to tell notes from noise. YIN (de Cheveigné & Kawahara 2002) gives both: the cumulative mean
normalised difference at the chosen lag is near 0 for a clean tone and near 1 for noise. Restricting
the lag range to the target's neighbourhood (an octave and a bit either side) keeps it cheap and
keeps octave errors out. The recording is first resampled to a rate just high enough for the upper
partials that matter, which also drops most of a broadband noise floor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HOP_S = 256 / 22_050  # 11.6 ms between frames, the same grid as the onset envelope
THRESHOLD = 0.15  # YIN's absolute threshold: the first dip below it is the period
SLACK = 0.1  # in noise: the first dip within this of the deepest one
CHUNK = 256  # frames analysed at once, bounding memory


@dataclass(frozen=True, slots=True)
class PitchTrack:
    """Per-frame estimates on a regular grid of `hop_s` seconds (frame i is centred on i * hop_s).

    `midi` is fractional MIDI (60.0 = C4, 60.3 = 30 cents sharp), NaN where the level is zero;
    `aperiodicity` is YIN's dip depth (0 = perfectly periodic, about 1 = noise); `db` is the
    frame's level in dB relative to full scale."""

    midi: np.ndarray
    aperiodicity: np.ndarray
    db: np.ndarray
    hop_s: float

    @property
    def times(self) -> np.ndarray:
        return np.arange(self.midi.size) * self.hop_s


def analysis_rate(fmax: float, sr: int) -> int:
    """The lowest convenient rate keeping four partials of the highest note (at least 8 kHz)."""
    for rate in (8_000, 11_025, 16_000, 22_050):
        if rate >= 8 * fmax and rate <= sr:
            return rate
    return sr


def _yin(frames: np.ndarray, window: int, lag_min: int, lag_max: int) -> tuple[np.ndarray, np.ndarray]:
    """Period (fractional samples) and dip depth for each row of `frames`."""
    n_frames, frame = frames.shape
    n_fft = 1 << int(np.ceil(np.log2(frame + window)))
    spectrum = np.fft.rfft(frames, n_fft, axis=1)
    head = np.fft.rfft(frames[:, :window], n_fft, axis=1)
    cross = np.fft.irfft(spectrum * np.conj(head), n_fft, axis=1)[:, : lag_max + 2]
    energy = np.concatenate([np.zeros((n_frames, 1)), np.cumsum(frames**2, axis=1)], axis=1)
    lags = np.arange(lag_max + 2)
    e0 = energy[:, window][:, None]
    e_lag = energy[:, lags + window] - energy[:, lags]
    diff = np.maximum(e0 + e_lag - 2.0 * cross, 0.0)  # d(τ) = Σ (x_j - x_{j+τ})² over the window
    diff[:, 0] = 0.0
    running = np.cumsum(diff[:, 1:], axis=1) / lags[1:]
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] / np.maximum(running, 1e-12)  # cumulative mean normalised difference

    inner = cmnd[:, lag_min : lag_max + 1]
    left = cmnd[:, lag_min - 1 : lag_max]
    right = cmnd[:, lag_min + 1 : lag_max + 2]
    # The first dip below the threshold is the period. When noise lifts every dip above it, take
    # the first dip nearly as deep as the deepest: the deepest alone is often a multiple of the
    # period (an octave or a twelfth too low), since multiples match about as well.
    limit = np.maximum(THRESHOLD, np.min(inner, axis=1) + SLACK)[:, None]
    trough = (inner < limit) & (inner <= left) & (inner <= right)
    best = np.argmax(trough, axis=1)
    rows = np.arange(n_frames)
    depth = inner[rows, best]
    # Refine the lag on the raw difference: noise adds a constant to it, which a parabola ignores,
    # while the normalised curve tilts and pulls noisy notes sharp by several cents.
    lag = lag_min + best
    a, b, c = diff[rows, lag - 1], diff[rows, lag], diff[rows, lag + 1]
    curve = a - 2.0 * b + c
    shift = np.where(curve > 1e-12, 0.5 * (a - c) / np.where(curve > 1e-12, curve, 1.0), 0.0)
    return lag + np.clip(shift, -0.5, 0.5), depth


def track_pitch(y: np.ndarray, sr: int, fmin: float, fmax: float, hop_s: float = HOP_S) -> PitchTrack:
    """YIN over frames every `hop_s` seconds, searching periods between 1/fmax and 1/fmin."""
    rate = analysis_rate(fmax, sr)
    if rate != sr:
        import soxr

        y = soxr.resample(y, sr, rate, quality="HQ")
        sr = rate
    y = np.asarray(y, dtype=np.float64)
    hop = hop_s * sr
    lag_min = max(2, int(np.floor(sr / fmax)))
    lag_max = int(np.ceil(sr / fmin)) + 1
    window = max(lag_max, int(0.03 * sr))  # integrate over 30 ms or one longest period
    frame = window + lag_max + 2
    n_frames = int(np.floor(len(y) / hop)) + 1
    padded = np.pad(y, (frame // 2, frame + int(np.ceil(hop))))
    starts = np.round(np.arange(n_frames) * hop).astype(np.int64)
    view = np.lib.stride_tricks.sliding_window_view(padded, frame)
    period = np.empty(n_frames)
    depth = np.empty(n_frames)
    for first in range(0, n_frames, CHUNK):  # a minute of audio at once would take gigabytes
        rows = slice(first, min(n_frames, first + CHUNK))
        period[rows], depth[rows] = _yin(view[starts[rows]], window, lag_min, lag_max)
    head = view[starts, :window]
    level = np.einsum("ij,ij->i", head, head) / window
    with np.errstate(divide="ignore", invalid="ignore"):
        midi = 69.0 + 12.0 * np.log2(sr / period / 440.0)
        db = 10.0 * np.log10(np.maximum(level, 1e-12))
    midi[level <= 1e-12] = np.nan
    return PitchTrack(midi=midi, aperiodicity=np.clip(depth, 0.0, 1.5), db=db, hop_s=hop_s)
