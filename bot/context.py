"""A short reply read in the light of what the tutor has just offered.

The NLU reads one message alone, and alone "k", "y" or "yeah ok then" are ambiguous: "k" is as
much a stray letter (out of scope) as a yes, "y" sits near "yo" (a greeting). Right after "Shall
we quiz you on this?" they are a yes. Bayes' rule says how much: the model's probabilities carry
the training data's prior, where a yes or a no is 1 message in 16 (odds 1:15); if, right after an
offer, 3 short replies in 5 answer it (odds 3:2, an assumption, not a measurement), their odds
are 22 times higher. The engine uses 15, erring towards the message read alone: when the tutor's
last turn made an offer (the `offer` slot), no form is active and the reply has at most three
words, affirm and deny are weighed 15 times up and the ranking renormalised; the reply is taken
as a yes or no only if that is then more likely than not. A confident parse ("too hard", "quiz
me") keeps its intent, and what the model said is kept beside the new intent (`context`).
"""

from __future__ import annotations

from typing import Any

from bot.tracker import Tracker

ANSWERS = ("affirm", "deny")
OFFER_ODDS = 15.0
SHORT = 3  # words


def offer_pending(tracker: Tracker) -> bool:
    """Whether the tutor's last turn (the events since the learner's last message) made an offer
    that still stands, with no form waiting for an answer of its own."""
    if tracker.active_loop or not tracker.slots.get("offer"):
        return False
    made = (e for e in tracker.turn_events() if e.get("event") == "slot" and e.get("name") == "offer")
    return any(e.get("value") for e in made)


def in_context(parse: dict[str, Any], tracker: Tracker) -> dict[str, Any]:
    """`parse`, with a short reply to a standing offer read as a yes or no where that is likelier
    than not once the offer is taken into account; otherwise `parse` unchanged."""
    text = parse.get("text") or ""
    ranking = parse.get("intent_ranking") or []
    if not ranking or len(text.split()) > SHORT or not offer_pending(tracker):
        return parse
    weighed = [(r["name"], r["confidence"] * (OFFER_ODDS if r["name"] in ANSWERS else 1.0)) for r in ranking]
    total = sum(w for _, w in weighed) or 1.0
    name, weight = max(weighed, key=lambda item: item[1])
    current = (parse.get("intent") or {}).get("name")
    if name not in ANSWERS or name == current or weight / total <= 0.5:
        return parse
    return {
        **parse,
        "intent": {"name": name, "confidence": round(weight / total, 4)},
        "intent_ranking": sorted(
            ({"name": n, "confidence": round(w / total, 4)} for n, w in weighed),
            key=lambda r: -r["confidence"],
        ),
        "context": {"offer": tracker.slots.get("offer"), "nlu_intent": parse.get("intent")},
    }
