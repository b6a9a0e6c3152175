"""What the instructor's Conversations pages show: conversations filtered in SQL, transcripts, exports.

A conversation is one sender's (the `conversations` table). The filters are of two kinds:

- the *scope* picks turns: the learner (a case-insensitive substring of the sender id), the channel
  and the date range (`from`/`to`, whole UTC days, both included, on the turn's start);
- the *conditions* keep conversations with at least one in-scope turn that has the given intent,
  that fell back (intent `nlu_fallback`), whose NLU confidence is below `max_confidence`, or that is
  negative feedback (an intent of `NEGATIVE_INTENTS`). Each condition stands on its own, and all
  that are given must hold.

A listed conversation summarises its in-scope turns (count, fallbacks, lowest confidence, negative
feedback); the filtered export holds exactly those turns. Everything is one GROUP BY ... HAVING over
`turns` (its `intent` and `confidence` columns, migration 0003), portable between SQLite and
PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, case, func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.store import ConversationStore, StoreError, Turn, conversations, parse_intent, turns

PAGE_SIZE = 50  # rows a page, in every console list
Row = TypeVar("Row")
FALLBACK = "nlu_fallback"
# Negative feedback: the learner telling the tutor it is too hard for them. Not `deny` (it answers
# an offer, "another quiz?" "no thanks"), not `too_easy` (a request for more), and not a wrong quiz
# answer (that is learning, not feedback).
NEGATIVE_INTENTS = ("too_hard",)
LOW_CONFIDENCE = 0.6  # a transcript flags turns whose confidence is below this
CHANNELS = ("rest", "web", "telegram", "shell")
MAX_TEXT = 200  # longest learner or intent filter accepted


class InvalidFilter(ValueError):
    """A query parameter that is not a valid filter; the message says which and why."""


def page_number(raw: str) -> int:
    """A list page's number from its query parameter (1 to 1,000,000); InvalidFilter otherwise."""
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise InvalidFilter(f"page must be a whole number from 1, not {raw[:20]!r}")
    return int(raw)


def share(params: Mapping[str, str], name: str) -> float | None:
    """A parameter that is a share from 0 to 1 (None when absent or empty); InvalidFilter otherwise."""
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidFilter(f"{name} must be a number between 0 and 1, not {raw[:20]!r}") from None
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise InvalidFilter(f"{name} must be between 0 and 1, not {raw[:20]!r}")
    return value


@dataclass(frozen=True)
class Filters:
    learner: str = ""
    channel: str = ""
    since: date | None = None  # `from`
    until: date | None = None  # `to`
    intent: str = ""
    fallbacks: bool = False
    max_confidence: float | None = None
    negative: bool = False

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> Filters:
        """The filters of a query string (empty values mean no filter); InvalidFilter if one is wrong."""
        learner = _text(params, "learner")
        channel = _text(params, "channel")
        if channel and channel not in CHANNELS:
            raise InvalidFilter(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
        since, until = _date(params, "from"), _date(params, "to")
        if since and until and until < since:
            raise InvalidFilter("the date range ends before it starts")
        max_confidence = share(params, "max_confidence")
        return cls(learner=learner, channel=channel, since=since, until=until, intent=_text(params, "intent"),
                   fallbacks=_flag(params, "fallbacks"), max_confidence=max_confidence,
                   negative=_flag(params, "negative"))

    def query(self) -> dict[str, str]:
        """These filters as query parameters (only those set), for links and the form."""
        values = {
            "learner": self.learner,
            "channel": self.channel,
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
            "intent": self.intent,
            "fallbacks": "1" if self.fallbacks else "",
            "max_confidence": "" if self.max_confidence is None else f"{self.max_confidence:g}",
            "negative": "1" if self.negative else "",
        }
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class Summary:
    """One conversation as listed: its in-scope turns summarised."""

    sender: str
    channels: list[str]
    first_at: datetime
    last_at: datetime
    turns: int
    fallbacks: int
    lowest_confidence: float | None
    negative: int


@dataclass(frozen=True)
class Page(Generic[Row]):
    """One page of a console list (conversations, learners, the review queue), PAGE_SIZE rows a page."""

    rows: list[Row]
    total: int  # rows matching, over all pages
    page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pages", max(1, math.ceil(self.total / PAGE_SIZE)))


Listing = Page[Summary]


def list_conversations(store: ConversationStore, filters: Filters, page: int = 1) -> Listing:
    """The page (from 1, PAGE_SIZE a page) of matching conversations, the most recently active first."""
    summary = _summary(filters)
    last_at = summary.selected_columns.last_at
    paged = summary.order_by(last_at.desc(), conversations.c.id.desc())
    paged = paged.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    counted = select(func.count()).select_from(summary.subquery())
    try:
        with store.transaction(write=False) as conn:
            total = int(conn.execute(counted).scalar_one())
            rows = conn.execute(paged).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"could not list conversations: {exc}") from exc
    return Page(
        [
            Summary(
                sender=row.sender_id,
                channels=sorted({row.channel_a, row.channel_b}),
                first_at=row.first_at,
                last_at=row.last_at,
                turns=int(row.turns),
                fallbacks=int(row.fallbacks or 0),
                lowest_confidence=row.lowest_confidence,
                negative=int(row.negative or 0),
            )
            for row in rows
        ],
        total,
        page,
    )


def matching_turns(store: ConversationStore, filters: Filters) -> list[Turn]:
    """The in-scope turns of every matching conversation, by conversation and then in order."""
    matching = select(_summary(filters).subquery().c.id)
    query = (
        select(turns, conversations.c.sender_id)
        .join(conversations, turns.c.conversation_id == conversations.c.id)
        .where(*_scope(filters), turns.c.conversation_id.in_(matching))
        .order_by(conversations.c.id, turns.c.seq)
    )
    try:
        with store.transaction(write=False) as conn:
            rows = conn.execute(query).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"could not export conversations: {exc}") from exc
    return [
        Turn(sender_id=row.sender_id, channel=row.channel, session_id=row.session_id, text=row.text,
             parse=row.parse, actions=row.actions, events=row.events, replies=row.replies,
             started_at=row.started_at, finished_at=row.finished_at, id=row.id, seq=row.seq)
        for row in rows
    ]


def known_intents(store: ConversationStore) -> list[str]:
    """Every intent some saved turn has, alphabetically (for the filter's choices)."""
    query = select(turns.c.intent).where(turns.c.intent.is_not(None)).distinct().order_by(turns.c.intent)
    try:
        with store.transaction(write=False) as conn:
            return list(conn.execute(query).scalars())
    except SQLAlchemyError as exc:
        raise StoreError(f"could not list intents: {exc}") from exc


def _scope(filters: Filters) -> list[Any]:
    t, c = turns.c, conversations.c
    where: list[Any] = []
    if filters.learner:
        where.append(func.lower(c.sender_id).contains(filters.learner.lower(), autoescape=True))
    if filters.channel:
        where.append(t.channel == filters.channel)
    if filters.since:
        where.append(t.started_at >= datetime.combine(filters.since, time(), UTC))
    if filters.until:
        where.append(t.started_at < datetime.combine(filters.until + timedelta(days=1), time(), UTC))
    return where


def _count_of(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _summary(filters: Filters) -> Select[Any]:
    t, c = turns.c, conversations.c
    fallbacks = _count_of(t.intent == FALLBACK)
    negative = _count_of(t.intent.in_(NEGATIVE_INTENTS))
    lowest = func.min(t.confidence)
    query = (
        select(
            c.id,
            c.sender_id,
            func.min(t.channel).label("channel_a"),
            func.max(t.channel).label("channel_b"),
            func.min(t.started_at).label("first_at"),
            func.max(t.finished_at).label("last_at"),
            func.count(t.id).label("turns"),
            fallbacks.label("fallbacks"),
            lowest.label("lowest_confidence"),
            negative.label("negative"),
        )
        .select_from(turns.join(conversations, t.conversation_id == c.id))
        .where(*_scope(filters))
        .group_by(c.id, c.sender_id)
    )
    if filters.intent:
        query = query.having(_count_of(t.intent == filters.intent) > 0)
    if filters.fallbacks:
        query = query.having(fallbacks > 0)
    if filters.max_confidence is not None:
        query = query.having(lowest < filters.max_confidence)
    if filters.negative:
        query = query.having(negative > 0)
    return query


def _text(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "").strip()
    if len(value) > MAX_TEXT or any(ord(ch) < 32 for ch in value):
        raise InvalidFilter(f"{name} must be at most {MAX_TEXT} printable characters")
    return value


def _date(params: Mapping[str, str], name: str) -> date | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidFilter(f"{name} must be a date written YYYY-MM-DD, not {raw[:40]!r}") from None


def _flag(params: Mapping[str, str], name: str) -> bool:
    return params.get(name, "").strip().lower() in ("1", "on", "true", "yes")


# --- one turn as shown and exported -------------------------------------------------------------


def turn_view(turn: Turn) -> dict[str, Any]:
    """A turn as the transcript and the exports show it: the parse read out, flags named."""
    intent, confidence = parse_intent(turn.parse)
    entities = []
    for found in turn.parse.get("entities") or []:
        if not isinstance(found, dict):
            continue
        start, end = found.get("start"), found.get("end")
        spanned = isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(turn.text)
        entities.append({
            "entity": found.get("entity"),
            "value": found.get("value"),
            "start": start if spanned else None,
            "end": end if spanned else None,
            "span": turn.text[start:end] if spanned else None,
            "confidence": score if isinstance(score := found.get("confidence"), int | float) else None,
        })
    flags = []
    if intent == FALLBACK:
        flags.append("fallback")
    if confidence is not None and confidence < LOW_CONFIDENCE:
        flags.append("low confidence")
    if intent in NEGATIVE_INTENTS:
        flags.append("negative feedback")
    return {
        "sender": turn.sender_id,
        "seq": turn.seq,
        "turn_id": turn.id,
        "channel": turn.channel,
        "session_id": turn.session_id,
        "started_at": turn.started_at.astimezone(UTC).isoformat(),
        "finished_at": turn.finished_at.astimezone(UTC).isoformat(),
        "text": turn.text,
        "intent": intent,
        "confidence": confidence,
        "flags": flags,
        "entities": entities,
        "actions": list(turn.actions),
        "replies": [reply_view(reply) for reply in turn.replies if isinstance(reply, dict)],
        "parse": turn.parse,
    }


def reply_view(reply: Mapping[str, Any]) -> dict[str, Any]:
    """A tutor's message: its text, its buttons (title and payload), and what else it carried."""
    buttons = [
        {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
        for b in reply.get("buttons") or []
        if isinstance(b, dict)
    ]
    attachment = reply.get("attachment")
    attached = None
    if isinstance(attachment, dict):
        payload = attachment.get("payload")
        src = payload.get("src") if isinstance(payload, dict) else None
        attached = {"type": str(attachment.get("type", "file")), "src": str(src) if src else ""}
    return {
        "text": reply.get("text") if isinstance(reply.get("text"), str) else "",
        "buttons": buttons,
        "image": str(reply["image"]) if reply.get("image") else None,
        "attachment": attached,
        "custom": json.dumps(reply["custom"], ensure_ascii=False, sort_keys=True) if reply.get("custom")
        else None,
    }


# --- exports ------------------------------------------------------------------------------------

CSV_COLUMNS = ("sender", "seq", "started_at", "finished_at", "channel", "session_id", "text", "intent",
               "confidence", "flags", "entities", "actions", "replies", "parse")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_json(views: list[dict[str, Any]], exported_at: datetime, **about: Any) -> bytes:
    document = {"exported_at": exported_at.astimezone(UTC).isoformat(), **about, "turns": views}
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def export_csv(views: Iterable[dict[str, Any]]) -> bytes:
    """One row a turn (CSV_COLUMNS); cells a spreadsheet would read as a formula start with a quote."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for view in views:
        cells = {
            **view,
            "confidence": "" if view["confidence"] is None else f"{view['confidence']:.4f}",
            "flags": "; ".join(view["flags"]),
            "entities": "; ".join(_entity_text(e) for e in view["entities"]),
            "actions": "; ".join(view["actions"]),
            "replies": " | ".join(_reply_text(reply) for reply in view["replies"]),
            "parse": json.dumps(view["parse"], ensure_ascii=False, sort_keys=True),
        }
        writer.writerow([guard_cell(cells[column]) for column in CSV_COLUMNS])
    return out.getvalue().encode("utf-8")


def guard_cell(value: Any) -> str:
    """The cell as text, with a leading quote if a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _entity_text(entity: dict[str, Any]) -> str:
    span = f" [{entity['start']}:{entity['end']}]" if entity["start"] is not None else ""
    return f"{entity['entity']}={entity['value']}{span}"


def _reply_text(reply: dict[str, Any]) -> str:
    parts = [reply["text"]] if reply["text"] else []
    parts += [f"[button: {b['title']}]" for b in reply["buttons"]]
    if reply["image"]:
        parts.append(f"[image: {reply['image']}]")
    if reply["attachment"]:
        parts.append(f"[{reply['attachment']['type']}: {reply['attachment']['src']}]")
    if reply["custom"]:
        parts.append(f"[custom: {reply['custom']}]")
    return " ".join(parts)


def filters_document(filters: Filters) -> dict[str, Any]:
    """The filters as the JSON export records them."""
    values = asdict(filters)
    values["from"], values["to"] = values.pop("since"), values.pop("until")
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in values.items()}
