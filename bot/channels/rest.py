"""Rasa's REST channel: `POST /webhooks/rest/webhook` with `{"sender", "message", "metadata"?}`,
and `POST /webhooks/rest/recording?sender=…` with a practice recording as the body.

Web learners (the widget: `metadata.channel == "web"`, or any request carrying the learner cookie)
do not name themselves: the server identifies them by their signed cookie, or by their console
login, and ignores any `sender` they claim (`bot.auth.learners`). Other callers name their sender,
but not with a prefix reserved for identities the server establishes (`web:`, `tg:`, `user:`).

Validation is strict and explicit so that a bad request gets a 4xx naming the problem, never a
5xx: body size first (413), then JSON syntax (400), then field presence and types (422).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from bot.auth.gate import Auth, WebSender
from bot.auth.learners import LEARNER_COOKIE, reserved_prefix
from bot.messages import Handler, UserMessage
from bot.recordings import MAX_RECORDING_BYTES, RecordingRejected, save_recording

MAX_BODY_BYTES = 4096
MAX_SENDER_CHARS = 128


class BadRequest(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, enforcing the size limit while reading (413 past it)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BadRequest(413, f"request body is larger than {limit} bytes")
    parts, size = [], 0
    async for chunk in request.stream():
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            raise BadRequest(413, f"request body is larger than {limit} bytes")
    return b"".join(parts)


async def read_json(request: Request, limit: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The request body as a JSON object, enforcing the size limit while reading."""
    body = await read_body(request, limit)
    try:
        data = json.loads(body, parse_constant=_no_constant, parse_float=_finite_float)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(400, f"body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise BadRequest(400, "body is not valid JSON: it is nested too deeply") from exc
    except ValueError as exc:
        raise BadRequest(400, f"body is not valid JSON: {exc}") from exc
    if any(_unpaired_surrogate(s) for s in _strings(data)):
        raise BadRequest(400, "body is not valid JSON: a string holds an unpaired surrogate escape")
    if not isinstance(data, dict):
        raise BadRequest(422, "body must be a JSON object")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text} is out of range")
    return value


def _strings(value: Any) -> Iterator[str]:
    """Every string in a parsed JSON value, object keys included (iteratively: depth is unbounded)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _unpaired_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def user_message(data: dict[str, Any], channel: str = "rest", *, web: WebSender | None = None) -> UserMessage:
    """The message a request body describes; `web` given, its sender replaces whatever the body claims."""
    sender, text, metadata = data.get("sender"), data.get("message"), data.get("metadata")
    if metadata is None:  # absent or null; other falsy values (false, 0, "", []) are refused below
        metadata = {}
    if web is not None:
        sender, channel = web.sender, "web"
    elif sender is None:
        raise BadRequest(422, "field 'sender' is required")
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest(422, "field 'sender' must be a non-empty string")
    if len(sender) > MAX_SENDER_CHARS:
        raise BadRequest(422, f"field 'sender' is longer than {MAX_SENDER_CHARS} characters")
    if web is None and (prefix := reserved_prefix(sender)) is not None:
        raise BadRequest(
            403, f"sender ids starting with {prefix!r} are reserved for learners the server identifies "
            "(web learners by their cookie, Telegram users by Telegram, accounts by their login)"
        )
    if text is None:
        raise BadRequest(422, "field 'message' is required")
    if not isinstance(text, str):
        raise BadRequest(422, "field 'message' must be a string")
    if not isinstance(metadata, dict):
        raise BadRequest(422, "field 'metadata' must be an object")
    for name, value in (("sender", sender), ("message", text), ("metadata", metadata)):
        if any("\x00" in s for s in _strings(value)):
            raise BadRequest(422, f"field '{name}' contains a NUL character")
    if channel == "rest" and metadata.get("channel") == "web":
        channel = "web"  # the widget speaks the REST protocol; the store keeps where turns came from
    return UserMessage(sender_id=sender, text=text, channel=channel, metadata=metadata)


def error(exc: BadRequest) -> JSONResponse:
    return JSONResponse({"error": exc.detail}, status_code=exc.status)


def from_web(request: Request, channel: Any) -> bool:
    """Whether a request comes from the web channel, whose learners the server identifies."""
    return channel == "web" or LEARNER_COOKIE in request.cookies


def rest_router(handler: Handler, recordings_dir: Path | None = None, *, auth: Auth) -> APIRouter:
    from bot import api_docs  # imports this module's limits

    router = APIRouter(tags=["channels"])

    async def answer(request: Request, message: UserMessage, web: WebSender | None) -> Response:
        replies = await handler(message)
        # Plain JSON already: answered as is, without FastAPI's per-field encoding pass.
        response = replies if isinstance(replies, Response) else JSONResponse(replies)
        if web is not None:
            auth.remember(response, request, web)
        return response

    @router.post(
        "/webhooks/rest/webhook",
        summary="Send a message (Rasa REST channel)",
        openapi_extra=api_docs.MESSAGE_REQUEST,
        responses=api_docs.MESSAGE_RESPONSES,
    )
    async def webhook(request: Request) -> Any:
        try:
            data = await read_json(request)
            metadata = data.get("metadata")
            web = auth.web_sender(request) if from_web(request, _channel_of(metadata)) else None
            message = user_message(data, web=web)
        except BadRequest as exc:
            return error(exc)
        return await answer(request, message, web)

    if recordings_dir is not None:

        @router.post(
            "/webhooks/rest/recording",
            summary="Send a recording of the practice target (the body is the audio file)",
            description="The body is the recording itself (WAV, OGG/Opus, WebM, MP3, M4A; at most "
            f"{MAX_RECORDING_BYTES // 2**20} MB) with its Content-Type. The reply is the tutor's, as "
            "for a message: per-note feedback in `text`, the verdicts in `custom.practice`.",
            openapi_extra=api_docs.RECORDING_REQUEST,
            responses=api_docs.RECORDING_RESPONSES,
        )
        async def recording(request: Request, sender: str | None = None, channel: str = "rest") -> Any:
            try:
                web = auth.web_sender(request) if from_web(request, channel) else None
                if web is None and sender is None:
                    raise BadRequest(422, "query parameter 'sender' is required (or channel=web)")
                said = {"sender": sender, "message": "/practice_feedback", "metadata": {"channel": channel}}
                message = user_message(said, web=web)
                body = await read_body(request, MAX_RECORDING_BYTES)
                name = save_recording(body, recordings_dir, request.headers.get("content-type"),
                                      request.headers.get("x-filename"))
            except BadRequest as exc:
                return error(exc)
            except RecordingRejected as exc:
                return error(BadRequest(422, str(exc)))
            message.metadata["recording"] = name
            return await answer(request, message, web)

    return router


def _channel_of(metadata: Any) -> Any:
    return metadata.get("channel") if isinstance(metadata, dict) else None
