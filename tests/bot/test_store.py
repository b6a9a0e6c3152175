"""The conversation store keeps every turn the engine acknowledged, in order, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import main as alembic_main
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, select, text

from bot.store import (
    MIGRATIONS_DIR,
    BehaviorEvent,
    ConversationStore,
    StoreError,
    Turn,
    metadata,
    turns,
    upgrade_schema,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def make_turn(sender: str = "learner-1", n: int = 0, **changes) -> Turn:
    """A realistic turn: the learner asks about a concept, the engine explains it."""
    at = T0 + timedelta(seconds=n)
    values = {
        "sender_id": sender,
        "channel": "rest",
        "session_id": "session-1",
        "text": f"what is a fugue? ({n})",
        "parse": {
            "text": f"what is a fugue? ({n})",
            "intent": {"name": "ask_concept", "confidence": 0.93},
            "entities": [{"entity": "concept", "value": "fugue", "start": 10, "end": 15}],
        },
        "actions": ["action_explain_concept", "action_listen"],
        "events": [
            {"event": "user", "timestamp": at.timestamp(), "text": f"what is a fugue? ({n})"},
            {"event": "action", "timestamp": at.timestamp(), "name": "action_explain_concept"},
            {"event": "bot", "timestamp": at.timestamp(), "text": "A fugue is ..."},
            {"event": "slot", "timestamp": at.timestamp(), "name": "concept", "value": "fugue"},
            {"event": "action", "timestamp": at.timestamp(), "name": "action_listen"},
        ],
        "replies": [{"recipient_id": sender, "text": "A fugue is ...", "buttons": []}],
        "started_at": at,
        "finished_at": at + timedelta(milliseconds=250),
        "behavior": [BehaviorEvent(sender, "explain", concept="fugue", value=0.93)],
    }
    values.update(changes)
    return Turn(**values)


@pytest.fixture
def store(database_url: str) -> Iterator[ConversationStore]:
    with ConversationStore(database_url) as opened:
        yield opened


# --- round trips ---------------------------------------------------------------------------------


def test_a_saved_turn_comes_back_equal_with_its_id_and_sequence(store: ConversationStore) -> None:
    turn = make_turn()
    turn_id = store.save_turn(turn)

    assert turn.id == turn_id and turn.seq == 1
    [loaded] = store.turns("learner-1")
    assert loaded == turn
    assert loaded.started_at.tzinfo is not None and loaded.started_at.utcoffset() == timedelta(0)


def test_behavior_events_default_to_the_turns_start_and_point_at_the_turn(store: ConversationStore) -> None:
    turn = make_turn(
        behavior=[
            BehaviorEvent("learner-1", "message"),
            BehaviorEvent(
                "learner-1",
                "quiz_answer",
                concept="interval",
                outcome="correct",
                value=1.0,
                at=T0 + timedelta(seconds=5),
            ),
        ]
    )
    turn_id = store.save_turn(turn)

    message, answer = store.behavior("learner-1")
    assert (message.kind, message.at, message.turn_id) == ("message", turn.started_at, turn_id)
    assert (answer.concept, answer.outcome, answer.value, answer.at) == (
        "interval",
        "correct",
        1.0,
        T0 + timedelta(seconds=5),
    )
    assert store.turns()[0].behavior == [message, answer]


def test_times_in_any_timezone_come_back_as_the_same_instant_in_utc(store: ConversationStore) -> None:
    vienna = timezone(timedelta(hours=1))
    local = datetime(2025, 3, 1, 13, 0, 0, 123456, tzinfo=vienna)
    store.save_turn(make_turn(started_at=local, finished_at=local))

    [loaded] = store.turns()
    assert loaded.started_at == local
    assert loaded.started_at.tzinfo == UTC and loaded.started_at.hour == 12
    assert loaded.started_at.microsecond == 123456


def test_unicode_and_nested_json_survive(store: ConversationStore) -> None:
    parse = {"text": "Was ist ein Kanon? 🎼", "nested": {"list": [1, 2.5, None, True, {"deep": ["ä"]}]}}
    store.save_turn(make_turn(text="Was ist ein Kanon? 🎼", parse=parse))

    [loaded] = store.turns()
    assert loaded.text == "Was ist ein Kanon? 🎼" and loaded.parse == parse


# --- order and queries ---------------------------------------------------------------------------


def test_events_come_back_in_the_order_the_turns_were_saved_even_when_timestamps_tie(
    store: ConversationStore,
) -> None:
    for n in range(5):  # same clock reading for every turn
        store.save_turn(
            make_turn(
                n=0,
                events=[
                    {"event": "user", "timestamp": 1.0, "text": f"m{n}"},
                    {"event": "bot", "timestamp": 1.0, "text": f"r{n}"},
                ],
            )
        )
    store.save_turn(make_turn("someone-else"))

    texts = [ev["text"] for ev in store.events("learner-1")]
    assert texts == ["m0", "r0", "m1", "r1", "m2", "r2", "m3", "r3", "m4", "r4"]
    assert [t.seq for t in store.turns("learner-1")] == [1, 2, 3, 4, 5]


def test_a_sender_without_turns_has_no_events(store: ConversationStore) -> None:
    assert store.events("nobody") == []
    assert store.turns("nobody") == []
    assert store.count_turns("nobody") == 0


def test_turns_can_be_limited_to_the_latest_and_to_a_start_time(store: ConversationStore) -> None:
    for n in range(6):
        store.save_turn(make_turn("a" if n % 2 else "b", n=n))

    assert [t.started_at for t in store.turns()] == [T0 + timedelta(seconds=n) for n in range(6)]
    assert [t.text for t in store.turns("a", limit=2)] == ["what is a fugue? (3)", "what is a fugue? (5)"]
    assert [t.sender_id for t in store.turns(limit=3)] == ["a", "b", "a"]
    assert len(store.turns(since=T0 + timedelta(seconds=4))) == 2
    assert store.turns(limit=0) == []
    with pytest.raises(ValueError, match="limit"):
        store.turns(limit=-1)
    with pytest.raises(ValueError, match="naive"):
        store.turns(since=datetime(2025, 1, 1))


def test_counts_and_senders(store: ConversationStore) -> None:
    store.save_turn(make_turn("b", n=0))
    store.save_turn(make_turn("a", n=1))
    store.save_turn(make_turn("b", n=2))

    assert store.count_turns() == 3
    assert store.count_turns("b") == 2
    assert store.senders() == ["b", "a"]  # in the order they first wrote


def test_behavior_can_be_filtered_by_learner_kind_concept_and_time(store: ConversationStore) -> None:
    store.save_turn(make_turn("a", n=0, behavior=[BehaviorEvent("a", "explain", concept="fugue")]))
    store.save_turn(make_turn("a", n=1, behavior=[BehaviorEvent("a", "too_hard", concept="fugue")]))
    store.save_turn(make_turn("b", n=2, behavior=[BehaviorEvent("b", "explain", concept="canon")]))

    assert [(e.learner_id, e.kind) for e in store.behavior()] == [
        ("a", "explain"),
        ("a", "too_hard"),
        ("b", "explain"),
    ]
    assert [e.kind for e in store.behavior("a")] == ["explain", "too_hard"]
    assert [e.learner_id for e in store.behavior(kind="explain")] == ["a", "b"]
    assert [e.kind for e in store.behavior("a", "too_hard")] == ["too_hard"]
    assert [e.learner_id for e in store.behavior(concept="canon")] == ["b"]
    assert [e.learner_id for e in store.behavior(since=T0 + timedelta(seconds=1))] == ["a", "b"]


def test_behavior_outside_a_turn_is_recorded_too(store: ConversationStore) -> None:
    turn_id = store.save_turn(make_turn(behavior=[]))
    played = BehaviorEvent("learner-1", "example_played", item="bwv-846", at=T0 + timedelta(minutes=1))
    shown = BehaviorEvent("learner-1", "recommendation_shown", item="bwv-847", turn_id=turn_id)

    ids = store.add_behavior([played, shown])

    assert ids == [played.id, shown.id]
    assert [(e.kind, e.turn_id) for e in store.behavior("learner-1")] == [
        ("example_played", None),
        ("recommendation_shown", turn_id),
    ]
    assert store.behavior(kind="recommendation_shown")[0].at.tzinfo == UTC  # stamped now


# --- durability and concurrency ------------------------------------------------------------------


def test_a_saved_turn_is_there_after_a_restart(database_url: str) -> None:
    with ConversationStore(database_url) as first:
        first.save_turn(make_turn(n=0))
        first.save_turn(make_turn(n=1))
        events = first.events("learner-1")

    with ConversationStore(database_url) as restarted:
        assert restarted.events("learner-1") == events
        restarted.save_turn(make_turn(n=2))
        assert [t.seq for t in restarted.turns("learner-1")] == [1, 2, 3]


def test_a_saved_turn_is_visible_to_another_worker_at_once(database_url: str) -> None:
    with ConversationStore(database_url) as worker_a, ConversationStore(database_url) as worker_b:
        worker_a.save_turn(make_turn())
        assert worker_b.count_turns() == 1


def test_concurrent_saves_from_many_threads_lose_nothing(store: ConversationStore) -> None:
    threads, per_thread = 8, 50
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(k: int) -> None:
        try:
            start.wait()
            for n in range(per_thread):
                sender = "shared" if n % 2 else f"own-{k}"  # half the turns contend for one sender
                store.save_turn(
                    make_turn(
                        sender,
                        n=n,
                        text=f"{k}:{n}",
                        behavior=[BehaviorEvent(sender, "message", value=float(n))],
                    )
                )
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    assert errors == []
    assert store.count_turns() == threads * per_thread
    assert len(store.behavior(kind="message")) == threads * per_thread
    shared = store.turns("shared")
    assert [t.seq for t in shared] == list(range(1, threads * per_thread // 2 + 1))
    assert Counter(t.text.split(":")[0] for t in shared) == {str(k): per_thread // 2 for k in range(threads)}
    for k in range(threads):  # each thread's own turns keep that thread's order
        own = [int(t.text.split(":")[1]) for t in store.turns(f"own-{k}")]
        assert own == list(range(0, per_thread, 2))


def test_workers_starting_together_migrate_once(database_url: str) -> None:
    errors: list[BaseException] = []
    stores: list[ConversationStore] = []
    start = threading.Barrier(4)

    def open_store() -> None:
        try:
            start.wait()
            stores.append(ConversationStore(database_url))
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=open_store) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for opened in stores:
        opened.close()
    assert errors == []


def test_an_in_memory_sqlite_store_is_shared_by_threads() -> None:
    with ConversationStore("sqlite://") as store:
        workers = [
            threading.Thread(target=lambda k=k: [store.save_turn(make_turn(f"s{k}", n=n)) for n in range(10)])
            for k in range(4)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert store.count_turns() == 40


# --- bad input and failures ----------------------------------------------------------------------


class NotJson:
    pass


BAD_TURNS = {
    "object in parse": ({"parse": {"intent": NotJson()}}, "not JSON-serialisable"),
    "set in events": ({"events": [{"event": "user", "timestamp": 1.0, "tags": {"a"}}]}, "JSON"),
    "datetime in a reply": ({"replies": [{"text": "x", "at": T0}]}, "not JSON-serialisable"),
    "NaN in parse": ({"parse": {"intent": {"confidence": math.nan}}}, "finite"),
    "non-string key": ({"parse": {1: "one"}}, "not a string"),
    "event without name": ({"events": [{"timestamp": 1.0}]}, "'event'"),
    "parse not a dict": ({"parse": ["greet"]}, "dict"),
    "naive start": ({"started_at": datetime(2025, 3, 1, 12)}, "naive"),
    "finished before started": ({"finished_at": T0 - timedelta(seconds=1)}, "before"),
    "empty sender": ({"sender_id": ""}, "sender_id"),
    "sender too long": ({"sender_id": "x" * 256}, "longer than 255"),
    "NUL in text": ({"text": "a\x00b"}, "NUL"),
    "action not a string": ({"actions": ["action_listen", None]}, r"actions\[1\]"),
    "behaviour without kind": ({"behavior": [BehaviorEvent("learner-1", "")]}, "kind"),
    "behaviour value not a number": ({"behavior": [BehaviorEvent("learner-1", "x", value="high")]}, "value"),
    "behaviour of another turn": ({"behavior": [BehaviorEvent("learner-1", "x", turn_id=7)]}, "turn 7"),
}


@pytest.mark.parametrize("changes, message", BAD_TURNS.values(), ids=BAD_TURNS.keys())
def test_bad_turns_are_refused_with_a_clear_error_before_the_database_is_touched(
    store: ConversationStore, changes: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        store.save_turn(make_turn(**changes))
    assert store.count_turns() == 0
    assert store.senders() == []


def test_a_turn_is_saved_only_once(store: ConversationStore) -> None:
    turn = make_turn()
    store.save_turn(turn)
    with pytest.raises(ValueError, match="already saved"):
        store.save_turn(turn)
    assert store.count_turns() == 1


def test_a_turn_whose_behaviour_cannot_be_written_is_not_saved_at_all(
    store: ConversationStore, database_url: str
) -> None:
    store.save_turn(make_turn(n=0))
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE behavior_events"))

    with pytest.raises(StoreError, match="could not save a turn of sender 'learner-1'"):
        store.save_turn(make_turn(n=1))

    assert store.count_turns() == 1
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT turn_count FROM conversations")).scalar_one() == 1


def test_behaviour_pointing_at_a_missing_turn_is_refused_by_the_database(store: ConversationStore) -> None:
    good = BehaviorEvent("learner-1", "example_played", item="bwv-846")
    dangling = BehaviorEvent("learner-1", "recommendation_shown", turn_id=999_999)
    with pytest.raises(StoreError, match="could not record behaviour events"):
        store.add_behavior([good, dangling])
    assert store.behavior() == []  # the whole batch, not half of it


def test_an_unreachable_database_is_a_clear_error_that_hides_the_password() -> None:
    with pytest.raises(StoreError, match="could not migrate the database at postgresql") as caught:
        ConversationStore("postgresql+psycopg://etude:secret@127.0.0.1:1/etude")
    assert "secret" not in str(caught.value)


# --- schema and migrations -----------------------------------------------------------------------


def test_the_migrated_schema_matches_the_table_definitions(store: ConversationStore) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_migrating_again_changes_nothing(database_url: str) -> None:
    ConversationStore(database_url).close()
    with ConversationStore(database_url) as store:
        with store.engine.begin() as conn:
            upgrade_schema(conn)
        head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
        with store.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == head
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_a_store_opened_without_migrating_leaves_the_database_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'etude.db'}"
    ConversationStore(url, migrate=False).close()
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sqlite_master WHERE type = 'table'")).scalar() == 0
    engine.dispose()


def test_developers_can_run_alembic_by_hand(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'etude.db'}"
    alembic_main(["-c", str(MIGRATIONS_DIR / "alembic.ini"), "-x", f"url={url}", "upgrade", "head"])

    with ConversationStore(url, migrate=False) as store:
        store.save_turn(make_turn())  # the tables are there
        with store.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "there" / "etude.db"
    with ConversationStore(f"sqlite:///{path}") as store:
        assert path.parent.is_dir()
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
            assert conn.execute(select(func.count()).select_from(turns)).scalar() == 0
