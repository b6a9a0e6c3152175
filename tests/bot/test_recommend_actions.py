"""The next-lesson and music actions ask the recommender, and say why with its graph paths; turns
update the recommender at once. A tiny model trained on the full authored graph stands in for the
platform's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import actions.services
from bot.settings import Settings
from bot.store import BehaviorEvent, ConversationStore
from recommender.platform import platform_data
from recommender.publish import histories, train_version
from recommender.service import Recommendation, RecommenderService
from tests.bot.tutor import Chat, ScriptedNLU, make_engine

T0 = datetime(2025, 3, 1, tzinfo=UTC)
# What the synthetic learners did: a chain of interval lessons, or of rhythm lessons and a work.
PATHS = [
    ["concept:pitch", "concept:interval", "concept:perfect_fifth", "concept:major_third"],
    ["concept:beat", "concept:tempo", "concept:note_values", "work:canon_in_d"],
]


def _events() -> list[BehaviorEvent]:
    events = []
    for n in range(8):
        for m, item in enumerate(PATHS[n % 2]):
            at = T0 + timedelta(minutes=10 * n + m)
            kind, fields = ("example_played", {"item": item}) if item.startswith("work:") else (
                "explain_concept", {"concept": item})
            events.append(BehaviorEvent(f"learner{n}", kind, at=at, **fields))
    return events


@pytest.fixture(scope="module")
def trained(tutor_home: Path, tmp_path_factory: pytest.TempPathFactory) -> RecommenderService:
    graph = actions.services.services().graph
    events = [e for e in _events() if graph.entity(e.concept or e.item) is not None]
    data = platform_data(graph, events, media=False)
    home = tmp_path_factory.mktemp("rec-actions")
    train_version(data, home, histories(data, events),
                  config={"dim": 8, "epochs": 1, "neighbours": 4, "history": 8, "batch_size": 64})
    return RecommenderService.load(graph, home, spare_rows=8)


@pytest.fixture
def calls(trained: RecommenderService, monkeypatch: pytest.MonkeyPatch) -> Iterator[list]:
    """The actions configured with the trained recommender; each recommend call and its answer."""
    recorded: list[tuple[dict, list[Recommendation]]] = []
    real = trained.recommend

    def recommend(*args, **kwargs):
        found = real(*args, **kwargs)
        recorded.append((kwargs, found))
        return found

    monkeypatch.setattr(trained, "recommend", recommend)
    before = actions.services.services()
    actions.services.configure(replace(before, recommender_service=trained))
    yield recorded
    actions.services.configure(before)


def test_the_next_lesson_is_the_recommenders_best_lesson_with_its_reason(calls, nlu: ScriptedNLU) -> None:
    chat = Chat(make_engine(nlu), sender="learner0")
    nlu.says("what is a perfect fifth?", "explain_concept", ("concept", "perfect fifth"))
    nlu.says("what should I learn next?", "next_lesson")
    chat("what is a perfect fifth?")
    reply = chat.text("what should I learn next?")
    kwargs, found = calls[-1]
    assert kwargs["kind"] == "lesson" and kwargs["profile"].studied == ("concept:perfect_fifth",)
    assert found and found[0].source == "mkgat"
    assert f"**{found[0].name}**" in reply
    if found[0].reasons:  # the reason is the path's sentence, not an invented one
        assert found[0].reasons[0].facts.rstrip(".") in reply
    graph = actions.services.services().graph
    needs = {t.tail for t in graph.store.edges([found[0].item], "REQUIRES", "out")}
    assert needs <= graph.known_closure(chat.slots["known"] or [])  # nothing unmastered ahead of it


def test_music_is_the_recommenders_works_each_with_its_path(calls, nlu: ScriptedNLU) -> None:
    chat = Chat(make_engine(nlu), sender="learner1")
    nlu.says("who taught Beethoven?", "music_fact", ("person", "Beethoven"))
    nlu.says("recommend me some music", "recommend_music")
    chat("who taught Beethoven?")
    text = chat.text("recommend me some music")
    kwargs, found = calls[-1]
    assert kwargs["kind"] == "work" and "person:ludwig_van_beethoven" in kwargs["profile"].asked
    bullets = [line for line in text.splitlines() if line.startswith("• ")]
    # the recommender's works, in its order, at most two by one artist (so not always its top five)
    shown = [next(r for r in found if b.startswith(f"• {r.name}")) for b in bullets]
    assert len(shown) == 5 and [found.index(r) for r in shown] == sorted(found.index(r) for r in shown)
    explained = [(b, r) for b, r in zip(bullets, shown, strict=True) if r.reasons]
    assert explained
    for bullet, rec in explained:
        assert "because " + rec.reasons[0].lead.removeprefix("Because ") in bullet


def test_a_named_genre_narrows_the_music_to_it(calls, nlu: ScriptedNLU) -> None:
    chat = Chat(make_engine(nlu), sender="learner2")
    nlu.says("recommend me some jazz", "recommend_music", ("genre", "jazz"))
    chat("recommend me some jazz")
    kwargs, found = calls[-1]
    assert kwargs["related_to"] == ["genre:jazz"]
    graph = actions.services.services().graph
    assert found and all(graph.store.edges([r.item], "IN_GENRE", "out") for r in found)


def test_each_turn_updates_the_recommender_at_once(calls, trained: RecommenderService, nlu) -> None:
    engine = make_engine(nlu)
    engine.observers.append(trained.observe)
    chat = Chat(engine, sender="brand-new")
    nlu.says("what is a perfect fifth?", "explain_concept", ("concept", "perfect fifth"))
    assert trained.history("brand-new") == []
    chat("what is a perfect fifth?")
    [entry] = trained.history("brand-new")
    assert (entry.item, entry.verb) == ("concept:perfect_fifth", "you studied")


def test_the_tutor_catches_the_recommender_up_with_stored_behaviour(tutor_home: Path, tmp_path: Path) -> None:
    from bot.service import load_recommender

    store = ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}")
    store.add_behavior([BehaviorEvent("stored", "explain_concept", concept="concept:interval")])
    recommender = load_recommender(Settings(home=tmp_path), actions.services.services().graph, store)
    store.close()
    assert recommender.source == "graph"  # nothing trained in this home
    assert [e.item for e in recommender.history("stored")] == ["concept:interval"]
