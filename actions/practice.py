"""Practice on an instrument: the tutor sets a target to play (with its sound), then listens to the
learner's recording of it and says, note by note, what was off.

A recording reaches the action as a file name in the message's metadata (`recording`), put there
by the channel that received it (the widget's upload route, Telegram's voice notes and audio
files). The analysis is music.practice's; its score updates the learner's mastery of the concept.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import audio
from actions.context import node
from actions.learner import mastery_of, record_evidence
from actions.services import DomainDict, Events, services
from kg.schema import Node

log = logging.getLogger(__name__)
DEFAULT_TARGET = {"type": "scale", "pitches": "C4 D4 E4 F4 G4 A4 B4 C5", "label": "the C major scale"}
RECORD_HINT = ("Record yourself (the 🎤 button in the chat, or send a voice note or an audio file) "
               "and I'll tell you note by note how it went.")


def practice_target(concept: Node | None, difficulty: int) -> dict[str, Any]:
    """What to play for a concept: its example's notes (a chord is played as an arpeggio, an interval
    as its two notes in turn), at a tempo that rises with the difficulty; the C major scale when the
    concept has nothing playable."""
    example = audio.example_of(concept) if concept is not None else None
    kind = (example or {}).get("type")
    bpm = 60 + 6 * (difficulty - 1)
    label = concept.name if concept is not None else DEFAULT_TARGET["label"]
    if kind in ("scale", "melody", "interval", "chord") and example:
        names = str(example.get("pitches", "")).split()
        durations = example.get("durations") if kind in ("scale", "melody") else None
        if kind == "chord":  # an arpeggio, bass up
            from music21 import chord

            names = [p.nameWithOctave for p in sorted(chord.Chord(names).pitches, key=lambda p: p.ps)]
        if 2 <= len(names) <= 16:
            beats = [float(d) for d in durations] if durations and len(durations) == len(names) else None
            notes = [f"{n}:{b:g}" for n, b in zip(names, beats, strict=True)] if beats else names
            return {"target": " ".join(notes), "bpm": bpm, "concept": concept.id if concept else None,
                    "label": label, "example": {"type": "melody", "pitches": " ".join(names),
                                                **({"durations": beats} if beats else {})}}
    if kind == "rhythm" and example and example.get("tiny") and concept is not None:
        strokes = _rhythm_strokes(str(example["tiny"]))
        if strokes:
            return {"target": "rhythm: " + " ".join(f"{b:g}" for b in strokes), "bpm": bpm,
                    "concept": concept.id, "label": label, "example": example}
    scale = DEFAULT_TARGET["pitches"]
    return {"target": scale, "bpm": bpm, "concept": concept.id if concept else None,
            "label": DEFAULT_TARGET["label"], "example": {"type": "scale", "pitches": scale}}


def _rhythm_strokes(tiny: str) -> list[float]:
    """The beat lengths of the notes in a tinyNotation rhythm (rests leave gaps as their own r:x)."""
    from music21 import converter

    try:
        stream = converter.parse("tinyNotation: " + tiny)
    except Exception:  # music21 raises many types on bad input; the caller falls back to a scale
        return []
    return [float(n.quarterLength) for n in stream.recurse().notesAndRests if n.isNote]


def _shown(target: str) -> str:
    """A target as the learner reads it: notes with their beats when they differ from one."""
    from music.practice.target import display_name

    if target.startswith("rhythm:"):
        return "claps of " + ", ".join(target.removeprefix("rhythm:").split()) + " beats"
    words = []
    for token in target.split():
        name, _, beats = token.partition(":")
        length = f" ({beats} beats)" if beats not in ("", "1") else ""
        words.append(display_name(name.replace("-", "b")) + length)
    return " ".join(words)


class ActionPracticeFeedback(Action):
    """Without a recording: set a practice target and play it. With one: judge it."""

    def name(self) -> str:
        return "action_practice_feedback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        recording = (tracker.latest_message.get("metadata") or {}).get("recording")
        if recording:
            return self._listen(str(recording), dispatcher, tracker)
        return self._set_target(dispatcher, tracker)

    def _set_target(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        concept = node(tracker.get_slot("concept"))
        level = float(tracker.get_slot("level") or 1.0)
        difficulty = mastery_of(tracker).difficulty(concept.id, level) if concept else int(level)
        target = practice_target(concept, difficulty)
        text = (f"Let's practise {target['label']}. Play: **{_shown(target['target'])}** at {target['bpm']} "
                f"beats per minute (listen first). {RECORD_HINT}")
        message: dict[str, Any] = {"text": text, "custom": {"practice_target": {
            "target": target["target"], "bpm": target["bpm"], "label": target["label"]}}}
        sound = audio.attachment(target["example"], f"{target['label']}: the target")
        if sound:
            message["attachment"] = sound
        dispatcher.utter_message(**message)
        return [SlotSet("practice", {k: v for k, v in target.items() if k != "example"})]

    def _listen(self, recording: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        from music.practice import PracticeError, analyze

        path = services().recording(recording)
        if path is None:
            dispatcher.utter_message(text="I couldn't find that recording; please send it again.")
            return []
        target = tracker.get_slot("practice")
        if not isinstance(target, dict) or not target.get("target"):
            target = practice_target(None, int(float(tracker.get_slot("level") or 1.0)))
            target.pop("example")
            dispatcher.utter_message(text=f"I hadn't set you a target yet, so I'll compare it with "
                                          f"{target['label']} ({_shown(target['target'])}).")
        try:
            result = analyze(path, target["target"], bpm=target.get("bpm"))
        except PracticeError as exc:
            dispatcher.utter_message(text=f"{exc.message} {RECORD_HINT}")
            return [SlotSet("practice", target)]
        dispatcher.utter_message(text=result.feedback, custom={"practice": result.to_json()})
        events: list[dict[str, Any]] = [SlotSet("practice", target)]
        concept = target.get("concept")
        if concept:
            _mastery, slots = record_evidence(tracker, concept, min(1.0, max(0.0, result.score)), "practice")
            events += [SlotSet(name, value) for name, value in slots.items()]
        events.append(SlotSet("last_outcome", {
            "kind": "practice_result", "concept": concept, "outcome": "ok" if result.all_ok else "errors",
            "value": round(result.score, 3)}))
        log.info("practice: %s scored %.2f on %s", tracker.sender_id, result.score, target["target"])
        return events
