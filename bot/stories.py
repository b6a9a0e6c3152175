"""Rules and stories in Rasa 3 format (`data/rules.yml`, `data/stories.yml`), checked against the domain.

Both are turned into token sequences, the form the policies reason about:
`("intent", names)`, `("action", name)` and `("loop", name or None)`. Slot steps are kept as
conditions only, since slot values are the actions' business here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.domain import BUILTIN_INTENTS, Domain, DomainError

Token = tuple[str, Any]


@dataclass(frozen=True)
class Rule:
    name: str
    tokens: tuple[Token, ...]
    conditions: tuple[tuple[str, Any, Any], ...] = ()  # ("loop", name, None) or ("slot", name, value)
    conversation_start: bool = False
    wait_for_user_input: bool = True


@dataclass(frozen=True)
class Story:
    name: str
    tokens: tuple[Token, ...]


@dataclass
class Flows:
    rules: list[Rule] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)


def load_flows(domain: Domain, rules_path: Path | None, stories_path: Path | None) -> Flows:
    """Read and validate rules and stories; every problem is reported at once."""
    problems: list[str] = []
    flows = Flows()
    for path, key in ((rules_path, "rules"), (stories_path, "stories")):
        if path is None:
            continue
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise DomainError([f"cannot read: {exc}"], str(path)) from exc
        for i, entry in enumerate(raw.get(key) or []):
            label = f"{path.name}: {key[:-1]} {entry.get('rule') or entry.get('story') or i + 1!r}"
            tokens, errors = _tokens(entry.get("steps") or [], domain)
            problems += [f"{label}: {e}" for e in errors]
            if not tokens:
                problems.append(f"{label}: has no steps")
                continue
            if key == "rules":
                conditions, errors = _conditions(entry.get("condition") or [], domain)
                problems += [f"{label}: {e}" for e in errors]
                if len([t for t in tokens if t[0] == "intent"]) > 1:
                    problems.append(f"{label}: a rule has at most one user step")
                flows.rules.append(
                    Rule(
                        name=str(entry.get("rule")),
                        tokens=tuple(tokens),
                        conditions=tuple(conditions),
                        conversation_start=bool(entry.get("conversation_start", False)),
                        wait_for_user_input=bool(entry.get("wait_for_user_input", True)),
                    )
                )
            else:
                flows.stories.append(Story(name=str(entry.get("story")), tokens=tuple(tokens)))
    if problems:
        raise DomainError(problems, "rules/stories")
    return flows


def _tokens(steps: list[dict[str, Any]], domain: Domain) -> tuple[list[Token], list[str]]:
    tokens: list[Token] = []
    errors: list[str] = []
    for step in steps:
        if not isinstance(step, dict):
            errors.append(f"step {step!r} is not a mapping")
        elif "intent" in step or "or" in step:
            names = (
                [step["intent"]]
                if "intent" in step
                else [alt.get("intent") for alt in step["or"] if isinstance(alt, dict)]
            )
            for name in names:
                if name not in domain.intents and name not in BUILTIN_INTENTS:
                    errors.append(f"unknown intent {name!r}")
            tokens.append(("intent", frozenset(names)))
        elif "action" in step:
            if not domain.known_action(step["action"]):
                errors.append(
                    f"unknown action {step['action']!r} (not in the domain's actions, forms or responses)"
                )
            tokens.append(("action", step["action"]))
        elif "active_loop" in step:
            loop = step["active_loop"]
            if loop is not None and loop not in domain.forms:
                errors.append(f"unknown form {loop!r}")
            tokens.append(("loop", loop))
        elif "slot_was_set" in step or "checkpoint" in step:
            continue
        else:
            errors.append(f"step {step!r} is not an intent, action, active_loop or slot_was_set step")
    return tokens, errors


def _conditions(items: list[dict[str, Any]], domain: Domain) -> tuple[list[tuple[str, Any, Any]], list[str]]:
    conditions: list[tuple[str, Any, Any]] = []
    errors: list[str] = []
    for item in items:
        if "active_loop" in item:
            loop = item["active_loop"]
            if loop is not None and loop not in domain.forms:
                errors.append(f"condition names unknown form {loop!r}")
            conditions.append(("loop", loop, None))
        elif "slot_was_set" in item:
            for pair in item["slot_was_set"] or []:
                for slot, value in pair.items() if isinstance(pair, dict) else [(pair, True)]:
                    if slot not in domain.slots:
                        errors.append(f"condition names unknown slot {slot!r}")
                    conditions.append(("slot", slot, value))
        else:
            errors.append(f"condition {item!r} is not active_loop or slot_was_set")
    return conditions, errors
