"""Learners' recordings as the channels receive them (widget uploads, Telegram voice notes and
audio files): kept under ETUDE_HOME/recordings, apart from the public media folder, named by a
hash of their content plus their format's suffix, and handed to the practice action by that name."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from actions.services import RECORDING_NAME

MAX_RECORDING_BYTES = 10 * 2**20  # a minute of WAV is 5 MB; compressed formats far less
SUFFIXES = {
    "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/wave": ".wav", "audio/vnd.wave": ".wav",
    "audio/ogg": ".ogg", "audio/opus": ".opus", "audio/webm": ".webm", "video/webm": ".webm",
    "audio/mpeg": ".mp3", "audio/mp3": ".mp3", "audio/mp4": ".m4a", "audio/x-m4a": ".m4a",
    "audio/aac": ".aac", "audio/flac": ".flac", "audio/x-flac": ".flac",
}


class RecordingRejected(ValueError):
    """A recording refused before analysis: empty or too large. The message is for the learner."""


def suffix_for(content_type: str | None, filename: str | None = None) -> str:
    """The file suffix of a recording, from its media type (parameters ignored) or its file name."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind in SUFFIXES:
        return SUFFIXES[kind]
    suffix = Path(filename or "").suffix.lower()
    return suffix if RECORDING_NAME.fullmatch("0" * 32 + suffix) else ".bin"


def save_recording(data: bytes, directory: Path, content_type: str | None = None,
                   filename: str | None = None) -> str:
    """Keep a recording (atomically, once per content) and return its name."""
    if not data:
        raise RecordingRejected("The recording is empty: nothing was recorded. Please try again.")
    if len(data) > MAX_RECORDING_BYTES:
        raise RecordingRejected(f"That recording is {len(data) / 2**20:.0f} MB; please send one under "
                                f"{MAX_RECORDING_BYTES // 2**20} MB (a minute or less).")
    name = hashlib.sha256(data).hexdigest()[:32] + suffix_for(content_type, filename)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    if not target.exists():
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    return name
