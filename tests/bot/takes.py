"""Recordings of the practice target for the channel tests: synthesized takes with known mistakes,
encoded the way a browser or a phone would send them."""

from __future__ import annotations

import numpy as np

from music.practice import encode_audio, parse_target
from music.practice.simulate import take

SCALE = "C4 D4 E4 F4 G4 A4 B4 C5"


def played(target: str, bpm: float, fmt: str = "ogg", **mistakes: object) -> bytes:
    """`target` played on the piano at `bpm` with `mistakes` (see music.practice.simulate.take)."""
    rng = np.random.default_rng(3)
    performance = take(parse_target(target), bpm, "piano", snr_db=30, rng=rng, **mistakes)
    return encode_audio(performance.samples, performance.sr, fmt)
