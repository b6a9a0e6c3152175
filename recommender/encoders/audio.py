"""Audio content: log-mel segments of a waveform, and the encoder that turns them into one vector.

Audio of any length becomes a fixed-shape array: the log-mel spectrogram cut into segments of
`segment_frames`, the tail of the last one filled with silence, and missing segments with `PAD`
(up to `max_segments`; longer audio keeps its opening). Values are dB relative to the clip's peak
mapped onto [0, 1], so silence is 0 and loudness differences between renderings do not matter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from recommender.encoders.steps import PAD, StepEncoder


@dataclass(frozen=True, slots=True)
class MelConfig:
    """How audio becomes log-mel segments (defaults: ~46 ms frames, 0.74 s segments, ~8.9 s kept)."""

    sample_rate: int = 22_050  # the synthesizer's rate; other rates are resampled
    n_fft: int = 2048
    hop_length: int = 1024
    n_mels: int = 40
    fmax: float = 8000.0
    top_db: float = 80.0
    segment_frames: int = 16
    max_segments: int = 12


DEFAULT_MEL = MelConfig()


def log_mel(wave: np.ndarray, sr: int, config: MelConfig = DEFAULT_MEL) -> np.ndarray:
    """[n_mels, frames] float32 in [0, 1]: dB below the clip's peak, 0 at `top_db` down or silence."""
    import librosa  # imported here: it takes seconds, and the encoders do not need it

    wave = np.asarray(wave, dtype=np.float32).reshape(-1)
    if sr != config.sample_rate and wave.size:
        wave = librosa.resample(wave, orig_sr=sr, target_sr=config.sample_rate)
    power = librosa.feature.melspectrogram(
        y=wave, sr=config.sample_rate, n_fft=config.n_fft, hop_length=config.hop_length,
        n_mels=config.n_mels, fmax=config.fmax,
    )
    if float(power.max(initial=0.0)) <= 1e-10:
        return np.zeros_like(power, dtype=np.float32)  # silence: no peak to be relative to
    db = librosa.power_to_db(power, ref=np.max, top_db=config.top_db)
    return np.clip(1.0 + db / config.top_db, 0.0, 1.0).astype(np.float32)


def log_mel_segments(
    wave: np.ndarray, sr: int, config: MelConfig = DEFAULT_MEL
) -> tuple[np.ndarray, np.ndarray]:
    """[max_segments, n_mels, segment_frames] float32 segments (padding = PAD) and their [max_segments]
    bool mask; empty audio gives no valid segment."""
    segments = np.full((config.max_segments, config.n_mels, config.segment_frames), PAD, np.float32)
    mask = np.zeros(config.max_segments, dtype=bool)
    if np.asarray(wave).size == 0:
        return segments, mask
    mel = log_mel(wave, sr, config)
    count = min(config.max_segments, math.ceil(mel.shape[1] / config.segment_frames))
    for k in range(count):
        chunk = mel[:, k * config.segment_frames : (k + 1) * config.segment_frames]
        segments[k] = 0.0  # a short last segment ends in silence, not padding
        segments[k, :, : chunk.shape[1]] = chunk
        mask[k] = True
    return segments, mask


class AudioEncoder(StepEncoder):
    """[B, S, n_mels, frames] log-mel segments (+ [B, S] mask) -> [B, dim].

    A 2-D CNN (conv blocks of `widths` channels) on each segment, max-pooled over time into
    `bands` frequency bands (pitch height matters for music, so frequency is not pooled away),
    then an LSTM over the segments. Without a mask, segments filled with `PAD` count as padding.
    """

    def __init__(
        self,
        dim: int = 64,
        n_mels: int | None = None,
        widths: tuple[int, ...] = (16, 32, 32),
        bands: int = 8,
        hidden: int = 64,
        dropout: float = 0.0,
    ) -> None:
        super().__init__(1, dim, tuple(widths), (bands, 1), hidden, dropout)
        self.n_mels = n_mels

    def forward(self, segments: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if segments.ndim != 4:
            raise ValueError(f"expected [B, S, n_mels, frames] segments, got {list(segments.shape)}")
        if self.n_mels is not None and segments.shape[2] != self.n_mels:
            raise ValueError(f"segments have {segments.shape[2]} mel bands, not {self.n_mels}")
        return super().forward(segments.unsqueeze(2), mask)
