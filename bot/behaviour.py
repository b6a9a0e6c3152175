"""The recommender's behaviour events, read from the conversation store, and the platform's data set.

The store keeps the events a turn recorded; a work the learner asked about is not one of them
(see `recommender.behaviour`), so `works_asked` derives it from the turns. This lives in the
service layer because it reads the service's tables; the recommender only sees the events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Text, cast, select

from bot.store import ConversationStore, conversations, turns
from recommender.behaviour import WORK_ASKED_KIND, BehaviorEvent

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph
    from recommender.catalog import Works
    from recommender.data import RecData
    from recommender.registry import Histories


def store_events(store: ConversationStore) -> list[BehaviorEvent]:
    """Every behaviour event of the store, plus a `work_asked` event per work a learner asked about."""
    return [*store.behavior(), *works_asked(store)]


def works_asked(store: ConversationStore) -> Iterator[BehaviorEvent]:
    """`work_asked` events from the turns where `action_music_fact` set the `work` slot.

    Reads only those turns (a text match on the actions column, which both SQLite and PostgreSQL
    answer), one row at a time.
    """
    query = (
        select(conversations.c.sender_id, turns.c.id, turns.c.started_at, turns.c.actions, turns.c.events)
        .join(conversations, turns.c.conversation_id == conversations.c.id)
        .where(cast(turns.c.actions, Text).like("%action_music_fact%"))
        .order_by(turns.c.started_at, turns.c.id)
    )
    with store.engine.connect() as conn:
        for row in conn.execute(query):
            if "action_music_fact" not in row.actions:
                continue
            for work in _slot_values(row.events, "work"):
                yield BehaviorEvent(
                    learner_id=row.sender_id, kind=WORK_ASKED_KIND, item=work, at=row.started_at,
                    turn_id=row.id,
                )


def platform(
    graph: KnowledgeGraph,
    store: ConversationStore,
    *,
    cache_dir: Path | None = None,
    works: Works = "all",
    media: bool = True,
    report: Callable[[int], None] | None = None,
) -> tuple[RecData, Histories]:
    """The platform's data set and each learner's history, from the graph and the store's events.

    `report` hears the number of events before the (slower) data set is built."""
    from recommender.platform import platform_data
    from recommender.publish import histories

    events = store_events(store)
    if report is not None:
        report(len(events))
    data = platform_data(graph, events, cache_dir=cache_dir, works=works, media=media)
    return data, histories(data, events)


def _slot_values(events: Iterable[dict], name: str) -> list[str]:
    return [
        str(e["value"])
        for e in events
        if isinstance(e, dict) and e.get("event") == "slot" and e.get("name") == name and e.get("value")
    ]
