"""The quiz: a form whose one slot is the learner's answer, asked again for each question.

The `quiz` slot keeps only the topic, the question number, difficulty, seed and score; each
question is regenerated from those (music.quiz is deterministic under a seed), so the state
that travels with every action call stays small and JSON-clean.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import audio
from actions.context import answered_this_turn, bare_id, concepts, entities, mentioned, names, node, said
from actions.learner import mastery_of, record_evidence
from actions.learning import next_concept
from actions.services import DomainDict, Events, services
from kg.schema import Node

QUESTIONS = 5
STOP = re.compile(
    r"^\s*(stop|quit|exit|end|cancel|enough|no more|stop the quiz|end the quiz|i'?m done)\b", re.I
)
GIVE_UP = re.compile(r"^\s*(i don'?t know|idk|dunno|no idea|skip|pass|give up|i give up|tell me)\b", re.I)
# A message that asks something ("how do i tune my guitar"): when it cannot be read as an answer it
# is a question between answers, however unsure the NLU is about what it asks.
QUESTION = re.compile(
    r"^\s*(how|what|what'?s|who|why|when|where|which|can|could|should|would|do|does|is|are|tell|"
    r"explain|teach|show)\b\S*(\s+\S+){2,}", re.I)
# Intents an answer is often taken for ("yes", "no", "quiz me", a stray "C" read as out of scope),
# so never read as a digression; hints and difficulty the form's slot mapping rejects already.
ANSWER_LIKE = {
    "affirm", "deny", "start_quiz", "nlu_fallback", "out_of_scope", "request_hint", "too_easy", "too_hard",
}
DIGRESSION_CONFIDENCE = 0.6
# Actions that belong to the quiz itself: any other one in a turn answered a digression.
QUIZ_ACTIONS = {"quiz_form", "validate_quiz_form", "action_ask_quiz_answer", "action_quiz_hint"}


def question(quiz: dict[str, Any]) -> Any:
    """The quiz's current question: drawn again from its seed, skipping prompts already asked."""
    return _question(
        quiz["seed"], quiz["topic"], quiz["index"], int(quiz["difficulty"]), tuple(quiz.get("asked") or ())
    )


@lru_cache(maxsize=4096)
def _question(seed: int, topic: str, index: int, difficulty: int, asked: tuple[str, ...]) -> Any:
    """Cached: every turn of a quiz regenerates its question, and music21 is not cheap."""
    from music.quiz import make_question

    quiz = {"seed": seed, "topic": topic, "index": index, "difficulty": difficulty}
    found = None
    for salt in range(12):
        rng = random.Random(f"{quiz['seed']}:{quiz['topic']}:{quiz['index']}:{quiz['difficulty']}:{salt}")
        found = make_question(quiz["topic"], services().curriculum, rng, int(quiz["difficulty"]))
        if found.prompt not in asked:
            break
    return found


def is_ear_training(current: Any) -> bool:
    """Ear-training questions are played in the prompt; for the others the sound gives the answer
    away, so it comes with the feedback instead."""
    return str(current.skill).startswith("ear")


def _start(tracker: Tracker) -> dict[str, Any]:
    """A new quiz on the named or current concept, else on the learner's next lesson."""
    found = concepts(tracker) or [c for w in mentioned(tracker, "work") for c in _shown_by(w)][:1]
    topic = found[0] if found else next_concept(tracker)[0]
    topic_id = bare_id(topic.id) if topic is not None else "intervals"
    level = float(tracker.get_slot("level") or 1)
    return {
        "topic": topic_id,
        "index": 1,
        "total": QUESTIONS,
        "score": 0,
        "hints": 0,
        "answered": 0,
        "difficulty": mastery_of(tracker).difficulty(f"concept:{topic_id}", level),
        "seed": random.randrange(1 << 30),
        "shown": None,
    }


def _shown_by(work: Node) -> list[Node]:
    """The concepts a work is a famous example of, in the graph's order: what a quiz "on the
    Moonlight Sonata" can ask about."""
    return [n for _, n in services().graph.neighbours(work.id, "EXAMPLE_OF", "out")]


def topic_label(name: str, mentions: list[str]) -> str:
    """The quiz's topic as the learner named it when that is the plural of its name ("questions
    on intervals" for the concept interval), else its name."""
    for mention in mentions:
        plural = mention.strip().lower()
        if plural in (f"{name.lower()}s", f"{name.lower()}es"):
            return plural
    return name


def digression(tracker: Tracker, quiz: dict[str, Any]) -> bool:
    """A question or request between answers ("who wrote the Four Seasons?", a button of an
    earlier reply): the NLU is sure it means something else, and it cannot be read as an answer
    of the kind the current question wants. A wrong answer is still an answer: "a minor third"
    to an interval question is graded whatever intent the NLU gives it."""
    from music.answers import check

    message = tracker.latest_message
    intent = message.get("intent") or {}
    text = str(message.get("text") or "").strip()
    if intent.get("name") in ANSWER_LIKE or not text or STOP.match(text) or GIVE_UP.match(text):
        return False
    unreadable = check(text, question(quiz).expected).normalized == ""
    bare = re.sub(r"^(?:a|an|the|it's|its|is it)\s+|[\s.!]+$", "", text, flags=re.I).lower()
    if "?" not in text and bare and bare in {w.strip().lower() for w in said(tracker, "concept")}:
        return False  # "perfect fifth" to "which note is an octave above E?": a try, of the wrong kind
    if float(intent.get("confidence") or 0.0) < DIGRESSION_CONFIDENCE:
        return unreadable and QUESTION.match(text) is not None
    return unreadable


class ValidateQuizForm(FormValidationAction):
    def name(self) -> str:
        return "validate_quiz_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        quiz = tracker.get_slot("quiz")
        if tracker.active_loop.get("name") != "quiz_form" or not isinstance(quiz, dict) or quiz.get("done"):
            quiz = _start(tracker)
            found = question(quiz)
            target = node(f"concept:{found.concept_id}")
            asked_for = [e.get("value") for e in entities(tracker, "concept")]
            label = topic_label(target.name if target else found.concept_id.replace("_", " "),
                                said(tracker, "concept"))
            wanted = node(f"concept:{quiz['topic']}")
            unknown = ""
            pieces = mentioned(tracker, "work") if not asked_for else []
            if found.concept_id != quiz["topic"] and wanted is not None:
                # no questions on this concept (a technique): quiz the nearest one that has some,
                # and name it the same at the start and in the summary
                unknown = f"I have no quiz questions on {wanted.name} yet, so here is one on {label}. "
                quiz = {**quiz, "topic": found.concept_id}
            if pieces:  # "quiz me on the Moonlight Sonata": on what it is a famous example of
                shown = _shown_by(pieces[0])
                unknown = (f"I quiz concepts, not pieces: {pieces[0].name} is a famous example of "
                           f"{names(shown)}. {unknown}" if shown
                           else "I quiz concepts, not pieces, so here is a quiz from your path. ")
            elif asked_for and not concepts(tracker, allow_context=False):
                unknown = f'I have no quiz on "{asked_for[0]}", so here is one from your path. '

            quiz = {**quiz, "label": label}
            dispatcher.utter_message(
                text=f"{unknown}Quiz time: {quiz['total']} questions on {label}. "
                'Say "hint" for a hint or "stop" to finish early.'
            )
            return [SlotSet("quiz", quiz), SlotSet("quiz_answer", None)]
        if not answered_this_turn(tracker, QUIZ_ACTIONS) and digression(tracker, quiz):
            # the form lets go of this message; the rules answer it and the form asks again
            return [ActionExecutionRejected("quiz_form")]
        return await super().run(dispatcher, tracker, domain)

    def validate_quiz_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        from music.answers import check

        quiz = dict(tracker.get_slot("quiz") or {})
        text = str(value or "").strip()
        if STOP.match(text):
            quiz["done"] = True
            return {"quiz": quiz, "quiz_answer": text}
        current = question(quiz)
        concept_id = f"concept:{current.concept_id}"
        if GIVE_UP.match(text):
            correct, feedback = False, None
        else:
            verdict = check(text, current.expected)
            correct, feedback = verdict.correct, verdict.feedback
            if not correct and not verdict.normalized:
                # not an answer of the kind asked for ("asdf", "the blue one"): say what is wanted
                # and ask again; a mistyped message is not a wrong answer and is not recorded
                dispatcher.utter_message(text=f"I couldn't read that as an answer. {feedback or ''} "
                                         'Say "hint" for a hint, "skip" to see the answer or "stop" '
                                         "to finish.".replace("  ", " "))
                return {"quiz": quiz, "quiz_answer": None}
        if correct:
            quiz["score"] += 1
            reply = "✅ Correct!" + (f" {feedback}" if feedback else "")
        else:
            reply = (
                f"❌ Not quite. {current.explanation}"
                if not GIVE_UP.match(text)
                else f"The answer: {current.explanation}"
            )
            if feedback:
                reply += f" ({feedback})"
        sound = None if is_ear_training(current) else audio.attachment(current.example, "the answer")
        dispatcher.utter_message(text=reply, attachment=sound) if sound else dispatcher.utter_message(
            text=reply
        )
        kind = "hint_answer" if quiz.get("hints") else "answer"
        mastery, slots = record_evidence(tracker, concept_id, 1.0 if correct else 0.0, kind)
        quiz["answered"] += 1
        outcome = {
            "kind": "quiz_answer",
            "concept": concept_id,
            "outcome": "correct" if correct else "wrong",
            "value": float(quiz.get("hints", 0)),
        }
        result: dict[str, Any] = {**slots, "last_outcome": outcome}
        if quiz["index"] >= quiz["total"]:
            quiz["done"] = True
            result.update(quiz=quiz, quiz_answer=text)
        else:
            asked = [*(quiz.get("asked") or []), current.prompt][-QUESTIONS:]
            # The next question's difficulty follows the learner's mastery of what it tests.
            level = float(tracker.get_slot("level") or 1)
            difficulty = mastery.difficulty(f"concept:{quiz['topic']}", level)
            quiz.update(index=quiz["index"] + 1, hints=0, shown=None, asked=asked, difficulty=difficulty)
            result.update(quiz=quiz, quiz_answer=None)
        return result


class ActionAskQuizAnswer(Action):
    def name(self) -> str:
        return "action_ask_quiz_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        quiz = tracker.get_slot("quiz")
        if not isinstance(quiz, dict):
            dispatcher.utter_message(text="Your answer?")
            return []
        # resuming after a digression, not opening the quiz (an accepted offer runs before it)
        back = quiz.get("shown") is not None and answered_this_turn(tracker, QUIZ_ACTIONS)
        if quiz.get("shown") == quiz["index"] and not back:
            dispatcher.utter_message(text="Your answer?")
            return []
        current = question(quiz)
        message: dict[str, Any] = {
            "text": ("Back to the quiz. " if back else "")
            + f"Question {quiz['index']}/{quiz['total']}: {current.prompt}"
        }
        if current.example and is_ear_training(current):
            sound = audio.attachment(current.example, "listen")
            if sound:
                message["attachment"] = sound
        dispatcher.utter_message(**message)
        return [SlotSet("quiz", {**quiz, "shown": quiz["index"]})]


class ActionQuizHint(Action):
    def name(self) -> str:
        return "action_quiz_hint"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        quiz = tracker.get_slot("quiz")
        if tracker.active_loop.get("name") != "quiz_form" or not isinstance(quiz, dict):
            dispatcher.utter_message(text='There\'s no quiz running. Say "quiz me" to start one.')
            return []
        current = question(quiz)
        used = int(quiz.get("hints", 0))
        if used >= len(current.hints):
            dispatcher.utter_message(
                text='That was my last hint. Have a go, or say "skip" to see the answer.'
            )
            return []
        dispatcher.utter_message(text=f"Hint: {current.hints[used]}")
        # The hint counts when the answer comes: a right answer after a hint is weaker evidence.
        return [
            SlotSet("quiz", {**quiz, "hints": used + 1}),
            SlotSet(
                "last_outcome",
                {
                    "kind": "quiz_hint",
                    "concept": f"concept:{current.concept_id}",
                    "outcome": "hint",
                    "value": float(used + 1),
                },
            ),
        ]


class ActionQuizSummary(Action):
    def name(self) -> str:
        return "action_quiz_summary"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        quiz = tracker.get_slot("quiz") or {}
        answered, score = int(quiz.get("answered", 0)), int(quiz.get("score", 0))
        topic = node(f"concept:{quiz.get('topic')}")
        label = quiz.get("label") or (topic.name if topic else str(quiz.get("topic", "the topic")))
        if answered == 0:
            text = "Quiz stopped. Come back any time!"
        else:
            text = f"Quiz finished: {score}/{answered} correct on {label}."
            share = score / answered
            text += (
                " Excellent, you've got this!"
                if share >= 0.8
                else " Good progress; another round will make it stick."
                if share >= 0.5
                else ' Let\'s review it together: ask me to explain it, or say "too hard" for easier ones.'
            )
        dispatcher.utter_message(
            text=text,
            buttons=[
                {"title": "Another quiz", "payload": "/start_quiz"},
                {"title": "What next?", "payload": "/next_lesson"},
            ],
        )
        return [
            SlotSet("quiz", None),
            SlotSet("quiz_answer", None),
            SlotSet(
                "last_outcome",
                {
                    "kind": "quiz_finished",
                    "concept": topic.id if topic else None,
                    "outcome": f"{score}/{answered}",
                    "value": score / answered if answered else 0.0,
                },
            ),
        ]
