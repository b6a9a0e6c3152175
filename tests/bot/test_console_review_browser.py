"""The review queue in a real browser (headless Chromium): an instructor corrects a turn the NLU did
not understand and downloads the corrections as training data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from bot.app import create_app
from bot.store import ConversationStore
from tests.bot.accounts import browser_log_in, echo, users_on
from tests.bot.browser import needs_chromium, served_page
from tests.bot.classroom import fill_class

pytestmark = needs_chromium


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        auth = users_on(store)
        fill_class(store)
        app = create_app(echo, media_dir=tmp_path / "media", auth=auth)
        with served_page(app, accept_downloads=True) as page:
            yield page


def test_an_instructor_corrects_a_fallback_turn_and_downloads_the_training_data(page: Page) -> None:
    browser_log_in(page, "ian")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Review").click()

    expect(page.get_by_role("heading", name="Review", exact=True)).to_be_visible()
    table = page.get_by_role("table")
    expect(table).to_contain_text("Turns 1–2 of 2 to review")
    row = table.get_by_role("row").filter(has_text="blorp the snorf")
    expect(row).to_contain_text("fallback")
    row.get_by_role("link", name="Review").click()

    expect(page.get_by_role("heading", name="Review turn")).to_be_visible()
    page.get_by_label("Intent the learner meant").select_option("ask_example")
    entity = page.get_by_role("group", name="Entity 1")
    entity.get_by_label("Words").fill("snorf!")
    entity.get_by_label("Type").select_option("work")
    page.get_by_role("button", name="Save the correction").click()

    expect(page.get_by_role("alert")).to_contain_text("“snorf!” is not in the text")
    page.get_by_role("group", name="Entity 1").get_by_label("Words").fill("snorf")
    page.get_by_role("button", name="Save the correction").click()

    expect(page.get_by_role("status")).to_contain_text("was saved")
    expect(page.get_by_role("table")).to_contain_text("Turns 1–1 of 1 to review")
    expect(page.get_by_role("table")).not_to_contain_text("blorp the snorf")

    with page.expect_download() as download:
        page.get_by_role("link", name="download the corrections").click()
    saved = download.value
    name = saved.suggested_filename
    assert name.startswith("etude-corrections-") and name.endswith(".yml")
    document = yaml.safe_load(Path(saved.path()).read_text(encoding="utf-8"))
    assert document == {"version": "3.1",
                        "nlu": [{"intent": "ask_example", "examples": "- blorp the [snorf](work)\n"}]}
