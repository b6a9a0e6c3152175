"""The dialogue engine: one learner message in, the tutor's replies out, the turn stored in between.

Per sender, messages are processed strictly in order (an asyncio lock per sender); different
senders run concurrently. A turn's replies are returned only after the turn is committed to the
conversation store; when the store fails, the in-memory conversation is rolled back so the next
message sees exactly what was persisted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.context import in_context
from bot.domain import Domain
from bot.executor import Executor, Outcome
from bot.messages import BotMessage, UserMessage
from bot.policies import PolicyEnsemble
from bot.stories import Flows
from bot.tracker import LISTEN, Tracker, event

log = logging.getLogger(__name__)

Parse = Callable[[str], Awaitable[dict[str, Any]]]
INTENT_LITERAL = re.compile(r"^/(?P<intent>[A-Za-z_][\w-]*)(?P<entities>\{.*\})?\s*$", re.DOTALL)
OUTCOME_SLOT = "last_outcome"  # actions report graded outcomes here; they become behavior events


class TurnNotStored(RuntimeError):
    """The conversation store did not commit the turn, so no reply was sent for it."""


class SenderLocks:
    """One asyncio lock per sender, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def __call__(self, sender: str):  # used as `async with await locks(sender)`
        lock, users = self._locks.get(sender, (asyncio.Lock(), 0))
        self._locks[sender] = (lock, users + 1)
        return _Held(self, sender, lock)

    def _release(self, sender: str) -> None:
        lock, users = self._locks[sender]
        if users <= 1:
            del self._locks[sender]
        else:
            self._locks[sender] = (lock, users - 1)


class _Held:
    def __init__(self, owner: SenderLocks, sender: str, lock: asyncio.Lock) -> None:
        self.owner, self.sender, self.lock = owner, sender, lock

    async def __aenter__(self) -> None:
        await self.lock.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self.lock.release()
        self.owner._release(self.sender)


def literal_parse(text: str, domain: Domain) -> dict[str, Any] | None:
    """`/intent{"entity": "value"}` (what buttons send) as a parse, or None for ordinary text."""
    match = INTENT_LITERAL.match(text.strip())
    if not match or match["intent"] not in domain.intents:
        return None
    entities = []
    if match["entities"]:
        try:
            values = json.loads(match["entities"])
        except json.JSONDecodeError:
            values = {}
        for name, value in values.items() if isinstance(values, dict) else []:
            if name in domain.entities:
                for item in value if isinstance(value, list) else [value]:
                    if not isinstance(item, str | int | float) or isinstance(item, bool):
                        continue  # an entity value names something; objects, lists and null do not
                    entities.append({"entity": name, "value": item, "id": item, "confidence": 1.0})
    intent = {"name": match["intent"], "confidence": 1.0}
    return {"text": text, "intent": intent, "intent_ranking": [intent], "entities": entities}


class Engine:
    def __init__(
        self,
        domain: Domain,
        flows: Flows,
        executor: Executor,
        parse: Parse,
        store: Any = None,
        *,
        max_actions: int = 10,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
        observers: Sequence[Callable[[str, Any], object]] = (),
    ) -> None:
        self.domain = domain
        self.policy = PolicyEnsemble(flows)
        self.executor = executor
        self.parse = parse
        self.store = store
        self.max_actions = max_actions
        self.cache_size = cache_size
        self.clock = clock
        # Called with (learner, event) for each behaviour event of a turn once it is stored: the
        # recommender's online update (`RecommenderService.observe`).
        self.observers = list(observers)
        # Called with each NLU parse of a learner's text (not of a button's literal payload): metrics.
        self.parse_observers: list[Callable[[dict[str, Any]], object]] = []
        self.locks = SenderLocks()
        self.trackers: OrderedDict[str, Tracker] = OrderedDict()

    async def handle(self, message: UserMessage) -> list[BotMessage]:
        async with await self.locks(message.sender_id):
            return await self._handle(message)

    async def tracker(self, sender_id: str) -> Tracker:
        tracker = self.trackers.get(sender_id)
        if tracker is None:
            events = await asyncio.to_thread(self.store.events, sender_id) if self.store else []
            tracker = Tracker(sender_id, self.domain, events=events)
            self.trackers[sender_id] = tracker
            while len(self.trackers) > self.cache_size:
                self.trackers.popitem(last=False)
        self.trackers.move_to_end(sender_id)
        return tracker

    async def _handle(self, message: UserMessage) -> list[BotMessage]:
        tracker = await self.tracker(message.sender_id)
        mark = len(tracker.events)
        started = datetime.now(UTC)
        messages: list[BotMessage] = []
        actions: list[str] = []
        try:
            if self._session_expired(tracker):
                await self._run("action_session_start", tracker, messages, actions, "session")
            parse = literal_parse(message.text, self.domain)
            if parse is None:
                parse = await self.parse(message.text)
                for observe in self.parse_observers:
                    observe(parse)
                parse = in_context(parse, tracker)
            tracker.apply(
                event(
                    "user",
                    text=message.text,
                    parse_data=parse,
                    input_channel=message.channel,
                    metadata=message.metadata,
                )
            )
            tracker.extend(self._global_slots(tracker))
            for _ in range(self.max_actions):
                prediction = self.policy.predict(tracker)
                if prediction.action == LISTEN:
                    break
                await self._run(prediction.action, tracker, messages, actions, prediction.policy)
            tracker.apply(event("action", name=LISTEN, policy="engine"))
            behavior = (self._behavior(tracker, message, mark, parse, actions)
                        if self.store is not None or self.observers else [])
            await self._store(tracker, message, mark, started, messages, actions, parse, behavior)
        except BaseException:
            self._forget(message.sender_id)
            raise
        self._observe(behavior)
        return messages

    def _observe(self, behavior: list[Any]) -> None:
        """Hand a stored turn's behaviour to the observers; one failing never fails the turn."""
        for observe in self.observers:
            for item in behavior:
                try:
                    observe(item.learner_id, item)
                except Exception:
                    log.exception("observer %r failed on a %s event", observe, item.kind)

    def _session_expired(self, tracker: Tracker) -> bool:
        if not tracker.events:
            return True
        last = tracker.last_time() or 0.0
        return self.clock() - last > self.domain.session_expiration_minutes * 60

    async def _run(
        self,
        name: str,
        tracker: Tracker,
        messages: list[BotMessage],
        actions: list[str],
        policy: str,
    ) -> None:
        try:
            outcome = await self.executor.run(name, tracker)
        except Exception:
            log.exception("action %s failed for %s", name, tracker.sender_id)
            outcome = Outcome(messages=[self.executor._utter("utter_error", tracker)])
            if tracker.active_loop:
                outcome.events += [event("active_loop", name=None)]
        now = time.time()
        for item in outcome.events:  # rasa_sdk leaves `timestamp` None; Rasa stamps events on arrival
            if item.get("timestamp") is None:
                item["timestamp"] = now
        if any(e.get("event") == "action_execution_rejected" for e in outcome.events):
            tracker.extend(outcome.events)
            return
        tracker.apply(event("action", name=name, policy=policy))
        tracker.extend(outcome.events)
        messages.extend(outcome.messages)
        actions.append(name)

    def _global_slots(self, tracker: Tracker) -> list[dict[str, Any]]:
        """Rasa's `action_extract_slots`: unconditional from_entity mappings fill slots at once."""
        entities = tracker.latest_message.get("entities") or []
        events = []
        for slot in self.domain.slots.values():
            for mapping in slot.mappings:
                if mapping.get("type") != "from_entity" or mapping.get("conditions"):
                    continue
                values = [e.get("value") for e in entities if e.get("entity") == mapping.get("entity")]
                if values:
                    value = values if slot.type == "list" else values[0]
                    events.append(event("slot", name=slot.name, value=value))
                    break
        return events

    async def _store(
        self,
        tracker: Tracker,
        message: UserMessage,
        mark: int,
        started: datetime,
        messages: list[BotMessage],
        actions: list[str],
        parse: dict[str, Any],
        behavior: list[Any],
    ) -> None:
        if self.store is None:
            return
        from bot.store import Turn

        turn = Turn(
            sender_id=message.sender_id,
            channel=message.channel,
            session_id=self._session_id(tracker),
            text=message.text,
            parse=parse,
            actions=actions,
            events=tracker.events[mark:],
            replies=messages,
            started_at=started,
            finished_at=datetime.now(UTC),
            behavior=behavior,
        )
        try:
            await asyncio.to_thread(self.store.save_turn, turn)
        except Exception as exc:
            raise TurnNotStored(f"the turn of {message.sender_id} was not stored: {exc}") from exc

    def _session_id(self, tracker: Tracker) -> str:
        start = tracker.events[tracker.session_start] if tracker.events else {}
        return f"{tracker.sender_id}:{int(start.get('timestamp', 0) * 1000)}"

    def _behavior(
        self,
        tracker: Tracker,
        message: UserMessage,
        mark: int,
        parse: dict[str, Any],
        actions: list[str],
    ) -> list[Any]:
        """What the turn says about the learner: the message itself, each tutoring action on its
        concept, and every graded outcome an action reported."""
        from bot.store import BehaviorEvent

        concept = tracker.slots.get("concept")
        intent = parse.get("intent") or {}
        found = [
            BehaviorEvent(
                learner_id=message.sender_id,
                kind="message",
                concept=concept,
                outcome=intent.get("name"),
                value=intent.get("confidence"),
            )
        ]
        for name in actions:
            if name.startswith("action_") and name not in ("action_session_start", "action_default_fallback"):
                found.append(
                    BehaviorEvent(learner_id=message.sender_id, kind=name[len("action_") :], concept=concept)
                )
        for item in tracker.events[mark:]:
            if (
                item.get("event") == "slot"
                and item.get("name") == OUTCOME_SLOT
                and isinstance(item.get("value"), dict)
            ):
                data = item["value"]
                found.append(
                    BehaviorEvent(
                        learner_id=message.sender_id,
                        kind=str(data.get("kind", "outcome")),
                        concept=data.get("concept"),
                        item=data.get("item"),
                        outcome=data.get("outcome"),
                        value=data.get("value"),
                    )
                )
        return found

    def _forget(self, sender_id: str) -> None:
        """Drop the cached conversation so it is rebuilt from what the store actually holds."""
        self.trackers.pop(sender_id, None)

    def forget(self, sender_id: str) -> None:
        """Drop a learner's cached conversation after their data was erased (`bot.privacy`): their
        next message starts from what the store holds, which is nothing."""
        self._forget(sender_id)
