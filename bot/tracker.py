"""Conversation state as a list of Rasa events, and the state derived from them.

Events are the single source of truth (they are what the store persists); slots, the active
loop and the latest message are recomputed by applying events, so a tracker rebuilt from the
store after a restart is identical to the one in memory before it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bot.domain import REQUESTED_SLOT, Domain

LISTEN = "action_listen"


def event(kind: str, **fields: Any) -> dict[str, Any]:
    return {"event": kind, "timestamp": time.time(), **fields}


@dataclass
class Tracker:
    sender_id: str
    domain: Domain
    events: list[dict[str, Any]] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    active_loop: str | None = None
    latest_message: dict[str, Any] = field(default_factory=dict)
    latest_action: str | None = None
    followup_action: str | None = None
    session_start: int = 0  # index of the current session's first event
    turn_start: tuple[dict[str, Any], str | None] = ({}, None)  # slots and loop before the user spoke

    def __post_init__(self) -> None:
        if not self.slots:
            self.slots = self.domain.initial_slots()
        replay, self.events = self.events, []
        for item in replay:
            self.apply(item)

    # -- applying events ---------------------------------------------------------------------
    def apply(self, item: dict[str, Any]) -> None:
        """Record one event and update the derived state (unknown event kinds are kept as-is)."""
        self.events.append(item)
        kind = item.get("event")
        if kind == "user":
            self.turn_start = (dict(self.slots), self.active_loop)
            self.latest_message = dict(
                item.get("parse_data") or {}, text=item.get("text"), metadata=item.get("metadata") or {}
            )
            self.latest_action = None
        elif kind == "action":
            self.latest_action = item.get("name")
            if self.followup_action == self.latest_action:
                self.followup_action = None
        elif kind == "slot":
            name = item.get("name")
            if name in self.domain.slots:
                try:
                    self.slots[name] = self.domain.slots[name].coerce(item.get("value"))
                except (TypeError, ValueError):
                    self.slots[name] = None
        elif kind in ("active_loop", "form"):
            self.active_loop = item.get("name") or None
            if self.active_loop is None:
                self.slots[REQUESTED_SLOT] = None
        elif kind == "followup":
            self.followup_action = item.get("name")
        elif kind == "reset_slots":
            self.slots = self.domain.initial_slots()
        elif kind == "restart":
            self.slots = self.domain.initial_slots()
            self.active_loop = None
            self.latest_message = {}
            self.followup_action = None
            self.session_start = len(self.events) - 1
        elif kind == "session_started":  # a fresh start; carried-over slots are set again after it
            self.session_start = len(self.events) - 1
            self.slots = self.domain.initial_slots()
            self.active_loop = None
            self.followup_action = None

    def copy(self) -> Tracker:
        """An independent tracker in the same state, without replaying the events."""
        twin = Tracker(self.sender_id, self.domain, slots=dict(self.slots))
        twin.events = list(self.events)
        twin.active_loop, twin.latest_message = self.active_loop, self.latest_message
        twin.latest_action, twin.followup_action = self.latest_action, self.followup_action
        twin.session_start, twin.turn_start = self.session_start, self.turn_start
        return twin

    def extend(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            self.apply(item)

    # -- queries ----------------------------------------------------------------------------
    @property
    def intent(self) -> str | None:
        return (self.latest_message.get("intent") or {}).get("name")

    def last_time(self) -> float | None:
        return self.events[-1].get("timestamp") if self.events else None

    def session_events(self) -> list[dict[str, Any]]:
        return self.events[self.session_start :]

    def turn_events(self) -> list[dict[str, Any]]:
        """Events since the latest user message (inclusive): the turn being processed."""
        for i in range(len(self.events) - 1, -1, -1):
            if self.events[i].get("event") == "user":
                return self.events[i:]
        return []

    def actions_this_turn(self) -> list[str]:
        return [e["name"] for e in self.turn_events() if e.get("event") == "action"]

    def sdk_state(self) -> dict[str, Any]:
        """The tracker as rasa_sdk's `Tracker.from_dict` and Rasa's action-server protocol expect."""
        return {
            "sender_id": self.sender_id,
            "slots": dict(self.slots),
            "latest_message": self.latest_message,
            "latest_event_time": self.last_time(),
            "paused": False,
            "events": self.session_events(),
            "latest_input_channel": self.latest_message.get("channel"),
            "active_loop": {"name": self.active_loop} if self.active_loop else {},
            "latest_action_name": self.latest_action,
            "followup_action": self.followup_action,
        }
