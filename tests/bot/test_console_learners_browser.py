"""The Learners pages in a real browser (headless Chromium): an instructor finds a learner and sees
their progress drawn over the prerequisite graph."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from actions.services import services
from bot.app import create_app
from bot.learner_data import StoredLearnerData
from bot.service import load_dialogue
from bot.store import ConversationStore
from tests.bot.accounts import browser_log_in, echo, users_on
from tests.bot.browser import needs_chromium, served_page
from tests.bot.classroom import fill_class
from tests.bot.progress_class import MASTERED, NOW, save_clara

pytestmark = needs_chromium


@pytest.fixture
def page(tutor_home: Path, tmp_path: Path) -> Iterator[Page]:
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        auth = users_on(store)
        fill_class(store)
        save_clara(store)
        data = StoredLearnerData(store, load_dialogue()[0], services().graph, clock=NOW.timestamp)
        app = create_app(echo, media_dir=tmp_path / "media", auth=auth, learner_data=data)
        with served_page(app) as page:
            yield page


def test_an_instructor_opens_a_learner_and_sees_the_graph_with_a_mastered_concept(page: Page) -> None:
    browser_log_in(page, "ian")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Learners").click()

    expect(page.get_by_role("heading", name="Learners", exact=True)).to_be_visible()
    page.get_by_label("Learner contains").fill("clara")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("table").get_by_role("link", name="web:clara").click()

    expect(page.get_by_role("heading", name="Progress of web:clara")).to_be_visible()
    graph = page.get_by_role("img", name="Progress of web:clara over the prerequisite graph")
    expect(graph).to_be_visible()
    fifth = graph.locator(f'g.node[data-concept="{MASTERED}"]')
    expect(fifth).to_be_visible()
    expect(fifth.locator("text.status")).to_have_text("mastered · 100%")
    box = fifth.bounding_box()
    assert box is not None and box["width"] > 100  # drawn, at its size
    progress = page.get_by_role("table", name="Progress of web:clara by concept")
    expect(progress.get_by_role("row", name="perfect fifth mastered")).to_contain_text("100%")
    expect(page.get_by_text("Next lesson: major third")).to_be_visible()
