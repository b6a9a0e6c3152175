"""A keyboard animation of a passage: one small piano image per time step, sounding keys lit.

The video counterpart of the synthesized audio: the same timed events (music.synth) drawn on a
fixed 88-key keyboard, so a key's position always means the same pitch. A frame lasts 1/fps
seconds and a key is lit in proportion to the part of the frame it sounds, so notes shorter than
a frame still show. Frames are float32 in [0, 1]: white keys 1, black keys 0, a fully lit key
`LIT` (grey, or orange in colour); frames past the passage are `PAD`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from music.synth import Event
from recommender.encoders.steps import PAD

_BLACK_PITCH_CLASSES = frozenset({1, 3, 6, 8, 10})
_LIT = {1: (0.5,), 3: (1.0, 0.45, 0.0)}  # a lit key's colour, per channel count


def is_black(midi: int) -> bool:
    return midi % 12 in _BLACK_PITCH_CLASSES


@dataclass(frozen=True, slots=True)
class KeyboardConfig:
    """Keyboard range and drawing, and the animation's rate and length (defaults: 8 s at 3 fps)."""

    low: int = 21  # A0 (MIDI); both ends must be white keys
    high: int = 108  # C8
    white_px: int = 2  # width of a white key; black keys are drawn over the white keys' joins
    height: int = 8
    black_height: int = 5
    channels: int = 1  # 1: grey levels, 3: RGB
    fps: float = 3.0
    max_frames: int = 24

    def __post_init__(self) -> None:
        if is_black(self.low) or is_black(self.high) or self.low >= self.high:
            raise ValueError("the keyboard must start and end on white keys, low below high")
        if self.channels not in _LIT:
            raise ValueError("channels must be 1 or 3")
        if not 0 < self.black_height <= self.height or self.white_px < 1 or self.fps <= 0:
            raise ValueError("invalid keyboard geometry or frame rate")

    @property
    def width(self) -> int:
        return sum(not is_black(m) for m in range(self.low, self.high + 1)) * self.white_px

    @property
    def keys(self) -> range:
        return range(self.low, self.high + 1)


DEFAULT_KEYBOARD = KeyboardConfig()


def midi_of(freq: float) -> int:
    """The nearest equal-tempered key of a frequency (A4 = 440 Hz = MIDI 69)."""
    return round(69 + 12 * math.log2(freq / 440.0))


@lru_cache(maxsize=8)
def _layout(config: KeyboardConfig) -> tuple[np.ndarray, np.ndarray]:
    """The unlit keyboard [C, H, W] and each key's pixels [keys, H, W] (every pixel one key's)."""
    h, w, px = config.height, config.width, config.white_px
    owner = np.full((h, w), -1, dtype=np.int64)  # index of the key each pixel shows
    whites = [m for m in config.keys if not is_black(m)]
    for i, midi in enumerate(whites):
        owner[:, i * px : (i + 1) * px] = midi - config.low
    black_px = max(1, 2 * (px // 2))
    for i, midi in enumerate(whites[:-1]):
        if is_black(midi + 1):  # the black key between this white key and the next
            start = (i + 1) * px - black_px // 2
            owner[: config.black_height, start : start + black_px] = midi + 1 - config.low
    pixels = owner[None] == np.arange(len(config.keys))[:, None, None]
    black = np.array([is_black(m) for m in config.keys])
    shade = np.where(black[owner], 0.0, 1.0).astype(np.float32)
    base = np.repeat(shade[None], config.channels, axis=0)
    pixels.flags.writeable = False
    base.flags.writeable = False
    return base, pixels


def key_image(levels: np.ndarray, config: KeyboardConfig = DEFAULT_KEYBOARD) -> np.ndarray:
    """[C, H, W] keyboard with key k (k = MIDI - low) lit by levels[k] in [0, 1]."""
    base, pixels = _layout(config)
    weight = np.tensordot(np.clip(levels, 0.0, 1.0), pixels, axes=1).astype(np.float32)  # [H, W]
    lit = np.asarray(_LIT[config.channels], dtype=np.float32)[:, None, None]
    return base + weight[None] * (lit - base)


def key_levels(events: Iterable[Event], config: KeyboardConfig = DEFAULT_KEYBOARD) -> np.ndarray:
    """[frames, keys] how much of each frame each key sounds (0..1); pitches off the keyboard are
    left out. Frames cover the passage from 0 to its last note's end, at most `max_frames`."""
    events = list(events)
    end = max((e.start + e.length for e in events), default=0.0)
    count = min(config.max_frames, math.ceil(end * config.fps - 1e-9))
    levels = np.zeros((max(count, 0), len(config.keys)), dtype=np.float32)
    frame = 1.0 / config.fps
    for event in events:
        first = int(event.start * config.fps)
        last = min(count, math.ceil((event.start + event.length) * config.fps - 1e-9))
        for t in range(first, last):
            overlap = min(event.start + event.length, (t + 1) * frame) - max(event.start, t * frame)
            for freq in event.freqs:
                key = midi_of(freq) - config.low
                if 0 <= key < len(config.keys) and overlap > 0:
                    levels[t, key] = min(1.0, levels[t, key] + overlap / frame)
    return levels


def keyboard_frames(
    events: Iterable[Event], config: KeyboardConfig = DEFAULT_KEYBOARD
) -> tuple[np.ndarray, np.ndarray]:
    """[max_frames, C, H, W] float32 animation (padding = PAD) and its [max_frames] bool mask."""
    levels = key_levels(events, config)
    frames = np.full((config.max_frames, config.channels, config.height, config.width), PAD, np.float32)
    for t, row in enumerate(levels):
        frames[t] = key_image(row, config)
    mask = np.zeros(config.max_frames, dtype=bool)
    mask[: len(levels)] = True
    return frames, mask


def lit_keys(
    frame: np.ndarray, config: KeyboardConfig = DEFAULT_KEYBOARD, threshold: float = 0.5
) -> list[int]:
    """MIDI numbers of the keys lit at least `threshold` in a [C, H, W] frame (reads `key_image` back)."""
    base, pixels = _layout(config)
    lit = np.asarray(_LIT[config.channels], dtype=np.float32)[:, None, None]
    found = []
    for k, midi in enumerate(config.keys):
        where = pixels[k]
        span = float(np.abs(lit - base)[:, where].mean())
        level = float(np.abs(frame - base)[:, where].mean()) / span
        if level >= threshold:
            found.append(midi)
    return found
