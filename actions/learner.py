"""The learner as the recommender and the learner model need them, read from the conversation's
slots, and the recommender's reasons worded for a reply."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from rasa_sdk import Tracker

from actions.context import link
from actions.services import services
from recommender.learner.mastery import Kind, Mastery
from recommender.profile import Profile
from recommender.service import Recommendation

# A learner's stated level says something about what they know before any answer: concepts well
# below it start likelier known. Evidence soon outweighs this.
PRIOR_BELOW_LEVEL, PRIOR_DEFAULT = 0.5, 0.15


HISTORY = 150  # graded answers kept for the attention model: one window of it


def mastery_of(tracker: Tracker, also: Sequence[str] = ()) -> Mastery:
    """The learner's mastery state from the `progress` slot, over the curriculum's prerequisites.

    With an activated attention model (`services().tracer`), its chances of a right answer, from the
    learner's graded history, stand in for the estimates of the concepts in the state and `also`."""
    level = float(tracker.get_slot("level") or 1.0)
    curriculum = services().curriculum

    def prior(concept_id: str) -> float:
        found = curriculum.get(concept_id.removeprefix("concept:"))
        return PRIOR_BELOW_LEVEL if found is not None and found.grade < level - 1 else PRIOR_DEFAULT

    mastery = Mastery(tracker.get_slot("progress") or {}, services().prerequisites, prior=prior)
    tracer = services().tracer
    history = tracker.get_slot("answers") or []
    if tracer is not None and history:
        mastery.use_chances(tracer.chances(history, [*mastery.state, *also], mastery.chance_right))
    return mastery


def record_evidence(
    tracker: Tracker, concept: str, correct: float, kind: Kind
) -> tuple[Mastery, dict[str, Any]]:
    """The mastery after one graded event, and the slot values to store: the updated `progress`,
    the `known` (mastered) list and, for answers and recordings, the graded `answers` history.

    Concepts the learner was said to know before there was a learner model (a `known` entry with no
    record) stay known."""
    mastery = mastery_of(tracker, also=[concept])
    mastery.observe(concept, correct, time.time(), kind)
    legacy = [c for c in tracker.get_slot("known") or [] if c not in mastery.state]
    slots: dict[str, Any] = {"progress": mastery.state, "known": [*legacy, *mastery.mastered()]}
    if kind in ("answer", "hint_answer", "practice"):
        slots["answers"] = [*(tracker.get_slot("answers") or []), [concept, round(correct, 3)]][-HISTORY:]
    return mastery, slots


def assumed_known(tracker: Tracker, doubtful: list[str] | None = None) -> list[str]:
    """Concepts below the learner's working grade, taken as known until their answers say
    otherwise (`doubtful`): an intermediate player (grade 3) is not sent back to grade-1 basics
    such as pitch and beat, a beginner (grade 1) assumes nothing."""
    level = int(float(tracker.get_slot("level") or 1.0))
    if level <= 1:
        return []
    shaky = set(mastery_of(tracker).doubtful() if doubtful is None else doubtful)
    return [f"concept:{c.id}" for c in services().curriculum.values()
            if c.grade < level and f"concept:{c.id}" not in shaky]


def path_knowledge(tracker: Tracker) -> tuple[list[str], list[str]]:
    """What learning paths may skip (the mastered concepts, and those below the learner's grade)
    and must not (the doubtful ones)."""
    doubtful = mastery_of(tracker).doubtful()
    known = list(tracker.get_slot("known") or [])
    return known + [c for c in assumed_known(tracker, doubtful) if c not in known], doubtful


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
        assumed=tuple(assumed_known(tracker)),
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
