"""The learner's side: profile (onboarding), level, next lesson, progress, offers, help, sessions.

Profile and progress live in slots, which the engine persists with every turn; mastery itself is
recommender.learner.mastery's (knowledge tracing over the prerequisite graph).
"""

from __future__ import annotations

import re
import time
from typing import Any

from rapidfuzz import fuzz, process
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, FollowupAction, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import (
    answered_this_turn,
    asks_something,
    first_sentences,
    link,
    mentioned,
    names,
    node,
    remember,
)
from actions.explain import ActionCompareConcepts, answer_concrete, genre_concepts
from actions.learner import because, learner_profile, mastery_of, path_knowledge, record_evidence
from actions.services import DomainDict, Events, services
from kg.schema import Node
from recommender.learner.mastery import DAY

LEVELS = {"beginner": 1.0, "intermediate": 3.0, "advanced": 5.0}
LEVEL_WORDS = {
    "beginner": (
        "beginner",
        "novice",
        "newbie",
        "new",
        "just started",
        "starting",
        "basic",
        "first time",
        "noob",
    ),
    "intermediate": ("intermediate", "some experience", "a few years", "okay", "decent", "medium", "middle"),
    "advanced": ("advanced", "expert", "pro", "professional", "many years", "fluent", "conservatory"),
}
MAX_LEVEL, MIN_LEVEL = 8.0, 1.0
LEVEL_REACH = 2  # grades above the learner's level a next lesson may be
GOAL_FILLER = re.compile(
    r"^(i(?:'d| would)? (?:like|want|wanna|hope) to |i'm trying to |to )?(?:learn|play|improve|master|"
    r"understand|get better at|be able to|know)?\b\s*(?:how to\s*)?(?:more about\s*)?",
    re.I,
)
# How a goal is introduced ("my goal is to play jazz"): the goal is what follows.
GOAL_LEAD = re.compile(
    r"^(?:my (?:main |big )?goals? (?:is|are|would be) (?:to )?|i(?:'d| would)? (?:like|want|wanna|hope) to |"
    r"i'm (?:trying|hoping) to |i want |i'd like )", re.I)
# Slots that describe the learner and survive a new session; the rest is conversation context.
PROFILE_SLOTS = ("instrument", "skill_level", "goals", "level", "known", "progress", "answers", "interests")


def instruments() -> list[Node]:
    return [n for n in services().graph.store.nodes("Instrument")]


# a goal answer that states none ("no", "nothing in particular"): the profile is done without one
NO_GOAL = re.compile(r"(?:no|nope|nah|none|nothing|not really|not sure|no idea|dunno|i don'?t know)"
                     r"(?: (?:in particular|specific|special|yet|really))?", re.I)
# what a stated goal may be read as ("i want to learn jazz" as a path, "jazz chords" as a concept);
# not out of scope: a question about something else ("how do i scale a fish") is answered as such
# and the goal asked for again, instead of becoming the goal
GOAL_LIKE = {"inform_profile", "learning_path", "affirm", "deny", "nlu_fallback"}


class ValidateOnboardingForm(FormValidationAction):
    def name(self) -> str:
        return "validate_onboarding_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        message = tracker.latest_message
        intent = message.get("intent") or {}
        if (
            tracker.get_slot("requested_slot") == "goals"
            and intent.get("name") not in GOAL_LIKE
            and float(intent.get("confidence") or 0.0) >= 0.6
            and asks_something(str(message.get("text") or ""))
            and not answered_this_turn(tracker, {"onboarding_form", "validate_onboarding_form"})
        ):
            # "recommend me some music" while the form waits for a goal: answered, then asked again
            return [ActionExecutionRejected("onboarding_form")]
        return await super().run(dispatcher, tracker, domain)

    def validate_instrument(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        found = link(str(value), "instrument", threshold=0.75)
        if found is None:
            taught = sorted(
                {n.name for n in instruments() if services().graph.neighbours(n.id, "TECHNIQUE_FOR", "in")}
            )
            dispatcher.utter_message(
                text=f'I don\'t know the instrument "{value}". My technique lessons cover: '
                f"{', '.join(taught)}; for theory any instrument is fine, so name yours."
            )
            return {"instrument": None}
        return {"instrument": found.name}

    def validate_skill_level(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        level = normalise_level(str(value))
        if level is None:
            dispatcher.utter_message(text="Please answer beginner, intermediate or advanced.")
        return {"skill_level": level}

    def validate_goals(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        text = GOAL_LEAD.sub("", str(value).strip()).strip(" .!") or str(value).strip()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "deny" or NO_GOAL.fullmatch(text):
            return {"goals": ""}  # "no", "nothing in particular": no goal, and the profile is done
        if intent == "affirm" or len(text) < 2:  # "yes" says no goal: asked again, with a hint
            dispatcher.utter_message(text="Tell me in a few words what you'd like to learn.")
            return {"goals": None}
        return {"goals": text[:300]}


def normalise_level(text: str) -> str | None:
    lowered = text.lower().strip()
    if lowered in LEVELS:
        return lowered
    for level, words in LEVEL_WORDS.items():
        if any(re.search(rf"\b{re.escape(w)}\b", lowered) for w in words):
            return level
    best = process.extractOne(lowered, list(LEVELS), scorer=fuzz.ratio)
    return best[0] if best and best[1] >= 75 else None


def goal_concept(goals: str | None) -> Node | None:
    """The curriculum concept a goal names ("jazz chords" → a jazz harmony concept), if any."""
    if not goals:
        return None
    text = GOAL_FILLER.sub("", goals.strip()).strip(" .!")
    return link(text, "concept", threshold=0.6) if text else None


def goal_of(goals: str | None) -> tuple[Node | None, Node | None]:
    """What a goal heads for: (the concept it names, None), else (None, the genre it names: "play
    blues" → the blues), else (None, None)."""
    concept = goal_concept(goals)
    if concept is not None or not goals:
        return concept, None
    text = GOAL_FILLER.sub("", goals.strip()).strip(" .!")
    return None, (link(text, "genre", threshold=0.9) if text else None)


class ActionSetProfile(Action):
    def name(self) -> str:
        return "action_set_profile"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        instrument, level = tracker.get_slot("instrument"), tracker.get_slot("skill_level")
        goals = tracker.get_slot("goals")
        if not (instrument or level or goals):
            return []  # onboarding paused before any answer: nothing to confirm
        grade = LEVELS.get(level or "", tracker.get_slot("level") or 1.0)
        text = f"Great: {level or 'a'} {instrument or 'musician'}"
        text += f', working towards "{goals}".' if goals else "."
        text += f" I'll start you at grade {int(grade)} of 8."
        goal, genre = goal_of(goals)
        events: list[dict[str, Any]] = [SlotSet("level", grade)]
        if goal is not None:
            text += f" Your goal relates to {goal.name}: shall I plan a learning path to it?"
            events += [
                SlotSet("concept", goal.id),
                SlotSet("offer", {"action": "action_learning_path", "concept": goal.id}),
            ]
        elif genre is not None and (heads := genre_concepts(genre.id)):
            text += (f" {genre.name} pieces are most often famous examples of {names(heads)}: shall I plan "
                     f"a learning path to {heads[0].name}?")
            events += [
                SlotSet("concept", heads[0].id),
                SlotSet("offer", {"action": "action_learning_path", "concept": heads[0].id}),
            ]
        else:
            text += ' Ask me "what should I learn next?" whenever you\'re ready.'
        dispatcher.utter_message(text=text)
        return events


def next_concept(tracker: Tracker) -> tuple[Node | None, str]:
    """The next lesson and why: the first unmastered step towards the learner's goal, else the
    recommender's best lesson for them (never ahead of its prerequisites, at most LEVEL_REACH
    grades above their level when one fits)."""
    graph = services().graph
    known, doubtful = path_knowledge(tracker)
    level = float(tracker.get_slot("level") or 1.0)
    declined = list(tracker.get_slot("declined") or [])
    goals = tracker.get_slot("goals")
    goal, genre = goal_of(goals)
    for target in [goal] if goal is not None else genre_concepts(genre.id) if genre is not None else []:
        path = [n for n in graph.learning_path(target.id, known, doubtful=doubtful) if n.id not in declined]
        if path:
            aim = f"{target.name}" if goal is not None else f'{target.name}, for your goal "{goals}"'
            return path[0], f"it is the first step you haven't mastered on the way to {aim}"
    recommender, profile = services().recommender, learner_profile(tracker)
    found = recommender.recommend(tracker.sender_id, k=1, kind="lesson", profile=profile,
                                  max_grade=level + LEVEL_REACH, exclude=declined)
    found = found or recommender.recommend(tracker.sender_id, k=1, kind="lesson", profile=profile,
                                           exclude=declined)
    concept = node(found[0].item) if found else None
    if concept is None:
        return None, "you have mastered the whole curriculum"
    why = because(found[0]) or _curriculum_reason(concept, level)
    needed_by = node(found[0].prerequisite_of)
    if needed_by is not None:
        why += f"; you need it before {needed_by.name}"
    return concept, why


def _curriculum_reason(concept: Node, level: float) -> str:
    """Why a lesson without an explanation path fits: its grade and prerequisites, from the graph."""
    builds_on = services().graph.neighbours(concept.id, "REQUIRES", "out")
    why = ("everything it builds on is already known to you" if builds_on
           else "it is where the curriculum starts")
    grade = concept.props.get("grade")
    if grade is not None and abs(float(grade) - level) <= 1:
        return f"it fits your level (grade {int(level)}) and {why}"
    return why


class ActionNextLesson(Action):
    def name(self) -> str:
        return "action_next_lesson"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        after = _asked_after(tracker)
        if after is not None:
            return _after(dispatcher, tracker, after)
        concept, why = next_concept(tracker)
        review = _review_offer(tracker)
        if concept is None:
            text = f"Nothing new left to suggest: {why}. Impressive!"
            if review is None:
                dispatcher.utter_message(text=text)
                return []
            dispatcher.utter_message(text=f"{text} {review[0]}", buttons=[review[1]])
            return []
        buttons = [
            {"title": f"Explain {concept.name}", "payload": f'/explain_concept{{"concept": "{concept.id}"}}'},
            {"title": "Quiz me on it", "payload": f'/start_quiz{{"concept": "{concept.id}"}}'},
        ]
        text = (f"Next up: **{concept.name}** (grade {concept.props.get('grade', '?')}), because {why}. "
                "Shall I explain it?")
        if review is not None:
            text += f"\n{review[0]}"
            buttons.append(review[1])
        dispatcher.utter_message(text=text, buttons=buttons)
        return [
            SlotSet("offer", {"action": "action_explain_concept", "concept": concept.id}),
            SlotSet(
                "last_outcome",
                {"kind": "recommendation_shown", "concept": concept.id, "outcome": "next_lesson"},
            ),
        ]


# "what should I learn after the major scale", "what comes next once I know triads"
AFTER = re.compile(r"\b(after|once i (?:know|can|have)|now that i (?:know|can|have)|builds? on|beyond|"
                   r"following|follows?)\b", re.IGNORECASE)


def _asked_after(tracker: Tracker) -> Node | None:
    """The concept a next-lesson question starts from, when it names one ("after the major scale")."""
    text = str(tracker.latest_message.get("text") or "")
    if text.startswith("/") or not AFTER.search(text):
        return None
    named = mentioned(tracker, "concept")
    return named[0] if named else None


def _after(dispatcher: CollectingDispatcher, tracker: Tracker, start: Node) -> Events:
    """The lessons that build directly on `start`: those the learner is ready for first (every
    other prerequisite known), then by grade. The first is offered as the next lesson."""
    graph = services().graph
    known, _ = path_knowledge(tracker)
    mastered = set(known)
    following = [n for _, n in graph.neighbours(start.id, "REQUIRES", "in") if n.id not in mastered]

    def missing(item: Node) -> list[Node]:
        return [n for _, n in graph.neighbours(item.id, "REQUIRES", "out")
                if n.id != start.id and n.id not in mastered]

    following.sort(key=lambda n: (len(missing(n)) > 0, float(n.props.get("grade") or 9), n.name))
    if not following:
        dispatcher.utter_message(text=f"Nothing in the curriculum builds on {start.name} that you haven't "
                                      "mastered yet.")
        return []
    first = following[0]
    lacking = missing(first)
    grade = first.props.get("grade", "?")
    text = f"Next after {start.name}: **{first.name}** (grade {grade}), which builds on it"
    if lacking:
        text += f" and also needs {names(lacking, 3)} first."
    else:
        others = len(graph.neighbours(first.id, "REQUIRES", "out")) > 1
        text += " and on what you already know." if others else "."
    if len(following) > 1:
        text += f"\nAlso built on {start.name}: {names(following[1:], 6)}."
    dispatcher.utter_message(text=text + "\nShall I explain it?", buttons=[
        {"title": f"Explain {first.name}", "payload": f'/explain_concept{{"concept": "{first.id}"}}'},
        {"title": "Quiz me on it", "payload": f'/start_quiz{{"concept": "{first.id}"}}'},
    ])
    return [SlotSet("offer", {"action": "action_explain_concept", "concept": first.id}),
            SlotSet("concept", start.id)]


def _review_offer(tracker: Tracker) -> tuple[str, dict[str, str]] | None:
    """A review of the mastered concept whose recall has faded most, if any is due: the sentence
    and its button."""
    mastery = mastery_of(tracker)
    now = time.time()
    for concept_id in mastery.due(now):
        item = node(concept_id)
        if item is None:
            continue
        days = (now - float(mastery.state[concept_id]["seen"])) / DAY
        text = (f"It's also time to review **{item.name}**: you mastered it, but it's been {_days(days)} "
                "and it may be fading. A short quiz will refresh it.")
        return text, {"title": f"Review {item.name}", "payload": f'/start_quiz{{"concept": "{item.id}"}}'}
    return None


def _days(days: float) -> str:
    whole = max(1, round(days))
    return "a day" if whole == 1 else f"{whole} days"


# a progress question is about the learner; without these words it may be a misread theory question
ABOUT_ME = re.compile(r"\b(i|i'm|im|me|my|mine|myself|am i|have i|did i)\b", re.IGNORECASE)


class ActionProgress(Action):
    def name(self) -> str:
        return "action_progress"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        text = str(tracker.latest_message.get("text") or "")
        if not ABOUT_ME.search(text):  # "how many sharps does D major have" taken for progress
            theory = answer_concrete(dispatcher, tracker, domain)
            if theory is not None:
                return theory
        summary = mastery_of(tracker).summary(time.time())
        level = int(tracker.get_slot("level") or 1)
        profile = " ".join(p for p in (tracker.get_slot("skill_level"), tracker.get_slot("instrument")) if p)
        lines = [f"You're working at grade {level} of 8" + (f" ({profile})." if profile else ".")]
        shown = {
            group: [(n, r) for n, r in ((node(r["concept"]), r) for r in rows) if n is not None]
            for group, rows in summary.items()
        }
        legacy = [n for n in (node(c) for c in tracker.get_slot("known") or [])
                  if n is not None and n.id not in mastery_of(tracker).state]
        mastered = [n for n, _ in shown["mastered"]] + legacy
        if mastered:
            lines.append(f"✅ Mastered ({len(mastered)}): {names(mastered, 8)}.")
        if shown["due"]:
            due = [n for n, _ in shown["due"]]
            lines.append(f"🔁 Due for review ({len(due)}): {names(due, 8)}.")
        if shown["in_progress"]:
            busy = [f"{n.name} ({round(100 * r['p'])}%, {r['correct']} right, {r['wrong']} wrong)"
                    for n, r in shown["in_progress"]]
            lines.append(f"📈 In progress ({len(busy)}): " + "; ".join(busy[:8]) + ".")
        if len(lines) == 1:
            lines.append('No quiz results yet: say "quiz me" to start, and I\'ll track what you master.')
        buttons = [{"title": f"Review {n.name}", "payload": f'/start_quiz{{"concept": "{n.id}"}}'}
                   for n, _ in shown["due"][:2]]
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons or None)
        return []


class ActionAdjustLevel(Action):
    def name(self) -> str:
        return "action_adjust_level"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        easier = tracker.get_intent_of_latest_message() == "too_hard"
        text = str(tracker.latest_message.get("text") or "")
        if _comparing(tracker, text):  # "is violin harder than piano?" asks; it does not complain
            return ActionCompareConcepts().run(dispatcher, tracker, domain)
        claimed = mentioned(tracker, "concept") if KNOWS.search(text) else []
        if claimed and not easier:  # "I already know the pentatonic scale": about it, not the level
            return _known_claim(dispatcher, tracker, claimed)
        level = float(tracker.get_slot("level") or 1.0)
        new = max(MIN_LEVEL, level - 1) if easier else min(MAX_LEVEL, level + 1)
        concept = tracker.get_slot("concept")
        events: list[dict[str, Any]] = [SlotSet("level", new)]
        mastery = None
        if concept:  # the learner's own verdict on what they were just doing is evidence too
            mastery, slots = record_evidence(
                tracker, concept, 0.0 if easier else 1.0, "too_hard" if easier else "too_easy"
            )
            events += [SlotSet(name, value) for name, value in slots.items()]
        if new == level:
            text = (
                "You're already at the easiest level; let's slow down and take it step by step."
                if easier
                else "You're already at the top level, grade 8. Impressive!"
            )
        else:
            text = (
                f"OK, I'll make things easier: grade {int(level)} → {int(new)}."
                if easier
                else f"OK, I'll make things harder: grade {int(level)} → {int(new)}."
            )
        quiz = tracker.get_slot("quiz")
        if isinstance(quiz, dict) and tracker.active_loop.get("name") == "quiz_form":
            difficulty = (mastery or mastery_of(tracker)).difficulty(f"concept:{quiz['topic']}", new)
            events.append(SlotSet("quiz", {**quiz, "difficulty": difficulty, "shown": None}))
            text += " The next question will match."
        elif easier and concept:
            simpler, offer = _simpler(tracker, concept)
            text += simpler
            if offer is not None:
                events.append(SlotSet("offer", offer))
        dispatcher.utter_message(text=text)
        events.append(
            SlotSet(
                "last_outcome",
                {"kind": "too_hard" if easier else "too_easy", "concept": concept, "value": new},
            )
        )
        return events


_WHICH_OF_TWO = re.compile(r"\b(than|or|vs\.?|versus)\b", re.I)
_QUESTION = re.compile(r"^\s*(which|what|what's|whats|is|are|should|would|do|does)\b", re.I)
_NAMED = ("concept", "instrument", "genre", "era", "person", "work")


def _comparing(tracker: Tracker, text: str) -> bool:
    """Whether a message read as a difficulty complaint asks which of two named things is harder:
    two or more things named, set against each other, as a question."""
    named = [e for e in tracker.latest_message.get("entities") or [] if e.get("entity") in _NAMED]
    asks = text.rstrip().endswith("?") or _QUESTION.match(text) is not None
    return len(named) >= 2 and bool(_WHICH_OF_TWO.search(text)) and asks


KNOWS = re.compile(r"\b(know|knew|learn[te]d?|mastered|covered|done|studied|familiar with)\b", re.IGNORECASE)


def _known_claim(dispatcher: CollectingDispatcher, tracker: Tracker, claimed: list[Node]) -> Events:
    """The learner says they know a concept: their word is evidence for it (as "too easy" is), and
    a short quiz is offered to confirm it. Plans skip what the learner model then counts as known."""
    claimed = claimed[:3]
    events: list[dict[str, Any]] = []
    slots: dict[str, Any] = {}
    for item in claimed:
        _, slots = record_evidence(tracker, item.id, 1.0, "too_easy")
    events += [SlotSet(name, value) for name, value in slots.items()]
    counted = [n for n in claimed if n.id in set(slots.get("known") or [])]
    said = names(claimed)
    text = (f"Noted: I'll count {said} as known, so plans skip {'it' if len(claimed) == 1 else 'them'}."
            if len(counted) == len(claimed) else
            f"Noted, that counts for {said}. A short quiz would confirm it, so that your plans can skip it.")
    first = claimed[0]
    dispatcher.utter_message(text=text, buttons=[
        {"title": f"Quiz me on {first.name}", "payload": f'/start_quiz{{"concept": "{first.id}"}}'}])
    events += [SlotSet("concept", first.id),
               SlotSet("offer", {"action": "quiz_form", "concept": first.id}),
               SlotSet("last_outcome", {"kind": "too_easy", "concept": first.id,
                                        "value": float(tracker.get_slot("level") or 1.0)})]
    return events


def _simpler(tracker: Tracker, concept_id: str) -> tuple[str, dict[str, Any] | None]:
    """"Too hard" about a concept: its gist in one sentence, and the first of its prerequisites the
    learner has not shown they know, offered as the step to take first."""
    item = node(concept_id)
    if item is None:
        return "", None
    gist = first_sentences(str(item.props.get("description") or ""))
    text = f" In short: {gist}" if len(gist) > 1 else ""
    known, _ = path_knowledge(tracker)
    before = [n for _, n in services().graph.neighbours(item.id, "REQUIRES", "out") if n.id not in known]
    if not before:
        return text, None
    first = sorted(before, key=lambda n: (float(n.props.get("grade") or 0), n.name))[0]
    text += f" It builds on {names(before)}: shall I explain {first.name} first?"
    return text, {"action": "action_explain_concept", "concept": first.id}


class ActionAcceptOffer(Action):
    def name(self) -> str:
        return "action_accept_offer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        offer = tracker.get_slot("offer")
        if not isinstance(offer, dict) or not offer.get("action"):
            dispatcher.utter_message(
                text='Great! What would you like to do? Ask me about a concept, or say "quiz me".'
            )
            return []
        events = [SlotSet("offer", None)]
        if offer.get("concept"):
            events.append(SlotSet("concept", offer["concept"]))
        return [*events, FollowupAction(offer["action"])]


class ActionDeclineOffer(Action):
    def name(self) -> str:
        return "action_decline_offer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        dispatcher.utter_message(text="No problem. What would you like to do instead?")
        offer = tracker.get_slot("offer")
        events: Events = [SlotSet("offer", None)]
        if isinstance(offer, dict) and offer.get("concept"):  # not offered again this session
            events.append(SlotSet("declined", remember(tracker, "declined", str(offer["concept"]))))
        return events


class ActionHelp(Action):
    def name(self) -> str:
        return "action_help"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        dispatcher.utter_message(
            text=(
                "I'm Etude, a music tutor. You can ask me:\n"
                '• what a concept is ("what is a perfect fifth?", "notes of the D minor scale")\n'
                '• to play an example ("play a dominant seventh chord")\n'
                '• what to learn first or a learning path ("how do I get to secondary dominants?")\n'
                '• about composers and works ("who composed the Moonlight Sonata?")\n'
                "• to quiz you, for your next lesson, your progress, or music recommendations.\n"
                'Say "too easy" or "too hard" any time and I\'ll adjust.'
            ),
            buttons=[
                {"title": "Quiz me", "payload": "/start_quiz"},
                {"title": "My next lesson", "payload": "/next_lesson"},
                {"title": "Set up my profile", "payload": "/inform_profile"},
            ],
        )
        return []


class ActionSessionStart(Action):
    """A new session keeps the learner's profile and progress but not the old conversation's context."""

    def name(self) -> str:
        return "action_session_start"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        events: list[dict[str, Any]] = [SessionStarted()]
        for slot in PROFILE_SLOTS:
            value = tracker.get_slot(slot)
            if value not in (None, [], {}):
                events.append(SlotSet(slot, value))
        return events
