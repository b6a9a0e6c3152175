"""The embeddable chat widget, driven end to end in a real browser against a real server.

A uvicorn server runs `bot.app.create_app` with a scripted tutor; headless Chromium loads the demo
page and talks to it the way a learner would: by mouse, by keyboard, across reloads and errors.
"""

from __future__ import annotations

import json
import math
import struct
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect

from bot.app import create_app
from bot.messages import BotMessage, UserMessage
from tests.bot.browser import chromium, live_server, needs_chromium

pytestmark = needs_chromium

QUIZ_PAYLOAD = '/start_quiz{"concept": "intervals"}'
EXAMPLE_SECONDS = 0.5
FIFTH = "/media/fifth.wav"


class ScriptedTutor:
    """A stand-in for the dialogue engine that answers predictably and remembers what it was sent."""

    def __init__(self) -> None:
        self.received: list[UserMessage] = []

    async def __call__(self, message: UserMessage) -> list[BotMessage]:
        self.received.append(message)
        to = message.sender_id
        if message.text == QUIZ_PAYLOAD:
            return [{"recipient_id": to, "text": "Quiz time! What interval is C up to G?"}]
        if message.text == "/ask_example":
            return [
                {"recipient_id": to, "text": "Listen to a perfect fifth:"},
                {
                    "recipient_id": to,
                    "attachment": {"type": "audio", "payload": {"src": FIFTH, "title": "C and G"}},
                },
            ]
        if message.text == "boom":
            raise RuntimeError("the scripted tutor fails on purpose")
        if message.text == "/practice_feedback":
            notes = [{"expected": "C4", "verdict": "ok", "played": "C4", "cents": 2.0},
                     {"expected": "E4", "verdict": "out_of_tune", "played": "E4", "cents": -41.0},
                     {"expected": "G4", "verdict": "wrong_note", "played": "G#4", "cents": 0.0}]
            custom = {"practice": {"notes": notes}}
            return [{"recipient_id": to, "text": "Two things to fix.", "custom": custom}]
        return [
            {"recipient_id": to, "text": f"You said: {message.text}\n**Intervals** measure distance."},
            {
                "recipient_id": to,
                "text": "What next?",
                "buttons": [
                    {"title": "Quiz me", "payload": QUIZ_PAYLOAD},
                    {"title": "Play an example", "payload": "/ask_example"},
                ],
            },
        ]


def write_tone(path: Path, seconds: float, hz: float = 440.0, rate: int = 22050) -> None:
    """A short sine tone as 16-bit mono PCM WAV, which every browser can decode."""
    samples = (int(12000 * math.sin(2 * math.pi * hz * i / rate)) for i in range(int(seconds * rate)))
    frames = b"".join(struct.pack("<h", sample) for sample in samples)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)


@pytest.fixture(scope="module")
def tutor() -> ScriptedTutor:
    return ScriptedTutor()


@pytest.fixture(scope="module")
def server(tutor: ScriptedTutor, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a live server on a free loopback port, for the whole module."""
    media = tmp_path_factory.mktemp("media")
    write_tone(media / "fifth.wav", EXAMPLE_SECONDS)
    recordings = tmp_path_factory.mktemp("recordings")
    with live_server(create_app(tutor, media_dir=media, recordings_dir=recordings)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    """A fresh browser profile (empty localStorage) on the demo page."""
    context = browser.new_context(base_url=server)
    context.set_default_timeout(8000)
    page = context.new_page()
    page.goto("/")
    yield page
    context.close()


def launcher(page: Page) -> Locator:
    return page.get_by_role("button", name="Chat with Etude")


def transcript(page: Page) -> Locator:
    return page.get_by_role("log")


def message_box(page: Page) -> Locator:
    return page.get_by_label("Your message to Etude")


def open_chat(page: Page) -> None:
    launcher(page).click()
    expect(launcher(page)).to_have_attribute("aria-expanded", "true")
    expect(message_box(page)).to_be_focused()


def say(page: Page, text: str) -> None:
    message_box(page).fill(text)
    message_box(page).press("Enter")


def shadow_eval(page: Page, expression: str) -> object:
    """Evaluates `expression` with `root` bound to the widget's shadow root."""
    return page.evaluate(
        f"() => {{ const root = document.getElementById('etude-chat-widget').shadowRoot; "
        f"return {expression}; }}"
    )


def test_a_question_is_answered_and_a_button_sends_its_payload_under_its_title(
    page: Page, tutor: ScriptedTutor
) -> None:
    expect(page.get_by_role("heading", name="Etude", exact=True)).to_be_visible()
    expect(page.get_by_role("dialog")).to_be_hidden()
    open_chat(page)

    say(page, "what is an interval?")

    log = transcript(page)
    expect(log).to_have_attribute("aria-live", "polite")
    expect(log.locator(".user")).to_have_text("You: what is an interval?")
    expect(log).to_contain_text("You said: what is an interval?\nIntervals measure distance.")
    expect(log.locator("strong")).to_have_text("Intervals")
    expect(message_box(page)).to_have_value("")
    sent = tutor.received[-1]
    assert sent.text == "what is an interval?"
    assert sent.metadata == {"channel": "web"}
    assert sent.sender_id.startswith("web:") and sent.channel == "web"

    page.get_by_role("button", name="Quiz me").click()

    expect(log.locator(".user").last).to_have_text("You: Quiz me")
    expect(log).to_contain_text("Quiz time! What interval is C up to G?")
    assert tutor.received[-1].text == QUIZ_PAYLOAD
    assert tutor.received[-1].sender_id == sent.sender_id
    expect(page.get_by_role("button", name="Quiz me")).to_be_disabled()
    expect(page.get_by_role("button", name="Play an example")).to_be_disabled()


def test_an_audio_example_loads_from_the_server_and_plays(page: Page, server: str) -> None:
    open_chat(page)
    say(page, "show me a fifth")
    page.get_by_role("button", name="Play an example").click()

    audio = transcript(page).locator("audio")
    expect(audio).to_have_count(1)
    expect(audio).to_have_attribute("controls", "")
    expect(transcript(page)).to_contain_text("C and G")
    assert audio.evaluate("a => a.src") == f"{server}{FIFTH}"
    audio.evaluate(
        "a => new Promise((ok, fail) => { if (a.readyState >= 1) ok(); "
        "a.addEventListener('loadedmetadata', ok); a.addEventListener('error', () => fail(a.error)); })"
    )
    assert audio.evaluate("a => a.duration") == pytest.approx(EXAMPLE_SECONDS, abs=0.05)
    ended = audio.evaluate(
        "a => new Promise((ok, fail) => { a.muted = true; a.addEventListener('ended', () => ok(true)); "
        "a.play().catch(fail); })"
    )
    assert ended is True


def test_the_conversation_and_the_learner_survive_a_reload(page: Page, tutor: ScriptedTutor) -> None:
    open_chat(page)
    say(page, "remember me")
    page.get_by_role("button", name="Quiz me").click()
    expect(transcript(page)).to_contain_text("Quiz time!")
    sender = tutor.received[-1].sender_id

    page.reload()
    open_chat(page)

    log = transcript(page)
    expect(log.locator(".user")).to_have_text(["You: remember me", "You: Quiz me"])
    expect(log).to_contain_text("You said: remember me")
    expect(log).to_contain_text("Quiz time!")
    expect(page.get_by_role("button", name="Quiz me")).to_be_disabled()
    say(page, "still there?")
    expect(log).to_contain_text("You said: still there?")
    assert tutor.received[-1].sender_id == sender


def test_the_learner_is_known_by_an_http_only_cookie_that_scripts_cannot_read_or_forge(
    page: Page, tutor: ScriptedTutor
) -> None:
    open_chat(page)
    say(page, "who am I?")
    expect(transcript(page)).to_contain_text("You said: who am I?")
    sender = tutor.received[-1].sender_id

    [cookie] = [c for c in page.context.cookies() if c["name"] == "etude_learner"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("() => document.cookie") == ""
    assert "sender" not in page.evaluate("() => JSON.stringify(localStorage)")

    tampered = cookie["value"][:-2] + ("AA" if not cookie["value"].endswith("AA") else "BB")
    page.context.add_cookies([{**{k: cookie[k] for k in ("name", "domain", "path")}, "value": tampered}])
    say(page, "and now?")
    expect(transcript(page)).to_contain_text("You said: and now?")

    assert tutor.received[-1].sender_id.startswith("web:")
    assert tutor.received[-1].sender_id != sender  # a tampered cookie is worth a new learner, no more


def test_the_chat_works_from_the_keyboard_alone(page: Page) -> None:
    page.keyboard.press("Tab")
    assert shadow_eval(page, "root.activeElement && root.activeElement.textContent") == "Chat with Etude"

    page.keyboard.press("Enter")
    expect(message_box(page)).to_be_focused()
    page.keyboard.type("what is a scale?")
    page.keyboard.press("Enter")
    expect(transcript(page)).to_contain_text("You said: what is a scale?")
    expect(message_box(page)).to_be_focused()

    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")
    expect(launcher(page)).to_be_focused()


def test_a_request_the_server_rejects_shows_its_reason_and_keeps_the_text(page: Page) -> None:
    # The server itself refuses the request: its body reaches it with a number for the message.
    def garble(route: Route) -> None:
        route.continue_(post_data=json.dumps({"message": 42, "metadata": {"channel": "web"}}))

    page.route("**/webhooks/rest/webhook", garble)
    open_chat(page)

    say(page, "hello")

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("field 'message' must be a string")
    expect(message_box(page)).to_have_value("hello")
    expect(transcript(page).locator(".user")).to_have_count(0)


def test_network_and_server_failures_are_explained_and_a_retry_goes_through(page: Page) -> None:
    open_chat(page)
    page.route("**/webhooks/rest/webhook", lambda route: route.abort())
    say(page, "are you there?")
    expect(page.get_by_role("alert")).to_contain_text("Couldn't reach Etude")
    expect(message_box(page)).to_have_value("are you there?")

    page.unroute("**/webhooks/rest/webhook")
    message_box(page).press("Enter")
    expect(transcript(page)).to_contain_text("You said: are you there?")
    expect(page.get_by_role("alert")).to_have_count(0)

    say(page, "boom")
    expect(page.get_by_role("alert")).to_contain_text("HTTP 500")
    expect(message_box(page)).to_have_value("boom")


def test_markup_in_messages_is_shown_as_text_and_never_run(page: Page) -> None:
    open_chat(page)
    attack = '<img src=x onerror="window.__pwned = true"><b>bold?</b>'

    say(page, attack)

    log = transcript(page)
    expect(log.locator(".user")).to_have_text(f"You: {attack}")
    expect(log).to_contain_text(f"You said: {attack}")
    assert shadow_eval(page, "root.querySelectorAll('img, b').length") == 0
    assert page.evaluate("() => window.__pwned") is None


def test_a_message_over_the_servers_size_limit_is_stopped_in_the_browser(
    page: Page, tutor: ScriptedTutor
) -> None:
    open_chat(page)
    before = len(tutor.received)

    say(page, "é" * 2100)  # 4200 bytes of UTF-8, though only 2100 characters

    expect(page.get_by_role("status").filter(has_text="too long")).to_be_visible()
    expect(message_box(page)).to_have_attribute("aria-invalid", "true")
    assert len(tutor.received) == before
    message_box(page).fill("short again")
    expect(message_box(page)).not_to_have_attribute("aria-invalid", "true")


def test_an_embedding_page_can_start_the_chat_open_and_name_the_server(page: Page, server: str) -> None:
    host_page = (
        "<!doctype html><html><head><style>button, div { background: red !important; }</style></head>"
        f"<body><p>A teacher's blog</p><script src='{server}/widget.js' data-server='{server}/' "
        "data-open='true'></script></body></html>"
    )
    page.route("**/blog.html", lambda route: route.fulfill(body=host_page, content_type="text/html"))
    page.goto("/blog.html")

    expect(page.get_by_role("dialog")).to_be_visible()
    expect(launcher(page)).to_have_attribute("aria-expanded", "true")
    background = page.get_by_role("button", name="Send").evaluate("b => getComputedStyle(b).backgroundColor")
    assert background != "rgb(255, 0, 0)"
    say(page, "hi from the blog")
    expect(transcript(page)).to_contain_text("You said: hi from the blog")


def test_the_microphone_records_until_stopped_and_the_notes_come_back_as_chips(
    page: Page, tutor: ScriptedTutor
) -> None:
    open_chat(page)
    record = page.get_by_role("button", name="Record yourself playing")
    record.click()
    stop = page.get_by_role("button", name="Stop recording and send")
    expect(stop).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(1200)  # Chromium's fake microphone beeps meanwhile
    stop.click()

    notes = page.get_by_role("list", name="How each note went").get_by_role("listitem")
    expect(notes).to_have_count(3)
    expect(notes.nth(0)).to_have_text("C4 ✓ (right)")
    expect(notes.nth(1)).to_have_text("E4 ± (out of tune: 41 cents flat)")
    expect(notes.nth(2)).to_have_text("G4 ✗ (wrong note: you played G#4)")
    expect(transcript(page).locator(".user").last).to_contain_text("my recording (")
    recording = tutor.received[-1]
    assert recording.text == "/practice_feedback" and recording.channel == "web"
    assert recording.metadata["recording"].endswith(".webm")
    record_again = page.get_by_role("button", name="Record yourself playing")
    expect(record_again).to_have_attribute("aria-pressed", "false")


def test_an_empty_file_is_stopped_in_the_browser(page: Page, tutor: ScriptedTutor, tmp_path: Path) -> None:
    open_chat(page)
    empty = tmp_path / "nothing.wav"
    empty.write_bytes(b"")
    sent = len(tutor.received)

    page.locator("input[type=file]").set_input_files(str(empty))

    expect(page.get_by_role("alert")).to_have_text("That recording is empty. Please try again.")
    assert len(tutor.received) == sent
