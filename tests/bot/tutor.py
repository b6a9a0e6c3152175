"""A real tutor for tests: the project's domain, rules, stories, actions and full authored graph,
with a scripted NLU so each test says exactly what the learner's message means.

The graph is built once per session (no music21 corpus: a few seconds). Tests that need the
trained NLU itself live in test_service.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import actions.services
from bot.engine import Engine
from bot.executor import Executor, InProcessActions
from bot.messages import UserMessage
from bot.service import load_dialogue
from bot.settings import REPO_ROOT
from kg.build import build_graph
from kg.embedded import EmbeddedStore
from kg.graph import KnowledgeGraph

Entity = tuple[str, ...]  # (entity type, the words naming it in the text[, the value the NLU gives])


def build_test_graph(home: Path) -> KnowledgeGraph:
    store = EmbeddedStore(home / "kg" / "graph.db")
    build_graph(store, REPO_ROOT / "data", corpus=False)
    return KnowledgeGraph(store, cache_dir=home / "cache")


def configure_actions(graph: KnowledgeGraph, home: Path) -> None:
    actions.services.configure(
        actions.services.Services(
            graph=graph,
            media_dir=home / "media",
            curriculum_dir=REPO_ROOT / "data" / "curriculum",
        )
    )


class ScriptedNLU:
    """Parses by a script: text → (intent, entities); unknown text falls back (`nlu_fallback`).

    Entities are given by their words and located in the text, so spans are real offsets.
    """

    def __init__(self) -> None:
        self.script: dict[str, tuple[str, list[Entity], float, list[tuple[str, float]]]] = {}
        self.calls: list[str] = []

    def says(self, text: str, intent: str, *entities: Entity, confidence: float = 0.95,
             runners_up: list[tuple[str, float]] | None = None) -> ScriptedNLU:
        """Script `text`; `runners_up` are the intents ranked after `intent`, with their confidences."""
        self.script[text] = (intent, list(entities), confidence, list(runners_up or []))
        return self

    def parse_batch(self, texts: list[str]) -> list[dict[str, Any]]:
        return [self.parse_one(t) for t in texts]

    def parse_one(self, text: str) -> dict[str, Any]:
        self.calls.append(text)
        intent, entities, confidence, runners_up = self.script.get(text, ("nlu_fallback", [], 0.3, []))
        found = []
        for kind, words, *normalised in entities:  # (kind, words) or (kind, words, value)
            start = text.find(words)
            assert start >= 0, f"{words!r} is not in {text!r}"
            value = normalised[0] if normalised else words
            found.append(
                {"entity": kind, "value": value, "start": start, "end": start + len(words), "confidence": 0.9}
            )
        ranking = [{"name": intent, "confidence": confidence}]
        ranking += [{"name": name, "confidence": c} for name, c in runners_up]
        if intent == "nlu_fallback":
            ranking = [
                {"name": "explain_concept", "confidence": 0.3},
                {"name": "ask_example", "confidence": 0.2},
            ]
        return {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": ranking,
            "entities": found,
        }

    async def __call__(self, text: str) -> dict[str, Any]:
        return self.parse_one(text)


def make_engine(nlu: ScriptedNLU, store: Any = None, clock: Callable[[], float] | None = None) -> Engine:
    domain, flows = load_dialogue()
    executor = Executor(domain, InProcessActions(domain), seed=7)
    kwargs = {"clock": clock} if clock else {}
    return Engine(domain, flows, executor, nlu, store, **kwargs)


class Chat:
    """One learner talking to an engine: `chat("hi")` returns the replies; `chat.texts("hi")` their texts."""

    def __init__(self, engine: Engine, sender: str = "learner", channel: str = "rest") -> None:
        self.engine, self.sender, self.channel = engine, sender, channel

    def __call__(self, text: str) -> list[dict[str, Any]]:
        return asyncio.run(self.engine.handle(UserMessage(self.sender, text, channel=self.channel)))

    def text(self, message: str) -> str:
        return "\n".join(r.get("text", "") for r in self(message))

    @property
    def slots(self) -> dict[str, Any]:
        return self.engine.trackers[self.sender].slots
