"""The conversation store: every processed turn, the Rasa tracker events that rebuild a conversation's
state after a restart, and the learner behaviour events the recommender learns from.

The engine saves a turn before it sends the reply, so a reply the learner saw is always on disk:
`save_turn` is one transaction that has committed when it returns, and a failure raises `StoreError`
instead of being swallowed. Bad input (text the database cannot hold, content that is not plain
JSON, naive datetimes) raises `ValueError` before the database is touched.

Any SQLAlchemy URL works. SQLite (the default, one worker) runs in WAL mode with a busy timeout and
foreign keys on; writers take the lock up front (`BEGIN IMMEDIATE`) so concurrent turns wait for
each other instead of failing. PostgreSQL (several workers) gets a pooled, pre-pinged engine and
JSONB columns. The schema is owned by the Alembic migrations in `bot/migrations`, applied when the
store opens; `metadata` below must stay equal to what they build (a test compares them).
"""

from __future__ import annotations

import contextlib
import functools
import math
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from recommender.behaviour import BehaviorEvent

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_MIGRATION_LOCK = 0x657475646531  # advisory lock key: workers starting together migrate one at a time
ID_LENGTH = 255  # sender, learner, session, concept and item ids
NAME_LENGTH = 64  # channel, behaviour kind and outcome
_IN_CHUNK = 500  # ids per IN (...) clause; SQLite limits bound parameters


class StoreError(RuntimeError):
    """The database refused or failed an operation; nothing of that operation was committed."""


@dataclass
class Turn:
    """One learner message and everything the engine did about it."""

    sender_id: str
    channel: str
    session_id: str
    text: str
    parse: dict[str, Any]  # NLU parse (Rasa format)
    actions: list[str]  # action names run in this turn, in order
    events: list[dict[str, Any]]  # Rasa tracker events of this turn, each with "event" (and "timestamp")
    replies: list[dict[str, Any]]  # bot messages sent (Rasa REST format)
    started_at: datetime
    finished_at: datetime
    behavior: list[BehaviorEvent] = field(default_factory=list)
    id: int | None = None
    seq: int | None = None  # position among the sender's turns, from 1; set by the store


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset, so it stores UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give a timezone (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONValue = JSON().with_variant(postgresql.JSONB(), "postgresql")
BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements only INTEGER keys

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(ID_LENGTH), nullable=False),
    Column("channel", String(NAME_LENGTH), nullable=False),  # of the latest turn
    Column("turn_count", Integer, nullable=False),  # also hands out the next turn's seq
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_active_at", UTCDateTime, nullable=False),
    UniqueConstraint("sender_id"),
)

turns = Table(
    "turns",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("conversation_id", Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("channel", String(NAME_LENGTH), nullable=False),
    Column("session_id", String(ID_LENGTH), nullable=False),
    Column("text", Text, nullable=False),
    Column("parse", JSONValue, nullable=False),
    Column("actions", JSONValue, nullable=False),
    Column("events", JSONValue, nullable=False),
    Column("replies", JSONValue, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
    # The parse's intent and its confidence, copied out of `parse` (migration 0003) so the console
    # can filter turns by them in plain SQL on every backend.
    Column("intent", String(ID_LENGTH), nullable=True),
    Column("confidence", Float, nullable=True),
    UniqueConstraint("conversation_id", "seq"),
    Index(None, "started_at"),
    Index(None, "intent"),
)

behavior_events = Table(
    "behavior_events",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("turn_id", BigId, ForeignKey("turns.id", ondelete="CASCADE"), nullable=True),
    Column("learner_id", String(ID_LENGTH), nullable=False),
    Column("kind", String(NAME_LENGTH), nullable=False),
    Column("concept", String(ID_LENGTH), nullable=True),
    Column("item", String(ID_LENGTH), nullable=True),
    Column("outcome", String(NAME_LENGTH), nullable=True),
    Column("value", Float, nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Index(None, "learner_id", "at"),
    Index(None, "kind", "at"),
    Index(None, "concept"),
    Index(None, "at"),
    Index(None, "turn_id"),
)

# Accounts for the console and the API (bot/auth): they live in the same database as the
# conversations, so one URL, one migration history and one backup cover everything.
ROLES = ("learner", "instructor", "admin")

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(ID_LENGTH), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("failed_logins", Integer, nullable=False),  # in a row, since the last success or lockout
    Column("locked_until", UTCDateTime, nullable=True),
    UniqueConstraint("name"),
    CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="ck_users_role"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False),  # SHA-256 of the token, hex; never the token
    Column("prefix", String(16), nullable=False),  # the token's first characters, to tell tokens apart
    Column("label", String(NAME_LENGTH), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    UniqueConstraint("token_hash"),
    Index(None, "prefix"),
    Index(None, "user_id"),
)

# The console's review queue (bot/console/review.py, migration 0004): an instructor's verdict on a
# turn (one row a turn, the latest verdict) and every correction made (history; the latest of a turn
# is the one exported as training data).
REVIEW_STATUSES = ("skipped", "corrected")

reviews = Table(
    "reviews",
    metadata,
    Column("turn_id", BigId, ForeignKey("turns.id", ondelete="CASCADE"), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("reviewer_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("reviewed_at", UTCDateTime, nullable=False),
    CheckConstraint(f"status IN ({', '.join(repr(s) for s in REVIEW_STATUSES)})", name="ck_reviews_status"),
)

corrections = Table(
    "corrections",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("turn_id", BigId, ForeignKey("turns.id", ondelete="CASCADE"), nullable=False),
    Column("text", Text, nullable=False),  # the turn's text as corrected (spans index into it)
    Column("intent", String(ID_LENGTH), nullable=False),
    Column("entities", JSONValue, nullable=False),  # [{"start", "end", "value", "entity"}]
    Column("reviewer_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "turn_id"),
)

# A record of each erasure of a learner's data (`ConversationStore.erase_learner`, migration 0005):
# when, through which way in, which account asked and how many rows went; nothing of the sender id.
ERASURE_VIAS = ("learner", "console", "api", "cli")

erasures = Table(
    "erasures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("erased_at", UTCDateTime, nullable=False),
    Column("via", String(16), nullable=False),
    Column("erased_by", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("counts", JSONValue, nullable=False),
    Index(None, "erased_at"),
)


class UnknownLearner(LookupError):
    """The store holds nothing of this learner (no conversation, no behaviour): nothing to erase."""


@dataclass(frozen=True)
class Erasure:
    """One recorded erasure: when, how, by which account (None: the learner or the CLI), how many rows."""

    id: int
    erased_at: datetime
    via: str
    erased_by: int | None
    counts: dict[str, int]


# --- engine -------------------------------------------------------------------------------------


def _sqlite_in_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in database or "mode=memory" in str(url.query)


def create_store_engine(url: str | URL) -> Engine:
    """An engine set up for the store: SQLite tuned for concurrent writers, anything else pooled."""
    url = make_url(url)
    if url.get_backend_name() != "sqlite":
        if url.get_backend_name() == "postgresql":
            return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        return create_engine(url, pool_pre_ping=True)
    in_memory = _sqlite_in_memory(url)
    if in_memory:  # one shared connection, or every thread would see its own empty database
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        database = url.database or ""
        if not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if not in_memory:
            _use_wal(cursor)  # synchronous stays FULL: commits survive power loss
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # A deferred transaction that reads and then writes cannot wait for the lock (SQLite would
        # fail it at once to avoid a deadlock), so writers take the lock when they begin.
        immediate = connection.get_execution_options().get("etude_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _use_wal(cursor: Any, attempts: int = 50) -> None:
    """Switch the file to WAL (it stays so); several processes opening a new database at once may
    find it locked, and this pragma does not wait on the busy timeout, so retry briefly."""
    for attempt in range(attempts):
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.02 * (attempt + 1))


def upgrade_schema(connection: Connection) -> None:
    """Bring the schema to the newest migration (a no-op when it is there), inside `connection`'s
    transaction; concurrent callers on PostgreSQL wait for each other."""
    from alembic import command
    from alembic.config import Config

    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK})")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


# --- validation ---------------------------------------------------------------------------------


def _check_json(value: Any, where: str) -> None:
    """Plain JSON only: what goes in comes back equal, on SQLite and PostgreSQL alike."""
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, str):
        _check_text(value, where)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value} is not valid JSON (only finite numbers)")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_json(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: key {key!r} is not a string, so it is not a JSON object key")
            _check_text(key, f"{where} key")
            _check_json(item, f"{where}[{key!r}]")
    else:
        raise ValueError(f"{where}: {type(value).__name__} {value!r:.80} is not JSON-serialisable")


def _check_text(value: Any, where: str, max_length: int | None = None, *, required: bool = False) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{where} must be a string, not {type(value).__name__}")
    if required and not value:
        raise ValueError(f"{where} must not be empty")
    if "\x00" in value:
        raise ValueError(f"{where} contains a NUL character, which PostgreSQL cannot store")
    if max_length is not None and len(value) > max_length:
        raise ValueError(f"{where} is longer than {max_length} characters")


def _check_time(value: Any, where: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{where} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{where} is a naive datetime; give it a timezone (UTC)")
    return value.astimezone(UTC)


def _optional_text(value: Any, where: str, max_length: int) -> None:
    if value is not None:
        _check_text(value, where, max_length, required=True)


def _behavior_row(ev: Any, where: str, default_at: datetime | None) -> dict[str, Any]:
    if not isinstance(ev, BehaviorEvent):
        raise ValueError(f"{where} must be a BehaviorEvent, not {type(ev).__name__}")
    _check_text(ev.learner_id, f"{where}.learner_id", ID_LENGTH, required=True)
    _check_text(ev.kind, f"{where}.kind", NAME_LENGTH, required=True)
    _optional_text(ev.concept, f"{where}.concept", ID_LENGTH)
    _optional_text(ev.item, f"{where}.item", ID_LENGTH)
    _optional_text(ev.outcome, f"{where}.outcome", NAME_LENGTH)
    value = ev.value
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{where}.value must be a finite number, not {value!r}")
        value = float(value)
    if ev.at is None and default_at is None:
        raise ValueError(f"{where}.at is missing")
    at = _check_time(ev.at, f"{where}.at") if ev.at is not None else default_at
    return {
        "learner_id": ev.learner_id,
        "kind": ev.kind,
        "concept": ev.concept,
        "item": ev.item,
        "outcome": ev.outcome,
        "value": value,
        "at": at,
    }


def parse_intent(parse: Any) -> tuple[str | None, float | None]:
    """The intent name and confidence of a Rasa parse, or None for whichever is missing or malformed."""
    intent = parse.get("intent") if isinstance(parse, dict) else None
    if not isinstance(intent, dict):
        return None, None
    name = intent.get("name")
    confidence = intent.get("confidence")
    name = name[:ID_LENGTH] if isinstance(name, str) and name else None
    number = isinstance(confidence, int | float) and not isinstance(confidence, bool)
    return name, float(confidence) if number and math.isfinite(confidence) else None


def _turn_rows(turn: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The turn's row and its behaviour rows, or ValueError saying what is wrong with the turn."""
    if not isinstance(turn, Turn):
        raise ValueError(f"expected a Turn, not {type(turn).__name__}")
    if turn.id is not None:
        raise ValueError(f"turn {turn.id} is already saved; saving it again would duplicate it")
    _check_text(turn.sender_id, "turn.sender_id", ID_LENGTH, required=True)
    _check_text(turn.channel, "turn.channel", NAME_LENGTH, required=True)
    _check_text(turn.session_id, "turn.session_id", ID_LENGTH)
    _check_text(turn.text, "turn.text")
    if not isinstance(turn.parse, dict):
        raise ValueError(f"turn.parse must be a dict, not {type(turn.parse).__name__}")
    _check_json(turn.parse, "turn.parse")
    for name in ("actions", "events", "replies"):
        if not isinstance(getattr(turn, name), list | tuple):
            raise ValueError(f"turn.{name} must be a list, not {type(getattr(turn, name)).__name__}")
    for i, action in enumerate(turn.actions):
        _check_text(action, f"turn.actions[{i}]", required=True)
    for i, ev in enumerate(turn.events):
        if not isinstance(ev, dict) or not isinstance(ev.get("event"), str) or not ev["event"]:
            raise ValueError(f"turn.events[{i}] must be a Rasa event: a dict with an 'event' name")
    _check_json(turn.events, "turn.events")
    for i, reply in enumerate(turn.replies):
        if not isinstance(reply, dict):
            raise ValueError(f"turn.replies[{i}] must be a dict, not {type(reply).__name__}")
    _check_json(turn.replies, "turn.replies")
    started = _check_time(turn.started_at, "turn.started_at")
    finished = _check_time(turn.finished_at, "turn.finished_at")
    if finished < started:
        raise ValueError("turn.finished_at is before turn.started_at")
    if not isinstance(turn.behavior, list | tuple):
        raise ValueError(f"turn.behavior must be a list, not {type(turn.behavior).__name__}")
    behavior = []
    for i, ev in enumerate(turn.behavior):
        if isinstance(ev, BehaviorEvent) and ev.turn_id is not None:
            raise ValueError(f"turn.behavior[{i}] already belongs to turn {ev.turn_id}")
        behavior.append(_behavior_row(ev, f"turn.behavior[{i}]", started))
    intent, confidence = parse_intent(turn.parse)
    row = {
        "channel": turn.channel,
        "session_id": turn.session_id,
        "text": turn.text,
        "parse": turn.parse,
        "actions": list(turn.actions),
        "events": list(turn.events),
        "replies": list(turn.replies),
        "started_at": started,
        "finished_at": finished,
        "intent": intent,
        "confidence": confidence,
    }
    return row, behavior


# --- the store ----------------------------------------------------------------------------------


class ConversationStore:
    """Turns, tracker events and behaviour events in one SQL database; safe to share between threads."""

    def __init__(self, url: str | URL, *, migrate: bool = True) -> None:
        self.url = make_url(url)
        self._engine = create_store_engine(self.url)
        sqlite_file = self.url.get_backend_name() == "sqlite" and not _sqlite_in_memory(self.url)
        in_memory = self.url.get_backend_name() == "sqlite" and not sqlite_file
        # An in-memory SQLite database is one connection; threads must take turns on it.
        self._lock: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if in_memory else contextlib.nullcontext()
        )
        # SQLite has one writer at a time, and a writer that finds the lock taken sleeps in the busy
        # handler with growing back-off (up to 100 ms a nap), so under concurrent turns most of a
        # commit's latency was sleeping. Writers of this process queue on a lock instead; other
        # processes still wait through the busy timeout. Readers (WAL) are not held up.
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if sqlite_file else contextlib.nullcontext()
        )
        if migrate:
            try:
                with self._transaction(write=True) as conn:
                    upgrade_schema(conn)
            except SQLAlchemyError as exc:
                self._engine.dispose()
                raise StoreError(f"could not migrate the database at {self._safe_url()}: {exc}") from exc

    @property
    def engine(self) -> Engine:
        """The underlying engine, for read-only analysis (e.g. the recommender's SQL over behaviour)."""
        return self._engine

    def _safe_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    @contextlib.contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Connection]:
        with (
            self._write_lock if write else contextlib.nullcontext(),
            self._lock,
            self._engine.connect() as conn,
        ):
            if write:
                conn.execution_options(etude_write=True)
            with conn.begin():
                yield conn

    def transaction(self, *, write: bool) -> contextlib.AbstractContextManager[Connection]:
        """A transaction for the other tables of this schema (the accounts of `bot.auth`), with the
        store's locking: their writes queue behind turns' instead of failing on a busy SQLite."""
        return self._transaction(write=write)

    def _fail(self, doing: str, exc: SQLAlchemyError) -> StoreError:
        return StoreError(f"could not {doing} ({self._safe_url()}): {exc}")

    # writing

    def save_turn(self, turn: Turn) -> int:
        """Persist the turn and its behaviour events in one transaction, committed on return.

        Sets and returns `turn.id` (and `turn.seq`); a turn that already has an id is refused.
        """
        row, behavior = _turn_rows(turn)
        try:
            with self._transaction(write=True) as conn:
                conversation_id, seq = self._next_seq(conn, turn.sender_id, turn.channel, row)
                # Values as parameters of a constant statement: SQLAlchemy reuses its compiled form.
                result = conn.execute(insert(turns), {"conversation_id": conversation_id, "seq": seq, **row})
                turn_id = int(result.inserted_primary_key[0])
                behavior_ids = _insert_behavior(conn, [{**b, "turn_id": turn_id} for b in behavior])
        except SQLAlchemyError as exc:
            raise self._fail(f"save a turn of sender {turn.sender_id!r}", exc) from exc
        turn.id, turn.seq = turn_id, seq
        for ev, row, event_id in zip(turn.behavior, behavior, behavior_ids, strict=True):
            ev.id, ev.turn_id, ev.at = event_id, turn_id, ev.at or row["at"]
        return turn_id

    def _next_seq(
        self, conn: Connection, sender_id: str, channel: str, row: dict[str, Any]
    ) -> tuple[int, int]:
        """Create the sender's conversation if new and claim its next turn number (locking its row)."""
        values = {
            "sender_id": sender_id,
            "channel": channel,
            "turn_count": 0,
            "created_at": row["started_at"],
            "last_active_at": row["finished_at"],
        }
        c = conversations.c
        finished = literal(row["finished_at"], UTCDateTime())
        dialect = conn.dialect.name
        if dialect in ("sqlite", "postgresql"):
            # One statement instead of insert-if-missing, update and select: a turn's commit is on
            # every reply's path, and each statement costs ~0.5 ms of CPU in SQLAlchemy under load.
            claimed = conn.execute(_claim_statement(dialect), {**values, "turn_count": 1}).one()
            return int(claimed.id), int(claimed.turn_count)
        else:
            exists = select(conversations.c.id).where(conversations.c.sender_id == sender_id)
            if conn.execute(exists).first() is None:
                with contextlib.suppress(IntegrityError), conn.begin_nested():
                    conn.execute(insert(conversations).values(**values))
        conn.execute(
            update(conversations)
            .where(c.sender_id == sender_id)
            .values(
                turn_count=c.turn_count + 1,
                channel=channel,
                last_active_at=case((c.last_active_at < finished, finished), else_=c.last_active_at),
            )
        )
        found = conn.execute(select(c.id, c.turn_count).where(c.sender_id == sender_id)).one()
        return int(found.id), int(found.turn_count)

    def add_behavior(self, events: Iterable[BehaviorEvent]) -> list[int]:
        """Record behaviour outside a turn (e.g. an example played on the web page); one transaction.

        Events without `at` get the current time. Returns their ids, in order.
        """
        events = list(events)
        now = datetime.now(UTC)
        rows = []
        for i, ev in enumerate(events):
            rows.append(_behavior_row(ev, f"events[{i}]", now))
            if ev.turn_id is not None:
                if isinstance(ev.turn_id, bool) or not isinstance(ev.turn_id, int):
                    raise ValueError(f"events[{i}].turn_id must be an int, not {ev.turn_id!r}")
                rows[-1]["turn_id"] = ev.turn_id
        try:
            with self._transaction(write=True) as conn:
                ids = _insert_behavior(conn, rows)
        except SQLAlchemyError as exc:
            raise self._fail("record behaviour events", exc) from exc
        for ev, row, event_id in zip(events, rows, ids, strict=True):
            ev.id, ev.at = event_id, ev.at or row["at"]
        return ids

    # reading

    def events(self, sender_id: str) -> list[dict[str, Any]]:
        """All tracker events of a sender in the order they happened (to rebuild its state)."""
        query = (
            select(turns.c.events)
            .join(conversations, turns.c.conversation_id == conversations.c.id)
            .where(conversations.c.sender_id == sender_id)
            .order_by(turns.c.seq)
        )
        try:
            with self._transaction(write=False) as conn:
                return [ev for (batch,) in conn.execute(query) for ev in batch]
        except SQLAlchemyError as exc:
            raise self._fail(f"read the events of sender {sender_id!r}", exc) from exc

    def turns(
        self, sender_id: str | None = None, *, limit: int | None = None, since: datetime | None = None
    ) -> list[Turn]:
        """Saved turns, oldest first: one sender's in their order, or everyone's by start time.

        `since` keeps turns started at or after it; `limit` keeps the most recent ones.
        """
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise ValueError(f"limit must be a non-negative int, not {limit!r}")
        if since is not None:
            since = _check_time(since, "since")
        order = [turns.c.seq] if sender_id is not None else [turns.c.started_at, turns.c.id]
        query = select(turns, conversations.c.sender_id).join(
            conversations, turns.c.conversation_id == conversations.c.id
        )
        if sender_id is not None:
            query = query.where(conversations.c.sender_id == sender_id)
        if since is not None:
            query = query.where(turns.c.started_at >= since)
        if limit is not None:
            query = query.order_by(*(col.desc() for col in order)).limit(limit)
        else:
            query = query.order_by(*order)
        try:
            with self._transaction(write=False) as conn:
                rows = list(conn.execute(query))
                if limit is not None:
                    rows.reverse()
                behavior = self._behavior_of(conn, [row.id for row in rows])
        except SQLAlchemyError as exc:
            raise self._fail("read turns", exc) from exc
        return [
            Turn(
                sender_id=row.sender_id,
                channel=row.channel,
                session_id=row.session_id,
                text=row.text,
                parse=row.parse,
                actions=row.actions,
                events=row.events,
                replies=row.replies,
                started_at=row.started_at,
                finished_at=row.finished_at,
                behavior=behavior.get(row.id, []),
                id=row.id,
                seq=row.seq,
            )
            for row in rows
        ]

    def _behavior_of(self, conn: Connection, turn_ids: Sequence[int]) -> dict[int, list[BehaviorEvent]]:
        found: dict[int, list[BehaviorEvent]] = {}
        for start in range(0, len(turn_ids), _IN_CHUNK):
            chunk = turn_ids[start : start + _IN_CHUNK]
            query = (
                select(behavior_events)
                .where(behavior_events.c.turn_id.in_(chunk))
                .order_by(behavior_events.c.id)
            )
            for row in conn.execute(query):
                found.setdefault(row.turn_id, []).append(_behavior_event(row))
        return found

    def count_turns(self, sender_id: str | None = None) -> int:
        """How many turns are saved, of one sender or in all."""
        query = select(func.count()).select_from(turns)
        if sender_id is not None:
            query = query.join(conversations, turns.c.conversation_id == conversations.c.id).where(
                conversations.c.sender_id == sender_id
            )
        try:
            with self._transaction(write=False) as conn:
                return int(conn.execute(query).scalar_one())
        except SQLAlchemyError as exc:
            raise self._fail("count turns", exc) from exc

    def senders(self) -> list[str]:
        """Every sender with a saved turn, in the order they first wrote."""
        query = select(conversations.c.sender_id).order_by(conversations.c.created_at, conversations.c.id)
        try:
            with self._transaction(write=False) as conn:
                return list(conn.execute(query).scalars())
        except SQLAlchemyError as exc:
            raise self._fail("list senders", exc) from exc

    def behavior(
        self,
        learner_id: str | None = None,
        kind: str | None = None,
        *,
        concept: str | None = None,
        since: datetime | None = None,
    ) -> list[BehaviorEvent]:
        """Behaviour events matching every filter given, oldest first."""
        c = behavior_events.c
        query = select(behavior_events).order_by(c.at, c.id)
        if learner_id is not None:
            query = query.where(c.learner_id == learner_id)
        if kind is not None:
            query = query.where(c.kind == kind)
        if concept is not None:
            query = query.where(c.concept == concept)
        if since is not None:
            query = query.where(c.at >= _check_time(since, "since"))
        try:
            with self._transaction(write=False) as conn:
                return [_behavior_event(row) for row in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise self._fail("read behaviour events", exc) from exc

    # erasing

    def erase_learner(
        self, sender_id: str, *, via: str = "cli", by: int | None = None, at: datetime | None = None
    ) -> dict[str, int]:
        """Delete everything the store holds of a learner, in one transaction, and record that it
        happened; returns the rows removed per table. `UnknownLearner` when there is nothing to erase.

        Gone: their conversation and its turns (the tracker events, so the learner model kept in
        slots such as `progress` and `answers`), instructors' reviews and corrections of those turns,
        and every behaviour event of the learner or of their turns (also those recorded outside a
        turn, whose `turn_id` is null, which no cascade reaches). Children go first, explicitly, so
        the counts are exact and nothing depends on the database enforcing the cascades.

        The `erasures` row keeps when, `via` which way in, `by` which account, and the counts, but
        nothing of the sender id, not even a salted hash: ids such as `tg:<number>` or `user:<name>`
        come from small spaces, so a digest is reversed by trying candidates unless it is keyed, and
        with the key beside it anyone holding both could still answer "was X here and asked to be
        forgotten?", which is itself data about X. An audit needs how many, when and by whom.
        """
        _check_text(sender_id, "sender_id", ID_LENGTH, required=True)
        if via not in ERASURE_VIAS:
            raise ValueError(f"via must be one of {', '.join(ERASURE_VIAS)}, not {via!r}")
        if by is not None and (isinstance(by, bool) or not isinstance(by, int)):
            raise ValueError(f"by must be a user id (int) or None, not {by!r}")
        at = _check_time(at, "at") if at is not None else datetime.now(UTC)
        conversation = select(conversations.c.id).where(conversations.c.sender_id == sender_id)
        their_turns = select(turns.c.id).where(turns.c.conversation_id.in_(conversation))
        b = behavior_events.c
        steps = (
            ("corrections", delete(corrections).where(corrections.c.turn_id.in_(their_turns))),
            ("reviews", delete(reviews).where(reviews.c.turn_id.in_(their_turns))),
            ("behavior_events",
             delete(behavior_events).where(or_(b.learner_id == sender_id, b.turn_id.in_(their_turns)))),
            ("turns", delete(turns).where(turns.c.conversation_id.in_(conversation))),
            ("conversations", delete(conversations).where(conversations.c.sender_id == sender_id)),
        )
        try:
            with self._transaction(write=True) as conn:
                counts = {table: int(conn.execute(statement).rowcount) for table, statement in steps}
                if not counts["conversations"] and not counts["behavior_events"]:
                    raise UnknownLearner(f"the store holds nothing of learner {sender_id!r}")
                conn.execute(insert(erasures).values(erased_at=at, via=via, erased_by=by, counts=counts))
        except SQLAlchemyError as exc:
            raise self._fail(f"erase the data of sender {sender_id!r}", exc) from exc
        return counts

    def erasures(self) -> list[Erasure]:
        """Every recorded erasure, oldest first."""
        query = select(erasures).order_by(erasures.c.erased_at, erasures.c.id)
        try:
            with self._transaction(write=False) as conn:
                return [Erasure(row.id, row.erased_at, row.via, row.erased_by, dict(row.counts))
                        for row in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise self._fail("read erasures", exc) from exc

    def close(self) -> None:
        """Release the pooled connections (call when the service stops)."""
        self._engine.dispose()

    def __enter__(self) -> ConversationStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _insert_behavior(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert behaviour rows, returning their ids in order: in one statement where the database can
    return ids of a multi-row insert in parameter order (SQLite, PostgreSQL), else one by one."""
    if not rows:
        return []
    if len(rows) > 1 and conn.dialect.name in ("sqlite", "postgresql"):
        keys = set().union(*rows)
        full = [{key: row.get(key) for key in keys} for row in rows]  # one statement: same columns
        returning = insert(behavior_events).returning(behavior_events.c.id, sort_by_parameter_order=True)
        return [int(found) for found in conn.execute(returning, full).scalars()]
    return [int(conn.execute(insert(behavior_events), row).inserted_primary_key[0]) for row in rows]


@functools.cache
def _claim_statement(dialect: str) -> Any:
    """Insert the conversation with turn 1, or bump its count; returns its id and the turn number."""
    upsert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(conversations)
    c, new = conversations.c, upsert.excluded
    return upsert.on_conflict_do_update(
        index_elements=["sender_id"],
        set_={
            "turn_count": c.turn_count + 1,
            "channel": new.channel,
            "last_active_at": case(
                (c.last_active_at < new.last_active_at, new.last_active_at), else_=c.last_active_at
            ),
        },
    ).returning(c.id, c.turn_count)


def _behavior_event(row: Any) -> BehaviorEvent:
    return BehaviorEvent(
        learner_id=row.learner_id,
        kind=row.kind,
        concept=row.concept,
        item=row.item,
        outcome=row.outcome,
        value=row.value,
        at=row.at,
        turn_id=row.turn_id,
        id=row.id,
    )
