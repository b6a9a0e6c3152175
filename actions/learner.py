"""The learner as the recommender needs them, read from the conversation's slots, and the
recommender's reasons worded for a reply."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.context import link
from recommender.profile import Profile
from recommender.service import Recommendation


def learner_profile(tracker: Tracker, also_asked: list[str] | None = None) -> Profile:
    """Profile slots as graph ids: the instrument linked to its node, what the learner asked
    about (`interests`, then `also_asked` as the newest), mastered concepts, and the concepts and
    work this conversation was about."""
    instrument = tracker.get_slot("instrument")
    found = link(str(instrument), "instrument", threshold=0.75) if instrument else None
    asked = [i for i in tracker.get_slot("interests") or [] if i not in (also_asked or [])]
    studied = [*(tracker.get_slot("concepts_seen") or []), tracker.get_slot("concept"),
               tracker.get_slot("work")]
    level = tracker.get_slot("level")
    return Profile(
        instrument=found.id if found is not None else None,
        level=float(level) if level is not None else None,
        asked=tuple([*asked, *(also_asked or [])]),
        known=tuple(tracker.get_slot("known") or []),
        studied=tuple(dict.fromkeys(s for s in studied if s)),
    )


def because(rec: Recommendation, said: set[str] = frozenset()) -> str | None:
    """What follows "because" in a reply: "you asked about Henry Purcell — Canon in D belongs to the
    Baroque era; ...", or None without a path. A one-edge path to something the reply already
    names (`said`: node ids, e.g. the composer in "Dido and Aeneas by Henry Purcell") adds nothing
    and is left out."""
    if not rec.reasons:
        return None
    reason = rec.reasons[0]
    clause = reason.lead.removeprefix("Because ")
    if len(reason.path.steps) == 1 and reason.anchor in said:
        return clause
    return f"{clause} — {reason.facts.rstrip('.')}"
