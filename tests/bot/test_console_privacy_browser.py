"""Erasing a learner on the console in a real browser (headless Chromium): an admin opens a learner,
confirms by typing their id, and the learner is gone from the Learners and Conversations lists."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from actions.services import services
from bot.app import create_app
from bot.learner_data import StoredLearnerData
from bot.privacy import Eraser
from bot.service import load_dialogue
from bot.store import ConversationStore
from tests.bot.accounts import browser_log_in, echo, users_on
from tests.bot.browser import needs_chromium, served_page
from tests.bot.progress_class import CLARA, NOW, save_clara

pytestmark = needs_chromium
OTHER = "web:dora"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        save_clara(store)
        save_clara(store)  # a second turn
        yield store


@pytest.fixture
def page(store: ConversationStore, tutor_home: Path, tmp_path: Path) -> Iterator[Page]:
    from bot.store import Turn

    store.save_turn(Turn(OTHER, "web", "s", "hello", {}, [], [], [], NOW, NOW))
    auth = users_on(store)
    data = StoredLearnerData(store, load_dialogue()[0], services().graph, clock=NOW.timestamp)
    app = create_app(echo, media_dir=tmp_path / "media", auth=auth, learner_data=data,
                     eraser=Eraser(store, tmp_path / "recordings"))
    with served_page(app) as page:
        yield page


def test_an_admin_erases_a_learner_after_confirming_and_the_learner_is_gone(
    page: Page, store: ConversationStore
) -> None:
    browser_log_in(page, "ada")
    page.goto("/console/learners")
    page.get_by_role("table").get_by_role("link", name=CLARA).click()
    expect(page.get_by_role("heading", name=f"Progress of {CLARA}")).to_be_visible()
    erase = page.get_by_role("button", name="Delete this learner's data")

    page.get_by_label("Type the learner's id").fill("web:someone-else")
    erase.click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was deleted")
    assert CLARA in store.senders()
    page.get_by_role("link", name="Back to the learner").click()
    page.get_by_label("Type the learner's id").fill(CLARA)
    page.get_by_role("button", name="Delete this learner's data").click()

    expect(page.get_by_role("heading", name="Learners", exact=True)).to_be_visible()
    learners = page.get_by_role("table")
    expect(learners.get_by_role("link", name=OTHER)).to_be_visible()
    expect(learners.get_by_role("link", name=CLARA)).to_have_count(0)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Conversations").click()
    expect(page.get_by_role("link", name=OTHER)).to_be_visible()
    expect(page.get_by_role("link", name=CLARA)).to_have_count(0)
    assert store.senders() == [OTHER] and store.behavior(CLARA) == []


def test_an_instructor_sees_no_way_to_erase_a_learner(page: Page) -> None:
    browser_log_in(page, "ian")
    page.goto(f"/console/learners/{CLARA}")

    expect(page.get_by_role("heading", name=f"Progress of {CLARA}")).to_be_visible()
    expect(page.get_by_role("button", name="Delete this learner's data")).to_have_count(0)
