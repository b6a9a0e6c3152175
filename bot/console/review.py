"""The review queue: turns the NLU got wrong or was unsure about, corrected by an instructor, and the
corrections exported as Rasa-format NLU training data.

A turn is *in the queue* while no review of it is saved and at least one reason holds:

- `fallback`: its intent is `nlu_fallback` (the NLU did not understand it);
- `low_confidence`: its intent confidence is below the threshold (`threshold`, default 0.6);
- `negative`: the learner's next turn in the same conversation is negative feedback (an intent of
  `NEGATIVE_INTENTS`, i.e. `too_hard`; `deny` answers offers and would flood the queue).

Newest first, 50 a page, one SQL query over `turns` (the next turn joined by `seq + 1`) on SQLite and
PostgreSQL alike. A review is one row a turn in `reviews` (`skipped`: not useful for training, or
`corrected`); `corrections` keeps every correction (history), and the export takes the latest one of
each turn whose review is `corrected`, so a later skip withdraws a turn from the training data.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import Connection, delete, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from bot.console.conversations import FALLBACK, NEGATIVE_INTENTS, PAGE_SIZE, InvalidFilter, Page, share
from bot.settings import REPO_ROOT
from bot.store import ConversationStore, StoreError, conversations, corrections, reviews, turns, users
from nlu.data import ENTITY_TYPES, Entity, Example, NLUData, dump_nlu

DEFAULT_THRESHOLD = 0.6
REASONS = {
    "fallback": "fallback (not understood)",
    "low_confidence": "low confidence",
    "negative": "negative feedback next",
}
OUT_OF_SCOPE = "out_of_scope"
MAX_WORDS = 200  # longest entity words accepted


class CorrectionError(ValueError):
    """A correction that cannot be saved; the message says what to fix."""


@functools.cache
def intent_choices() -> tuple[str, ...]:
    """The intents a correction may name: the domain file's, plus `out_of_scope`."""
    raw = yaml.safe_load((REPO_ROOT / "domain.yml").read_text(encoding="utf-8")) or {}
    names = [str(next(iter(i))) if isinstance(i, dict) else str(i) for i in raw.get("intents") or []]
    return tuple(dict.fromkeys([*names, OUT_OF_SCOPE]))


# --- the queue ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueQuery:
    threshold: float = DEFAULT_THRESHOLD
    reason: str = ""  # one of REASONS, or any

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> QueueQuery:
        threshold = share(params, "threshold")
        threshold = DEFAULT_THRESHOLD if threshold is None else threshold
        reason = params.get("reason", "").strip()
        if reason and reason not in REASONS:
            raise InvalidFilter(f"reason must be one of {', '.join(REASONS)}, not {reason[:40]!r}")
        return cls(threshold, reason)

    def query(self) -> dict[str, str]:
        values = {"threshold": "" if self.threshold == DEFAULT_THRESHOLD else f"{self.threshold:g}",
                  "reason": self.reason}
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class QueueRow:
    turn_id: int
    sender: str
    seq: int
    text: str
    started_at: datetime
    intent: str | None
    confidence: float | None
    entities: list[dict[str, Any]]
    reasons: list[str]


Queue = Page[QueueRow]


def review_queue(store: ConversationStore, query: QueueQuery, page: int = 1) -> Queue:
    """The page (from 1) of turns waiting for review, the newest first."""
    t, nxt, r = turns.alias("t"), turns.alias("nxt"), reviews.alias("r")
    conditions = {
        "fallback": t.c.intent == FALLBACK,
        "low_confidence": t.c.confidence < query.threshold,
        "negative": nxt.c.intent.in_(NEGATIVE_INTENTS),
    }
    wanted = [conditions[query.reason]] if query.reason else list(conditions.values())
    selected = (
        select(t.c.id, t.c.seq, t.c.text, t.c.parse, t.c.intent, t.c.confidence, t.c.started_at,
               conversations.c.sender_id, nxt.c.intent.label("next_intent"))
        .select_from(
            t.join(conversations, t.c.conversation_id == conversations.c.id)
            .outerjoin(nxt, (nxt.c.conversation_id == t.c.conversation_id) & (nxt.c.seq == t.c.seq + 1))
            .outerjoin(r, r.c.turn_id == t.c.id)
        )
        .where(r.c.turn_id.is_(None), or_(*wanted))
    )
    counted = select(func.count()).select_from(selected.subquery())
    paged = selected.order_by(t.c.started_at.desc(), t.c.id.desc()).limit(PAGE_SIZE)
    paged = paged.offset((page - 1) * PAGE_SIZE)
    try:
        with store.transaction(write=False) as conn:
            total = int(conn.execute(counted).scalar_one())
            rows = conn.execute(paged).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"could not list the review queue: {exc}") from exc
    listed = []
    for row in rows:
        reasons = []
        if row.intent == FALLBACK:
            reasons.append("fallback")
        if row.confidence is not None and row.confidence < query.threshold:
            reasons.append("low_confidence")
        if row.next_intent in NEGATIVE_INTENTS:
            reasons.append("negative")
        listed.append(QueueRow(int(row.id), row.sender_id, int(row.seq), row.text, row.started_at, row.intent,
                               row.confidence, predicted_entities(row.text, row.parse), reasons))
    return Page(listed, total, page)


def predicted_entities(text: str, parse: Any) -> list[dict[str, Any]]:
    """The parse's entities whose span is a valid span of `text` (entity, value, start, end)."""
    found = []
    for entity in (parse.get("entities") if isinstance(parse, dict) else None) or []:
        if not isinstance(entity, dict):
            continue
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
            found.append({"entity": str(entity.get("entity", "")), "value": entity.get("value"),
                          "start": start, "end": end, "words": text[start:end]})
    return found


# --- one turn under review ----------------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    """A turn with its predicted parse and what reviewers made of it so far."""

    turn_id: int
    sender: str
    seq: int
    text: str
    intent: str | None
    confidence: float | None
    entities: list[dict[str, Any]]
    status: str | None  # skipped, corrected, or None (not reviewed)
    reviewed_at: datetime | None
    reviewer: str | None
    correction: dict[str, Any] | None  # the latest: intent, entities


def load_review(store: ConversationStore, turn_id: int) -> Review | None:
    query = (
        select(turns.c.id, turns.c.seq, turns.c.text, turns.c.parse, turns.c.intent, turns.c.confidence,
               conversations.c.sender_id, reviews.c.status, reviews.c.reviewed_at, users.c.name)
        .select_from(
            turns.join(conversations, turns.c.conversation_id == conversations.c.id)
            .outerjoin(reviews, reviews.c.turn_id == turns.c.id)
            .outerjoin(users, users.c.id == reviews.c.reviewer_id)
        )
        .where(turns.c.id == turn_id)
    )
    latest = (
        select(corrections.c.intent, corrections.c.entities)
        .where(corrections.c.turn_id == turn_id)
        .order_by(corrections.c.id.desc())
        .limit(1)
    )
    try:
        with store.transaction(write=False) as conn:
            row = conn.execute(query).first()
            correction = conn.execute(latest).first()
    except SQLAlchemyError as exc:
        raise StoreError(f"could not read turn {turn_id}: {exc}") from exc
    if row is None:
        return None
    return Review(
        turn_id=int(row.id), sender=row.sender_id, seq=int(row.seq), text=row.text, intent=row.intent,
        confidence=row.confidence, entities=predicted_entities(row.text, row.parse), status=row.status,
        reviewed_at=row.reviewed_at, reviewer=row.name,
        correction=(
            {"intent": correction.intent, "entities": list(correction.entities)} if correction else None
        ),
    )


@dataclass(frozen=True)
class EntityRow:
    """One entity row of the form as submitted: the exact words, which occurrence, the type."""

    words: str
    entity: str
    occurrence: str = ""


def occurrences(text: str, words: str) -> list[int]:
    """Where `words` start in `text`: as whole words (not inside a longer word) when they occur so,
    otherwise anywhere."""
    if not words:
        return []
    starts, at = [], text.find(words)
    while at != -1:
        starts.append(at)
        at = text.find(words, at + 1)

    def whole(start: int) -> bool:
        end = start + len(words)
        left = start == 0 or not (text[start - 1].isalnum() and words[0].isalnum())
        right = end == len(text) or not (text[end].isalnum() and words[-1].isalnum())
        return left and right

    return [start for start in starts if whole(start)] or starts


def find_span(text: str, words: str, occurrence: str = "") -> tuple[int, int]:
    """The character span of `words` in `text`: its only occurrence, or the one numbered (from 1)."""
    starts = occurrences(text, words)
    if not starts:
        raise CorrectionError(f"“{words}” is not in the text: copy the words exactly as written, same case.")
    raw = occurrence.strip()
    if not raw:
        if len(starts) > 1:
            raise CorrectionError(f"“{words}” occurs {len(starts)} times in the text: say which one "
                                  f"(1 to {len(starts)}).")
        number = 1
    elif raw.isdigit() and 1 <= int(raw) <= len(starts):
        number = int(raw)
    else:
        raise CorrectionError(f"“{words}” occurs {len(starts)} time{'s' if len(starts) > 1 else ''} in the "
                              f"text: which one must be a number from 1 to {len(starts)}, not {raw[:20]!r}.")
    start = starts[number - 1]
    return start, start + len(words)


def occurrence_of(text: str, start: int, words: str) -> int:
    """Which occurrence (from 1, as `find_span` counts them) of `words` in `text` starts at `start`."""
    starts = occurrences(text, words)
    return starts.index(start) + 1 if start in starts else 1


def check_correction(
    text: str, intent: str, rows: Sequence[EntityRow]
) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    """The entities a form's rows describe, and every problem with them as (row from 1, or 0 for the
    intent; message). Rows without words are empty and ignored."""
    problems: list[tuple[int, str]] = []
    if intent not in intent_choices():
        problems.append((0, "Choose the intent the learner meant." if not intent
                         else f"{intent[:40]!r} is not an intent of the domain."))
    entities: list[dict[str, Any]] = []
    for number, row in enumerate(rows, 1):
        words = row.words.strip()
        if not words:
            continue
        if len(words) > MAX_WORDS:
            problems.append((number, f"Entity {number}: the words are longer than {MAX_WORDS} characters."))
            continue
        if row.entity not in ENTITY_TYPES:
            problems.append((number, f"Entity {number}: choose its type."))
            continue
        try:
            start, end = find_span(text, words, row.occurrence)
        except CorrectionError as exc:
            problems.append((number, f"Entity {number}: {exc}"))
            continue
        clash = next((e for e in entities if start < e["end"] and e["start"] < end), None)
        if clash is not None:
            problems.append(
                (number, f"Entity {number}: “{words}” overlaps “{clash['value']}”; mark each word once.")
            )
            continue
        entities.append({"start": start, "end": end, "value": words, "entity": row.entity})
    return sorted(entities, key=lambda e: e["start"]), problems


def save_correction(store: ConversationStore, turn_id: int, text: str, intent: str,
                    entities: list[dict[str, Any]], reviewer_id: int | None, at: datetime) -> int:
    """Record a correction of the turn (kept beside earlier ones) and mark it corrected; its id."""
    try:
        with store.transaction(write=True) as conn:
            result = conn.execute(insert(corrections), {
                "turn_id": turn_id, "text": text, "intent": intent, "entities": entities,
                "reviewer_id": reviewer_id, "created_at": at,
            })
            _set_review(conn, turn_id, "corrected", reviewer_id, at)
    except SQLAlchemyError as exc:
        raise StoreError(f"could not save the correction of turn {turn_id}: {exc}") from exc
    return int(result.inserted_primary_key[0])


def skip_turn(store: ConversationStore, turn_id: int, reviewer_id: int | None, at: datetime) -> None:
    """Mark the turn reviewed without a correction (not useful for training)."""
    try:
        with store.transaction(write=True) as conn:
            _set_review(conn, turn_id, "skipped", reviewer_id, at)
    except SQLAlchemyError as exc:
        raise StoreError(f"could not skip turn {turn_id}: {exc}") from exc


def _set_review(conn: Connection, turn_id: int, status: str, reviewer_id: int | None, at: datetime) -> None:
    values = {"turn_id": turn_id, "status": status, "reviewer_id": reviewer_id, "reviewed_at": at}
    changed = {"status": status, "reviewer_id": reviewer_id, "reviewed_at": at}
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        module = sqlite if dialect == "sqlite" else postgresql
        upsert = module.insert(reviews).values(**values)
        conn.execute(upsert.on_conflict_do_update(index_elements=[reviews.c.turn_id], set_=changed))
    else:
        conn.execute(delete(reviews).where(reviews.c.turn_id == turn_id))
        conn.execute(insert(reviews).values(**values))


# --- export as training data ----------------------------------------------------------------------


def latest_corrections(store: ConversationStore) -> list[dict[str, Any]]:
    """The latest correction of every turn whose review is `corrected`, by intent then age."""
    newer = corrections.alias("newer")
    query = (
        select(corrections.c.turn_id, corrections.c.text, corrections.c.intent, corrections.c.entities)
        .join(reviews, (reviews.c.turn_id == corrections.c.turn_id) & (reviews.c.status == "corrected"))
        .where(~select(newer.c.id).where(newer.c.turn_id == corrections.c.turn_id,
                                         newer.c.id > corrections.c.id).exists())
        .order_by(corrections.c.intent, corrections.c.id)
    )
    try:
        with store.transaction(write=False) as conn:
            return [dict(row._mapping) for row in conn.execute(query)]
    except SQLAlchemyError as exc:
        raise StoreError(f"could not read the corrections: {exc}") from exc


# Characters the Rasa markup or the one-example-a-line layout cannot carry, each replaced by one
# character so that entity spans keep their offsets: line breaks and other control characters become
# spaces, square brackets become parentheses (the markup has no escape for them).
_BRACKETS = {"[": "(", "]": ")"}


def training_text(text: str) -> str:
    out = []
    for ch in text:
        if ch in _BRACKETS:
            out.append(_BRACKETS[ch])
        elif unicodedata.category(ch) in ("Cc", "Zl", "Zp") or len(f"a{ch}b".splitlines()) > 1:
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def training_example(text: str, intent: str, entities: Sequence[Mapping[str, Any]]) -> Example | None:
    """A correction as a training example (see `training_text`), or None when no text is left."""
    clean = training_text(text)
    lead = len(clean) - len(clean.lstrip())
    body = clean.strip()
    if not body:
        return None
    spans = []
    for entity in entities:
        start, end = int(entity["start"]) - lead, int(entity["end"]) - lead
        start, end = max(start, 0), min(end, len(body))
        while start < end and body[start].isspace():
            start += 1
        while end > start and body[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append(Entity(start, end, str(entity["entity"]), body[start:end]))
    return Example(body, intent, sorted(spans, key=lambda e: e.start))


def export_training_data(found: Sequence[Mapping[str, Any]]) -> str:
    """Corrections as a Rasa 3.1 NLU file: one `- intent:` block an intent (alphabetical), examples in
    the order given, each once, entities as `[words](type)`."""
    examples: dict[str, list[Example]] = {}
    seen = set()
    for correction in found:
        example = training_example(correction["text"], correction["intent"], correction["entities"])
        if example is None:
            continue
        key = (example.intent, example.text, tuple((e.start, e.end, e.entity) for e in example.entities))
        if key not in seen:
            seen.add(key)
            examples.setdefault(example.intent, []).append(example)
    ordered = [example for intent in sorted(examples) for example in examples[intent]]
    return dump_nlu(NLUData(examples=ordered))
