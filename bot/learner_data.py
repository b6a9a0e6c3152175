"""A learner's own data as stored: their conversation, and their progress as the tutor sees it.

Read from the conversation store (what was committed), not from the engine's in-memory trackers,
so a worker that never served the learner answers the same. Progress replays the learner's stored
events into a tracker and reads the learner model from its slots, exactly as the `my_progress`
action and `etude learner progress` do; the actions' services (curriculum, graph) must be
configured, as they are in the running tutor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.domain import Domain
from bot.store import ConversationStore
from bot.tracker import Tracker


class LearnerData(Protocol):
    def conversation(self, sender: str) -> list[dict[str, Any]]: ...

    def progress(self, sender: str) -> dict[str, Any]: ...


class StoredLearnerData:
    def __init__(
        self, store: ConversationStore, domain: Domain, graph: Any, clock: Callable[[], float] = time.time
    ) -> None:
        self.store, self.domain, self.graph, self.clock = store, domain, graph, clock

    def conversation(self, sender: str) -> list[dict[str, Any]]:
        """The learner's turns, oldest first: what they said, what the tutor answered, and when."""
        return [
            {
                "seq": turn.seq,
                "at": turn.started_at.astimezone(UTC).isoformat(),
                "channel": turn.channel,
                "text": turn.text,
                "replies": turn.replies,
            }
            for turn in self.store.turns(sender)
        ]

    def progress(self, sender: str) -> dict[str, Any]:
        """Mastered concepts, those due for review and those in progress, with the model's numbers
        and the concepts' names; `level` is the learner's grade (None until they state one)."""
        from actions.learner import mastery_of

        seen = self.tracker(sender)
        summary = mastery_of(seen).summary(self.clock())
        return {
            "level": seen.get_slot("level"),
            **{group: [{**row, "name": self.concept_name(row["concept"])} for row in rows]
               for group, rows in summary.items()},
        }

    def tracker(self, sender: str) -> Any:
        """The learner's tracker as the actions read it (a rasa_sdk Tracker), rebuilt from their
        stored events."""
        from rasa_sdk import Tracker as ActionTracker

        tracker = Tracker(sender, self.domain, events=self.store.events(sender))
        return ActionTracker.from_dict(tracker.sdk_state())

    def concept_name(self, concept_id: str) -> str:
        """The concept's name in the graph, or its id if the graph lacks it."""
        found = self.graph.entity(concept_id)
        return found.name if found is not None else concept_id


def export(sender: str, data: LearnerData, now: datetime) -> dict[str, Any]:
    """Everything a learner may take with them, in one JSON document."""
    return {
        "learner": sender,
        "exported_at": now.astimezone(UTC).isoformat(),
        "conversation": data.conversation(sender),
        "progress": data.progress(sender),
    }
