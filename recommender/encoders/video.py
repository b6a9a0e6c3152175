"""Video content: the encoder that turns a clip's frames into one vector."""

from __future__ import annotations

from recommender.encoders.steps import StepEncoder


class VideoEncoder(StepEncoder):
    """[B, T, C, H, W] frames in [0, 1] (+ [B, T] mask) -> [B, dim]; C is `channels`.

    A CNN (conv blocks of `widths` channels) on each frame, max-pooled over height into `columns`
    horizontal regions (on a keyboard animation, where a key sits says which pitch it is), then an
    LSTM over the frames. Without a mask, frames filled with `PAD` count as padding.
    """

    def __init__(
        self,
        dim: int = 64,
        channels: int = 1,
        widths: tuple[int, ...] = (16, 32, 32),
        columns: int = 16,
        hidden: int = 64,
        dropout: float = 0.0,
    ) -> None:
        super().__init__(channels, dim, tuple(widths), (1, columns), hidden, dropout)
