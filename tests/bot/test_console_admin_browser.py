"""The knowledge graph and recommender pages in a real browser (headless Chromium): an admin ingests
a short text and sees the job finish with the new triple listed, then retrains the recommender and
sees the new version active. The extractor reads canned triples and the trainer is a test double,
each taking about a second, so the pages show the job running and refresh themselves."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bot.app import create_app
from bot.jobs import JobRunner
from bot.kg_admin import KGAdmin
from bot.store import ConversationStore
from tests.bot.accounts import browser_log_in, echo, users_on
from tests.bot.browser import needs_chromium, served_page
from tests.bot.kg_fakes import PRICE, CannedExtractor
from tests.bot.rec_fakes import FakeRecTrainer, fake_rec_admin, write_rec_version
from tests.kg.test_extract import fixture_graph

pytestmark = needs_chromium
OLDER = "20250301-100000"


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    write_rec_version(tmp_path, OLDER, ndcg=0.5, activate=True)
    runner = JobRunner()  # one for both, as in the service
    slow = CannedExtractor(before=lambda text: time.sleep(1.0))  # reading takes a second
    kg_admin = KGAdmin(fixture_graph(), extractor=lambda: slow, history=tmp_path / "kg" / "ingests.jsonl",
                       runner=runner)
    release = threading.Event()
    rec_admin = fake_rec_admin(tmp_path, FakeRecTrainer(release=release), runner=runner)
    submit = runner.submit

    def submit_then_release(kind, *args, **kwargs):  # the training takes a second: the page shows it running
        job = submit(kind, *args, **kwargs)
        if kind == "recommender retraining":
            threading.Timer(1.0, release.set).start()
        return job

    runner.submit = submit_then_release  # type: ignore[method-assign]
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        auth = users_on(store)
        app = create_app(echo, media_dir=tmp_path / "media", auth=auth, kg_admin=kg_admin,
                         rec_admin=rec_admin)
        with served_page(app) as page:
            yield page


def test_an_admin_ingests_a_text_then_retrains_the_recommender(page: Page) -> None:
    browser_log_in(page, "ada")
    nav = page.get_by_role("navigation", name="Console")
    nav.get_by_role("link", name="Knowledge graph").click()

    expect(page.get_by_role("heading", name="Knowledge graph", level=1)).to_be_visible()
    page.get_by_label("Source name").fill("liner notes.txt")
    page.get_by_label("Text (UTF-8, up to 200 KB)").fill(f"From the liner notes. {PRICE}")
    page.get_by_role("button", name="Ingest").click()

    expect(page.get_by_role("status")).to_contain_text("Ingest started.")
    expect(page.locator("#job-state")).to_contain_text("succeeded")  # after the page refreshed itself
    expect(page.locator("#job-result")).to_contain_text("1 triple(s) and 2 new node(s) added")
    added = page.locator("#added-triples").get_by_role("row").nth(1)
    for shown in ("Florence Price", "STUDIED_WITH", "George Chadwick", "0.93", PRICE):
        expect(added).to_contain_text(shown)
    expect(page.locator("#ingest-history")).to_contain_text("text:liner_notes.txt")

    nav.get_by_role("link", name="Recommender").click()
    expect(page.get_by_role("table").get_by_role("row").filter(has_text=OLDER)).to_contain_text("active")
    page.get_by_label("Epochs", exact=False).fill("2")
    page.get_by_role("button", name="Retrain").click()

    expect(page.get_by_role("status")).to_contain_text("Retraining started.")
    expect(page.locator("#job-state")).to_contain_text("succeeded")
    expect(page.locator("#job-result")).to_contain_text("activated")
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(3)  # the header and two versions
    expect(rows.nth(1)).to_contain_text("active")
    expect(rows.nth(1)).to_contain_text("ndcg@10 0.6")
    expect(page.get_by_role("button", name=f"Roll back to {OLDER}")).to_be_visible()
