"""A fake Telegram Bot API server on 127.0.0.1 for the channel's tests.

It speaks just enough of the Bot API for python-telegram-bot pointed at it with `base_url`:
`getMe`, `getUpdates` (queued updates, offsets, a short long-poll), `sendMessage`, `sendAudio`
(multipart upload, recorded), `sendPhoto`, `answerCallbackQuery`, `setWebhook`, `deleteWebhook`,
`getWebhookInfo`, and `getFile` with the file download (`/file/bot<token>/<path>`) for files a
test put there with `add_file` (a learner's voice note, say). Every call is recorded with its
decoded parameters; unknown methods get Telegram's 404 answer and a wrong token its 401, so no
test can pass by accident against it.

It is a stdlib `ThreadingHTTPServer` in a daemon thread, which keeps it independent of the event
loop the channel under test runs on: a blocked long poll never stalls the test.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

TOKEN = "123456:TEST-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Etude", "username": "EtudeTestBot"}

# Parameters PTB sends as plain strings; everything else arrives JSON-encoded.
STRING_PARAMS = {
    "text",
    "caption",
    "title",
    "callback_query_id",
    "url",
    "secret_token",
    "parse_mode",
    "photo",
    "audio",
}


@dataclass
class Call:
    """One request the fake received: the Bot API method, its parameters and any uploaded files."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


def _decode(name: str, value: str) -> Any:
    if name in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Form fields and files of a multipart/form-data body (only what httpx produces)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise ValueError("multipart body without a boundary")
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in body.split(b"--" + match.group(1).encode())[1:-1]:
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        disposition = head.decode("utf-8", "replace")
        name = re.search(r'name="([^"]*)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        if not name:
            continue
        if filename:
            files[name.group(1)] = (filename.group(1), content)
        else:
            fields[name.group(1)] = content.decode("utf-8")
    return fields, files


class FakeTelegram:
    """The fake server: queue updates for the bot, then inspect the calls it made.

    Use as a context manager (or `start()` / `stop()`); `base_url` is what PTB's `base_url` needs.
    """

    def __init__(self, token: str = TOKEN, *, max_poll_s: float = 0.5) -> None:
        self.token = token
        self.max_poll_s = max_poll_s
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] = {"url": ""}
        self._updates: list[dict[str, Any]] = []
        self._failures: dict[str, tuple[int, str]] = {}
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)

    # Lifecycle -------------------------------------------------------------------------------------

    def start(self) -> FakeTelegram:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._request_handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-telegram",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._changed:
            self._changed.notify_all()

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "the fake server is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # What tests use --------------------------------------------------------------------------------

    def queue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for `getUpdates`, numbering it; returns it with its `update_id`."""
        update = {**update, "update_id": next(self._ids)}
        with self._changed:
            self._updates.append(update)
            self._changed.notify_all()
        return update

    def fail(self, method: str, description: str, error_code: int = 400) -> None:
        """Make every later call of `method` fail the way Telegram reports errors."""
        self._failures[method] = (error_code, description)

    def calls_of(self, method: str) -> list[Call]:
        with self._changed:
            return [call for call in self.calls if call.method == method]

    def sent(self) -> list[Call]:
        """The calls that put something in a chat, in order."""
        with self._changed:
            return [call for call in self.calls if call.method in {"sendMessage", "sendAudio", "sendPhoto"}]

    def wait_for(self, predicate: Callable[[FakeTelegram], bool], timeout: float = 5.0) -> None:
        """Block until `predicate(self)` holds (a blocking wait: call it via `anyio.to_thread`)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    methods = [call.method for call in self.calls]
                    raise AssertionError(f"timed out waiting on the fake Telegram server; calls: {methods}")
                self._changed.wait(left)

    # Update factories ------------------------------------------------------------------------------

    @staticmethod
    def user(user_id: int = 7, username: str | None = "ada", language: str | None = "en") -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Ada"}
        if username:
            user["username"] = username
        if language:
            user["language_code"] = language
        return user

    def message(self, chat_id: int = 7, user: dict[str, Any] | None = None, **content: Any) -> dict[str, Any]:
        """A Message object from a learner in a private chat (its content given as keywords)."""
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": user or self.user(user_id=chat_id if chat_id > 0 else 7),
            **content,
        }

    def add_file(self, content: bytes, suffix: str = ".oga") -> dict[str, Any]:
        """Keep a file as if a learner had uploaded it; returns its File fields for a message."""
        number = len(self._files) + 1
        file_id = f"file{number}"
        self._files[file_id] = (f"uploads/file_{number}{suffix}", content)
        return {"file_id": file_id, "file_unique_id": f"uf{number}", "file_size": len(content)}

    def voice_update(self, content: bytes, chat_id: int = 7, duration: int = 5) -> dict[str, Any]:
        """A voice note (OGG/Opus, as Telegram's apps record them)."""
        voice = {**self.add_file(content, ".oga"), "duration": duration, "mime_type": "audio/ogg"}
        return {"message": self.message(chat_id, voice=voice)}

    def audio_update(
        self, content: bytes, mime_type: str, file_name: str, chat_id: int = 7
    ) -> dict[str, Any]:
        """An audio file sent as music (MP3, M4A, WAV...)."""
        audio = {**self.add_file(content, Path(file_name).suffix), "duration": 5, "mime_type": mime_type,
                 "file_name": file_name}
        return {"message": self.message(chat_id, audio=audio)}

    def text_update(self, text: str, chat_id: int = 7, user: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"message": self.message(chat_id, user, text=text)}

    def callback_update(
        self, data: str, chat_id: int = 7, user: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A button press on a message the bot sent earlier."""
        sender = user or self.user(user_id=chat_id)
        return {
            "callback_query": {
                "id": f"cq{next(self._message_ids)}",
                "from": sender,
                "chat_instance": f"ci{chat_id}",
                "data": data,
                "message": {**self.message(chat_id, BOT_USER, text="Pick one"), "from": BOT_USER},
            }
        }

    # The Bot API -----------------------------------------------------------------------------------

    def _result_message(self, chat_id: Any, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(chat_id), "type": "private"},
            "from": BOT_USER,
            **content,
        }

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), self.max_poll_s)
        deadline = time.monotonic() + wait
        with self._changed:
            if offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and self._server is not None and time.monotonic() < deadline:
                self._changed.wait(deadline - time.monotonic())
            return self._updates[:limit]

    def _answer(self, call: Call) -> tuple[int, dict[str, Any]]:
        p = call.params
        if call.method in self._failures:
            code, description = self._failures[call.method]
            return code, {"ok": False, "error_code": code, "description": description}
        if call.method == "getMe":
            result: Any = {
                **BOT_USER,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        elif call.method == "getUpdates":
            result = self._get_updates(p)
        elif call.method == "sendMessage":
            content: dict[str, Any] = {"text": p["text"]}
            if "reply_markup" in p:
                content["reply_markup"] = p["reply_markup"]
            result = self._result_message(p["chat_id"], **content)
        elif call.method == "sendAudio":
            audio = {
                "file_id": f"audio{len(self.calls)}",
                "file_unique_id": f"u{len(self.calls)}",
                "duration": 1,
            }
            if p.get("title"):
                audio["title"] = p["title"]
            result = self._result_message(p["chat_id"], audio=audio)
        elif call.method == "sendPhoto":
            photo = [
                {
                    "file_id": f"photo{len(self.calls)}",
                    "file_unique_id": f"p{len(self.calls)}",
                    "width": 320,
                    "height": 240,
                }
            ]
            result = self._result_message(p["chat_id"], photo=photo)
        elif call.method == "answerCallbackQuery":
            result = True
        elif call.method == "getFile":
            if p.get("file_id") not in self._files:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
            path, content = self._files[p["file_id"]]
            result = {"file_id": p["file_id"], "file_unique_id": f"u{p['file_id']}",
                      "file_size": len(content), "file_path": path}
        elif call.method == "setWebhook":
            self.webhook = {
                "url": p.get("url", ""),
                "secret_token": p.get("secret_token"),
                "allowed_updates": p.get("allowed_updates"),
            }
            result = True
        elif call.method == "deleteWebhook":
            self.webhook = {"url": ""}
            if p.get("drop_pending_updates"):
                with self._changed:
                    self._updates.clear()
            result = True
        elif call.method == "getWebhookInfo":
            result = {
                "url": self.webhook["url"],
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
        else:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        return 200, {"ok": True, "result": result}

    def _handle(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", path.split("?", 1)[0])
        if not match:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if match.group(1) != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        files: dict[str, tuple[str, bytes]] = {}
        if content_type.startswith("multipart/form-data"):
            fields, files = _multipart(content_type, body)
        elif content_type.startswith("application/json"):
            fields = {
                k: v if isinstance(v, str) else json.dumps(v) for k, v in json.loads(body or b"{}").items()
            }
        else:
            fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        call = Call(match.group(2), {name: _decode(name, value) for name, value in fields.items()}, files)
        status, answer = self._answer(call)
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        return status, answer

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.path.startswith("/file/bot"):
                    self._download()
                    return
                status, answer = fake._handle(self.path, self.headers.get("Content-Type", ""), body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                # The client may have gone, e.g. a long poll cancelled when the channel stops.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(payload)

            def _download(self) -> None:
                token, _, path = unquote(self.path.removeprefix("/file/bot")).partition("/")
                found = [c for p, c in fake._files.values() if p == path] if token == fake.token else []
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(found[0]) if found else 0))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(found[0] if found else b"")

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows failures anyway
                pass

        return Handler
