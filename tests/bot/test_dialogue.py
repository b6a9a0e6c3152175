"""The dialogue definition: domain.yml, rules and stories are valid, agree with CONTRACTS, and
broken definitions are refused at start with every problem named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.domain import Domain, DomainError
from bot.policies import MemoizationPolicy, RulePolicy
from bot.service import load_dialogue
from bot.stories import load_flows
from bot.tracker import Tracker, event

CONTRACT_INTENTS = {
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "help",
    "explain_concept",
    "compare_concepts",
    "ask_example",
    "ask_prerequisites",
    "learning_path",
    "next_lesson",
    "start_quiz",
    "request_hint",
    "my_progress",
    "inform_profile",
    "too_easy",
    "too_hard",
    "recommend_music",
    "music_fact",
    "practice_feedback",
    "bot_challenge",
    "out_of_scope",
}


def test_the_project_dialogue_loads_and_names_the_contract_intents() -> None:
    domain, flows = load_dialogue()
    assert set(domain.intents) == CONTRACT_INTENTS
    assert set(domain.entities) == {"concept", "instrument", "skill_level", "person", "work", "genre", "era"}
    assert {"onboarding_form", "quiz_form"} <= set(domain.forms)
    assert flows.rules and flows.stories


def test_every_intent_has_a_rule_so_no_message_is_left_unanswered() -> None:
    domain, flows = load_dialogue()
    handled = {
        name for rule in flows.rules for kind, value in rule.tokens if kind == "intent" for name in value
    }
    assert set(domain.intents) <= handled
    assert "nlu_fallback" in handled


def _domain(**changes) -> dict:
    raw = {
        "intents": ["greet", "inform"],
        "entities": ["instrument"],
        "slots": {
            "instrument": {"type": "text", "mappings": [{"type": "from_entity", "entity": "instrument"}]}
        },
        "responses": {"utter_greet": [{"text": "Hi {name}!"}], "utter_ask_instrument": [{"text": "Which?"}]},
        "forms": {"profile_form": {"required_slots": ["instrument"]}},
        "actions": [],
    }
    raw.update(changes)
    return raw


def test_a_broken_domain_is_refused_listing_every_problem() -> None:
    raw = _domain(
        slots={
            "instrument": {"type": "text", "mappings": [{"type": "from_entity", "entity": "colour"}]},
            "level": {"type": "number", "mappings": []},
        },
        responses={"utter_greet": [{"image": "x.png"}]},
    )
    with pytest.raises(DomainError) as error:
        Domain.from_dict(raw)
    message = str(error.value)
    assert "unknown entity 'colour'" in message
    assert "type 'number'" in message
    assert "variation 1 has no text" in message
    assert "no utter_ask_instrument response" in message


@pytest.mark.parametrize(("pause", "complaint"), [(0, "whole number"), ("two", "whole number"),
                                                  (2, "no utter_profile_form_paused response")])
def test_a_form_that_pauses_needs_a_count_and_a_response_to_say_so(pause, complaint) -> None:
    forms = {"profile_form": {"required_slots": ["instrument"], "pause_after_interruptions": pause}}
    with pytest.raises(DomainError, match=complaint):
        Domain.from_dict(_domain(forms=forms))


def test_rules_and_stories_may_only_name_what_the_domain_has(tmp_path: Path) -> None:
    domain = Domain.from_dict(_domain())
    rules = tmp_path / "rules.yml"
    rules.write_text(
        yaml.safe_dump(
            {
                "rules": [
                    {"rule": "r", "steps": [{"intent": "wave"}, {"action": "utter_wave"}]},
                    {
                        "rule": "c",
                        "condition": [{"active_loop": "nope_form"}],
                        "steps": [{"intent": "greet"}],
                    },
                ]
            }
        )
    )
    with pytest.raises(DomainError) as error:
        load_flows(domain, rules, None)
    message = str(error.value)
    assert "unknown intent 'wave'" in message and "unknown action 'utter_wave'" in message
    assert "unknown form 'nope_form'" in message


def test_responses_fill_slot_placeholders_and_keep_unknown_ones() -> None:
    import random

    domain = Domain.from_dict(_domain())
    assert domain.response("utter_greet", {"name": "Ada"}, random.Random(0))["text"] == "Hi Ada!"
    assert domain.response("utter_greet", {}, random.Random(0))["text"] == "Hi {name}!"


def _tracker(domain: Domain, intent: str, *actions: str) -> Tracker:
    tracker = Tracker("t", domain)
    tracker.apply(event("user", text="x", parse_data={"intent": {"name": intent, "confidence": 1}}))
    for name in actions:
        tracker.apply(event("action", name=name))
    return tracker


def test_the_rule_policy_follows_a_rule_step_by_step_then_listens(tmp_path: Path) -> None:
    domain = Domain.from_dict(_domain(actions=["action_hello"]))
    rules = tmp_path / "rules.yml"
    rules.write_text(
        yaml.safe_dump(
            {
                "rules": [
                    {
                        "rule": "greet",
                        "steps": [{"intent": "greet"}, {"action": "utter_greet"}, {"action": "action_hello"}],
                    },
                ]
            }
        )
    )
    policy = RulePolicy(load_flows(domain, rules, None).rules)
    assert policy.predict(_tracker(domain, "greet")) == "utter_greet"
    assert policy.predict(_tracker(domain, "greet", "utter_greet")) == "action_hello"
    assert policy.predict(_tracker(domain, "greet", "utter_greet", "action_hello")) == "action_listen"
    assert policy.predict(_tracker(domain, "inform")) is None


def test_memoization_repeats_what_a_story_did_after_the_same_history(tmp_path: Path) -> None:
    domain = Domain.from_dict(_domain(actions=["action_hello", "action_more"]))
    stories = tmp_path / "stories.yml"
    stories.write_text(
        yaml.safe_dump(
            {
                "stories": [
                    {
                        "story": "s",
                        "steps": [
                            {"intent": "greet"},
                            {"action": "action_hello"},
                            {"intent": "inform"},
                            {"action": "action_more"},
                        ],
                    }
                ]
            }
        )
    )
    policy = MemoizationPolicy(load_flows(domain, None, stories))
    tracker = _tracker(domain, "greet", "action_hello", "action_listen")
    tracker.apply(event("user", text="y", parse_data={"intent": {"name": "inform", "confidence": 1}}))
    assert policy.predict(tracker) == "action_more"
    assert policy.predict(_tracker(domain, "inform")) is None  # without the history, no memory
