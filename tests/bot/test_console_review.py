"""The review queue: which turns wait for review and why (in SQL, on SQLite and PostgreSQL), the review
form (prefill, corrections, refusals), how reviews and corrections are stored, and the export of the
corrections as Rasa-format training data that the project's own loader reads back.

The class is `tests/bot/classroom.py`'s, plus cleo, who asks about a canon and then finds it too hard.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from bot.app import create_app
from bot.console.conversations import InvalidFilter
from bot.console.review import (
    EntityRow,
    QueueQuery,
    check_correction,
    export_training_data,
    find_span,
    latest_corrections,
    load_review,
    review_queue,
    save_correction,
    skip_turn,
)
from bot.store import ConversationStore
from nlu.data import load_nlu
from tests.bot.accounts import Clock, add_users, csrf_of, echo, log_in, make_auth
from tests.bot.classroom import DAY1, fill_class, say

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(database_url: str) -> Iterator[ConversationStore]:
    with ConversationStore(database_url) as opened:
        yield opened


@pytest.fixture
def school(store: ConversationStore) -> ConversationStore:
    fill_class(store)
    say(store, "web:cleo", "play me a canon", "ask_example", ("concept", "canon"), confidence=0.9,
        channel="web", at=DAY1 + timedelta(days=6))
    say(store, "web:cleo", "way too hard", "too_hard", channel="web", at=DAY1 + timedelta(days=6, minutes=1))
    return store


@pytest.fixture
def instructor(school: ConversationStore, tmp_path: Path) -> TestClient:
    """ian, an instructor, logged in to the console of an app over the school's store."""
    clock = Clock(NOW)
    auth = make_auth(school, clock)
    add_users(auth, clock)
    client = TestClient(create_app(echo, media_dir=tmp_path / "media", auth=auth))
    assert log_in(client, "ian").status_code == 303
    return client


def queued(store: ConversationStore, **query: str) -> list[tuple[str, list[str]]]:
    return [(row.text, row.reasons) for row in review_queue(store, QueueQuery.from_query(query)).rows]


def turn_id(store: ConversationStore, words: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT id FROM turns WHERE text = :t"), {"t": words}).scalar_one())


# --- the queue ----------------------------------------------------------------------------------


def test_the_queue_holds_fallbacks_unsure_turns_and_turns_followed_by_negative_feedback(
    school: ConversationStore,
) -> None:
    assert queued(school) == [
        ("play me a canon", ["negative"]),  # cleo's next turn is too_hard
        ("explain sonata form", ["low_confidence"]),  # 0.55 < 0.6; bob's "no" after it is not negative
        ("blorp the snorf", ["fallback", "low_confidence", "negative"]),
    ]


@pytest.mark.parametrize(("query", "texts"), [
    ({"reason": "fallback"}, ["blorp the snorf"]),
    ({"reason": "low_confidence"}, ["explain sonata form", "blorp the snorf"]),
    ({"reason": "negative"}, ["play me a canon", "blorp the snorf"]),
    ({"threshold": "0.5"}, ["play me a canon", "blorp the snorf"]),
    ({"threshold": "0.94", "reason": "low_confidence"},
     ["play me a canon", "explain sonata form", "blorp the snorf", "what is a fugue?"]),
])
def test_the_queue_filters_by_reason_and_threshold(school: ConversationStore, query: dict[str, str],
                                                    texts: list[str]) -> None:
    assert [words for words, _ in queued(school, **query)] == texts


@pytest.mark.parametrize(("query", "reason"), [
    ({"threshold": "1.5"}, "between 0 and 1"),
    ({"threshold": "nan"}, "between 0 and 1"),
    ({"threshold": "low"}, "a number"),
    ({"reason": "boredom"}, "reason must be one of"),
])
def test_a_queue_filter_that_makes_no_sense_is_refused(query: dict[str, str], reason: str) -> None:
    with pytest.raises(InvalidFilter, match=reason):
        QueueQuery.from_query(query)


def test_a_reviewed_turn_leaves_the_queue_whether_corrected_or_skipped(school: ConversationStore) -> None:
    skip_turn(school, turn_id(school, "blorp the snorf"), None, NOW)
    canon = turn_id(school, "play me a canon")
    save_correction(school, canon, "play me a canon", "ask_example", [], None, NOW)

    assert queued(school) == [("explain sonata form", ["low_confidence"])]


def test_the_queue_pages_by_fifty_newest_first(store: ConversationStore) -> None:
    for n in range(55):
        say(store, f"web:l{n % 3}", f"mumble {n}", "nlu_fallback", at=DAY1 + timedelta(minutes=n))

    first, second = (review_queue(store, QueueQuery(), page) for page in (1, 2))

    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (55, 2, 50, 5)
    assert first.rows[0].text == "mumble 54" and second.rows[-1].text == "mumble 0"


def test_the_queue_page_lists_each_turn_with_its_parse_reasons_and_links(instructor: TestClient,
                                                                          school: ConversationStore) -> None:
    page = instructor.get("/console/review")

    assert page.status_code == 200
    html = page.text
    assert "Turns 1–3 of 3 to review" in html
    bob = turn_id(school, "explain sonata form")
    assert f'href="/console/review/{bob}"' in html
    assert 'href="/console/conversations/user%3Abob#turn-1"' in html
    assert "concept: “sonata form”" in html and "0.55" in html and "⚠ low confidence" in html
    assert '<a href="/console/review">Review</a>' in html  # in the console's menu

    bad = instructor.get("/console/review?reason=boredom")
    assert bad.status_code == 422 and "reason must be one of" in bad.text


# --- the form -----------------------------------------------------------------------------------


def test_the_form_shows_the_text_and_is_prefilled_from_the_predicted_parse(instructor: TestClient,
                                                                          school: ConversationStore) -> None:
    page = instructor.get(f"/console/review/{turn_id(school, 'explain sonata form')}")

    assert page.status_code == 200
    html = page.text
    assert "explain sonata form" in html
    assert re.search(r'<option value="explain_concept" selected>', html)
    assert 'name="words-1" value="sonata form"' in html
    assert re.search(r'<option value="concept" selected>concept</option>', html)
    assert 'name="words-4" value=""' in html and 'name="words-5"' not in html  # three rows to add entities
    assert '<option value="out_of_scope"' in html and '<option value="too_hard"' in html


def post_review(client: TestClient, turn: int, **fields: str) -> object:
    form = client.get(f"/console/review/{turn}")
    return client.post(f"/console/review/{turn}", data={"csrf_token": csrf_of(form.text), **fields},
                       follow_redirects=False)


def test_a_correction_of_intent_and_entities_is_saved_and_the_turn_leaves_the_queue(
    instructor: TestClient, school: ConversationStore
) -> None:
    turn = turn_id(school, "blorp the snorf")
    answer = post_review(instructor, turn, action="save", intent="out_of_scope", **{
        "words-1": "snorf", "type-1": "work", "occurrence-1": "", "words-2": "", "type-2": "concept"})

    assert answer.status_code == 303 and answer.headers["location"] == f"/console/review?reviewed={turn}"
    review = load_review(school, turn)
    assert review is not None and (review.status, review.reviewer) == ("corrected", "ian")
    assert review.correction == {"intent": "out_of_scope",
                                 "entities": [{"start": 10, "end": 15, "value": "snorf", "entity": "work"}]}
    assert "blorp the snorf" not in [row.text for row in review_queue(school, QueueQuery()).rows]
    again = instructor.get(f"/console/review/{turn}").text  # the form now shows the correction
    assert 'name="words-1" value="snorf"' in again and "corrected by ian" in again


def test_words_not_in_the_text_are_refused_on_the_form_with_the_reason(instructor: TestClient,
                                                                        school: ConversationStore) -> None:
    turn = turn_id(school, "explain sonata form")
    answer = post_review(instructor, turn, action="save", intent="explain_concept",
                         **{"words-1": "Sonata Form", "type-1": "concept", "words-2": "form", "type-2": ""})

    assert answer.status_code == 422
    assert "“Sonata Form” is not in the text" in answer.text and "Entity 2: choose its type." in answer.text
    assert 'name="words-1" value="Sonata Form"' in answer.text  # what was typed is kept
    assert load_review(school, turn).status is None  # type: ignore[union-attr]


def test_the_form_refuses_a_post_without_the_csrf_token(instructor: TestClient,
                                                         school: ConversationStore) -> None:
    turn = turn_id(school, "explain sonata form")
    answer = instructor.post(f"/console/review/{turn}", data={"action": "skip"}, follow_redirects=False)

    assert answer.status_code == 403 and "Form expired" in answer.text
    assert load_review(school, turn).status is None  # type: ignore[union-attr]


def test_skip_marks_the_turn_reviewed_without_a_correction(instructor: TestClient,
                                                           school: ConversationStore) -> None:
    turn = turn_id(school, "play me a canon")
    answer = post_review(instructor, turn, action="skip", intent="")

    assert answer.status_code == 303
    review = load_review(school, turn)
    assert review is not None and (review.status, review.correction) == ("skipped", None)
    assert "Your review of turn" in instructor.get(answer.headers["location"]).text


def test_an_unknown_turn_is_a_404_page(instructor: TestClient) -> None:
    for path in ("/console/review/99999", "/console/review/abc"):
        answer = instructor.get(path)
        assert answer.status_code == 404 and "No such turn" in answer.text


def test_the_transcript_links_each_turn_to_its_review(instructor: TestClient,
                                                      school: ConversationStore) -> None:
    html = instructor.get("/console/conversations/tg%3A1001").text
    assert f'href="/console/review/{turn_id(school, "blorp the snorf")}">Review this turn' in html


@pytest.mark.parametrize(("words", "occurrence", "span"), [
    ("fifth", "", (6, 11)),
    ("the", "2", (21, 24)),
    ("the", "1", (2, 5)),
])
def test_find_span_locates_the_words_and_picks_the_occurrence(words: str, occurrence: str,
                                                              span: tuple[int, int]) -> None:
    assert find_span("a the fifth and then the other", words, occurrence) == span


@pytest.mark.parametrize(("words", "occurrence", "reason"), [
    ("sixth", "", "is not in the text"),
    ("the", "", "occurs 2 times in the text: say which one"),
    ("the", "3", "a number from 1 to 2"),
    ("the", "x", "a number from 1 to 2"),
])
def test_find_span_refuses_what_it_cannot_place(words: str, occurrence: str, reason: str) -> None:
    from bot.console.review import CorrectionError

    with pytest.raises(CorrectionError, match=reason):
        find_span("a the fifth and then the other", words, occurrence)


def test_overlapping_entities_and_unknown_intents_are_refused() -> None:
    entities, problems = check_correction("the perfect fifth", "explain_it", [
        EntityRow("perfect fifth", "concept"), EntityRow("fifth", "concept")])

    assert entities == [{"start": 4, "end": 17, "value": "perfect fifth", "entity": "concept"}]
    assert [row for row, _ in problems] == [0, 2]
    assert "overlaps “perfect fifth”" in problems[1][1]


# --- storage ------------------------------------------------------------------------------------


def test_corrections_keep_their_history_and_the_latest_one_is_exported(school: ConversationStore) -> None:
    turn = turn_id(school, "explain sonata form")
    save_correction(school, turn, "explain sonata form", "explain_concept", [], None, NOW)
    save_correction(school, turn, "explain sonata form", "explain_concept",
                    [{"start": 8, "end": 19, "value": "sonata form", "entity": "concept"}], None,
                    NOW + timedelta(minutes=1))

    with school.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM corrections")).scalar_one() == 2
        assert conn.execute(text("SELECT count(*) FROM reviews")).scalar_one() == 1
    [latest] = latest_corrections(school)
    assert latest["entities"] == [{"start": 8, "end": 19, "value": "sonata form", "entity": "concept"}]

    skip_turn(school, turn, None, NOW + timedelta(minutes=2))  # a later skip withdraws it from training
    assert latest_corrections(school) == []


def test_the_migration_adds_and_removes_the_review_tables(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from bot.store import MIGRATIONS_DIR

    url = f"sqlite:///{tmp_path / 'etude.db'}"
    with ConversationStore(url) as store:
        fill_class(store)
        skip_turn(store, turn_id(store, "hello"), None, NOW)
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = create_engine(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0003")
    assert {"reviews", "corrections"}.isdisjoint(inspect(engine).get_table_names())
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    assert {"reviews", "corrections", "turns"} <= set(inspect(engine).get_table_names())
    engine.dispose()
    with ConversationStore(url) as store:
        assert len(review_queue(store, QueueQuery()).rows) == 2  # turns kept, reviews gone


# --- export -------------------------------------------------------------------------------------


def test_the_export_is_rasa_nlu_data_grouped_by_intent_that_the_loader_reads_back(tmp_path: Path) -> None:
    found = [
        {"text": "what is a perfect fifth", "intent": "explain_concept",
         "entities": [{"start": 10, "end": 23, "value": "perfect fifth", "entity": "concept"}]},
        {"text": "hi there", "intent": "greet", "entities": []},
        {"text": "play bach on the piano", "intent": "ask_example",
         "entities": [{"start": 5, "end": 9, "value": "bach", "entity": "person"},
                      {"start": 17, "end": 22, "value": "piano", "entity": "instrument"}]},
        {"text": "explain fugue", "intent": "explain_concept",
         "entities": [{"start": 8, "end": 13, "value": "fugue", "entity": "concept"}]},
    ]
    exported = export_training_data(found)

    document = yaml.safe_load(exported)
    assert document["version"] == "3.1"
    assert [block["intent"] for block in document["nlu"]] == ["ask_example", "explain_concept", "greet"]
    assert document["nlu"][1]["examples"] == (
        "- what is a [perfect fifth](concept)\n- explain [fugue](concept)\n"
    )
    assert "examples: |" in exported
    path = tmp_path / "corrections.yml"
    path.write_text(exported, encoding="utf-8")
    loaded = {(e.text, e.intent, tuple((x.start, x.end, x.entity, x.value) for x in e.entities))
              for e in load_nlu(path).examples}
    assert loaded == {(c["text"], c["intent"], tuple((x["start"], x["end"], x["entity"], x["value"])
                                                     for x in c["entities"])) for c in found}


def test_the_export_defuses_brackets_parentheses_and_line_breaks(tmp_path: Path) -> None:
    words = "  is [a](concept) chord (like C) ok?\nthe C\u2028major one"
    start = words.index("C)")
    found = [{"text": words, "intent": "explain_concept",
              "entities": [{"start": start, "end": start + 1, "value": "C", "entity": "concept"},
                           {"start": words.index("major"), "end": words.index("major") + 5, "value": "major",
                            "entity": "concept"}]}]
    path = tmp_path / "corrections.yml"
    path.write_text(export_training_data(found), encoding="utf-8")

    [example] = load_nlu(path).examples
    assert example.text == "is (a)(concept) chord (like C) ok? the C major one"
    assert [(example.text[e.start:e.end], e.entity) for e in example.entities] == [("C", "concept"),
                                                                                   ("major", "concept")]


def test_the_export_route_downloads_the_corrections(instructor: TestClient,
                                                    school: ConversationStore) -> None:
    turn = turn_id(school, "explain sonata form")
    post_review(instructor, turn, action="save", intent="explain_concept",
                **{"words-1": "sonata form", "type-1": "concept"})

    answer = instructor.get("/console/review/export.yml")

    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/yaml")
    assert 'filename="etude-corrections-20250310T120000Z.yml"' in answer.headers["content-disposition"]
    assert yaml.safe_load(answer.text)["nlu"] == [{"intent": "explain_concept",
                                                   "examples": "- explain [sonata form](concept)\n"}]


def test_the_cli_exports_the_corrections_to_a_file(school: ConversationStore, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import app
    from bot.settings import get_settings

    blorp = turn_id(school, "blorp the snorf")
    save_correction(school, blorp, "blorp the snorf", "out_of_scope", [], None, NOW)
    monkeypatch.setenv("ETUDE_DATABASE_URL", school.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        out = tmp_path / "corrections.yml"
        result = CliRunner().invoke(app, ["nlu", "export-corrections", "--out", str(out), "--json"])
        assert result.exit_code == 0, result.output
        assert yaml.safe_load(result.stdout.strip().splitlines()[-1]) == {
            "examples": 1, "intents": 1, "out": str(out)}
        assert [(e.text, e.intent) for e in load_nlu(out).examples] == [("blorp the snorf", "out_of_scope")]

        printed = CliRunner().invoke(app, ["nlu", "export-corrections"])
        assert printed.exit_code == 0 and "- blorp the snorf" in printed.stdout
    finally:
        get_settings.cache_clear()
