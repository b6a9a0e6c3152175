"""The media encoders: one vector per item whatever its length, padding never read as content."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recommender.encoders.audio import AudioEncoder, MelConfig, log_mel_segments
from recommender.encoders.steps import PAD, padding_mask
from recommender.encoders.video import VideoEncoder

MELS, FRAMES = 40, 16
FRAME = (1, 8, 104)  # one keyboard frame [C, H, W]


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def audio_encoder() -> AudioEncoder:
    return AudioEncoder(dim=24, n_mels=MELS, widths=(8, 16), bands=4, hidden=16).eval()


def video_encoder() -> VideoEncoder:
    return VideoEncoder(dim=24, channels=1, widths=(8, 16), columns=8, hidden=16).eval()


def padded(content: torch.Tensor, length: int, garbage: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """content [T, ...] placed in a [1, length, ...] batch; the rest PAD (or noise) and masked out."""
    steps = torch.full((1, length, *content.shape[1:]), PAD)
    if garbage:
        steps = torch.randn_like(steps)
    steps[0, : len(content)] = content
    mask = torch.zeros(1, length, dtype=torch.bool)
    mask[0, : len(content)] = True
    return steps, mask


def test_the_encoders_give_one_vector_per_item() -> None:
    assert audio_encoder()(torch.rand(3, 5, MELS, FRAMES)).shape == (3, 24)
    assert video_encoder()(torch.rand(2, 6, *FRAME)).shape == (2, 24)


@pytest.mark.parametrize("kind", ["audio", "video"])
def test_padded_steps_do_not_change_the_output(kind: str) -> None:
    encoder = audio_encoder() if kind == "audio" else video_encoder()
    content = torch.rand(3, MELS, FRAMES) if kind == "audio" else torch.rand(3, *FRAME)
    short = encoder(*padded(content, 4))
    with torch.no_grad():
        assert torch.allclose(encoder(*padded(content, 9, garbage=True)), short, atol=1e-6)
        assert torch.allclose(encoder(padded(content, 7)[0]), short, atol=1e-6)  # mask read from PAD
        assert not torch.allclose(encoder(*padded(content[:2], 4)), short, atol=1e-4)


def test_padding_may_sit_between_steps() -> None:
    encoder = video_encoder()
    content = torch.rand(2, *FRAME)
    steps = torch.stack([content[0], torch.randn(*FRAME), content[1]])[None]
    holey = encoder(steps, torch.tensor([[True, False, True]]))
    assert torch.allclose(holey, encoder(content[None]), atol=1e-6)


def test_items_of_different_lengths_encode_as_they_would_alone() -> None:
    encoder = audio_encoder()
    lengths = [1, 4, 2]
    items = [torch.rand(n, MELS, FRAMES) for n in lengths]
    batch = torch.cat([padded(x, 5)[0] for x in items])
    together = encoder(batch)
    for row, item in zip(together, items, strict=True):
        assert torch.allclose(row, encoder(item[None])[0], atol=1e-5)


def test_an_item_without_content_encodes_as_zeros() -> None:
    out = audio_encoder()(torch.full((2, 3, MELS, FRAMES), PAD))
    assert torch.equal(out, torch.zeros(2, 24))


def test_gradients_reach_every_layer_and_never_the_padding() -> None:
    encoder = video_encoder().train()
    steps, mask = padded(torch.rand(3, *FRAME), 5, garbage=True)
    steps.requires_grad_(True)
    encoder(steps, mask).pow(2).sum().backward()
    for name, param in encoder.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name
    assert steps.grad[0, :3].abs().sum() > 0
    assert torch.equal(steps.grad[0, 3:], torch.zeros_like(steps.grad[0, 3:]))


def test_shapes_that_do_not_fit_are_refused() -> None:
    with pytest.raises(ValueError, match="mel bands"):
        audio_encoder()(torch.rand(1, 2, MELS + 1, FRAMES))
    with pytest.raises(ValueError, match="mask"):
        video_encoder()(torch.rand(1, 2, *FRAME), torch.ones(1, 3, dtype=torch.bool))


def tone(seconds: float, sr: int = 22_050, freq: float = 440.0) -> np.ndarray:
    return np.sin(2 * np.pi * freq * np.arange(int(seconds * sr)) / sr).astype(np.float32)


def test_log_mel_segments_fit_any_length_into_one_shape() -> None:
    config = MelConfig(n_mels=MELS, segment_frames=FRAMES, max_segments=6)
    second = 22_050 // config.hop_length + 1  # frames of one second
    expected = {0.3: 1, 1.0: -(-second // FRAMES), 60.0: 6}
    for seconds, count in expected.items():
        segments, mask = log_mel_segments(tone(seconds), 22_050, config)
        assert segments.shape == (6, MELS, FRAMES) and segments.dtype == np.float32
        assert mask.tolist() == [True] * count + [False] * (6 - count)
        assert np.array_equal(padding_mask(segments[None])[0], mask)
        valid = segments[mask]
        assert valid.min() >= 0.0 and valid.max() == pytest.approx(1.0)
        assert np.all(segments[~mask] == PAD)
    empty, none = log_mel_segments(np.zeros(0, np.float32), 22_050, config)
    assert not none.any() and np.all(empty == PAD)
    silent, mask = log_mel_segments(np.zeros(22_050, np.float32), 22_050, config)
    assert mask.any() and np.all(silent[mask] == 0.0)


def test_other_sample_rates_are_resampled_to_the_same_features() -> None:
    config = MelConfig(n_mels=MELS, segment_frames=FRAMES, max_segments=4)
    native, _ = log_mel_segments(tone(1.0), 22_050, config)
    resampled, _ = log_mel_segments(tone(1.0, sr=16_000), 16_000, config)
    peak_band = native[0].mean(1).argmax()
    assert resampled[0].mean(1).argmax() == peak_band
