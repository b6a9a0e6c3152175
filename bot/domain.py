"""The dialogue domain, read from a Rasa 3 `domain.yml` and checked before the service starts.

The engine trusts the domain completely once it is loaded, so every cross-reference (slot
mappings to entities and intents, forms to slots, responses' buttons) is validated here and all
problems are reported together with their location.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SLOT_TYPES = {"text", "bool", "categorical", "float", "list", "any"}
MAPPING_TYPES = {"from_entity", "from_text", "from_intent", "from_trigger_intent", "custom"}
BUILTIN_ACTIONS = {
    "action_listen",
    "action_restart",
    "action_session_start",
    "action_default_fallback",
    "action_two_stage_fallback",
    "action_deactivate_loop",
}
BUILTIN_INTENTS = {"nlu_fallback"}
REQUESTED_SLOT = "requested_slot"


class DomainError(ValueError):
    """The domain (or rules/stories against it) is inconsistent; lists every problem found."""

    def __init__(self, problems: list[str], source: str = "domain.yml") -> None:
        self.problems = problems
        super().__init__(f"{source} has {len(problems)} problem(s):\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True)
class Slot:
    name: str
    type: str
    mappings: list[dict[str, Any]]
    initial_value: Any = None
    values: tuple[str, ...] = ()
    influence_conversation: bool = False

    def coerce(self, value: Any) -> Any:
        """The value as the slot stores it; raises ValueError when it cannot hold it."""
        if value is None:
            return None
        if self.type == "text":
            return str(value)
        if self.type == "bool":
            if isinstance(value, bool):
                return value
            raise ValueError(f"slot {self.name!r} holds true/false, not {value!r}")
        if self.type == "float":
            return float(value)
        if self.type == "categorical":
            text = str(value).lower()
            if text not in self.values:
                raise ValueError(f"slot {self.name!r} accepts {', '.join(self.values)}; not {value!r}")
            return text
        if self.type == "list":
            return list(value) if isinstance(value, list | tuple) else [value]
        return value


@dataclass(frozen=True)
class Form:
    name: str
    required_slots: list[str]
    ignored_intents: list[str] = field(default_factory=list)
    # Etude's own key (Rasa has none): after this many questions in a row between the form's own
    # answers the form stops asking, says `utter_<form>_paused` and ends, instead of asking again
    # after every digression; None asks again every time (a quiz waits for its answer)
    pause_after_interruptions: int | None = None


@dataclass
class Domain:
    intents: list[str]
    entities: list[str]
    slots: dict[str, Slot]
    responses: dict[str, list[dict[str, Any]]]
    actions: list[str]
    forms: dict[str, Form]
    session_expiration_minutes: float = 60.0
    carry_over_slots: bool = True
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Domain:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise DomainError([f"cannot read: {exc}"], str(path)) from exc
        return cls.from_dict(raw, source=str(path))

    @classmethod
    def from_dict(cls, raw: dict[str, Any], source: str = "domain.yml") -> Domain:
        problems: list[str] = []
        if not isinstance(raw, dict):
            raise DomainError(["the top level must be a mapping"], source)
        intents = [_name(i) for i in raw.get("intents") or []]
        entities = [_name(e) for e in raw.get("entities") or []]
        slots: dict[str, Slot] = {}
        for name, spec in (raw.get("slots") or {}).items():
            spec = spec or {}
            kind = spec.get("type")
            if kind not in SLOT_TYPES:
                problems.append(f"slot {name!r}: type {kind!r} is not one of {sorted(SLOT_TYPES)}")
                continue
            slots[name] = Slot(
                name=name,
                type=kind,
                mappings=list(spec.get("mappings") or []),
                initial_value=spec.get("initial_value"),
                values=tuple(str(v).lower() for v in spec.get("values") or ()),
                influence_conversation=bool(spec.get("influence_conversation", False)),
            )
        slots.setdefault(REQUESTED_SLOT, Slot(REQUESTED_SLOT, "any", []))
        responses = {name: list(variants or []) for name, variants in (raw.get("responses") or {}).items()}
        forms = {
            name: Form(
                name,
                list((spec or {}).get("required_slots") or []),
                list((spec or {}).get("ignored_intents") or []),
                (spec or {}).get("pause_after_interruptions"),
            )
            for name, spec in (raw.get("forms") or {}).items()
        }
        actions = [_name(a) for a in raw.get("actions") or []]
        session = raw.get("session_config") or {}
        domain = cls(
            intents=intents,
            entities=entities,
            slots=slots,
            responses=responses,
            actions=actions,
            forms=forms,
            session_expiration_minutes=float(session.get("session_expiration_time", 60)),
            carry_over_slots=bool(session.get("carry_over_slots_to_new_session", True)),
            raw=raw,
        )
        problems += domain._problems()
        if problems:
            raise DomainError(problems, source)
        return domain

    def _problems(self) -> list[str]:
        problems = []
        for kind, names in (("intent", self.intents), ("entity", self.entities), ("action", self.actions)):
            seen = set()
            for name in names:
                if name in seen:
                    problems.append(f"{kind} {name!r} is listed twice")
                seen.add(name)
        for slot in self.slots.values():
            if slot.type == "categorical" and not slot.values:
                problems.append(f"slot {slot.name!r}: a categorical slot needs `values`")
            for mapping in slot.mappings:
                problems += self._mapping_problems(slot.name, mapping)
        for name, variants in self.responses.items():
            if not name.startswith("utter_"):
                problems.append(f"response {name!r}: response names start with 'utter_'")
            if not variants:
                problems.append(f"response {name!r} has no variations")
            for i, variant in enumerate(variants):
                if not isinstance(variant, dict) or not (variant.get("text") or variant.get("custom")):
                    problems.append(f"response {name!r} variation {i + 1} has no text")
                for button in (variant or {}).get("buttons") or []:
                    if not {"title", "payload"} <= set(button):
                        problems.append(f"response {name!r}: a button needs title and payload")
        for form in self.forms.values():
            if not form.required_slots:
                problems.append(f"form {form.name!r} has no required_slots")
            for slot in form.required_slots:
                if slot not in self.slots:
                    problems.append(f"form {form.name!r} requires unknown slot {slot!r}")
                elif not self.has_ask(form.name, slot):
                    problems.append(
                        f"form {form.name!r}: no utter_ask_{slot} response or action_ask_{slot} action"
                    )
            for intent in form.ignored_intents:
                if intent not in self.intents:
                    problems.append(f"form {form.name!r} ignores unknown intent {intent!r}")
            pause = form.pause_after_interruptions
            if pause is not None and (not isinstance(pause, int) or isinstance(pause, bool) or pause < 1):
                problems.append(f"form {form.name!r}: pause_after_interruptions must be a whole number ≥ 1")
            elif pause is not None and f"utter_{form.name}_paused" not in self.responses:
                problems.append(f"form {form.name!r} pauses but has no utter_{form.name}_paused response")
        for name in self.actions:
            if name in self.forms:
                problems.append(f"{name!r} is both a form and an action")
        return problems

    def _mapping_problems(self, slot: str, mapping: dict[str, Any]) -> list[str]:
        problems = []
        kind = mapping.get("type")
        if kind not in MAPPING_TYPES:
            return [f"slot {slot!r}: mapping type {kind!r} is not one of {sorted(MAPPING_TYPES)}"]
        if kind == "from_entity" and mapping.get("entity") not in self.entities:
            problems.append(f"slot {slot!r}: maps from unknown entity {mapping.get('entity')!r}")
        for key in ("intent", "not_intent"):
            names = mapping.get(key) or []
            for intent in [names] if isinstance(names, str) else names:
                if intent not in self.intents and intent not in BUILTIN_INTENTS:
                    problems.append(f"slot {slot!r}: mapping names unknown intent {intent!r}")
        for condition in mapping.get("conditions") or []:
            loop = condition.get("active_loop")
            if loop and loop not in self.forms:
                problems.append(f"slot {slot!r}: condition names unknown form {loop!r}")
        return problems

    # -- queries ---------------------------------------------------------------------------
    def has_ask(self, form: str, slot: str) -> bool:
        return self.ask_action(form, slot) is not None

    def ask_action(self, form: str, slot: str) -> str | None:
        """How a form asks for a slot: a custom action, a form-specific or a generic response."""
        for name in (f"action_ask_{form}_{slot}", f"action_ask_{slot}"):
            if name in self.actions:
                return name
        for name in (f"utter_ask_{form}_{slot}", f"utter_ask_{slot}"):
            if name in self.responses:
                return name
        return None

    def known_action(self, name: str) -> bool:
        return name in BUILTIN_ACTIONS or name in self.actions or name in self.forms or name in self.responses

    def response(self, name: str, slots: dict[str, Any], rng: random.Random) -> dict[str, Any]:
        """One variation of a response, with `{slot}` placeholders filled from the slots."""
        variants = self.responses[name]
        chosen = dict(rng.choice(variants))
        if "text" in chosen:
            chosen["text"] = _fill(str(chosen["text"]), slots)
        return chosen

    def initial_slots(self) -> dict[str, Any]:
        return {name: slot.initial_value for name, slot in self.slots.items()}

    def as_sdk_dict(self) -> dict[str, Any]:
        """The domain as rasa_sdk's `domain` argument (what Rasa sends to action servers)."""
        raw = dict(self.raw)
        raw["slots"] = {
            name: {"type": s.type, "mappings": s.mappings, "initial_value": s.initial_value}
            for name, s in self.slots.items()
        }
        raw["forms"] = {name: {"required_slots": f.required_slots} for name, f in self.forms.items()}
        return raw


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(text: str, slots: dict[str, Any]) -> str:
    values = _Missing({k: v for k, v in slots.items() if v is not None})
    try:
        return text.format_map(values)
    except (ValueError, IndexError):
        return text


def _name(entry: Any) -> str:
    """Rasa allows `- name` or `- name: {properties}`."""
    if isinstance(entry, dict):
        return str(next(iter(entry)))
    return str(entry)
