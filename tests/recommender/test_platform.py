"""Etude's own data set: the tutor's graph and learners' recorded behaviour as dense-id RecData."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot.behaviour import platform, store_events
from bot.settings import Settings
from bot.store import BehaviorEvent, ConversationStore, Turn
from kg.build import build_graph
from kg.embedded import EmbeddedStore
from kg.graph import KnowledgeGraph
from kg.stores import embedded_path
from recommender.encoders.steps import PAD, padding_mask
from recommender.platform import platform_data
from recommender.splits import make_split
from tests.kg.conftest import write_authored_data

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CONCEPTS = ["concept:ground_bass", "concept:interval", "concept:perfect_fifth", "concept:piano_posture",
            "concept:pitch"]
WORK_IDS = ["work:canon_in_d", "work:dido_and_aeneas"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ETUDE_HOME with the small authored graph of the kg tests built into its embedded store."""
    home = tmp_path_factory.mktemp("platform")
    with EmbeddedStore(embedded_path(home)) as store:
        build_graph(store, data_dir=write_authored_data(home / "data"), corpus=False)
    return home


@pytest.fixture(scope="module")
def graph(home: Path) -> Iterator[KnowledgeGraph]:
    store = EmbeddedStore(embedded_path(home))
    yield KnowledgeGraph(store)
    store.close()


def turn(
    sender: str, n: int, actions: list[str], behavior: list[BehaviorEvent], slots: tuple = ()
) -> Turn:
    at = T0 + timedelta(minutes=n)
    events = [{"event": "user", "timestamp": at.timestamp(), "text": "..."}]
    events += [{"event": "slot", "timestamp": at.timestamp(), "name": k, "value": v} for k, v in slots]
    return Turn(sender, "rest", f"{sender}:0", "...", {"intent": {"name": "x", "confidence": 1.0}},
                [*actions, "action_listen"], events, [], at, at + timedelta(seconds=1), behavior)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    """Two learners as the engine records them: ada studies and asks about a work, bob only chats."""
    store = ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}")

    def b(kind: str, **fields) -> BehaviorEvent:
        return BehaviorEvent("ada", kind, **fields)

    store.save_turn(turn("ada", 0, ["action_explain_concept"], [
        b("message", concept="concept:interval", outcome="explain_concept"),
        b("explain_concept", concept="concept:interval"),
    ], slots=(("concept", "concept:interval"),)))
    store.save_turn(turn("ada", 1, ["action_explain_concept"], [
        b("explain_concept", concept="concept:interval"),
        b("too_hard", concept="concept:interval", value=1.0),
    ]))
    store.save_turn(turn("ada", 2, ["action_ask_quiz_answer"], [
        b("quiz_answer", concept="concept:perfect_fifth", outcome="correct", value=0.0),
        b("quiz_answer", concept="concept:ground_bass", outcome="wrong", value=0.0),
    ]))
    store.save_turn(turn("ada", 3, ["action_music_fact"], [
        b("music_fact", concept="concept:interval"),
    ], slots=(("work", "work:canon_in_d"), ("person", "person:johann_pachelbel"))))
    store.save_turn(turn("ada", 4, ["action_recommend_music"], [
        b("recommendation_shown", item="work:dido_and_aeneas", outcome="shown"),
    ]))
    store.save_turn(turn("bob", 5, [], [BehaviorEvent("bob", "message", concept="concept:pitch")]))
    store.add_behavior([BehaviorEvent("ada", "example_played", item="pitch")])  # web page, bare slug
    yield store
    store.close()


def test_items_entities_and_triples_come_from_the_tutors_graph(graph: KnowledgeGraph) -> None:
    data = platform_data(graph, [], media=False)
    assert data.item_ids == CONCEPTS + WORK_IDS
    assert data.item_names[CONCEPTS.index("concept:perfect_fifth")] == "perfect fifth"
    assert data.n_entities == sum(graph.stats()["nodes"].values())
    assert np.array_equal(data.item_entity, np.arange(7))
    assert len(data.triples) == graph.stats()["total_edges"]
    assert data.relation_names == sorted(graph.stats()["edges"])
    names = {k: data.entity_names[k] for k in range(data.n_entities)}
    readable = {(names[h], data.relation_names[r], names[t]) for h, r, t in data.triples.tolist()}
    assert ("interval", "REQUIRES", "pitch") in readable
    assert ("Canon in D", "EXAMPLE_OF", "ground bass") in readable
    assert ("Canon in D", "COMPOSED_BY", "Johann Pachelbel") in readable
    text = dict(zip(data.item_ids, data.item_text, strict=True))
    assert text["concept:pitch"].startswith("pitch: Pitch is how high or low")
    assert text["work:canon_in_d"].startswith("Canon in D by Johann Pachelbel (canon, D major). A canon")


def test_without_events_there_are_no_users_and_the_rest_is_complete(graph: KnowledgeGraph) -> None:
    data = platform_data(graph, [], media=False)
    assert data.user_ids == [] and data.positives.shape == (0, 2) and len(data.weights) == 0
    assert data.modalities == {}
    assert platform_data(graph, [], works="none", media=False).item_ids == CONCEPTS
    assert platform_data(graph, [], works="catalog", media=False).n_items == 7


def test_learners_positives_are_what_they_chose_to_study(graph: KnowledgeGraph, store) -> None:
    data = platform_data(graph, store_events(store), media=False)
    assert data.user_ids == ["ada", "bob"]
    found = {(data.user_ids[u], data.item_ids[i]): w
             for (u, i), w in zip(data.positives.tolist(), data.weights.tolist(), strict=True)}
    assert found == {
        ("ada", "concept:interval"): 2.0,  # explained twice; the message and "too hard" do not count
        ("ada", "concept:perfect_fifth"): 1.0,  # answered correctly (ground bass was wrong)
        ("ada", "work:canon_in_d"): 1.0,  # asked about (the work slot of a music_fact turn)
        ("ada", "concept:pitch"): 1.0,  # played on the web page
    }  # a recommendation shown is not a choice; bob only chatted
    split = make_split(data, "topk", seed=0)
    assert len(split.train) + len(split.valid) + len(split.test) == 4


def test_audio_and_video_are_present_for_items_with_an_example(graph: KnowledgeGraph, tmp_path: Path) -> None:
    data = platform_data(graph, [], cache_dir=tmp_path / "rec")
    with_example = {"concept:pitch", "concept:interval", "concept:perfect_fifth"}
    for name in ("audio", "video"):
        modality = data.modalities[name]
        assert modality.values.dtype == np.float32 and len(modality.values) == 7
        assert [data.item_ids[i] for i in np.flatnonzero(modality.present)] == sorted(with_example)
        steps = padding_mask(modality.values)
        assert np.array_equal(steps.any(1), modality.present)
        assert np.all(modality.values[~modality.present] == PAD)
    assert len(list((tmp_path / "rec" / "media").glob("*.npz"))) == 3
    again = platform_data(graph, [], cache_dir=tmp_path / "rec")
    assert np.array_equal(again.modalities["video"].values, data.modalities["video"].values)


def test_an_install_loads_from_its_home_and_a_fresh_database(home: Path, tmp_path: Path) -> None:
    settings = Settings(home=home, database_url=f"sqlite:///{tmp_path / 'fresh.db'}", neo4j_uri=None)
    graph = settings.open_graph()
    with ConversationStore(settings.db_url) as store:
        data, histories = platform(graph, store, media=False)
    graph.store.close()
    assert histories == {}
    assert data.item_ids == CONCEPTS + WORK_IDS and data.user_ids == []
