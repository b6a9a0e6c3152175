"""Running actions: responses, Rasa's built-in actions, forms and custom `rasa_sdk` actions.

Custom actions go through rasa_sdk's own `ActionExecutor` with a payload in Rasa's action-server
format, whether in-process (default) or over HTTP to `etude actions` — one code path, so a
custom action behaves the same in both deployments.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.domain import REQUESTED_SLOT, Domain
from bot.tracker import LISTEN, Tracker, event

log = logging.getLogger(__name__)

Events = list[dict[str, Any]]
Messages = list[dict[str, Any]]


@dataclass
class Outcome:
    events: Events = field(default_factory=list)
    messages: Messages = field(default_factory=list)


class CustomActions(Protocol):
    def names(self) -> set[str]: ...

    async def run(self, name: str, tracker: Tracker, extra_events: Events | None = None) -> Outcome: ...


def _payload(name: str, tracker: Tracker, domain: Domain, extra_events: Events | None) -> dict[str, Any]:
    state = tracker.sdk_state()
    if extra_events:
        state["events"] = state["events"] + extra_events
        slots = dict(state["slots"])
        for item in extra_events:
            if item.get("event") == "slot":
                slots[item["name"]] = item.get("value")
        state["slots"] = slots
    return {
        "next_action": name,
        "sender_id": tracker.sender_id,
        "tracker": state,
        "domain": domain.as_sdk_dict(),
        "version": "3.21",
    }


def _clean(message: dict[str, Any], sender_id: str) -> dict[str, Any]:
    """A dispatcher message in the REST channel's shape: empty fields dropped, recipient added."""
    out: dict[str, Any] = {"recipient_id": sender_id}
    for key in ("text", "buttons", "image", "attachment", "custom"):
        if message.get(key):
            out[key] = message[key]
    if message.get("response") and not out.get("text"):
        out["response"] = message["response"]
    return out


class InProcessActions:
    """rasa_sdk's executor with the project's `actions` package registered."""

    def __init__(self, domain: Domain, package: str = "actions") -> None:
        from rasa_sdk.executor import ActionExecutor

        self.domain = domain
        self.executor = ActionExecutor()
        self.executor.register_package(package)

    def names(self) -> set[str]:
        return set(self.executor.actions)

    async def run(self, name: str, tracker: Tracker, extra_events: Events | None = None) -> Outcome:
        result = await self.executor.run(_payload(name, tracker, self.domain, extra_events))
        data = result.model_dump() if hasattr(result, "model_dump") else dict(result or {})
        return Outcome(list(data.get("events") or []), list(data.get("responses") or []))


class RemoteActions:
    """An action server speaking Rasa's webhook protocol (`POST {url}` with the action call)."""

    def __init__(self, domain: Domain, url: str, names: set[str], timeout: float = 10.0) -> None:
        import httpx

        self.domain = domain
        self.url = url
        self._names = names
        self.client = httpx.AsyncClient(timeout=timeout)

    def names(self) -> set[str]:
        return self._names

    async def run(self, name: str, tracker: Tracker, extra_events: Events | None = None) -> Outcome:
        response = await self.client.post(self.url, json=_payload(name, tracker, self.domain, extra_events))
        if response.status_code != 200:
            raise RuntimeError(
                f"action server answered {response.status_code} for {name}: {response.text[:200]}"
            )
        data = response.json()
        return Outcome(list(data.get("events") or []), list(data.get("responses") or []))

    async def close(self) -> None:
        await self.client.aclose()


class Executor:
    def __init__(self, domain: Domain, custom: CustomActions, seed: int | None = None) -> None:
        self.domain = domain
        self.custom = custom
        self.rng = random.Random(seed)
        missing = [a for a in domain.actions if a not in custom.names() and a not in _BUILTINS]
        if missing:
            from bot.domain import DomainError

            raise DomainError([f"action {a!r} is listed in the domain but not implemented" for a in missing])

    async def run(self, name: str, tracker: Tracker) -> Outcome:
        """Run one action; the caller logs `action` + the outcome's events on the tracker."""
        if name in self.domain.forms:
            return await self._form(name, tracker)
        if name in self.domain.responses:
            return Outcome(messages=[self._utter(name, tracker)])
        builtin = _BUILTINS.get(name)
        if builtin is not None:
            return await builtin(self, tracker)
        outcome = await self.custom.run(name, tracker)
        outcome.messages = [self._render(m, tracker) for m in outcome.messages]
        return outcome

    def _utter(self, name: str, tracker: Tracker) -> dict[str, Any]:
        return _clean(self.domain.response(name, tracker.slots, self.rng), tracker.sender_id)

    def _render(self, message: dict[str, Any], tracker: Tracker) -> dict[str, Any]:
        """A dispatcher message; `response=utter_x` messages are filled from the domain."""
        name = message.get("response") or message.get("template")
        if name and name in self.domain.responses and not message.get("text"):
            filled = self.domain.response(name, {**tracker.slots, **(message.get("kwargs") or {})}, self.rng)
            message = {
                **filled,
                **{k: v for k, v in message.items() if v and k not in ("response", "template")},
            }
        return _clean(message, tracker.sender_id)

    # -- forms ------------------------------------------------------------------------------
    async def _form(self, name: str, tracker: Tracker) -> Outcome:
        """Rasa's form loop: extract the requested slot from the user's message, validate with
        `validate_<form>`, then ask for the next empty slot or finish."""
        form = self.domain.forms[name]
        activating = tracker.active_loop != name
        events: Events = [event("active_loop", name=name)] if activating else []
        user_spoke = not [e for e in tracker.turn_events() if e.get("event") == "action"]
        pause = form.pause_after_interruptions
        if not user_spoke and not activating and pause and interruptions(tracker, name) >= pause:
            # the learner keeps asking other things: answered, and the form stops asking for now
            paused = _clean(self.domain.response(f"utter_{name}_paused", dict(tracker.slots), self.rng),
                            tracker.sender_id)
            return Outcome([event("slot", name=REQUESTED_SLOT, value=None), event("active_loop", name=None)],
                           [paused])
        candidates: Events = []
        if user_spoke:
            requested = None if activating else tracker.slots.get(REQUESTED_SLOT)
            for slot in form.required_slots:
                value = self._extract(slot, name, requested, tracker)
                if value is not None:
                    candidates.append(event("slot", name=slot, value=value))
            if not activating and requested and not any(c["name"] == requested for c in candidates):
                return Outcome([event("action_execution_rejected", name=name)])
        outcome = Outcome(events=list(events))
        validator = f"validate_{name}"
        if validator in self.custom.names():
            checked = await self.custom.run(validator, tracker, extra_events=events + candidates)
            rejected = any(e.get("event") == "action_execution_rejected" for e in checked.events)
            if rejected and user_spoke and not activating:
                # the validator says the message is not for the form (a question between answers)
                return Outcome([event("action_execution_rejected", name=name)])
            outcome.events += checked.events
            outcome.messages += [self._render(m, tracker) for m in checked.messages]
        else:
            outcome.events += candidates
        slots = dict(tracker.slots)
        explicit_stop = False
        for item in outcome.events:
            if item.get("event") == "slot":
                slots[item["name"]] = item.get("value")
                if item["name"] == REQUESTED_SLOT and item.get("value") is None:
                    explicit_stop = True
            if item.get("event") == "active_loop" and item.get("name") is None:
                explicit_stop = True
        missing = [s for s in form.required_slots if slots.get(s) is None]
        if explicit_stop or not missing:
            outcome.events += [
                event("slot", name=REQUESTED_SLOT, value=None),
                event("active_loop", name=None),
            ]
            return outcome
        outcome.events.append(event("slot", name=REQUESTED_SLOT, value=missing[0]))
        ask = self.domain.ask_action(name, missing[0])
        if ask in self.domain.responses:
            outcome.messages.append(_clean(self.domain.response(ask, slots, self.rng), tracker.sender_id))
        elif ask:
            probe = tracker.copy()
            probe.extend(outcome.events)
            asked = await self.custom.run(ask, probe)
            outcome.events += asked.events
            outcome.messages += [self._render(m, probe) for m in asked.messages]
        return outcome

    def _extract(self, slot: str, form: str, requested: str | None, tracker: Tracker) -> Any:
        message = tracker.latest_message
        intent = (message.get("intent") or {}).get("name")
        for mapping in self.domain.slots[slot].mappings:
            conditions = mapping.get("conditions") or []
            if conditions and not any(
                c.get("active_loop") == form
                and c.get("requested_slot", requested) == requested
                and (requested is not None or "requested_slot" not in c)
                for c in conditions
            ):
                continue
            wanted, unwanted = _names(mapping.get("intent")), _names(mapping.get("not_intent"))
            if (wanted and intent not in wanted) or intent in unwanted:
                continue
            kind = mapping.get("type")
            if kind == "from_entity":
                for entity in message.get("entities") or []:
                    if entity.get("entity") == mapping.get("entity") and (
                        mapping.get("role") is None or entity.get("role") == mapping.get("role")
                    ):
                        return entity.get("value")
            elif kind == "from_text" and slot == requested:
                text = (message.get("text") or "").strip()
                if text:
                    return text
            elif kind == "from_intent" and slot == requested:
                return mapping.get("value")
        return None


def interruptions(tracker: Tracker, form: str) -> int:
    """How many of the latest user turns in a row the form rejected (a question asked between its
    own questions, then answered), back to the last turn in which it took an answer or began."""
    count, rejected = 0, False
    for item in reversed(tracker.events):
        kind = item.get("event")
        if kind == "action_execution_rejected" and item.get("name") == form:
            rejected = True
        elif kind == "active_loop" and item.get("name") == form:
            break  # the form began here
        elif kind == "user":
            if not rejected:
                break  # a turn the form took as an answer
            count, rejected = count + 1, False
    return count


def _names(value: Any) -> set[str]:
    if not value:
        return set()
    return {value} if isinstance(value, str) else set(value)


# -- built-in actions ---------------------------------------------------------------------------
async def _listen(executor: Executor, tracker: Tracker) -> Outcome:
    return Outcome()


async def _restart(executor: Executor, tracker: Tracker) -> Outcome:
    messages = (
        [executor._utter("utter_restart", tracker)] if "utter_restart" in executor.domain.responses else []
    )
    return Outcome([event("restart")], messages)


async def _session_start(executor: Executor, tracker: Tracker) -> Outcome:
    """A new session; slots carry over when the domain says so (Rasa's semantics)."""
    if "action_session_start" in executor.custom.names():
        return await executor.custom.run("action_session_start", tracker)
    events = [event("session_started")]
    if executor.domain.carry_over_slots:
        events += [
            event("slot", name=k, value=v)
            for k, v in tracker.slots.items()
            if v is not None and k != REQUESTED_SLOT
        ]
    return Outcome(events)


async def _default_fallback(executor: Executor, tracker: Tracker) -> Outcome:
    return Outcome(messages=[executor._utter("utter_default", tracker)])


async def _deactivate(executor: Executor, tracker: Tracker) -> Outcome:
    return Outcome([event("slot", name=REQUESTED_SLOT, value=None), event("active_loop", name=None)])


# A custom action the fallback tries first: it answers a message whose intent the NLU is unsure of
# when its content alone says what to answer, and says nothing otherwise.
FALLBACK_ANSWER = "action_answer_concrete"


async def _two_stage_fallback(executor: Executor, tracker: Tracker) -> Outcome:
    """First ask to rephrase; when the rephrased message is unclear too, offer the likeliest intents.
    Before either, the domain's `action_answer_concrete` may answer ("how many sharps does D major
    have" is a theory question whatever its intent)."""
    if FALLBACK_ANSWER in executor.domain.actions:
        answered = await executor.run(FALLBACK_ANSWER, tracker)
        if answered.messages:  # logged after this action, so a next unclear message is a first one
            answered.events = [event("action", name=FALLBACK_ANSWER), *answered.events]
            return answered
    previous = [e for e in tracker.events[:-1] if e.get("event") == "action" and e.get("name") != LISTEN]
    second = bool(previous) and previous[-1].get("name") == "action_two_stage_fallback"
    if not second:
        return Outcome(messages=[executor._utter("utter_ask_rephrase", tracker)])
    message = tracker.latest_message
    entities = {e["entity"]: e.get("id") or e.get("value") for e in message.get("entities") or []}
    buttons = []
    for item in message.get("intent_ranking") or []:
        title = f"utter_intent_{item['name']}"
        if item["name"] in ("nlu_fallback", "out_of_scope") or title not in executor.domain.responses:
            continue
        text = executor.domain.response(title, tracker.slots, executor.rng)["text"]
        buttons.append(
            {"title": text, "payload": f"/{item['name']}{json.dumps(entities) if entities else ''}"}
        )
        if len(buttons) == 3:
            break
    buttons.append({"title": "Something else", "payload": "/out_of_scope"})
    reply = executor._utter("utter_offer_intents", tracker)
    reply["buttons"] = buttons
    return Outcome(messages=[reply])


_BUILTINS = {
    LISTEN: _listen,
    "action_restart": _restart,
    "action_session_start": _session_start,
    "action_default_fallback": _default_fallback,
    "action_deactivate_loop": _deactivate,
    "action_two_stage_fallback": _two_stage_fallback,
}
