"""The NLU models page in a real browser (headless Chromium): an admin retrains (a test double
trains in a second), watches the page refresh until the new version is active, and rolls back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bot.app import create_app
from bot.store import ConversationStore
from nlu.service import nlu_versions
from tests.bot.accounts import browser_log_in, echo, users_on
from tests.bot.browser import needs_chromium, served_page
from tests.bot.nlu_fakes import FakeTrainer, Served, VersionNLU, fake_admin, write_version

pytestmark = needs_chromium
OLDER, NEWER = "20250301-100000", "20250301-110000"


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    for version in (OLDER, NEWER):
        write_version(tmp_path, version)
        nlu_versions(tmp_path).activate(version)
    release = threading.Event()
    admin = fake_admin(tmp_path, Served(VersionNLU(NEWER)), FakeTrainer(release=release))
    submit = admin.runner.submit

    def submit_then_release(*args, **kwargs):  # the training takes a second: the page shows it running
        job = submit(*args, **kwargs)
        threading.Timer(1.0, release.set).start()
        return job

    admin.runner.submit = submit_then_release  # type: ignore[method-assign]
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        auth = users_on(store)
        app = create_app(echo, media_dir=tmp_path / "media", auth=auth, nlu_admin=admin)
        with served_page(app) as page:
            yield page


def test_an_admin_retrains_sees_the_new_version_active_and_rolls_back(page: Page) -> None:
    browser_log_in(page, "ada")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="NLU models").click()

    expect(page.get_by_role("heading", name="NLU models")).to_be_visible()
    versions = page.get_by_role("table")
    expect(versions.get_by_role("row").filter(has_text=NEWER)).to_contain_text("active")
    page.get_by_role("button", name="Retrain").click()

    expect(page.get_by_role("status")).to_contain_text("Retraining started.")
    expect(page.locator("#job-state")).to_contain_text("succeeded")  # after the page refreshed itself
    expect(page.locator("#job-result")).to_contain_text("activated")
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(4)  # the header and three versions
    newest = rows.nth(1)
    expect(newest).to_contain_text("active")
    expect(newest).to_contain_text("0.95")
    expect(rows.filter(has_text=NEWER).get_by_role("button", name=f"Activate {NEWER}")).to_be_visible()

    page.get_by_role("button", name=f"Roll back to {NEWER}").click()

    expect(page.get_by_role("status")).to_contain_text(f"Rolled back: version {NEWER} is active now.")
    expect(page.get_by_role("table").get_by_role("row").filter(has_text=NEWER)).to_contain_text("active")
    expect(page.get_by_role("table").get_by_role("row").nth(1).get_by_role("button")).to_be_visible()
