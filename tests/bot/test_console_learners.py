"""The instructor's Learners pages: who is learning what, one learner's progress drawn over the
prerequisite graph (an SVG laid out on the server, and the same as a table), their quiz and practice
history, what the tutor will recommend next and why, and the JSON export.

clara (`tests/bot/progress_class.py`) has mastered perfect fifths, mastered note names two months ago
(now due for review) and answered one triad question wrong; the four learners of
`tests/bot/classroom.py` only chatted. Progress comes from the tutor's own learner model, over the
curriculum's prerequisites, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from actions.services import services
from bot.app import create_app
from bot.console.learners import learner_report, list_learners
from bot.console.prerequisite_graph import MAX_NODES, concepts_to_draw, crossings, layered_layout
from bot.learner_data import StoredLearnerData
from bot.service import load_dialogue
from bot.store import ConversationStore
from tests.bot.accounts import Clock, add_users, echo, log_in, make_auth
from tests.bot.classroom import DAY1, fill_class, say
from tests.bot.progress_class import CLARA, DUE, IN_PROGRESS, MASTERED, NOW, save_clara

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def store(database_url: str, tutor_home: Path) -> Iterator[ConversationStore]:
    with ConversationStore(database_url) as opened:
        fill_class(opened)
        save_clara(opened)
        yield opened


@pytest.fixture
def data(store: ConversationStore) -> StoredLearnerData:
    domain, _ = load_dialogue()
    return StoredLearnerData(store, domain, services().graph, clock=NOW.timestamp)


@pytest.fixture
def instructor(store: ConversationStore, data: StoredLearnerData, tmp_path: Path) -> TestClient:
    """ian, an instructor, logged in to the console of an app over `store`."""
    clock = Clock()
    auth = make_auth(store, clock)
    add_users(auth, clock)
    client = TestClient(create_app(echo, media_dir=tmp_path / "media", auth=auth, learner_data=data))
    assert log_in(client, "ian").status_code == 303
    return client


# --- the layout, as a unit ----------------------------------------------------------------------

# A small curriculum: c needs a and b, d needs c, e needs a; f needs d and e (so f's longest chain
# below it is a → c → d → f).
REQUIRES = {"a": [], "b": [], "c": ["a", "b"], "d": ["c"], "e": ["a"], "f": ["d", "e"]}


def test_a_concepts_layer_is_its_longest_prerequisite_chain_so_every_edge_goes_upwards() -> None:
    layout = layered_layout(list(REQUIRES), REQUIRES)

    assert {c: p.layer for c, p in layout.nodes.items()} == {"a": 0, "b": 0, "c": 1, "e": 1, "d": 2, "f": 3}
    assert {(e.prerequisite, e.concept) for e in layout.edges} == {
        (r, c) for c, needs in REQUIRES.items() for r in needs
    }
    for edge in layout.edges:
        assert layout.nodes[edge.prerequisite].layer < layout.nodes[edge.concept].layer
        assert edge.y1 < edge.y2  # drawn from the prerequisite's bottom to the concept's top


def test_nodes_of_a_layer_never_overlap_and_the_picture_holds_them_all() -> None:
    layout = layered_layout(list(REQUIRES), REQUIRES)

    for row in layout.layers:
        xs = [layout.nodes[c].x for c in row]
        assert xs == sorted(xs) and all(b - a >= 176 for a, b in pairwise(xs))
    assert all(p.x >= 0 and p.x + 176 <= layout.width and p.y + 46 <= layout.height
               for p in layout.nodes.values())


def test_a_layer_is_ordered_by_the_barycentre_of_what_it_builds_on_which_removes_crossings() -> None:
    # by name alone, layer 1 would be [p, q] over [y, z]: both edges would cross
    requires = {"y": [], "z": [], "p": ["z"], "q": ["y"]}

    layout = layered_layout(list(requires), requires)

    assert layout.layers == [["y", "z"], ["q", "p"]]
    assert crossings(layout) == 0


def test_a_cycle_does_not_hang_the_layout_and_its_closing_edge_is_not_drawn() -> None:
    requires = {"a": ["c"], "b": ["a"], "c": ["b"]}

    layout = layered_layout(list(requires), requires)

    assert len(layout.edges) == 2
    assert all(layout.nodes[e.prerequisite].layer < layout.nodes[e.concept].layer for e in layout.edges)


def test_drawn_concepts_are_the_recorded_ones_then_their_prerequisites_nearest_first_up_to_a_cap() -> None:
    assert concepts_to_draw(["f"], REQUIRES) == (["f", "d", "e", "c", "a", "b"], 6)
    assert concepts_to_draw(["f", "b"], REQUIRES, cap=3) == (["f", "b", "d"], 6)


def test_the_whole_curriculum_is_capped_and_still_laid_out_upwards(tutor_home: Path) -> None:
    requires = services().prerequisites.requires
    drawn, total = concepts_to_draw(sorted(requires), requires)

    assert len(drawn) == MAX_NODES and total == len(requires) > MAX_NODES
    layout = layered_layout(drawn, requires)
    assert all(layout.nodes[e.prerequisite].layer < layout.nodes[e.concept].layer for e in layout.edges)


# --- the list -----------------------------------------------------------------------------------


def test_the_list_counts_each_learners_mastery_and_graded_events_most_recently_active_first(
    data: StoredLearnerData,
) -> None:
    listing = list_learners(data)

    assert [row.sender for row in listing.rows] == [CLARA, "tg:1001", "script-7", "user:bob", "web:anna"]
    clara = listing.rows[0]
    assert (clara.mastered, clara.in_progress, clara.due) == (1, 1, 1)
    assert (clara.quiz_right, clara.quiz_wrong, clara.practice) == (10, 1, 1)
    assert clara.last_active == NOW - timedelta(minutes=20, seconds=-1)
    assert all((r.mastered, r.quiz_right, r.practice) == (0, 0, 0) for r in listing.rows[1:])


def test_the_list_page_searches_by_a_piece_of_the_id_and_links_each_learner(instructor: TestClient) -> None:
    page = instructor.get("/console/learners", params={"q": "CLAR"})

    assert page.status_code == 200
    assert "Learners 1–1 of 1" in page.text
    link = r'<th scope="row"><a href="/console/learners/web%3Aclara">web:clara</a></th>'
    row = re.search(r"<tr>\s*" + link + r"(.*?)</tr>", page.text, re.S)
    assert row is not None
    assert re.findall(r'<td class="number">(\d+)</td>', row.group(1)) == ["1", "1", "1", "10", "1", "1"]
    assert "2025-03-11 11:40" in row.group(1)

    not_a_pattern = instructor.get("/console/learners?q=%25").text
    assert "No learner matches this search." in not_a_pattern
    assert instructor.get("/console/learners", params={"q": "x" * 201}).status_code == 422
    assert instructor.get("/console/learners?page=0").status_code == 422


def test_the_list_pages_by_fifty(instructor: TestClient, store: ConversationStore) -> None:
    for k in range(50):
        say(store, f"script-{k + 100}", "hello", "greet", at=DAY1 - timedelta(days=1, minutes=k))

    first = instructor.get("/console/learners")
    second = instructor.get("/console/learners?page=2")

    assert "Learners 1–50 of 55" in first.text and 'href="/console/learners?page=2" rel="next"' in first.text
    assert "Learners 51–55 of 55" in second.text and 'rel="prev"' in second.text
    assert "script-149" in second.text and "web:clara" not in second.text


# --- one learner ------------------------------------------------------------------------------


def test_the_report_holds_the_learners_concepts_with_their_prerequisites(data: StoredLearnerData) -> None:
    report = learner_report(data, CLARA)
    by_id = {row["concept"]: row for row in report.concepts}

    assert {c: by_id[c]["status"] for c in (MASTERED, DUE, IN_PROGRESS)} == {
        MASTERED: "mastered", DUE: "due", IN_PROGRESS: "in_progress"}
    requires = services().prerequisites.requires
    for concept in by_id:  # everything shown brings what it builds on
        assert set(requires.get(concept, ())) <= set(by_id)
    assert by_id["concept:chord"]["status"] == "new"  # a prerequisite of triads not yet met
    assert not report.capped and report.total_concepts == len(by_id)


def svg_of(html: str) -> ElementTree.Element:
    found = re.search(r"<svg id=\"prerequisite-graph\".*?</svg>", html, re.S)
    assert found is not None
    return ElementTree.fromstring(found.group(0))


def test_the_learner_page_draws_the_prerequisite_graph_with_each_concepts_status(
    instructor: TestClient,
) -> None:
    page = instructor.get("/console/learners/web%3Aclara")

    assert page.status_code == 200
    svg = svg_of(page.text)
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Progress of web:clara over the prerequisite graph"
    desc = " ".join(svg.find(f"{SVG}desc").text.split())
    assert "Mastered (1): perfect fifth." in desc and "Due for review (1): note names." in desc
    nodes = {g.get("data-concept"): g for g in svg.iter(f"{SVG}g") if g.get("class") == "node"}
    labels = {c: " ".join(t.text for t in g.iter(f"{SVG}text")) for c, g in nodes.items()}
    assert labels[MASTERED] == "perfect fifth mastered · 100%"
    assert labels[DUE] == "note names due for review · 100%"
    assert labels[IN_PROGRESS] == "triad in progress · 2%"
    assert labels["concept:chord"] == "chord not started · 15%"
    statuses = {nodes[c].get("data-status") for c in (MASTERED, DUE, IN_PROGRESS)}
    assert statuses == {"mastered", "due", "in_progress"}
    fills = {nodes[c].find(f"{SVG}rect").get("fill") for c in (MASTERED, DUE, IN_PROGRESS, "concept:chord")}
    assert len(fills) == 4  # a colour per status, besides the words
    edges = {(p.get("data-from"), p.get("data-to"))
             for p in svg.iter(f"{SVG}path") if p.get("class") == "edge"}
    assert (MASTERED, IN_PROGRESS) in edges and ("concept:chord", IN_PROGRESS) in edges
    requires = services().prerequisites.requires
    assert edges == {(r, c) for c in nodes for r in requires.get(c, ()) if r in nodes}


def test_the_learner_page_gives_the_same_progress_as_a_table(instructor: TestClient) -> None:
    page = instructor.get("/console/learners/web%3Aclara").text
    table = re.search(r'<table id="progress-table">(.*?)</table>', page, re.S)
    assert table is not None
    rows = {
        name: [re.sub(r"\s+", " ", cell).strip() for cell in cells]
        for name, *cells in (
            re.findall(r"<th scope=\"row\">(.*?)</th>" + r"\s*<td[^>]*>(.*?)</td>" * 6, table.group(1), re.S)
        )
    }

    assert rows["perfect fifth"][:5] == ["mastered", "100%", "100%", "5", "0"]
    assert rows["note names"][:5] == ["due for review", "100%", "1%", "5", "0"]
    assert rows["triad"][:5] == ["in progress", "2%", "2%", "0", "1"]
    assert rows["chord"][:5] == ["not started", "15%", "15%", "0", "0"]
    assert rows["triad"][5] == "chord, major third, minor third, perfect fifth"
    assert len(rows) == len(svg_of(page).findall(f".//{SVG}g[@class='node']"))


def test_the_learner_page_lists_the_quiz_and_practice_history_most_recent_first(
    instructor: TestClient,
) -> None:
    page = instructor.get("/console/learners/web%3Aclara").text
    table = re.search(r'<table id="history-table">(.*?)</table>', page, re.S)
    assert table is not None
    rows = [[re.sub(r"<[^>]+>|\s+", " ", cell).strip() for cell in row]
            for row in re.findall(r"<tr>" + r"\s*<td[^>]*>(.*?)</td>" * 5, table.group(1), re.S)]

    assert "13 graded events, the most recent first" in table.group(1)  # the "explain" is not graded
    assert rows[0] == ["2025-03-11 11:35", "practice", "perfect fifth", "ok", "84%"]
    assert rows[1] == ["2025-03-11 11:30", "quiz answer", "triad", "wrong", "1 hint"]
    assert rows[2] == ["2025-03-11 11:29", "quiz hint", "triad", "–", "–"]
    assert rows[-1] == ["2025-01-10 12:00", "quiz answer", "note names", "correct", "0 hints"]


def test_the_learner_page_says_what_the_tutor_will_recommend_next_and_why(instructor: TestClient) -> None:
    page = instructor.get("/console/learners/web%3Aclara").text
    section = re.search(r'<section aria-labelledby="next-heading".*?</section>', page, re.S)
    assert section is not None
    said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", section.group(0)))

    # clara's goal is seventh chords: the tutor's own next_concept picks the first step on the way
    # (she works at grade 3, so grade-2 steps such as harmonic interval are taken as known)
    assert ("Next lesson: major third (grade 3), because it is the first step you haven't mastered "
            "on the way to seventh chords.") in said.replace("&#39;", "'")
    assert "Review offered: note names, mastered but fading" in said


def test_the_learner_page_links_to_the_conversation_and_back(instructor: TestClient) -> None:
    learner = instructor.get("/console/learners/web%3Aclara").text
    transcript = instructor.get("/console/conversations/web%3Aclara").text

    assert '<a href="/console/conversations/web%3Aclara">Read the conversation</a>' in learner
    assert '<a href="/console/learners/web%3Aclara">Progress of web:clara</a>' in transcript
    assert '<a href="/console/learners">Learners</a>' in learner  # the console's menu


def test_a_learner_without_graded_answers_has_a_page_saying_so(instructor: TestClient) -> None:
    page = instructor.get("/console/learners/web%3Aanna")

    assert page.status_code == 200
    assert "the tutor has no record of any concept for web:anna" in page.text
    assert "No quiz answers or practice results yet." in page.text
    assert "Next lesson:" in page.text  # the tutor still has a suggestion for a beginner


def test_an_unknown_learner_is_not_found(instructor: TestClient) -> None:
    for path in ("/console/learners/web%3Anobody", "/console/learners/web%3Anobody/export.json"):
        page = instructor.get(path)
        assert page.status_code == 404
        assert "There is no saved conversation of &#39;web:nobody&#39;." in page.text


def test_the_export_holds_progress_graph_history_and_recommendation(instructor: TestClient) -> None:
    got = instructor.get("/console/learners/web%3Aclara/export.json")

    assert got.status_code == 200 and got.headers["content-type"].startswith("application/json")
    assert re.fullmatch(r'attachment; filename="etude-progress-web_clara-\d{8}T\d{6}Z\.json"',
                        got.headers["content-disposition"])
    document = json.loads(got.text)
    assert set(document) == {"learner", "exported_at", "level", "progress", "edges", "capped",
                             "total_concepts", "history", "recommendation"}
    assert document["learner"] == CLARA and document["level"] == 3.0 and document["capped"] is False
    fifth = next(row for row in document["progress"] if row["concept"] == MASTERED)
    assert fifth == {"concept": MASTERED, "name": "perfect fifth", "status": "mastered", "p": fifth["p"],
                     "recall": fifth["recall"], "correct": 5, "wrong": 0, "inferred": False,
                     "layer": fifth["layer"]}
    assert fifth["p"] >= 0.95
    assert {"concept": IN_PROGRESS, "requires": MASTERED} in document["edges"]
    assert len(document["history"]) == 13
    assert document["history"][-1] == {"at": "2025-03-11T11:35:00+00:00", "kind": "practice_result",
                                       "kind_words": "practice", "concept": MASTERED, "name": "perfect fifth",
                                       "outcome": "ok", "value": 0.84}
    assert document["recommendation"] == {
        "concept": "concept:major_third", "name": "major third", "grade": 3,
        "reason": "it is the first step you haven't mastered on the way to seventh chords",
        "review": {"concept": DUE, "name": "note names"},
    }


def test_without_the_learner_model_the_pages_say_progress_is_not_available(
    store: ConversationStore, tmp_path: Path
) -> None:
    clock = Clock()
    auth = make_auth(store, clock)
    add_users(auth, clock)
    client = TestClient(create_app(echo, media_dir=tmp_path / "media", auth=auth))
    assert log_in(client, "ian").status_code == 303

    page = client.get("/console/learners")

    assert page.status_code == 503 and "cannot show progress" in page.text


def test_a_learner_with_too_many_concepts_is_drawn_capped_and_the_page_says_so(
    instructor: TestClient, store: ConversationStore
) -> None:
    from bot.store import Turn
    from recommender.learner.mastery import Mastery

    answered = sorted(services().prerequisites.requires)[:MAX_NODES + 10]
    mastery = Mastery({}, services().prerequisites)
    for concept in answered:
        mastery.observe(concept, 0.0, NOW.timestamp() - 600)
    slot = {"event": "slot", "name": "progress", "value": mastery.state, "timestamp": NOW.timestamp() - 600}
    store.save_turn(Turn("web:dora", "web", "s1", "how am I doing?", {}, [], [slot], [],
                         NOW - timedelta(minutes=10), NOW - timedelta(minutes=10)))

    page = instructor.get("/console/learners/web%3Adora").text

    assert len(svg_of(page).findall(f".//{SVG}g[@class='node']")) == MAX_NODES
    total = re.search(r"Only 60 of (\d+) concepts are drawn", page)
    assert total is not None and int(total.group(1)) >= MAX_NODES + 10
