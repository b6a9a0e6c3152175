"""The chat widget end to end against the real tutor, in a real browser.

A uvicorn server runs `bot.app.create_app` over the real dialogue engine (the project's domain,
rules, stories and rasa_sdk actions over the authored graph, MP3 examples rendered by music.synth)
with a scripted NLU and a real conversation store; headless Chromium loads the demo page and asks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from actions.services import services
from bot.app import create_app
from bot.learner_data import StoredLearnerData
from bot.store import ConversationStore
from tests.bot.browser import chromium, live_server, needs_chromium
from tests.bot.takes import SCALE, played
from tests.bot.tutor import ScriptedNLU, make_engine

QUESTION = "what is a perfect fifth?"
SCALE_QUESTION = "what is a major scale?"
PRACTICE = "can you listen to me play it?"
WAIT_MS = 30_000  # the first answers load music21 and render audio; the test machine may be busy

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConversationStore]:
    with ConversationStore(f"sqlite:///{tmp_path_factory.mktemp('db') / 'etude.db'}") as store:
        yield store


@pytest.fixture(scope="module")
def server(tutor_home: Path, store: ConversationStore) -> Iterator[str]:
    """Base URL of the tutor on a free loopback port, for the whole module."""
    nlu = ScriptedNLU().says(QUESTION, "explain_concept", ("concept", "perfect fifth"))
    nlu.says(SCALE_QUESTION, "explain_concept", ("concept", "major scale"))
    nlu.says(PRACTICE, "practice_feedback")
    engine = make_engine(nlu, store)
    learner_data = StoredLearnerData(store, engine.domain, services().graph)
    app = create_app(engine.handle, media_dir=tutor_home / "media", recordings_dir=tutor_home / "recordings",
                     parse=nlu, learner_data=learner_data)
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def open_chat(browser: Browser, server: str) -> Page:
    """A fresh browser profile on the demo page, with the chat open."""
    context = browser.new_context(base_url=server)
    context.set_default_timeout(15000)
    page = context.new_page()
    page.goto("/")
    page.get_by_role("button", name="Chat with Etude").click()
    return page


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    """A fresh browser profile on the demo page, with the chat open and the question asked."""
    page = open_chat(browser, server)
    message_box = page.get_by_label("Your message to Etude")
    message_box.fill(QUESTION)
    message_box.press("Enter")
    yield page
    page.context.close()


def transcript(page: Page) -> Locator:
    return page.get_by_role("log")


def my_conversation(page: Page) -> dict:
    """What the page's learner (its cookie) is told about themselves by `GET /me/conversation`."""
    return page.evaluate("() => fetch('/me/conversation').then(r => r.json())")


def test_a_question_is_answered_and_the_quiz_button_starts_a_quiz(
    page: Page, store: ConversationStore
) -> None:
    log = transcript(page)
    expect(log).to_contain_text("A perfect fifth spans seven semitones, as C to G.", timeout=WAIT_MS)
    expect(log.locator("strong").first).to_have_text("Perfect fifth")

    page.get_by_role("button", name="Quiz me on this").click()

    expect(log.locator(".user").last).to_have_text("You: Quiz me on this")
    expect(log).to_contain_text("Quiz time: 5 questions on perfect fifth.", timeout=WAIT_MS)
    expect(log).to_contain_text("Question 1/5:")
    mine = my_conversation(page)
    sender = mine["learner"]
    assert sender.startswith("web:")
    turns = store.turns(sender)
    assert [t["text"] for t in mine["turns"]] == [t.text for t in turns]
    assert [t.text for t in turns] == [QUESTION, '/start_quiz{"concept": "concept:perfect_fifth"}']
    assert {t.channel for t in turns} == {"web"}


def test_the_answers_audio_example_loads_and_plays_in_the_browser(page: Page, server: str) -> None:
    audio = transcript(page).locator("audio")
    expect(audio).to_have_count(1, timeout=WAIT_MS)
    src = audio.evaluate("a => a.src")
    assert src.startswith(f"{server}/media/") and src.endswith(".wav")

    # load() is called first and the promise resolves with the duration it read, so an earlier
    # preload cannot race with a reset of the element (which reads NaN in between).
    loaded = audio.evaluate(
        "a => new Promise(done => { "
        "a.addEventListener('loadedmetadata', () => done({duration: a.duration}), {once: true}); "
        "a.addEventListener('error', () => done({error: `${a.error.code}: ${a.error.message}`}), "
        "{once: true}); "
        "a.load(); })"
    )

    assert "error" not in loaded, f"Chromium could not load the audio example: {loaded['error']}"
    duration = loaded["duration"]
    assert 0.3 < duration < 10
    ended = audio.evaluate(
        "a => new Promise((ok, fail) => { a.muted = true; a.addEventListener('ended', () => ok(true)); "
        "a.play().catch(fail); })"
    )
    assert ended is True


def test_a_recording_uploaded_in_the_widget_gets_feedback_note_by_note(
    browser: Browser, server: str, tmp_path: Path, store: ConversationStore
) -> None:
    page = open_chat(browser, server)
    box = page.get_by_label("Your message to Etude")
    log = transcript(page)
    for said, answer in ((SCALE_QUESTION, "seven-note scale"), (PRACTICE, "Let's practise major scale")):
        box.fill(said)
        box.press("Enter")
        expect(log).to_contain_text(answer, timeout=WAIT_MS)
    bpm = int(re.search(r"at (\d+) beats per minute", log.inner_text()).group(1))
    recording = tmp_path / "my scale.ogg"
    recording.write_bytes(played(SCALE, bpm, wrong={5: 1}))  # A4 played as A♯4

    page.locator("input[type=file]").set_input_files(str(recording))

    expect(log.locator(".user").last).to_have_text("You: \U0001f3a4 my scale.ogg")
    notes = page.get_by_role("list", name="How each note went").get_by_role("listitem")
    expect(notes).to_have_count(8, timeout=WAIT_MS)
    expect(notes.nth(5)).to_contain_text("A4")
    expect(notes.nth(5)).to_have_class(re.compile("wrong_note"))
    expect(notes.nth(0)).to_have_class(re.compile(r"\bok\b"))
    expect(log).to_contain_text("A4")
    sender = my_conversation(page)["learner"]
    assert [e.kind for e in store.behavior(sender, "practice_result")] == ["practice_result"]
    page.context.close()
