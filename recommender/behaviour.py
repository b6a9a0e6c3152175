"""Which of a learner's recorded actions say "this lesson or work is for me": the platform's positives.

The conversation store (the service's) keeps one `BehaviorEvent` per tutoring action a turn ran
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
work_asked                         the work asked about (the store derives it from turns)
=================================  ==========================================================

Not positives: messages (their concept is only the conversation's context), wrong answers,
hints, quiz summaries, too hard / too easy (difficulty, not taste), recommendations shown
(exposure, not choice) and facts about people. Repeats count once as a pair and add to its weight.

A work the learner asks about is not a behaviour event of its own (the `music_fact` event
carries the concept in focus, not the work), but the turn that answered it set the `work` slot,
so the service's reader (`bot.behaviour.store_events`) derives it from the stored turns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

GOAL_KINDS = frozenset({"explain_concept", "give_example", "prerequisites", "learning_path"})
PLAYED_KIND = "example_played"
QUIZ_KIND = "quiz_answer"
WORK_ASKED_KIND = "work_asked"  # derived from turns by the store's reader
_ID_PREFIXES = ("", "concept:", "work:")  # events from outside a turn may name bare slugs


@dataclass
class BehaviorEvent:
    """Something a learner did or was shown, for the recommender (`kind` says what).

    Defined here, not by the store that keeps them, so the recommender reads events without
    importing the service layer."""

    learner_id: str
    kind: str  # e.g. "message", "explain", "quiz_answer", "too_hard", "example_played", ...
    concept: str | None = None  # KG concept id
    item: str | None = None  # KG work/person id or other item
    outcome: str | None = None  # e.g. "correct", "wrong", "hint"
    value: float | None = None  # e.g. score, confidence
    at: datetime | None = None  # defaults to the turn's start (or now, outside a turn)
    turn_id: int | None = None
    id: int | None = None


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
