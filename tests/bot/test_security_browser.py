"""The Content-Security-Policy in a real browser (headless Chromium): the demo page's widget and the
console work under it, and the browser reports no violation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bot.app import create_app
from bot.messages import BotMessage, UserMessage
from bot.store import ConversationStore
from tests.bot.accounts import PASSWORDS, Clock, add_users, make_auth
from tests.bot.browser import chromium, live_server, needs_chromium
from tests.bot.classroom import fill_class

pytestmark = needs_chromium

# Reports every violation, whichever way the browser tells: the event and the console message.
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
    e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI), true);
"""


async def echo(message: UserMessage) -> list[BotMessage]:
    return [{"recipient_id": message.sender_id, "text": f"You said: {message.text}"}]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    clock = Clock()
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        auth = make_auth(store, clock)
        add_users(auth, clock)
        fill_class(store)
        with live_server(create_app(echo, media_dir=tmp_path / "media", auth=auth)) as url:
            yield url


@pytest.fixture
def watched(server: str) -> Iterator[tuple[Page, list[str]]]:
    with chromium() as browser:
        context = browser.new_context(base_url=server)
        context.set_default_timeout(8000)
        context.add_init_script(WATCH)
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
        yield page, console
        context.close()


def violations(page: Page, console: list[str]) -> list[str]:
    reported = page.evaluate("() => window.__violations")
    # (a 404 for /favicon.ico is the one console error a bare page has)
    return reported + [line for line in console if "Content Security Policy" in line or "pageerror" in line]


def test_the_widget_works_on_the_demo_page_under_its_csp(watched: tuple[Page, list[str]]) -> None:
    page, console = watched
    response = page.goto("/")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]

    launcher = page.get_by_role("button", name="Chat with Etude")
    launcher.click()
    box = page.get_by_label("Your message to Etude")
    box.fill("hello there")
    box.press("Enter")
    expect(page.get_by_role("log")).to_contain_text("You said: hello there")
    # the widget's own styles apply (a fixed launcher in the corner), and the page's inline style too
    assert launcher.evaluate("b => getComputedStyle(b.parentElement).position") == "fixed"
    assert launcher.evaluate("b => getComputedStyle(b).display") == "flex"
    assert page.evaluate("() => getComputedStyle(document.body).fontFamily").startswith("Georgia")
    assert violations(page, console) == []

    # the listener does hear a violation: an inline script injected into the page is refused
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
                  " document.body.appendChild(s); }")
    page.wait_for_function("() => window.__violations.length > 0")
    assert page.evaluate("() => window.ran") is None


def test_the_console_works_under_its_csp(watched: tuple[Page, list[str]]) -> None:
    page, console = watched
    response = page.goto("/console/login")
    assert response is not None and "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.get_by_label("Name").fill("ian")
    page.get_by_label("Password").fill(PASSWORDS["ian"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome, ian")).to_be_visible()
    # base.html's inline <style> applies: allowed by its hash
    assert page.evaluate("() => getComputedStyle(document.body).maxWidth") != "none"

    for path in ("/console/conversations", "/console/review", "/console/learners"):
        page.goto(path)
        expect(page.get_by_role("main")).to_be_visible()
    learner = page.locator("main a[href^='/console/learners/']").first
    if learner.count():
        learner.click()
        expect(page.get_by_role("main")).to_be_visible()
    assert violations(page, console) == []
