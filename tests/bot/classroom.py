"""A small class of learners saved in a store, for the console's tests: who said what, when, and how
the NLU read it (parses made by the scripted NLU, so they have the real shape)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.store import ConversationStore, Turn
from tests.bot.tutor import ScriptedNLU

DAY1 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
QUIZ_BUTTON = {"title": "Quiz me", "payload": "/start_quiz"}
TONE = {"type": "audio", "payload": {"src": "/media/fugue.wav"}}


def say(store: ConversationStore, sender: str, words: str, intent: str, *entities: tuple[str, str],
        confidence: float = 0.95, channel: str = "rest", at: datetime = DAY1,
        replies: list[dict] | None = None) -> Turn:
    """Save one turn of `sender`: their words, parsed as the NLU would, and the tutor's replies."""
    nlu = ScriptedNLU()
    if intent != "nlu_fallback":
        nlu.says(words, intent, *entities, confidence=confidence)
    parse = nlu.parse_one(words)
    turn = Turn(
        sender_id=sender, channel=channel, session_id="s1", text=words, parse=parse,
        actions=[f"utter_{intent}", "action_listen"],
        events=[{"event": "user", "timestamp": at.timestamp(), "text": words}],
        replies=replies if replies is not None else [{"recipient_id": sender, "text": f"About {intent}."}],
        started_at=at, finished_at=at + timedelta(milliseconds=300),
    )
    store.save_turn(turn)
    return turn


def fill_class(store: ConversationStore) -> None:
    """anna (web) asks about fugues; tg:1001 is not understood and finds it too hard, then comes back
    on day 5; bob is understood poorly and declines a quiz; script-7 starts a quiz."""
    say(store, "web:anna", "hello", "greet", channel="web", at=DAY1)
    say(store, "web:anna", "what is a fugue?", "explain_concept", ("concept", "fugue"), confidence=0.93,
        channel="web", at=DAY1 + timedelta(minutes=1),
        replies=[{"recipient_id": "web:anna", "text": "A fugue is ...", "buttons": [QUIZ_BUTTON],
                  "attachment": TONE}])
    say(store, "tg:1001", "blorp the snorf", "nlu_fallback", channel="telegram", at=DAY1 + timedelta(days=1))
    say(store, "tg:1001", "this is too hard", "too_hard", channel="telegram",
        at=DAY1 + timedelta(days=1, minutes=2))
    say(store, "tg:1001", "hi again", "greet", channel="telegram", at=DAY1 + timedelta(days=4))
    say(store, "user:bob", "explain sonata form", "explain_concept", ("concept", "sonata form"),
        confidence=0.55, at=DAY1 + timedelta(days=2))
    say(store, "user:bob", "no", "deny", at=DAY1 + timedelta(days=2, minutes=1))
    say(store, "script-7", "quiz me", "start_quiz", confidence=0.99, at=DAY1 + timedelta(days=3))
