"""The platform's item content: what the tutor plays for a lesson, as log-mel audio and a keyboard video.

A curriculum concept's machine-readable example is played exactly as the tutor plays it
(`music.synth.example_passage`: held chords, a rhythm on clicks), synthesized, and cut into log-mel
segments; the same passage, at its written pitches, is drawn as a keyboard animation. A work of
the music21 corpus can give its opening the same way (slow: the score is parsed, so it is opt-in).

Features are cached on disk, one file per item named by its id and a hash of everything that
shapes the result (the example, the feature settings, the synthesizer's version), so an edited
example or a new setting recomputes and the stale file is removed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from actions.audio import example_of
from kg.schema import CONCEPT, WORK, Node
from music.synth import DEFAULT_TEMPO, SYNTH_VERSION, Event, events_from, example_passage, synthesize
from recommender.encoders.audio import DEFAULT_MEL, MelConfig, log_mel_segments
from recommender.keyboard import DEFAULT_KEYBOARD, KeyboardConfig, keyboard_frames

log = logging.getLogger(__name__)

FEATURES_VERSION = 1  # bump when the features change in a way the settings do not show
WORK_SECONDS = 8.0  # how much of a work's opening is rendered


@dataclass(frozen=True, slots=True)
class ItemMedia:
    """One item's content, each with a mask of its valid steps (the rest is `PAD`)."""

    audio: np.ndarray  # [max_segments, n_mels, segment_frames] float32
    audio_mask: np.ndarray  # [max_segments] bool
    video: np.ndarray  # [max_frames, C, H, W] float32
    video_mask: np.ndarray  # [max_frames] bool


def passage_media(
    sound: list[Event],
    keys: list[Event],
    mel: MelConfig = DEFAULT_MEL,
    keyboard: KeyboardConfig = DEFAULT_KEYBOARD,
) -> ItemMedia:
    """Features of a passage: `sound` is what is heard, `keys` what is played (they differ for
    a rhythm, heard as clicks but written on pitches)."""
    from music.synth import SAMPLE_RATE

    audio, audio_mask = log_mel_segments(synthesize(sound), SAMPLE_RATE, mel)
    video, video_mask = keyboard_frames(keys, keyboard)
    return ItemMedia(audio, audio_mask, video, video_mask)


def example_media(
    example: dict[str, Any],
    mel: MelConfig = DEFAULT_MEL,
    keyboard: KeyboardConfig = DEFAULT_KEYBOARD,
    tempo: int = DEFAULT_TEMPO,
) -> ItemMedia:
    """Features of a curriculum example; raises ValueError when it does not realise or play."""
    passage, voice = example_passage(example)
    sound = events_from(passage, tempo=tempo, voice=voice)
    keys = sound if voice == "piano" else events_from(passage, tempo=tempo)
    if not sound:
        raise ValueError("nothing to play: the example has no notes")
    return passage_media(sound, keys, mel, keyboard)


def opening(events: list[Event], seconds: float) -> list[Event]:
    """The events of the first `seconds`, the last ones cut short."""
    kept = [e for e in events if e.start < seconds]
    return [Event(e.start, min(e.length, seconds - e.start), e.freqs, e.gain, e.voice) for e in kept]


def corpus_media(
    corpus_path: str,
    mel: MelConfig = DEFAULT_MEL,
    keyboard: KeyboardConfig = DEFAULT_KEYBOARD,
    tempo: int = DEFAULT_TEMPO,
    seconds: float = WORK_SECONDS,
) -> ItemMedia:
    """Features of the opening of a music21 corpus work (the first score of a collection)."""
    from music21 import corpus, stream

    try:
        parsed = corpus.parse(corpus_path)
    except Exception as exc:  # music21 raises many types for missing or unreadable files
        raise ValueError(f"music21 cannot read {corpus_path}: {exc}") from exc
    if isinstance(parsed, stream.Opus):
        parsed = parsed.scores[0]
    events = opening(events_from(parsed, tempo=tempo), seconds)
    if not events:
        raise ValueError(f"{corpus_path}: no notes in its opening")
    return passage_media(events, events, mel, keyboard)


class MediaCache:
    """Item features on disk: `<id>-<hash>.npz` under `directory`, written atomically."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def path(self, item_id: str, content: Any) -> Path:
        digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
        return self.directory / f"{_file_stem(item_id)}-{digest[:16]}.npz"

    def get(self, item_id: str, content: Any, compute: Callable[[], ItemMedia]) -> ItemMedia:
        """The cached features of `item_id` for this `content`, computed (and stored) if missing."""
        target = self.path(item_id, content)
        if target.exists():
            try:
                with np.load(target) as stored:
                    return ItemMedia(**{name: stored[name] for name in ItemMedia.__slots__})
            except (OSError, ValueError, KeyError):
                log.warning("recomputing the unreadable cache file %s", target)
        media = compute()
        self._write(target, media)
        for stale in self.directory.glob(f"{_file_stem(item_id)}-*.npz"):
            if stale != target:
                stale.unlink(missing_ok=True)
        return media

    def _write(self, target: Path, media: ItemMedia) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=".partial-", suffix=".npz", dir=self.directory)
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez_compressed(out, **asdict(media))
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise


def _file_stem(item_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.]", "_", item_id)


def node_media(
    node: Node,
    cache: MediaCache | None = None,
    *,
    mel: MelConfig = DEFAULT_MEL,
    keyboard: KeyboardConfig = DEFAULT_KEYBOARD,
    tempo: int = DEFAULT_TEMPO,
    render_works: bool = False,
) -> ItemMedia | None:
    """The features of a graph item, or None when it has nothing to play (or its example is broken).

    Concepts play their example; corpus works their opening when `render_works` is set.
    """
    settings = {"mel": asdict(mel), "keyboard": asdict(keyboard), "tempo": tempo,
                "synth": SYNTH_VERSION, "features": FEATURES_VERSION}
    compute: Callable[[], ItemMedia]
    if node.label == CONCEPT and (example := example_of(node)) is not None:
        content: dict[str, Any] = {"example": example, **settings}

        def compute() -> ItemMedia:
            return example_media(example, mel, keyboard, tempo)
    elif node.label == WORK and render_works and node.props.get("corpus_path"):
        path = str(node.props["corpus_path"])
        content = {"corpus_path": path, "seconds": WORK_SECONDS, **settings}

        def compute() -> ItemMedia:
            return corpus_media(path, mel, keyboard, tempo)
    else:
        return None
    try:
        return cache.get(node.id, content, compute) if cache is not None else compute()
    except ValueError as exc:
        log.warning("no media for %s: %s", node.id, exc)
        return None
