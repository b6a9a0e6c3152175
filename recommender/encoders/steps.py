"""What the audio and video encoders share: a small CNN on each step of a sequence of images,
then an LSTM over the steps, with padded steps left out instead of read as content.

Padding is marked in the data itself (`PAD`, outside the [0, 1] range real features lie in), so a
`Modality` needs no second array for its masks: `padding_mask` recovers them.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

PAD = -1.0  # every value of a padded segment or frame; real features lie in [0, 1]


def padding_mask(steps: torch.Tensor | np.ndarray, step_dim: int = 1) -> torch.Tensor | np.ndarray:
    """[..., T] True where a step (axis `step_dim`, everything after it its content) is not padding."""
    flat = steps.reshape(*steps.shape[: step_dim + 1], -1)
    return (flat != PAD).any(-1)


def _groups(channels: int) -> int:
    return next(g for g in (8, 4, 2, 1) if channels % g == 0)


class _Down(nn.Module):
    """Halve height and width while both allow it (small inputs stop shrinking instead of failing)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool2d(x, 2, ceil_mode=True) if min(x.shape[-2:]) >= 2 else x


class StepEncoder(nn.Module):
    """[B, T, C, H, W] images with a [B, T] step mask -> [B, dim].

    Each valid step goes through conv blocks (GroupNorm, so a sample's output never depends on the
    rest of its batch), is max-pooled to a fixed `grid` (which keeps coarse position: frequency
    bands for audio, keyboard regions for video) and projected to `hidden`; an LSTM reads the valid
    steps in order and its last state, projected to `dim`, is the item's vector. A sequence with no
    valid step encodes as zeros.
    """

    def __init__(
        self,
        in_channels: int,
        dim: int,
        widths: tuple[int, ...],
        grid: tuple[int, int],
        hidden: int,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if not widths:
            raise ValueError("widths must name at least one conv block")
        layers: list[nn.Module] = []
        previous = in_channels
        for width in widths:
            layers += [
                nn.Conv2d(previous, width, 3, padding=1),
                nn.GroupNorm(_groups(width), width),
                nn.ReLU(),
                _Down(),
            ]
            previous = width
        self.in_channels = in_channels
        self.dim = dim
        self.hidden = hidden
        self.cnn = nn.Sequential(*layers, nn.AdaptiveMaxPool2d(grid), nn.Flatten())
        self.local = nn.Sequential(
            nn.Linear(previous * grid[0] * grid[1], hidden), nn.ReLU(), nn.Dropout(dropout)
        )
        self.lstm = nn.LSTM(hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, dim)

    def forward(self, steps: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if steps.ndim != 5 or steps.shape[2] != self.in_channels:
            raise ValueError(f"expected [B, T, {self.in_channels}, H, W] steps, got {list(steps.shape)}")
        mask = padding_mask(steps) if mask is None else mask.to(device=steps.device, dtype=torch.bool)
        if mask.shape != steps.shape[:2]:
            raise ValueError(f"mask {list(mask.shape)} does not match steps {list(steps.shape[:2])}")
        batch, length = mask.shape
        lengths = mask.sum(1)
        local = self.local(self.cnn(steps[mask]))  # valid steps only, batch-major then in order
        # Valid steps moved to the front of each row (order kept), so padding may sit anywhere.
        front = torch.arange(length, device=steps.device)[None, :] < lengths[:, None]
        sequence = local.new_zeros(batch, length, self.hidden)
        sequence[front] = local
        out = local.new_zeros(batch, self.dim)
        has = lengths > 0
        if bool(has.any()):
            packed = pack_padded_sequence(
                sequence[has], lengths[has].cpu(), batch_first=True, enforce_sorted=False
            )
            _, (state, _) = self.lstm(packed)
            out[has] = self.out(state[-1])
        return out
