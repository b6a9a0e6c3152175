"""The instructor's Conversations pages: which conversations each filter keeps (in SQL, on SQLite and
PostgreSQL), the list's pages, a transcript with its parses, and the exports.

The class (`tests/bot/classroom.py`) is four learners over five days; each test says what an
instructor asks and what they must see.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from bot.app import create_app
from bot.console.conversations import Filters, InvalidFilter, list_conversations, matching_turns
from bot.store import ConversationStore
from tests.bot.accounts import Clock, add_users, echo, log_in, make_auth
from tests.bot.classroom import DAY1, fill_class, say
from tests.bot.tutor import Chat, ScriptedNLU, make_engine


@pytest.fixture
def store(database_url: str) -> Iterator[ConversationStore]:
    with ConversationStore(database_url) as opened:
        yield opened


@pytest.fixture
def school(store: ConversationStore) -> ConversationStore:
    fill_class(store)
    return store


@pytest.fixture
def instructor(store: ConversationStore, tmp_path: Path) -> TestClient:
    """ian, an instructor, logged in to the console of an app over `store`."""
    clock = Clock()
    auth = make_auth(store, clock)
    add_users(auth, clock)
    client = TestClient(create_app(echo, media_dir=tmp_path / "media", auth=auth))
    assert log_in(client, "ian").status_code == 303
    return client


def senders(store: ConversationStore, **query: str) -> list[str]:
    return [row.sender for row in list_conversations(store, Filters.from_query(query)).rows]


# --- filters ------------------------------------------------------------------------------------

FILTERS = [
    # (the query, the conversations it keeps, most recently active first)
    ({}, ["tg:1001", "script-7", "user:bob", "web:anna"]),
    ({"learner": "ANNA"}, ["web:anna"]),
    ({"learner": "%"}, []),  # a substring, not a pattern
    ({"learner": "o"}, ["user:bob"]),
    ({"channel": "telegram"}, ["tg:1001"]),
    ({"channel": "rest"}, ["script-7", "user:bob"]),
    ({"from": "2025-03-02", "to": "2025-03-03"}, ["user:bob", "tg:1001"]),  # both days included
    ({"from": "2025-03-05"}, ["tg:1001"]),
    ({"to": "2025-03-01"}, ["web:anna"]),
    ({"intent": "explain_concept"}, ["user:bob", "web:anna"]),
    ({"intent": "too_hard"}, ["tg:1001"]),
    ({"fallbacks": "1"}, ["tg:1001"]),
    ({"max_confidence": "0.6"}, ["tg:1001", "user:bob"]),
    ({"max_confidence": "0.5"}, ["tg:1001"]),
    ({"negative": "1"}, ["tg:1001"]),  # too_hard is negative feedback; bob's "no" to a quiz is not
    # combined: every filter given must hold
    ({"max_confidence": "0.6", "channel": "rest"}, ["user:bob"]),
    ({"fallbacks": "1", "negative": "1"}, ["tg:1001"]),  # in different turns of one conversation
    ({"intent": "explain_concept", "max_confidence": "0.6"}, ["user:bob"]),
    ({"fallbacks": "1", "from": "2025-03-05"}, []),  # tg:1001's fallback was before the range
    ({"learner": "web:", "intent": "greet", "to": "2025-03-01"}, ["web:anna"]),
    ({"negative": "1", "channel": "web"}, []),
]


@pytest.mark.parametrize(("query", "expected"), FILTERS, ids=[str(q) for q, _ in FILTERS])
def test_each_filter_alone_and_combined_keeps_the_conversations_it_describes(
    school: ConversationStore, query: dict[str, str], expected: list[str]
) -> None:
    assert senders(school, **query) == expected


def test_a_listed_conversation_summarises_its_turns_within_the_date_range(school: ConversationStore) -> None:
    [everything] = list_conversations(school, Filters(learner="tg:")).rows
    assert (everything.turns, everything.fallbacks, everything.negative) == (3, 1, 1)
    assert everything.lowest_confidence == pytest.approx(0.3)
    assert everything.channels == ["telegram"]
    assert everything.first_at == DAY1 + timedelta(days=1)
    assert everything.last_at == DAY1 + timedelta(days=4, milliseconds=300)

    [last_day] = list_conversations(school, Filters.from_query({"learner": "tg:", "from": "2025-03-05"})).rows
    assert (last_day.turns, last_day.fallbacks, last_day.negative) == (1, 0, 0)
    assert last_day.lowest_confidence == pytest.approx(0.95)


@pytest.mark.parametrize(("query", "reason"), [
    ({"channel": "fax"}, "channel must be one of rest, web, telegram, shell"),
    ({"from": "yesterday"}, "from must be a date written YYYY-MM-DD"),
    ({"from": "2025-03-04", "to": "2025-03-01"}, "the date range ends before it starts"),
    ({"max_confidence": "high"}, "max_confidence must be a number between 0 and 1"),
    ({"max_confidence": "1.5"}, "max_confidence must be between 0 and 1"),
    ({"max_confidence": "nan"}, "max_confidence must be between 0 and 1"),
    ({"learner": "x" * 201}, "learner must be at most 200 printable characters"),
])
def test_a_filter_that_makes_no_sense_is_refused_with_the_reason(query: dict[str, str], reason: str) -> None:
    with pytest.raises(InvalidFilter) as refused:
        Filters.from_query(query)
    assert str(refused.value).startswith(reason)


def test_the_store_copies_each_turns_intent_and_confidence_into_columns(school: ConversationStore) -> None:
    query = text("SELECT intent, confidence FROM turns WHERE text = 'blorp the snorf'")
    with school.engine.connect() as conn:
        copied = conn.execute(query).one()
    assert copied == ("nlu_fallback", pytest.approx(0.3))


def test_the_migration_fills_in_the_intent_of_turns_saved_before_it(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from bot.store import MIGRATIONS_DIR

    url = f"sqlite:///{tmp_path / 'etude.db'}"
    with ConversationStore(url) as store:
        fill_class(store)
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.cmd_opts = None
    engine = create_engine(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    engine.dispose()

    with ConversationStore(url) as store:
        assert senders(store, fallbacks="1") == ["tg:1001"]
        assert senders(store, max_confidence="0.6") == ["tg:1001", "user:bob"]


# --- the list page ------------------------------------------------------------------------------


def test_the_list_shows_each_conversation_with_its_numbers_and_links_to_its_transcript(
    school: ConversationStore, instructor: TestClient
) -> None:
    page = instructor.get("/console/conversations", params={"fallbacks": "1"})

    assert page.status_code == 200
    assert "<h1>Conversations</h1>" in page.text
    assert "Conversations 1–1 of 1" in page.text
    assert '<a href="/console/conversations/tg%3A1001">tg:1001</a>' in page.text
    assert "user:bob" not in page.text.split("<table>")[1]
    row = page.text.split('tg%3A1001">')[1].split("</tr>")[0]
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
    assert cells == ["telegram", "2025-03-02 09:00", "2025-03-05 09:00", "3", "⚠ 1", "0.30", "yes (1)"]
    assert 'id="fallbacks" name="fallbacks" value="1" checked' in page.text
    assert 'href="/console/conversations/export.csv?fallbacks=1"' in page.text


def test_a_bad_filter_is_answered_on_the_page_with_the_reason(
    school: ConversationStore, instructor: TestClient
) -> None:
    page = instructor.get("/console/conversations", params={"max_confidence": "lots", "learner": "<b>"})

    assert page.status_code == 422
    assert 'role="alert">max_confidence must be a number' in page.text
    assert 'value="&lt;b&gt;"' in page.text  # what was typed comes back, escaped


def test_the_list_pages_by_fifty_keeping_the_filters_in_the_links(
    store: ConversationStore, instructor: TestClient
) -> None:
    for n in range(120):
        say(store, f"class-{n:03}", "hello", "greet", at=DAY1 + timedelta(minutes=n))
    say(store, "other", "hello", "greet", at=DAY1)

    first = instructor.get("/console/conversations", params={"learner": "class-"})
    assert first.text.count('<th scope="row">') == 50
    assert "Conversations 1–50 of 120" in first.text
    assert "class-119" in first.text and "class-070" in first.text and "class-069" not in first.text
    assert 'href="/console/conversations?learner=class-&amp;page=2" rel="next"' in first.text
    assert 'rel="prev"' not in first.text

    last = instructor.get("/console/conversations", params={"learner": "class-", "page": "3"})
    assert last.text.count('<th scope="row">') == 20
    caption = "Conversations 101–120 of 120, most recently active first (page 3 of 3)"
    assert caption in " ".join(last.text.split())
    assert 'href="/console/conversations?learner=class-&amp;page=2" rel="prev"' in last.text
    assert 'rel="next"' not in last.text

    assert instructor.get("/console/conversations", params={"page": "0"}).status_code == 422


# --- transcripts --------------------------------------------------------------------------------


def test_a_transcript_shows_every_turn_with_its_parse_actions_and_replies(
    school: ConversationStore, instructor: TestClient
) -> None:
    page = instructor.get("/console/conversations/web:anna")

    assert page.status_code == 200
    assert "<h1>Conversation of web:anna</h1>" in page.text
    turn = " ".join(page.text.split('id="turn-2"')[1].split())
    assert "<strong>Learner:</strong> what is a fugue?" in turn
    assert "<dt>Intent</dt> <dd>explain_concept</dd>" in turn
    assert "<dt>Confidence</dt> <dd>0.93</dd>" in turn
    assert '<th scope="row">concept</th> <td>fugue</td> <td>“fugue” (10–15)</td>' in turn
    assert "utter_explain_concept, action_listen" in turn
    assert "<strong>Tutor:</strong> A fugue is ..." in turn
    assert "[Quiz me] <code>/start_quiz</code>" in turn
    assert "Attachment (audio): <code>/media/fugue.wav</code>" in turn
    assert '<time datetime="2025-03-01T09:01:00+00:00">2025-03-01 09:01:00 UTC</time> · channel web' in turn


def test_fallbacks_and_low_confidence_are_flagged_in_words(
    school: ConversationStore, instructor: TestClient
) -> None:
    tg = instructor.get("/console/conversations/tg:1001").text
    first = tg.split('id="turn-1"')[1].split("</h2>")[0]
    assert "⚠ fallback" in first and "⚠ low confidence" in first
    assert "(low: below 0.60)" in tg
    assert "⚠ negative feedback" in tg.split('id="turn-2"')[1].split("</h2>")[0]
    assert "⚠" not in tg.split('id="turn-3"')[1].split("</h2>")[0]


def test_a_transcript_escapes_what_learners_wrote_and_takes_any_sender_id(
    store: ConversationStore, instructor: TestClient
) -> None:
    say(store, "class/7a", "<script>alert(1)</script>", "greet")

    page = instructor.get("/console/conversations/class%2F7a")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>" not in page.text
    assert 'href="/console/conversations/class%2F7a/export.csv"' in page.text

    missing = instructor.get("/console/conversations/nobody")
    assert missing.status_code == 404 and "There is no saved turn of &#39;nobody&#39;." in missing.text


def test_a_conversation_with_the_real_tutor_reads_back_as_it_happened(
    store: ConversationStore, instructor: TestClient, tutor_home: Path
) -> None:
    nlu = ScriptedNLU().says("what is a perfect fifth?", "explain_concept", ("concept", "perfect fifth"))
    chat = Chat(make_engine(nlu, store), sender="web:zoe", channel="web")
    [answer] = chat("what is a perfect fifth?")
    chat("mumble mumble")

    assert senders(store, fallbacks="1") == ["web:zoe"]
    page = " ".join(instructor.get("/console/conversations/web:zoe").text.split())
    assert "<dd>explain_concept</dd>" in page and "“perfect fifth” (10–23)" in page
    assert answer["attachment"]["payload"]["src"] in page
    assert "<dd>nlu_fallback</dd> <dt>Confidence</dt> <dd>0.30 (low: below 0.60)</dd>" in page


# --- exports ------------------------------------------------------------------------------------


def test_the_json_export_holds_the_turns_of_the_listed_conversations_with_their_parse(
    school: ConversationStore, instructor: TestClient
) -> None:
    query = {"max_confidence": "0.6", "to": "2025-03-03"}
    got = instructor.get("/console/conversations/export.json", params=query)

    assert got.status_code == 200 and got.headers["content-type"] == "application/json"
    assert re.fullmatch(r'attachment; filename="etude-conversations-\d{8}T\d{6}Z\.json"',
                        got.headers["content-disposition"])
    document = got.json()
    assert document["filters"] == {"learner": "", "channel": "", "from": None, "to": "2025-03-03",
                                   "intent": "", "fallbacks": False, "max_confidence": 0.6, "negative": False}
    assert [(t["sender"], t["seq"]) for t in document["turns"]] == [
        ("tg:1001", 1), ("tg:1001", 2), ("user:bob", 1), ("user:bob", 2)]  # tg's day-5 turn is out of range
    bob = document["turns"][2]
    assert (bob["intent"], bob["confidence"], bob["flags"]) == ("explain_concept", 0.55, ["low confidence"])
    assert bob["entities"] == [{"entity": "concept", "value": "sonata form", "start": 8, "end": 19,
                                "span": "sonata form", "confidence": 0.9}]
    assert bob["parse"]["intent"] == {"name": "explain_concept", "confidence": 0.55}
    assert bob["replies"][0]["text"] == "About explain_concept."
    listed = list_conversations(school, Filters.from_query(query)).rows
    assert len(document["turns"]) == sum(r.turns for r in listed)


def test_the_csv_export_has_a_row_per_turn_and_defuses_formulas(
    store: ConversationStore, instructor: TestClient
) -> None:
    fill_class(store)
    say(store, "-mallory", "=HYPERLINK(\"http://evil.example\")", "greet", at=DAY1 + timedelta(days=9))

    got = instructor.get("/console/conversations/export.csv", params={"learner": "mallory"})
    assert got.headers["content-type"] == "text/csv; charset=utf-8"
    assert got.headers["content-disposition"].startswith('attachment; filename="etude-conversations-')
    [header, row] = list(csv.reader(io.StringIO(got.text)))
    assert header == ["sender", "seq", "started_at", "finished_at", "channel", "session_id", "text", "intent",
                      "confidence", "flags", "entities", "actions", "replies", "parse"]
    cells = dict(zip(header, row, strict=True))
    assert cells["sender"] == "'-mallory"
    assert cells["text"] == "'=HYPERLINK(\"http://evil.example\")"
    assert (cells["intent"], cells["confidence"]) == ("greet", "0.9500")
    assert json.loads(cells["parse"])["intent"]["name"] == "greet"

    transcript = instructor.get("/console/conversations/web:anna/export.csv")
    anna = list(csv.DictReader(io.StringIO(transcript.text)))
    assert [r["seq"] for r in anna] == ["1", "2"]
    assert anna[1]["entities"] == "concept=fugue [10:15]"
    assert anna[1]["replies"] == "A fugue is ... [button: Quiz me] [audio: /media/fugue.wav]"


def test_a_transcript_exports_as_json_named_after_its_learner(
    school: ConversationStore, instructor: TestClient
) -> None:
    got = instructor.get("/console/conversations/tg:1001/export.json")
    assert re.fullmatch(r'attachment; filename="etude-tg_1001-\d{8}T\d{6}Z\.json"',
                        got.headers["content-disposition"])
    document = got.json()
    assert document["sender"] == "tg:1001"
    assert [t["intent"] for t in document["turns"]] == ["nlu_fallback", "too_hard", "greet"]
    assert instructor.get("/console/conversations/nobody/export.json").status_code == 404
    assert instructor.get("/console/conversations/export.csv", params={"channel": "fax"}).status_code == 422


def test_matching_turns_reads_only_the_matching_conversations(school: ConversationStore) -> None:
    found = matching_turns(school, Filters(negative=True))
    assert {t.sender_id for t in found} == {"tg:1001"} and len(found) == 3
