"""The Telegram channel, against a fake Bot API server on 127.0.0.1 (never api.telegram.org)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI

from bot.channels.telegram import (
    APOLOGY,
    CHOOSE,
    EXPIRED_BUTTON,
    MAX_CALLBACK_BYTES,
    NOT_FETCHED,
    SECRET_HEADER,
    TEXT_ONLY,
    PayloadTable,
    TelegramChannel,
    split_text,
)
from bot.messages import BotMessage, UserMessage
from tests.bot.fake_telegram import TOKEN, Call, FakeTelegram

pytestmark = pytest.mark.anyio

SECRET = "s3cret-token"
Reply = Callable[[UserMessage], Awaitable[list[BotMessage]]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Tutor:
    """A scripted dialogue handler that records what it was asked."""

    def __init__(self) -> None:
        self.received: list[UserMessage] = []
        self.reply: Reply = self.echo

    async def echo(self, message: UserMessage) -> list[BotMessage]:
        return [{"recipient_id": message.sender_id, "text": f"you said: {message.text}"}]

    async def __call__(self, message: UserMessage) -> list[BotMessage]:
        self.received.append(message)
        return await self.reply(message)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@pytest.fixture
def tutor() -> Tutor:
    return Tutor()


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "media"
    directory.mkdir()
    return directory


def make_channel(fake: FakeTelegram, tutor: Tutor, media_dir: Path, **options: Any) -> TelegramChannel:
    return TelegramChannel(
        tutor, TOKEN, media_dir=media_dir, base_url=fake.base_url, base_file_url=fake.base_file_url, **options
    )


@pytest.fixture
async def polling(fake: FakeTelegram, tutor: Tutor, media_dir: Path) -> AsyncIterator[TelegramChannel]:
    channel = make_channel(fake, tutor, media_dir)
    await channel.start_polling(timeout=1)
    yield channel
    await channel.stop()


async def wait_for(fake: FakeTelegram, predicate: Callable[[FakeTelegram], bool]) -> None:
    await anyio.to_thread.run_sync(fake.wait_for, predicate)


async def sent_after(fake: FakeTelegram, count: int) -> list[Call]:
    await wait_for(fake, lambda f: len(f.sent()) >= count)
    return fake.sent()


def keyboard(call: Call) -> list[list[dict[str, Any]]]:
    return call.params["reply_markup"]["inline_keyboard"]


# Polling mode --------------------------------------------------------------------------------------


async def test_polling_starts_by_removing_the_webhook_and_asking_for_messages_and_button_presses(
    fake: FakeTelegram, polling: TelegramChannel
) -> None:
    await wait_for(fake, lambda f: bool(f.calls_of("getUpdates")))
    assert fake.calls_of("getMe")
    assert fake.calls_of("deleteWebhook")
    assert fake.calls_of("getUpdates")[0].params["allowed_updates"] == ["message", "callback_query"]


async def test_a_text_message_reaches_the_handler_and_its_reply_goes_back_to_the_chat(
    fake: FakeTelegram, tutor: Tutor, polling: TelegramChannel
) -> None:
    fake.queue_update(fake.text_update("what is a fifth?", chat_id=42, user=fake.user(42, "ada", "de")))

    [call] = await sent_after(fake, 1)

    assert tutor.received == [
        UserMessage(
            sender_id="tg:42",
            text="what is a fifth?",
            channel="telegram",
            metadata={"chat_id": 42, "chat_type": "private", "username": "ada", "language": "de"},
        )
    ]
    assert (call.method, call.params["chat_id"], call.params["text"]) == (
        "sendMessage",
        42,
        "you said: what is a fifth?",
    )
    assert "reply_markup" not in call.params


async def test_in_a_group_the_sender_is_the_user_and_replies_go_to_the_group(
    fake: FakeTelegram, tutor: Tutor, polling: TelegramChannel
) -> None:
    fake.queue_update(fake.text_update("hi", chat_id=-100, user=fake.user(5, username=None, language=None)))

    [call] = await sent_after(fake, 1)

    [message] = tutor.received
    assert message.sender_id == "tg:5"
    assert message.metadata == {"chat_id": -100, "chat_type": "group", "username": None, "language": None}
    assert call.params["chat_id"] == -100


async def test_buttons_become_an_inline_keyboard_on_the_last_text(
    fake: FakeTelegram, tutor: Tutor, polling: TelegramChannel
) -> None:
    async def quiz(message: UserMessage) -> list[BotMessage]:
        return [
            {"recipient_id": message.sender_id, "text": "Question 1."},
            {
                "recipient_id": message.sender_id,
                "text": "Which interval is C to G?",
                "buttons": [
                    {"title": "A perfect fifth", "payload": "perfect fifth"},
                    {"title": "A major third", "payload": '/inform{"answer": "major third"}'},
                ],
            },
        ]

    tutor.reply = quiz
    fake.queue_update(fake.text_update("quiz me"))

    first, second = await sent_after(fake, 2)

    assert first.params["text"] == "Question 1." and "reply_markup" not in first.params
    assert second.params["text"] == "Which interval is C to G?"
    assert keyboard(second) == [
        [{"text": "A perfect fifth", "callback_data": "p:perfect fifth"}],
        [{"text": "A major third", "callback_data": 'p:/inform{"answer": "major third"}'}],
    ]


async def test_buttons_sent_without_text_go_on_the_text_before_them_or_on_a_prompt(
    fake: FakeTelegram, tutor: Tutor, polling: TelegramChannel
) -> None:
    buttons = [{"title": "Yes", "payload": "/affirm"}]

    async def split(message: UserMessage) -> list[BotMessage]:
        if message.text == "first":
            return [{"recipient_id": "x", "text": "Ready?"}, {"recipient_id": "x", "buttons": buttons}]
        return [{"recipient_id": "x", "buttons": buttons}]

    tutor.reply = split
    fake.queue_update(fake.text_update("first"))
    fake.queue_update(fake.text_update("second"))

    ready, prompt = await sent_after(fake, 2)

    assert ready.params["text"] == "Ready?" and keyboard(ready) == [
        [{"text": "Yes", "callback_data": "p:/affirm"}]
    ]
    assert prompt.params["text"] == CHOOSE and keyboard(prompt) == keyboard(ready)


async def test_pressing_a_button_answers_the_query_and_sends_its_payload(
    fake: FakeTelegram, tutor: Tutor, polling: TelegramChannel
) -> None:
    fake.queue_update(fake.callback_update("p:/affirm", chat_id=9))

    [reply] = await sent_after(fake, 1)

    [answer] = fake.calls_of("answerCallbackQuery")
    assert answer.params["callback_query_id"].startswith("cq") and "text" not in answer.params
    assert [(m.sender_id, m.text, m.metadata["chat_id"]) for m in tutor.received] == [("tg:9", "/affirm", 9)]
    assert reply.params == {"chat_id": 9, "text": "you said: /affirm"}


async def test_a_payload_too_long_for_callback_data_travels_as_a_short_key(
    fake: FakeTelegram, tutor: Tutor, polling: TelegramChannel
) -> None:
    payload = '/start_quiz{"concept": "perfect authentic cadence", "level": "intermediate", "n": 5}'
    assert len(payload.encode()) > MAX_CALLBACK_BYTES

    async def offer(message: UserMessage) -> list[BotMessage]:
        if message.text == "offer":
            return [
                {"recipient_id": "x", "text": "Shall we?", "buttons": [{"title": "Quiz", "payload": payload}]}
            ]
        return await tutor.echo(message)

    tutor.reply = offer
    fake.queue_update(fake.text_update("offer"))
    [offered] = await sent_after(fake, 1)
    [[button]] = keyboard(offered)
    assert len(button["callback_data"].encode()) <= MAX_CALLBACK_BYTES

    fake.queue_update(fake.callback_update(button["callback_data"]))
    await sent_after(fake, 2)

    assert [m.text for m in tutor.received] == ["offer", payload]


async def test_a_button_whose_key_is_unknown_is_answered_as_expired_and_not_sent(
    fake: FakeTelegram, tutor: Tutor, polling: TelegramChannel
) -> None:
    fake.queue_update(fake.callback_update("k:forgotten-key"))

    await wait_for(fake, lambda f: bool(f.calls_of("answerCallbackQuery")))

    assert fake.calls_of("answerCallbackQuery")[0].params["text"] == EXPIRED_BUTTON
    assert tutor.received == []


async def test_a_text_longer_than_telegrams_limit_is_sent_in_parts(
    fake: FakeTelegram, tutor: Tutor, polling: TelegramChannel
) -> None:
    paragraph = "A cadence closes a phrase. " * 60
    long_text = "\n".join([paragraph.strip()] * 6)

    async def lecture(message: UserMessage) -> list[BotMessage]:
        return [{"recipient_id": "x", "text": long_text, "buttons": [{"title": "More", "payload": "/more"}]}]

    tutor.reply = lecture
    fake.queue_update(fake.text_update("explain cadences"))

    await wait_for(fake, lambda f: any("reply_markup" in c.params for c in f.sent()))
    parts = fake.sent()

    assert len(parts) == 3
    assert all(len(part.params["text"]) <= 4096 for part in parts)
    assert "\n".join(part.params["text"] for part in parts) == long_text
    assert [("reply_markup" in part.params) for part in parts] == [False, False, True]


async def test_an_audio_attachment_uploads_the_media_file(
    fake: FakeTelegram, tutor: Tutor, media_dir: Path, polling: TelegramChannel
) -> None:
    (media_dir / "fifth.mp3").write_bytes(b"ID3\x00\x01\xff fake mp3 bytes")

    async def play(message: UserMessage) -> list[BotMessage]:
        return [
            {"recipient_id": "x", "text": "Listen:"},
            {
                "recipient_id": "x",
                "attachment": {"type": "audio", "payload": {"src": "/media/fifth.mp3", "title": "C to G"}},
            },
        ]

    tutor.reply = play
    fake.queue_update(fake.text_update("play a fifth"))

    text, audio = await sent_after(fake, 2)

    assert text.params["text"] == "Listen:"
    assert audio.method == "sendAudio"
    assert audio.params["title"] == "C to G"
    assert audio.files == {"audio": ("fifth.mp3", b"ID3\x00\x01\xff fake mp3 bytes")}


async def test_a_rendered_wav_example_is_sent_as_its_mp3_twin(
    fake: FakeTelegram, tutor: Tutor, media_dir: Path, polling: TelegramChannel
) -> None:
    from music.synth import render_example

    wav = render_example({"type": "interval", "pitches": "C4 G4"}, media_dir, fmt="wav")

    async def play(message: UserMessage) -> list[BotMessage]:
        payload = {"src": f"/media/{wav.name}", "title": "C to G"}
        return [{"recipient_id": "x", "attachment": {"type": "audio", "payload": payload}}]

    tutor.reply = play
    fake.queue_update(fake.text_update("play a fifth"))

    [audio] = await sent_after(fake, 1)

    assert audio.method == "sendAudio"
    name, data = audio.files["audio"]
    assert name == wav.with_suffix(".mp3").name
    assert data == wav.with_suffix(".mp3").read_bytes() and data[:3] != b"RIF"


async def test_a_missing_audio_file_is_replaced_by_its_title(
    fake: FakeTelegram, tutor: Tutor, polling: TelegramChannel
) -> None:
    async def play(message: UserMessage) -> list[BotMessage]:
        return [
            {
                "recipient_id": "x",
                "attachment": {"type": "audio", "payload": {"src": "/media/gone.mp3", "title": "C to G"}},
            }
        ]

    tutor.reply = play
    fake.queue_update(fake.text_update("play"))

    [call] = await sent_after(fake, 1)

    assert (call.method, call.params["text"]) == ("sendMessage", "C to G")


async def test_an_image_is_sent_as_a_photo_and_falls_back_to_its_link(
    fake: FakeTelegram, tutor: Tutor, polling: TelegramChannel
) -> None:
    url = "https://example.org/circle-of-fifths.png"

    async def show(message: UserMessage) -> list[BotMessage]:
        return [{"recipient_id": "x", "image": url}]

    tutor.reply = show
    fake.queue_update(fake.text_update("show me"))
    [photo] = await sent_after(fake, 1)
    assert (photo.method, photo.params["photo"]) == ("sendPhoto", url)

    fake.fail("sendPhoto", "Bad Request: wrong file identifier/HTTP URL specified")
    fake.queue_update(fake.text_update("show me again"))
    await wait_for(fake, lambda f: len(f.calls_of("sendMessage")) == 1)
    assert fake.calls_of("sendMessage")[0].params["text"] == url


async def test_an_image_attachment_from_the_media_directory_is_uploaded(
    fake: FakeTelegram, tutor: Tutor, media_dir: Path, polling: TelegramChannel
) -> None:
    (media_dir / "staff.png").write_bytes(b"\x89PNG fake")

    async def show(message: UserMessage) -> list[BotMessage]:
        attachment = {"type": "image", "payload": {"src": "/media/staff.png", "title": "The staff"}}
        return [{"recipient_id": "x", "attachment": attachment}]

    tutor.reply = show
    fake.queue_update(fake.text_update("show the staff"))

    [photo] = await sent_after(fake, 1)

    assert (photo.method, photo.params["caption"]) == ("sendPhoto", "The staff")
    assert photo.files == {"photo": ("staff.png", b"\x89PNG fake")}


@pytest.mark.parametrize(
    "content",
    [
        {
            "sticker": {
                "file_id": "s1",
                "file_unique_id": "su1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        },
        {"voice": {"file_id": "v1", "file_unique_id": "vu1", "duration": 3}},
        {"photo": [{"file_id": "ph1", "file_unique_id": "phu1", "width": 90, "height": 90}]},
    ],
    ids=["sticker", "voice", "photo"],
)
async def test_a_message_that_is_not_text_gets_a_polite_text_only_reply(
    fake: FakeTelegram, tutor: Tutor, polling: TelegramChannel, content: dict[str, Any]
) -> None:
    fake.queue_update({"message": fake.message(chat_id=3, **content)})

    [call] = await sent_after(fake, 1)

    assert call.params == {"chat_id": 3, "text": TEXT_ONLY}
    assert tutor.received == []


async def test_a_failing_handler_earns_an_apology_and_the_channel_keeps_working(
    fake: FakeTelegram, tutor: Tutor, polling: TelegramChannel
) -> None:
    async def fragile(message: UserMessage) -> list[BotMessage]:
        if message.text == "break":
            raise RuntimeError("engine down")
        return await tutor.echo(message)

    tutor.reply = fragile
    fake.queue_update(fake.text_update("break"))
    fake.queue_update(fake.text_update("hello"))

    apology, echo = await sent_after(fake, 2)

    assert apology.params["text"] == APOLOGY
    assert echo.params["text"] == "you said: hello"


async def test_messages_from_one_chat_are_handled_in_order_while_other_chats_proceed(
    fake: FakeTelegram, tutor: Tutor, polling: TelegramChannel
) -> None:
    other_chat_done = asyncio.Event()

    async def uneven(message: UserMessage) -> list[BotMessage]:
        if message.text == "slow 1":
            # Only finishes once chat 2 has been answered: a global queue would deadlock here.
            await asyncio.wait_for(other_chat_done.wait(), timeout=5)
        if message.metadata["chat_id"] == 2:
            other_chat_done.set()
        return await tutor.echo(message)

    tutor.reply = uneven
    for text in ("slow 1", "fast 2", "fast 3"):
        fake.queue_update(fake.text_update(text, chat_id=1))
    fake.queue_update(fake.text_update("other", chat_id=2))

    await sent_after(fake, 4)

    assert [m.text for m in tutor.received if m.metadata["chat_id"] == 1] == ["slow 1", "fast 2", "fast 3"]
    assert [c.params["text"] for c in fake.sent() if c.params["chat_id"] == 1] == [
        "you said: slow 1",
        "you said: fast 2",
        "you said: fast 3",
    ]
    texts = [m.text for m in tutor.received]
    assert texts.index("other") < texts.index("fast 2")


# Recordings (voice notes and audio files) ----------------------------------------------------------


@pytest.fixture
async def listening(
    fake: FakeTelegram, tutor: Tutor, media_dir: Path, tmp_path: Path
) -> AsyncIterator[TelegramChannel]:
    """A polling channel that keeps recordings in tmp_path/recordings."""
    channel = make_channel(fake, tutor, media_dir, recordings_dir=tmp_path / "recordings")
    await channel.start_polling(timeout=1)
    yield channel
    await channel.stop()


async def test_a_voice_note_is_fetched_kept_and_handed_to_the_tutor_as_practice(
    fake: FakeTelegram, tutor: Tutor, listening: TelegramChannel, tmp_path: Path
) -> None:
    fake.queue_update(fake.voice_update(b"OggS fake opus bytes", chat_id=5))

    [call] = await sent_after(fake, 1)

    [message] = tutor.received
    assert (message.sender_id, message.text) == ("tg:5", "/practice_feedback")
    name = message.metadata["recording"]
    assert name.endswith(".ogg") and (tmp_path / "recordings" / name).read_bytes() == b"OggS fake opus bytes"
    assert [c.params["file_id"] for c in fake.calls_of("getFile")] == ["file1"]
    assert call.params == {"chat_id": 5, "text": "you said: /practice_feedback"}


async def test_an_audio_file_keeps_its_format_from_the_mime_type(
    fake: FakeTelegram, tutor: Tutor, listening: TelegramChannel
) -> None:
    fake.queue_update(fake.audio_update(b"ID3 mp3 bytes", "audio/mpeg", "scale take 2.mp3"))

    await sent_after(fake, 1)

    assert tutor.received[0].metadata["recording"].endswith(".mp3")


async def test_a_recording_too_large_to_hear_is_refused_before_downloading(
    fake: FakeTelegram, tutor: Tutor, listening: TelegramChannel
) -> None:
    update = fake.voice_update(b"x")
    update["message"]["voice"]["file_size"] = 50 * 2**20
    fake.queue_update(update)

    [call] = await sent_after(fake, 1)

    assert "too large" in call.params["text"]
    assert tutor.received == [] and fake.calls_of("getFile") == []


async def test_a_recording_telegram_cannot_serve_gets_a_retry_request(
    fake: FakeTelegram, tutor: Tutor, listening: TelegramChannel
) -> None:
    fake.fail("getFile", "Bad Request: file is too big")
    fake.queue_update(fake.voice_update(b"OggS"))

    [call] = await sent_after(fake, 1)

    assert call.params["text"] == NOT_FETCHED
    assert tutor.received == []


# Webhook mode --------------------------------------------------------------------------------------


@pytest.fixture
async def webhook(
    fake: FakeTelegram, tutor: Tutor, media_dir: Path
) -> AsyncIterator[tuple[TelegramChannel, httpx.AsyncClient]]:
    channel = make_channel(fake, tutor, media_dir, secret=SECRET)
    app = FastAPI()
    app.include_router(channel.router())
    await channel.start()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://etude") as client:
        yield channel, client
    await channel.stop()


async def test_the_webhook_rejects_a_missing_or_wrong_secret(
    fake: FakeTelegram, tutor: Tutor, webhook: tuple[TelegramChannel, httpx.AsyncClient]
) -> None:
    _, client = webhook
    update = {"update_id": 1, **fake.text_update("hi")}

    missing = await client.post("/webhooks/telegram", json=update)
    wrong = await client.post("/webhooks/telegram", json=update, headers={SECRET_HEADER: "guess"})

    assert (missing.status_code, wrong.status_code) == (403, 403)
    await asyncio.sleep(0.1)
    assert tutor.received == [] and fake.sent() == []


async def test_the_webhook_accepts_an_update_with_the_secret_and_the_reply_is_sent(
    fake: FakeTelegram, tutor: Tutor, webhook: tuple[TelegramChannel, httpx.AsyncClient]
) -> None:
    _, client = webhook
    update = {"update_id": 10, **fake.text_update("hello", chat_id=11)}

    response = await client.post("/webhooks/telegram", json=update, headers={SECRET_HEADER: SECRET})

    assert (response.status_code, response.json()) == (200, {"ok": True})
    [call] = await sent_after(fake, 1)
    assert call.params == {"chat_id": 11, "text": "you said: hello"}
    assert tutor.received[0].sender_id == "tg:11"


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"{not json", 400), (b"[1, 2]", 422), (b'{"message": {"text": "no update id"}}', 400)],
    ids=["malformed JSON", "not an object", "no update_id"],
)
async def test_the_webhook_rejects_a_body_that_is_not_an_update(
    webhook: tuple[TelegramChannel, httpx.AsyncClient], body: bytes, status: int
) -> None:
    _, client = webhook

    response = await client.post(
        "/webhooks/telegram",
        content=body,
        headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
    )

    assert response.status_code == status
    assert "error" in response.json()


async def test_without_a_configured_secret_the_webhook_needs_no_header(
    fake: FakeTelegram, tutor: Tutor, media_dir: Path
) -> None:
    channel = make_channel(fake, tutor, media_dir)
    app = FastAPI()
    app.include_router(channel.router())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://etude") as client:
        update = {"update_id": 1, **fake.text_update("hi")}
        before_start = await client.post("/webhooks/telegram", json=update)
        await channel.start()
        try:
            after_start = await client.post("/webhooks/telegram", json=update)
            await sent_after(fake, 1)
        finally:
            await channel.stop()

    assert (before_start.status_code, after_start.status_code) == (503, 200)


async def test_set_webhook_registers_the_url_with_the_secret(
    fake: FakeTelegram, tutor: Tutor, media_dir: Path
) -> None:
    channel = make_channel(fake, tutor, media_dir, secret=SECRET)
    await channel.start()
    try:
        assert await channel.set_webhook("https://etude.example/webhooks/telegram") is True
        info = await channel.application.bot.get_webhook_info()
    finally:
        await channel.stop()

    assert fake.webhook == {
        "url": "https://etude.example/webhooks/telegram",
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query"],
    }
    assert info.url == "https://etude.example/webhooks/telegram"


# Building blocks -----------------------------------------------------------------------------------


def test_split_text_keeps_short_texts_whole_and_breaks_long_ones_at_whitespace() -> None:
    assert split_text("  short  ") == ["short"]
    assert split_text("") == []
    assert split_text("aaaa bbbb cccc", limit=10) == ["aaaa bbbb", "cccc"]
    assert split_text("line one\nline two", limit=12) == ["line one", "line two"]
    assert split_text("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]


def test_split_text_counts_characters_outside_the_bmp_twice_as_telegram_does() -> None:
    chunks = split_text("🎵" * 5, limit=4)

    assert chunks == ["🎵🎵", "🎵🎵", "🎵"]


def test_payload_table_inlines_short_payloads_and_keys_long_ones_within_64_bytes() -> None:
    table = PayloadTable()
    long_payload = "/inform" + json.dumps({"answer": "é" * 40})

    short, keyed = table.encode("/affirm"), table.encode(long_payload)

    assert short == "p:/affirm" and table.decode(short) == "/affirm"
    assert keyed.startswith("k:") and len(keyed.encode()) <= MAX_CALLBACK_BYTES
    assert table.decode(keyed) == long_payload
    assert table.encode(long_payload) == keyed and len(table) == 1
    assert table.decode("garbage") is None


def test_payload_table_is_bounded_and_forgets_the_least_recently_used() -> None:
    table = PayloadTable(capacity=2)
    first, second = (table.encode(f"payload {n} " + "x" * 64) for n in (1, 2))
    table.decode(first)  # used again: now the most recent

    third = table.encode("payload 3 " + "x" * 64)

    assert len(table) == 2
    assert table.decode(second) is None
    assert table.decode(first) is not None and table.decode(third) is not None


def test_the_fake_server_answers_unknown_methods_and_wrong_tokens_like_telegram(fake: FakeTelegram) -> None:
    unknown = httpx.post(f"{fake.base_url}{TOKEN}/sendSticker", data={"chat_id": "1"})
    unauthorised = httpx.post(f"{fake.base_url}999:wrong/getMe")

    assert (unknown.status_code, unknown.json()) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert unauthorised.status_code == 401 and unauthorised.json()["ok"] is False
