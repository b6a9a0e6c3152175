"""Next-action policies: rules, story memoization, and the ensemble that orders them with forms.

Priorities follow Rasa's: a followup requested by an action, then the active form, then rules,
then memoized stories, then the default fallback. Each policy answers with an action name or
None ("no opinion"), so adding a policy never changes what the others mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.stories import Flows, Rule, Token
from bot.tracker import LISTEN, Tracker

DEFAULT_FALLBACK = "action_default_fallback"


@dataclass(frozen=True)
class Prediction:
    action: str
    policy: str


def turn_tokens(tracker: Tracker) -> list[Token]:
    """The current turn as tokens: the user's intent, then actions and loop changes in order."""
    tokens: list[Token] = []
    for item in tracker.turn_events():
        kind = item.get("event")
        if kind == "user":
            tokens.append(("intent", (item.get("parse_data") or {}).get("intent", {}).get("name")))
        elif kind == "action" and item.get("name") != LISTEN:
            tokens.append(("action", item["name"]))
        elif kind == "active_loop":
            tokens.append(("loop", item.get("name")))
    return tokens


def _same(rule_token: Token, token: Token) -> bool:
    if rule_token[0] != token[0]:
        return False
    if rule_token[0] == "intent":
        return token[1] in rule_token[1]
    return rule_token[1] == token[1]


def _first_turn(tracker: Tracker) -> bool:
    """No user message before this one in the session (only rules marked conversation_start ask)."""
    earlier = tracker.session_events()[: -len(tracker.turn_events())]
    return not any(e.get("event") == "user" for e in earlier)


def _conditions_hold(rule: Rule, slots: dict[str, Any], loop: str | None) -> bool:
    for kind, name, value in rule.conditions:
        if kind == "loop" and loop != name:
            return False
        if kind == "slot":
            current = slots.get(name)
            if value is True and current is None:
                return False
            if value is None and current is not None:
                return False
            if value not in (True, None) and current != value:
                return False
    return True


class RulePolicy:
    """Predicts from rules: the rule whose steps so far match the turn exactly (or, for rules that
    start with an action, the turn's tail) says what comes next; longer matches and rules with
    more conditions win."""

    name = "RulePolicy"

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules

    def predict(self, tracker: Tracker) -> str | None:
        tokens = turn_tokens(tracker)
        if not tokens or tokens[0][0] != "intent":
            return None
        slots, loop = tracker.turn_start
        best: tuple[int, int, str] | None = None
        for rule in self.rules:
            if rule.conversation_start and not _first_turn(tracker):
                continue
            if not _conditions_hold(rule, slots, loop):
                continue
            for cut in range(1, len(rule.tokens) + 1):
                prefix = rule.tokens[:cut]
                if cut < len(rule.tokens) and rule.tokens[cut][0] != "action":
                    continue
                if not self._matches(prefix, tokens):
                    continue
                if cut == len(rule.tokens):
                    action = LISTEN if rule.wait_for_user_input else None
                else:
                    action = rule.tokens[cut][1]
                if action is None:
                    continue
                score = (cut, len(rule.conditions), action)
                if best is None or score[:2] > best[:2]:
                    best = score
        return best[2] if best else None

    @staticmethod
    def _matches(prefix: tuple[Token, ...], tokens: list[Token]) -> bool:
        if prefix[0][0] == "intent":
            return len(prefix) == len(tokens) and all(map(_same, prefix, tokens))
        if len(prefix) > len(tokens) - 1:  # an action-led rule never swallows the user's intent
            return False
        return all(map(_same, prefix, tokens[-len(prefix) :]))


State = tuple[str | None, str | None, str | None]  # (latest intent, previous action, active loop)


def _states(tokens: list[Token] | tuple[Token, ...]) -> list[tuple[State, str | None]]:
    """Each prediction point of a token stream: the state before it and the action taken there."""
    points: list[tuple[State, str | None]] = []
    intent: str | None = None
    previous: str | None = None
    loop: str | None = None
    for kind, value in tokens:
        if kind == "intent":
            if previous is not None and previous != LISTEN:
                points.append(((intent, previous, loop), LISTEN))
            intent = value if isinstance(value, str) else sorted(value)[0]
            previous = LISTEN
        elif kind == "action":
            points.append(((intent, previous, loop), value))
            previous = value
        elif kind == "loop":
            loop = value
    points.append(((intent, previous, loop), None))  # the open point: what comes next
    return points


class MemoizationPolicy:
    """Remembers the stories: the same recent history (at least two steps, at most `max_history`)
    leads to the same next action."""

    name = "MemoizationPolicy"

    def __init__(self, flows: Flows, max_history: int = 3) -> None:
        self.max_history = max_history
        self.memory: dict[tuple[State, ...], str] = {}
        for story in flows.stories:
            for variant in _expand(story.tokens):
                points = _states(variant)[:-1]
                states = [state for state, _ in points]
                for i, (_, action) in enumerate(points):
                    for size in range(2, self.max_history + 1):
                        if i + 1 >= size:
                            self.memory.setdefault(tuple(states[i + 1 - size : i + 1]), action)

    def predict(self, tracker: Tracker) -> str | None:
        tokens = _session_tokens(tracker)
        states = [state for state, _ in _states(tokens)]
        for size in range(self.max_history, 1, -1):
            if len(states) >= size:
                action = self.memory.get(tuple(states[-size:]))
                if action:
                    return action
        return None


def _expand(tokens: tuple[Token, ...]) -> list[list[Token]]:
    """An `or` step stands for each of its intents."""
    variants: list[list[Token]] = [[]]
    for kind, value in tokens:
        if kind == "intent" and isinstance(value, frozenset) and len(value) > 1:
            variants = [[*v, (kind, name)] for v in variants for name in sorted(value)]
        else:
            item = (kind, next(iter(value)) if isinstance(value, frozenset) else value)
            variants = [[*v, item] for v in variants]
    return variants


def _session_tokens(tracker: Tracker) -> list[Token]:
    tokens: list[Token] = []
    for item in tracker.session_events()[-60:]:
        kind = item.get("event")
        if kind == "user":
            tokens.append(("intent", (item.get("parse_data") or {}).get("intent", {}).get("name")))
        elif kind == "action" and item.get("name") not in (LISTEN, "action_session_start"):
            tokens.append(("action", item["name"]))
        elif kind == "active_loop":
            tokens.append(("loop", item.get("name")))
    return tokens


class PolicyEnsemble:
    """Orders followups, the active form, rules and memoization; falls back when none has an opinion."""

    def __init__(self, flows: Flows, max_history: int = 3) -> None:
        self.rules = RulePolicy(flows.rules)
        self.memo = MemoizationPolicy(flows, max_history)

    def predict(self, tracker: Tracker) -> Prediction:
        if tracker.followup_action:
            return Prediction(tracker.followup_action, "followup")
        turn = tracker.turn_events()
        done = [e for e in turn if e.get("event") == "action"]
        rejected = any(e.get("event") == "action_execution_rejected" for e in turn)
        loop = tracker.active_loop
        if loop and not done and not rejected:
            return Prediction(loop, "FormPolicy")
        action = self.rules.predict(tracker)
        if action and action != LISTEN:
            return Prediction(action, self.rules.name)
        if loop and rejected and done and done[-1].get("name") != loop:
            return Prediction(loop, "FormPolicy")  # the interruption is handled: resume the form
        if action == LISTEN:
            return Prediction(LISTEN, self.rules.name)
        action = self.memo.predict(tracker)
        if action:
            return Prediction(action, self.memo.name)
        if not done:
            return Prediction(DEFAULT_FALLBACK, "fallback")
        return Prediction(LISTEN, "fallback")
