"""A learner with a history, saved in a store, for the Learners pages' tests: clara answered quizzes
and practised, so the tutor's learner model (the real one, over the curriculum's prerequisites) has
something mastered, something due for review and something in progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from actions.services import services
from bot.store import BehaviorEvent, ConversationStore, Turn
from recommender.learner.mastery import DAY, Mastery

NOW = datetime(2025, 3, 11, 12, 0, tzinfo=UTC)  # when the instructor looks
CLARA = "web:clara"
MASTERED, DUE, IN_PROGRESS = "concept:perfect_fifth", "concept:note_names", "concept:triad"


def clara_mastery() -> Mastery:
    """Five right answers on note names two months ago (mastered, now faded: due for review), five on
    perfect fifths an hour ago (mastered), one wrong answer on triads half an hour ago."""
    mastery = Mastery({}, services().prerequisites)
    now = NOW.timestamp()
    for _ in range(5):
        mastery.observe(DUE, 1.0, now - 60 * DAY)
    for _ in range(5):
        mastery.observe(MASTERED, 1.0, now - 3600)
    mastery.observe(IN_PROGRESS, 0.0, now - 1800)
    return mastery


def save_clara(store: ConversationStore, goals: str = "seventh chords") -> Mastery:
    """clara's conversation: one turn setting her profile and progress slots as the actions would,
    with the behaviour events of her answers and a practice recording."""
    mastery = clara_mastery()
    slots = {"level": 3.0, "goals": goals, "progress": mastery.state, "known": mastery.mastered()}
    at = NOW - timedelta(minutes=20)
    events = [{"event": "slot", "name": name, "value": value, "timestamp": at.timestamp()}
              for name, value in slots.items()]

    def graded(kind: str, concept: str, outcome: str | None, value: float | None,
               ago: timedelta) -> BehaviorEvent:
        return BehaviorEvent(CLARA, kind, concept=concept, outcome=outcome, value=value, at=NOW - ago)

    behavior = [
        *(graded("quiz_answer", DUE, "correct", 0.0, timedelta(days=60, minutes=-k)) for k in range(5)),
        *(graded("quiz_answer", MASTERED, "correct", 0.0, timedelta(hours=1, minutes=-k)) for k in range(5)),
        graded("quiz_hint", IN_PROGRESS, None, None, timedelta(minutes=31)),
        graded("quiz_answer", IN_PROGRESS, "wrong", 1.0, timedelta(minutes=30)),
        graded("practice_result", MASTERED, "ok", 0.84, timedelta(minutes=25)),
        BehaviorEvent(CLARA, "explain", concept=MASTERED, at=NOW - timedelta(minutes=26)),  # not graded
    ]
    store.save_turn(Turn(CLARA, "web", "s1", "how am I doing?", {"intent": {"name": "my_progress",
                                                                           "confidence": 0.97}},
                         ["action_progress", "action_listen"], events, [], at, at + timedelta(seconds=1),
                         behavior=behavior))
    return mastery
