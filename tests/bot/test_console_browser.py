"""The console in a real browser (headless Chromium): logging in and out, and an instructor reading
learners' conversations."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bot.app import create_app
from bot.store import ConversationStore
from tests.bot.accounts import PASSWORDS, browser_log_in, echo, users_on
from tests.bot.browser import needs_chromium, served_page
from tests.bot.classroom import fill_class

pytestmark = needs_chromium


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        auth = users_on(store)
        fill_class(store)
        with served_page(create_app(echo, media_dir=tmp_path / "media", auth=auth)) as page:
            yield page


def test_an_instructor_logs_in_sees_their_role_and_logs_out(page: Page) -> None:
    page.goto("/console/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_text("Log in to see this page.")).to_be_visible()

    page.get_by_label("Name").fill("ian")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong name or password.")
    expect(page.get_by_label("Name")).to_have_value("ian")

    page.get_by_label("Password").fill(PASSWORDS["ian"])
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Welcome, ian")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("You are logged in as ian with the role instructor.")
    assert page.url.endswith("/console/")
    [session] = [c for c in page.context.cookies() if c["name"] == "etude_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"

    page.get_by_role("button", name="Log out").click()

    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert page.url.endswith("/console/login")
    page.goto("/console/")
    expect(page.get_by_text("Log in to see this page.")).to_be_visible()


def test_an_instructor_finds_the_conversations_with_fallbacks_reads_one_and_exports_it(page: Page) -> None:
    browser_log_in(page, "ian")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Conversations").click()

    expect(page.get_by_role("heading", name="Conversations", exact=True)).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(5)  # the header and four learners
    page.get_by_label("Only with fallbacks").check()
    page.get_by_role("button", name="Filter").click()

    expect(table.get_by_role("row")).to_have_count(2)
    expect(table).to_contain_text("Conversations 1–1 of 1")
    assert "fallbacks=1" in page.url
    table.get_by_role("link", name="tg:1001").click()

    expect(page.get_by_role("heading", name="Conversation of tg:1001")).to_be_visible()
    first = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Turn 1"))
    expect(first.get_by_role("heading", name="Turn 1")).to_contain_text("fallback")
    expect(first).to_contain_text("blorp the snorf")
    expect(first.locator("dd").nth(0)).to_have_text("nlu_fallback")
    expect(first.locator("dd").nth(1)).to_have_text("0.30 (low: below 0.60)")

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    saved = download.value
    assert saved.suggested_filename.startswith("etude-tg_1001-") and saved.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(saved.path()).read_text(encoding="utf-8"))))
    assert [(row["seq"], row["intent"]) for row in rows] == [("1", "nlu_fallback"), ("2", "too_hard"),
                                                             ("3", "greet")]
