"""Audio attachments: a curriculum-format example rendered by music.synth, served under /media/."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from music21.exceptions21 import Music21Exception

from actions.services import services
from kg.schema import Node
from music.theory import progression_chords

log = logging.getLogger(__name__)


def example_of(item: Node) -> dict[str, Any] | None:
    """The machine-readable example stored on a concept node (kept as JSON text in the graph)."""
    raw = item.props.get("example")
    if not raw:
        return None
    try:
        data = json.loads(raw) if isinstance(raw, str) else dict(raw)
    except (TypeError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("type") else None


def attachment(example: dict[str, Any] | None, title: str) -> dict[str, Any] | None:
    """`{"type": "audio", "payload": {"src": "/media/…", "title"}}`, or None when it cannot render."""
    if not example:
        return None
    svc = services()
    key = (json.dumps(example, sort_keys=True), str(svc.media_dir), svc.audio_format)
    name = _rendered(*key)
    if name is not None and not (svc.media_dir / name).exists():
        _rendered.cache_clear()  # the media folder was emptied: render again
        name = _rendered(*key)
    if name is None:
        return None
    return {"type": "audio", "payload": {"src": f"/media/{name}", "title": title}}


@lru_cache(maxsize=4096)
def _rendered(example: str, media_dir: str, fmt: str) -> str | None:
    """The media file of an example; cached because realising it with music21 costs milliseconds
    even when the file already exists."""
    from music.synth import render_example

    try:
        return render_example(json.loads(example), Path(media_dir), fmt=fmt).name  # type: ignore[arg-type]
    except ValueError as exc:
        log.warning("cannot render the example %s: %s", example[:80], exc)
        return None


def describe(example: dict[str, Any]) -> str:
    """What the example plays, in words the learner can follow along with."""
    kind = example.get("type")
    if kind == "interval" and example.get("play") == "harmonic":
        return f"the notes {' and '.join(str(example.get('pitches')).split())} together"
    if kind in ("melody", "scale", "interval"):
        return f"the notes {example.get('pitches')}"
    if kind == "chord":
        return f"the chord {example.get('pitches')}"
    if kind == "progression":
        numerals, tonality = str(example.get("numerals")), str(example.get("key"))
        try:
            chords = progression_chords(numerals, tonality)
        except (ValueError, TypeError, Music21Exception):
            return f"the progression {numerals} in {_key_name(tonality)}"
        return (f"the progression {' '.join(n for n, _ in chords)} in {_key_name(tonality)} "
                f"({', '.join(c for _, c in chords)})")
    if kind in ("rhythm", "notation"):
        meter = f" in {example['meter']}" if example.get("meter") else ""
        return f"a short passage{meter}"
    return "an example"


def _key_name(name: str) -> str:
    tonic = name[:1].upper() + name[1:].replace("-", "♭").replace("#", "♯")
    return f"{tonic} {'minor' if name[:1].islower() else 'major'}"
