"""Which of a learner's recorded actions say "this lesson or work is for me": the platform's positives.

The conversation store (bot.store) keeps one `BehaviorEvent` per tutoring action a turn ran
(`kind` = the action's name without `action_`, `concept` = the concept in focus after the turn),
per graded outcome an action reported (`quiz_answer`, `quiz_hint`, `quiz_finished`, `too_hard`,
`too_easy`, `recommendation_shown`), per message (`message`), and events recorded outside a turn
(`example_played` from the web page). A positive is an item the learner chose to engage with:

=================================  ==========================================================
event                              positive for
=================================  ==========================================================
explain_concept, give_example      the concept explained / played (the learner asked for it)
prerequisites, learning_path       the concept the learner wants to reach (their goal)
quiz_answer, outcome "correct"     the concept the question tested (studied and understood)
example_played                     its `item` (or `concept`): the learner pressed play
work_asked                         the work asked about (`store_events` derives it from turns)
=================================  ==========================================================

Not positives: messages (their concept is only the conversation's context), wrong answers,
hints, quiz summaries, too hard / too easy (difficulty, not taste), recommendations shown
(exposure, not choice) and facts about people. Repeats count once as a pair and add to its weight.

A work the learner asks about is not a behaviour event of its own (the `music_fact` event
carries the concept in focus, not the work), but the turn that answered it set the `work` slot,
so `store_events` reads it from the stored turns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import Text, cast, select

if TYPE_CHECKING:
    from bot.store import BehaviorEvent, ConversationStore

GOAL_KINDS = frozenset({"explain_concept", "give_example", "prerequisites", "learning_path"})
PLAYED_KIND = "example_played"
QUIZ_KIND = "quiz_answer"
WORK_ASKED_KIND = "work_asked"  # derived from turns by `store_events`
_ID_PREFIXES = ("", "concept:", "work:")  # events from outside a turn may name bare slugs


def positive_item(event: BehaviorEvent, items: dict[str, int]) -> int | None:
    """The dense item the event is a positive for, or None (see the module's table)."""
    if event.kind in GOAL_KINDS or (event.kind == QUIZ_KIND and event.outcome == "correct"):
        return _resolve(event.concept, items)
    if event.kind == PLAYED_KIND:
        found = _resolve(event.item, items)
        return found if found is not None else _resolve(event.concept, items)
    if event.kind == WORK_ASKED_KIND:
        return _resolve(event.item, items)
    return None


def _resolve(raw: str | None, items: dict[str, int]) -> int | None:
    if not raw:
        return None
    for prefix in _ID_PREFIXES:
        if prefix + raw in items:
            return items[prefix + raw]
    return None


def store_events(store: ConversationStore) -> list[BehaviorEvent]:
    """Every behaviour event of the store, plus a `work_asked` event per work a learner asked about."""
    return [*store.behavior(), *works_asked(store)]


def works_asked(store: ConversationStore) -> Iterator[BehaviorEvent]:
    """`work_asked` events from the turns where `action_music_fact` set the `work` slot.

    Reads only those turns (a text match on the actions column, which both SQLite and PostgreSQL
    answer), one row at a time.
    """
    from bot.store import BehaviorEvent, conversations, turns

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


def _slot_values(events: Iterable[dict], name: str) -> list[str]:
    return [
        str(e["value"])
        for e in events
        if isinstance(e, dict) and e.get("event") == "slot" and e.get("name") == name and e.get("value")
    ]
