"""The message types every channel and the engine agree on.

A channel turns whatever arrives (REST JSON, a Telegram update, a terminal line) into a
`UserMessage`, hands it to a `Handler` and renders the replies, which are dicts in Rasa's REST
channel format: `{"recipient_id", "text"?, "buttons"?, "image"?, "attachment"?, "custom"?}`.

Buttons are `{"title": str, "payload": str}`; pressing one sends its payload as the next message
(a payload may be an intent literal like `/start_quiz{"concept": "intervals"}` or plain text).
Audio is an attachment `{"type": "audio", "payload": {"src": "/media/<file>", "title": str}}`;
`src` is a URL path under the service's `/media/` route, resolvable to a file by `media_file`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BotMessage = dict[str, Any]
MEDIA_PREFIX = "/media/"


@dataclass(frozen=True)
class UserMessage:
    sender_id: str
    text: str
    channel: str = "rest"
    metadata: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[UserMessage], Awaitable[list[BotMessage]]]


def media_file(src: str, media_dir: Path) -> Path | None:
    """The local file behind an attachment's `src`, or None when it is not ours or is missing."""
    if not src.startswith(MEDIA_PREFIX):
        return None
    name = src[len(MEDIA_PREFIX):]
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    path = media_dir / name
    return path if path.is_file() else None
