"""The Graph browser in a real browser (headless Chromium): an instructor searches a concept, opens it,
recentres the drawing by clicking a neighbour in the SVG, and reads the prerequisite chain."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from bot.app import create_app
from bot.settings import REPO_ROOT
from bot.store import ConversationStore
from kg.curriculum import load_curriculum
from kg.graph import KnowledgeGraph
from tests.bot.accounts import browser_log_in, echo, users_on
from tests.bot.browser import needs_chromium, served_page
from tests.bot.tutor import build_test_graph

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    return build_test_graph(tmp_path_factory.mktemp("graph-browser"))


@pytest.fixture
def page(graph: KnowledgeGraph, tmp_path: Path) -> Iterator[Page]:
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        auth = users_on(store)
        app = create_app(echo, media_dir=tmp_path / "media", auth=auth, graph=graph)
        with served_page(app) as page:
            yield page


def test_an_instructor_searches_a_concept_recentres_on_a_neighbour_and_reads_its_chain(
    page: Page, graph: KnowledgeGraph
) -> None:
    refused: list[str] = []  # the CSP must allow the page's own style block

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", watch)
    fifth, triad = graph.entity("concept:perfect_fifth"), graph.entity("concept:triad")
    assert fifth is not None and triad is not None
    browser_log_in(page, "ian")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Graph", exact=True).click()

    page.get_by_label("Name or alias").fill("perfect fifth")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("table").get_by_role("link", name=fifth.name, exact=True).click()

    expect(page.get_by_role("heading", name=fifth.name, exact=True)).to_be_visible()
    expect(page.locator("#description")).to_have_text(fifth.props["description"])
    drawing = page.get_by_role("group", name=f"Neighbourhood of {fifth.name}")
    expect(drawing).to_be_visible()
    neighbour = drawing.get_by_role("link", name=triad.name, exact=True)
    box = neighbour.bounding_box()
    assert box is not None and box["width"] > 60  # drawn, at its size
    neighbour.click()

    expect(page).to_have_url(re.compile(r"/console/graph/node/concept:triad$"))
    expect(page.get_by_role("heading", name=triad.name, exact=True)).to_be_visible()
    expect(page.get_by_role("group", name=f"Neighbourhood of {triad.name}")
           .get_by_role("link", name=fifth.name, exact=True)).to_be_visible()
    curriculum = {c.id: c for c in load_curriculum(REPO_ROOT / "data" / "curriculum")}
    path = page.locator("#learning-path li")
    expect(path.last).to_have_text(triad.name)
    steps = path.all_inner_texts()
    for requirement in curriculum["triad"].requires:
        assert curriculum[requirement].name in steps[:-1]
    chain = page.get_by_role("group", name=f"What {triad.name} builds on, the foundations at the top")
    expect(chain.get_by_role("link", name=fifth.name, exact=True)).to_be_visible()
    assert refused == []
