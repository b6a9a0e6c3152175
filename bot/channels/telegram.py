"""The Telegram channel: Bot API updates in, Rasa REST-format replies out, via python-telegram-bot.

One `TelegramChannel` serves either mode. Webhook mode: `await start()` in the app's lifespan and
mount `router()` (`POST /webhooks/telegram`), which checks Telegram's secret header and queues the
update. Polling mode: `await start_polling()`, which runs PTB's `Updater` beside uvicorn on the same
event loop. Both end with `await stop()`.

Conversations are keyed by the Telegram *user* (`sender_id = "tg:<user id>"`) so a learner keeps one
tutor history whether they write in private or in a group; replies go to the chat the message came
from (`metadata["chat_id"]`). A message without a user (sent on behalf of a chat) uses
`"tg:chat:<chat id>"`. Updates from one chat are handled strictly in order; different chats run
concurrently.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    Updater,
    filters,
)

from bot.channels.rest import BadRequest, error, read_json
from bot.messages import BotMessage, Handler, UserMessage, media_file

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_MESSAGE_CHARS = 4096  # Telegram counts UTF-16 code units
MAX_CALLBACK_BYTES = 64
MAX_UPDATE_BYTES = 1 << 20
ALLOWED_UPDATES = ("message", "callback_query")

APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."
TEXT_ONLY = ("I can read text, and listen to voice notes and audio files of your playing. Please type "
             "your question and I'll do my best.")
NOT_FETCHED = "I couldn't fetch your recording from Telegram; please send it again."
EXPIRED_BUTTON = "This button has expired. Please ask me again."
CHOOSE = "Please choose:"


def _utf16_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def split_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Chunks of at most `limit` UTF-16 units, broken at a newline or space where one is near the end.

    Telegram rejects longer messages outright, so a long explanation must arrive as several.
    """
    chunks: list[str] = []
    rest = text.strip()
    while rest:
        units, fit = 0, 0
        for char in rest:
            units += _utf16_units(char)
            if units > limit:
                break
            fit += 1
        if fit == len(rest):
            chunks.append(rest)
            break
        window = rest[:fit]
        cut = window.rfind("\n")
        if cut < fit // 2:
            cut = window.rfind(" ")
        if cut < fit // 2:
            cut = fit
        chunk = rest[:cut].rstrip()
        if chunk:
            chunks.append(chunk)
        rest = rest[cut:].lstrip()
    return chunks


class PayloadTable:
    """Maps button payloads to `callback_data` that fits Telegram's 64-byte limit, and back.

    Short payloads travel inline (`p:<payload>`); longer ones are stored under a hash key
    (`k:<key>`) in a bounded least-recently-used table, so memory stays flat however many
    buttons are sent. A key that has been evicted (or predates a restart) decodes to None.
    """

    INLINE, KEYED = "p:", "k:"

    def __init__(self, capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._payloads: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._payloads)

    def encode(self, payload: str) -> str:
        inline = self.INLINE + payload
        if len(inline.encode("utf-8")) <= MAX_CALLBACK_BYTES:
            return inline
        digest = hashlib.blake2b(payload.encode("utf-8"), digest_size=12).digest()
        key = base64.urlsafe_b64encode(digest).decode("ascii")
        self._payloads[key] = payload
        self._payloads.move_to_end(key)
        while len(self._payloads) > self.capacity:
            self._payloads.popitem(last=False)
        return self.KEYED + key

    def decode(self, data: str) -> str | None:
        if data.startswith(self.INLINE):
            return data[len(self.INLINE) :]
        if data.startswith(self.KEYED):
            key = data[len(self.KEYED) :]
            payload = self._payloads.get(key)
            if payload is not None:
                self._payloads.move_to_end(key)
            return payload
        return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Processes updates concurrently across chats but one at a time, in arrival order, per chat.

    PTB starts update tasks in arrival order and `asyncio.Lock` wakes waiters first-in first-out,
    so a per-chat lock keeps a learner's messages (and button presses) in sequence while a slow
    reply to one learner never holds up another.
    """

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._holders: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._holders[chat.id] = self._holders.get(chat.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._holders[chat.id] -= 1
            if not self._holders[chat.id]:
                del self._holders[chat.id], self._locks[chat.id]

    async def initialize(self) -> None:
        """Nothing to allocate: locks are created per chat on demand."""

    async def shutdown(self) -> None:
        """Nothing to free: locks disappear with their last waiter."""


VERDICT_MARKS = {"ok": "✓", "wrong_note": "✗", "out_of_tune": "±", "missing": "—", "early": "←", "late": "→"}


def verdict_line(custom: Any) -> str | None:
    """A practice result's notes in one line, since Telegram shows no custom payloads: "C4 ✓ D4 ✓
    E4 ± (+45¢) F4 ✓ G4 ✓ A4 ✗ (A♯4) …", with a key to the marks."""
    practice = custom.get("practice") if isinstance(custom, dict) else None
    notes = practice.get("notes") if isinstance(practice, dict) else None
    if not isinstance(notes, list) or not notes:
        return None
    words = []
    for n in notes:
        if not isinstance(n, dict):
            continue
        verdict = str(n.get("verdict"))
        word = f"{n.get('expected', '?')} {VERDICT_MARKS.get(verdict, '?')}"
        if verdict == "wrong_note" and n.get("played"):
            word += f" ({str(n['played']).replace('#', '♯')})"
        elif verdict == "out_of_tune" and isinstance(n.get("cents"), int | float):
            word += f" ({n['cents']:+.0f}¢)"
        words.append(word)
    return " ".join(words) + "\n✓ right  ✗ wrong note  ± out of tune  — missing  ← early  → late"


@dataclass
class _Outgoing:
    """One Bot API call to make for a reply: a text (with an optional keyboard) or a media file."""

    kind: str  # "text", "audio" or "photo"
    text: str = ""
    buttons: list[dict[str, Any]] = field(default_factory=list)
    src: str = ""
    title: str = ""


class TelegramChannel:
    """The Telegram channel around a PTB `Application`; see the module docstring for the modes."""

    def __init__(
        self,
        handler: Handler,
        token: str,
        *,
        media_dir: Path,
        recordings_dir: Path | None = None,
        secret: str | None = None,
        base_url: str | None = None,
        base_file_url: str | None = None,
        max_concurrent_updates: int = 64,
        payload_capacity: int = 10_000,
    ) -> None:
        self.handler = handler
        self.media_dir = media_dir
        self.recordings_dir = recordings_dir
        self.secret = secret
        self.payloads = PayloadTable(payload_capacity)
        builder = (
            Application.builder()
            .token(token)
            .updater(None)
            .concurrent_updates(ChatOrderedProcessor(max_concurrent_updates))
        )
        if base_url:
            builder = builder.base_url(base_url)
        if base_file_url:
            builder = builder.base_file_url(base_file_url)
        self.application = builder.build()
        self.application.add_handler(CallbackQueryHandler(self._on_button))
        self.application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, self._on_text))
        if recordings_dir is not None:
            recordings = filters.VOICE | filters.AUDIO | filters.Document.AUDIO | filters.Document.VIDEO
            self.application.add_handler(
                MessageHandler(filters.UpdateType.MESSAGE & recordings, self._on_recording)
            )
        self.application.add_handler(
            MessageHandler(
                filters.UpdateType.MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL, self._on_unsupported
            )
        )
        self.application.add_error_handler(self._on_error)
        self._updater: Updater | None = None

    @property
    def running(self) -> bool:
        return self.application.running

    # Lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start processing updates fed by `router()` (webhook mode); idempotent."""
        if not self.application.running:
            await self.application.initialize()
            await self.application.start()

    async def start_polling(self, *, timeout: int = 10, drop_pending_updates: bool = False) -> None:
        """Fetch updates by long polling (removes any webhook first, as Telegram requires)."""
        await self.start()
        if self._updater is None:
            self._updater = Updater(bot=self.application.bot, update_queue=self.application.update_queue)
            await self._updater.initialize()
            await self._updater.start_polling(
                timeout=timeout,
                allowed_updates=list(ALLOWED_UPDATES),
                drop_pending_updates=drop_pending_updates,
            )

    async def stop(self) -> None:
        """Stop polling (if running), finish the updates in hand and close the HTTP clients."""
        if self._updater is not None:
            if self._updater.running:
                await self._updater.stop()
            await self._updater.shutdown()
            self._updater = None
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def set_webhook(self, url: str) -> bool:
        """Point Telegram at `url`, telling it to send our secret in the header `router()` checks."""
        return await self.application.bot.set_webhook(
            url, secret_token=self.secret, allowed_updates=list(ALLOWED_UPDATES)
        )

    # Webhook ---------------------------------------------------------------------------------------

    def router(self) -> APIRouter:
        """`POST /webhooks/telegram`: 403 on a wrong secret, 400 on a body that is not an update,
        503 while the channel is stopped, else 200 at once (the update is handled in the background
        so Telegram's delivery does not wait on the tutor)."""
        router = APIRouter(tags=["channels"])

        @router.post("/webhooks/telegram", summary="Receive an update (Telegram webhook)")
        async def webhook(request: Request) -> JSONResponse:
            if self.secret and not hmac.compare_digest(
                request.headers.get(SECRET_HEADER, "").encode(), self.secret.encode()
            ):
                return JSONResponse({"error": "wrong or missing secret token"}, status_code=403)
            try:
                data = await read_json(request, MAX_UPDATE_BYTES)
            except BadRequest as exc:
                return error(exc)
            if not isinstance(data.get("update_id"), int):
                return JSONResponse({"error": "not a Telegram update: no integer update_id"}, status_code=400)
            try:
                update = Update.de_json(data, self.application.bot)
            except (KeyError, TypeError, ValueError) as exc:
                return JSONResponse({"error": f"not a Telegram update: {exc}"}, status_code=400)
            if not self.application.running:
                return JSONResponse({"error": "the Telegram channel is not running"}, status_code=503)
            await self.application.update_queue.put(update)
            return JSONResponse({"ok": True})

        return router

    # Incoming --------------------------------------------------------------------------------------

    def user_message(self, update: Update, text: str) -> UserMessage:
        """The engine's view of an update: who sent it, what they said and where to answer."""
        chat, user = update.effective_chat, update.effective_user
        sender = f"tg:{user.id}" if user else f"tg:chat:{chat.id}" if chat else "tg:unknown"
        metadata: dict[str, Any] = {
            "chat_id": chat.id if chat else None,
            "chat_type": chat.type if chat else None,
            "username": user.username if user else None,
            "language": user.language_code if user else None,
        }
        return UserMessage(sender_id=sender, text=text, channel=CHANNEL, metadata=metadata)

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        await self._converse(update, message.text)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        payload = self.payloads.decode(query.data or "")
        try:
            await query.answer(text=None if payload is not None else EXPIRED_BUTTON)
        except TelegramError:
            logger.warning("could not answer callback query %s", query.id, exc_info=True)
        if payload is not None and update.effective_chat is not None:
            await self._converse(update, payload)

    async def _on_recording(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A voice note or audio file: the learner playing the practice target. It is fetched from
        Telegram, kept, and handed to the tutor as a practice message naming the recording."""
        from bot.recordings import MAX_RECORDING_BYTES, RecordingRejected, save_recording

        message = update.effective_message
        media = message and (message.voice or message.audio or message.document)
        if media is None or update.effective_chat is None or self.recordings_dir is None:
            return
        chat_id = update.effective_chat.id
        if media.file_size and media.file_size > MAX_RECORDING_BYTES:
            await self._send_text(chat_id, f"That file is too large for me to listen to; please send a "
                                           f"recording under {MAX_RECORDING_BYTES // 2**20} MB.")
            return
        try:
            data = bytes(await (await media.get_file()).download_as_bytearray())
            name = save_recording(data, self.recordings_dir, getattr(media, "mime_type", None),
                                  getattr(media, "file_name", None))
        except RecordingRejected as exc:
            await self._send_text(chat_id, str(exc))
            return
        except TelegramError:
            logger.warning("could not download a recording from chat %s", chat_id, exc_info=True)
            await self._send_text(chat_id, NOT_FETCHED)
            return
        incoming = self.user_message(update, "/practice_feedback")
        incoming.metadata["recording"] = name
        await self._converse(update, incoming)

    async def _on_unsupported(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat is not None:
            await self._send_text(update.effective_chat.id, TEXT_ONLY)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("Telegram update could not be handled", exc_info=context.error)

    async def _converse(self, update: Update, said: str | UserMessage) -> None:
        message = self.user_message(update, said) if isinstance(said, str) else said
        chat_id = message.metadata["chat_id"]
        try:
            replies = await self.handler(message)
        except Exception:
            logger.exception("the dialogue handler failed on a Telegram message from %s", message.sender_id)
            await self._send_text(chat_id, APOLOGY)
            return
        await self.send_replies(chat_id, replies)

    # Outgoing --------------------------------------------------------------------------------------

    def plan(self, replies: Sequence[BotMessage]) -> list[_Outgoing]:
        """The Bot API calls for a list of replies, in order.

        Buttons belong on the last text: a reply that carries buttons but no text puts them on the
        text just before it, or on a short prompt when there is none.
        """
        plan: list[_Outgoing] = []
        for reply in replies:
            text = reply.get("text")
            buttons = [b for b in reply.get("buttons") or [] if isinstance(b, dict) and b.get("title")]
            if isinstance(text, str) and text.strip():
                plan.append(_Outgoing("text", text=text, buttons=buttons))
            elif buttons:
                if plan and plan[-1].kind == "text" and not plan[-1].buttons:
                    plan[-1].buttons = buttons
                else:
                    plan.append(_Outgoing("text", text=CHOOSE, buttons=buttons))
            notes = verdict_line(reply.get("custom"))
            if notes:
                plan.append(_Outgoing("text", text=notes))
            image = reply.get("image")
            if isinstance(image, str) and image:
                plan.append(_Outgoing("photo", src=image))
            attachment = reply.get("attachment")
            if isinstance(attachment, dict):
                plan.extend(self._plan_attachment(attachment))
        return plan

    def _plan_attachment(self, attachment: dict[str, Any]) -> list[_Outgoing]:
        payload = attachment.get("payload")
        payload = payload if isinstance(payload, dict) else {"src": payload}
        src = payload.get("src") or payload.get("url") or ""
        title = str(payload.get("title") or "")
        kind = attachment.get("type")
        if kind == "audio" and isinstance(src, str):
            return [_Outgoing("audio", src=src, title=title)]
        if kind == "image" and isinstance(src, str) and src:
            return [_Outgoing("photo", src=src, title=title)]
        fallback = title or (src if isinstance(src, str) else "")
        return [_Outgoing("text", text=fallback)] if fallback else []

    async def send_replies(self, chat_id: int, replies: Sequence[BotMessage]) -> None:
        """Send the replies to one chat; a failed call is logged and the rest still go out."""
        for item in self.plan(replies):
            try:
                if item.kind == "text":
                    await self._send_text(chat_id, item.text, item.buttons)
                elif item.kind == "audio":
                    await self._send_audio(chat_id, item)
                else:
                    await self._send_photo(chat_id, item)
            except TelegramError:
                logger.exception("sending a %s to Telegram chat %s failed", item.kind, chat_id)

    def keyboard(self, buttons: Sequence[dict[str, Any]]) -> InlineKeyboardMarkup:
        """One button per row, since tutor options are often sentences."""
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        str(b["title"]), callback_data=self.payloads.encode(str(b.get("payload", "")))
                    )
                ]
                for b in buttons
            ]
        )

    async def _send_text(self, chat_id: int, text: str, buttons: Sequence[dict[str, Any]] = ()) -> None:
        chunks = split_text(text) or [CHOOSE]
        for index, chunk in enumerate(chunks):
            markup = self.keyboard(buttons) if buttons and index == len(chunks) - 1 else None
            await self.application.bot.send_message(chat_id, chunk, reply_markup=markup)

    async def _send_audio(self, chat_id: int, item: _Outgoing) -> None:
        path = media_file(item.src, self.media_dir)
        if path is not None and path.suffix == ".wav":
            from music.synth import as_mp3

            try:  # sendAudio plays MP3; examples are rendered as WAV for the web
                path = await asyncio.to_thread(as_mp3, path)
            except (OSError, ValueError, RuntimeError):
                logger.warning("could not make an MP3 of %s; sending the WAV", path, exc_info=True)
        if path is not None:
            with path.open("rb") as audio:
                await self.application.bot.send_audio(
                    chat_id, audio, title=item.title or None, filename=path.name
                )
        elif item.src.startswith(("http://", "https://")):
            await self.application.bot.send_audio(chat_id, item.src, title=item.title or None)
        else:
            logger.warning("audio %r is not in %s; sending its title instead", item.src, self.media_dir)
            await self._send_text(chat_id, item.title or "(audio unavailable)")

    async def _send_photo(self, chat_id: int, item: _Outgoing) -> None:
        path = media_file(item.src, self.media_dir)
        try:
            if path is not None:
                with path.open("rb") as photo:
                    await self.application.bot.send_photo(chat_id, photo, caption=item.title or None)
            else:
                await self.application.bot.send_photo(chat_id, item.src, caption=item.title or None)
        except TelegramError:
            # Telegram could not fetch or accept the image: the link still lets the learner see it.
            logger.warning("sendPhoto failed for %r; sending the link instead", item.src, exc_info=True)
            await self._send_text(chat_id, " ".join(part for part in (item.title, item.src) if part))
