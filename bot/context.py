"""A short reply read in the light of what the tutor has just offered, or of the question before.

"and piano?" after "what does forte mean" asks the same question about piano; read alone, the NLU
may take it for a profile statement ("I play piano"). Such a fragment (and / what about / how
about, then at most three words not about the speaker) after a question, outside a form, is asked
again as that question when the NLU read it as a profile statement, out of scope or unsure.

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

import re
from typing import Any

from bot.tracker import Tracker

ANSWERS = ("affirm", "deny")
# A fragment that continues the question before it: "and piano?", "what about on cello?"
FRAGMENT = re.compile(
    r"^\s*(?:and|what about|how about)\s+(?:on |for |in |the |a |an )?(?P<rest>[^?.!,]{1,40}?)\s*[?.!]*\s*$",
    re.I,
)
QUESTIONS = ("explain_concept", "music_fact", "compare_concepts", "ask_example", "ask_prerequisites")
CONTINUED = ("inform_profile", "out_of_scope", "nlu_fallback")  # what such a fragment is misread as
SPEAKER = frozenset({"i", "i'm", "im", "my", "me", "we", "you", "your"})
OFFER_ODDS = 15.0
SHORT = 3  # words


def offer_pending(tracker: Tracker) -> bool:
    """Whether the tutor's last turn (the events since the learner's last message) made an offer
    that still stands, with no form waiting for an answer of its own."""
    if tracker.active_loop or not tracker.slots.get("offer"):
        return False
    made = (e for e in tracker.turn_events() if e.get("event") == "slot" and e.get("name") == "offer")
    return any(e.get("value") for e in made)


def follow_on(parse: dict[str, Any], tracker: Tracker) -> dict[str, Any]:
    """`parse`, with a fragment that continues the learner's previous question ("what does forte
    mean" → "and piano?") asked again as that question, when the NLU read the fragment alone as a
    profile statement, out of scope or unsure; otherwise `parse` unchanged. A fragment about the
    learner ("and i play piano") or during a form is left as it was read."""
    match = FRAGMENT.match(parse.get("text") or "")
    current = (parse.get("intent") or {}).get("name")
    previous = tracker.intent  # the latest message the tracker holds is the one before this
    if match is None or tracker.active_loop or current not in CONTINUED or previous not in QUESTIONS:
        return parse
    words = match["rest"].lower().split()
    if not words or len(words) > 3 or words[0] in SPEAKER:
        return parse
    read = parse.get("intent") or {}
    return {**parse, "intent": {"name": previous, "confidence": read.get("confidence")},
            "context": {"follows": previous, "nlu_intent": read}}


def in_context(parse: dict[str, Any], tracker: Tracker) -> dict[str, Any]:
    """`parse` read in the light of the conversation: a fragment continuing the previous question
    (`follow_on`), or a short reply to a standing offer read as a yes or no where that is likelier
    than not once the offer is taken into account; otherwise `parse` unchanged."""
    followed = follow_on(parse, tracker)
    if followed is not parse:
        return followed
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
