"""The recommender as the tutor serves it: top-k with filters, prerequisites first, reasons that are
real graph paths, cold start, items without interactions, online updates, and model versions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from bot.store import BehaviorEvent
from kg.graph import KnowledgeGraph
from kg.paths import render
from recommender.fastscore import FastScorer, max_difference
from recommender.lessons import Prerequisites, prerequisites_first
from recommender.platform import platform_data
from recommender.profile import Profile
from recommender.publish import histories, rollback, train_version
from recommender.registry import load_active, rec_dir, rec_versions
from recommender.service import Recommendation, RecommenderService, best_first
from tests.recommender.learners import TINY, UNTOUCHED, behaviour, build_home

LESSONS = {"concept:ground_bass", "concept:interval", "concept:perfect_fifth", "concept:piano_posture",
           "concept:pitch"}
WORKS = {"work:canon_in_d", "work:dido_and_aeneas"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rec-home")


@pytest.fixture(scope="module")
def graph(home: Path) -> Iterator[KnowledgeGraph]:
    graph = build_home(home)
    yield graph
    graph.store.close()


@pytest.fixture(scope="module")
def data(graph: KnowledgeGraph, home: Path):
    """The platform's data set with the lessons' synthesized audio and keyboard video."""
    return platform_data(graph, behaviour(), cache_dir=home / "cache" / "rec")


@pytest.fixture(scope="module")
def trained(data, home: Path) -> dict:
    """The first version trained in `home`: activated, since nothing was active."""
    return train_version(data, home, histories(data, behaviour()), config=TINY)


@pytest.fixture(scope="module")
def service(graph: KnowledgeGraph, home: Path, trained: dict) -> RecommenderService:
    return RecommenderService.load(graph, home)


@pytest.fixture(scope="module")
def untrained(graph: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> RecommenderService:
    return RecommenderService.load(graph, tmp_path_factory.mktemp("empty-home"))


def scores(recs: list[Recommendation]) -> dict[str, float]:
    return {r.item: r.score for r in recs}


# -- without a model ---------------------------------------------------------------------------
def test_without_a_trained_model_it_ranks_by_the_graph_and_says_so(untrained: RecommenderService) -> None:
    assert untrained.source == "graph" and untrained.version is None
    purcell = Profile(asked=("person:henry_purcell",))
    recs = untrained.recommend("anyone", k=3, profile=purcell)
    assert len(recs) == 3 and {r.source for r in recs} == {"graph"}
    top_work = untrained.recommend("anyone", k=1, kind="work", profile=purcell)
    assert top_work[0].item == "work:dido_and_aeneas"
    assert top_work[0].reason == ("Because you asked about Henry Purcell: "
                                  "Dido and Aeneas was composed by Henry Purcell.")


def test_a_broken_active_version_falls_back_to_the_graph(graph: KnowledgeGraph, tmp_path: Path) -> None:
    versions = rec_versions(tmp_path)
    (versions.path("broken")).mkdir(parents=True)
    (versions.path("broken") / "metadata.json").write_text("{}")
    versions.activate("broken")
    service = RecommenderService.load(graph, tmp_path)
    assert service.source == "graph"
    assert service.recommend("anyone", k=2)


# -- top-k and filters -------------------------------------------------------------------------
@pytest.mark.parametrize("kind, items", [("lesson", LESSONS), ("work", WORKS), ("any", LESSONS | WORKS)])
def test_top_k_covers_every_item_of_the_kind_asked_for(service: RecommenderService, kind, items) -> None:
    recs = service.recommend("learner1", k=10, kind=kind)
    assert {r.item for r in recs} <= items
    assert {r.kind for r in recs} <= ({"lesson", "work"} if kind == "any" else {kind})
    assert {r.source for r in recs} == {"mkgat"}
    assert len(service.recommend("learner1", k=2, kind=kind)) == min(2, len(items))


def test_filters_leave_out_what_the_caller_excludes_and_what_the_learner_knows(service) -> None:
    everything = {r.item for r in service.recommend("learner0", k=10)}
    assert "work:canon_in_d" not in everything  # the learner played it: not recommended back
    without = service.recommend("learner0", k=10, exclude=["work:dido_and_aeneas"])
    assert "work:dido_and_aeneas" not in {r.item for r in without}
    knows = Profile(known=("concept:interval",))
    mastered = service.recommend("learner0", k=10, kind="lesson", profile=knows)
    assert not {"concept:interval", "concept:pitch"} & {r.item for r in mastered}  # and what it builds on
    easy = service.recommend("learner0", k=10, kind="lesson", max_grade=2)
    assert {r.item for r in easy} <= {"concept:pitch", "concept:interval", "concept:piano_posture"}
    near = service.recommend("learner0", k=10, related_to=["person:henry_purcell"])
    assert "concept:pitch" not in {r.item for r in near}  # more than two edges from Purcell
    assert "work:dido_and_aeneas" in {r.item for r in near}


def test_technique_lessons_for_another_instrument_are_left_out(service: RecommenderService) -> None:
    organist = service.recommend("x", k=10, kind="lesson", profile=Profile(instrument="instrument:organ"))
    pianist = service.recommend("x", k=10, kind="lesson", profile=Profile(instrument="instrument:piano"))
    assert "concept:piano_posture" not in {r.item for r in organist}
    assert "concept:piano_posture" in {r.item for r in pianist}


def test_an_unknown_kind_is_refused(service: RecommenderService) -> None:
    with pytest.raises(ValueError, match="kind"):
        service.recommend("x", kind="podcast")  # type: ignore[arg-type]


# -- prerequisites first -----------------------------------------------------------------------
def test_a_lesson_ranked_first_comes_after_its_unmastered_prerequisites(graph: KnowledgeGraph) -> None:
    prerequisites = Prerequisites(graph)
    picks = prerequisites_first(["concept:ground_bass", "concept:piano_posture"], 5, prerequisites,
                                prerequisites.known(["concept:pitch"]), lambda i: i.startswith("concept:"),
                                lambda i: True)
    assert [(p.item, p.prerequisite_of) for p in picks] == [
        ("concept:interval", "concept:ground_bass"),
        ("concept:perfect_fifth", "concept:ground_bass"),
        ("concept:ground_bass", None),
        ("concept:piano_posture", None),
    ]
    cut = prerequisites_first(["concept:ground_bass"], 2, prerequisites, {"concept:pitch"},
                              lambda i: True, lambda i: True)
    assert [p.item for p in cut] == ["concept:interval", "concept:perfect_fifth"]  # never the lesson alone
    blocked = prerequisites_first(["concept:ground_bass", "concept:pitch"], 5, prerequisites, set(),
                                  lambda i: True, lambda i: i != "concept:interval")
    assert [p.item for p in blocked] == ["concept:pitch"]  # ground bass cannot come in order


@pytest.mark.parametrize("known", [(), ("concept:pitch",), ("concept:interval",)])
@pytest.mark.parametrize("fixture", ["service", "untrained"])
def test_no_recommended_lesson_comes_ahead_of_an_unmastered_prerequisite(request, graph, known, fixture):
    service: RecommenderService = request.getfixturevalue(fixture)
    known_all = graph.known_closure(known)
    for k in range(1, 8):
        recs = service.recommend("learner1", k=k, kind="any", profile=Profile(known=known))
        before: set[str] = set()
        for rec in recs:
            if rec.kind == "lesson":
                needs = {t.tail for t in graph.store.edges([rec.item], "REQUIRES", "out")}
                assert needs <= known_all | before, (rec.item, needs, before)
            before.add(rec.item)


# -- reasons -----------------------------------------------------------------------------------
def test_every_reason_is_a_real_graph_path_to_the_learners_history_or_interests(service, graph) -> None:
    profile = Profile(asked=("person:henry_purcell",), studied=("concept:interval",))
    recs = service.recommend("learner0", k=7, profile=profile)
    assert any(r.reasons for r in recs)
    history = {e.item for e in service.history("learner0", profile)} | {"person:henry_purcell"}
    for rec in recs:
        for reason in rec.reasons:
            path = reason.path
            assert path.nodes[0] == rec.item and path.nodes[-1] == reason.anchor
            assert reason.anchor in history
            assert 1 <= len(path.steps) <= 4
            for step in path.steps:  # every edge is in the graph, as stated
                edges = {t.key() for t in graph.store.edges([step.source], step.rel, "out")}
                assert (step.source, step.rel, step.target) in edges
            names = graph.store.get_nodes(path.nodes)
            assert reason.sentence == f"{reason.lead}: {render(path, names)}"
            assert reason.sentence.startswith(f"Because {reason.verb} ")
        assert len(rec.reasons) <= 3
        assert [r.score for r in rec.reasons] == sorted((r.score for r in rec.reasons), reverse=True)


def test_a_long_reason_gives_way_to_a_short_path_to_an_entry_the_model_weighed_less(service) -> None:
    studied = ("concept:interval", "concept:major_scale", "concept:triad", "concept:cadence",
               "concept:rhythm", "concept:meter", "concept:key_signature")
    profile = Profile(studied=studied, asked=("person:henry_purcell",))
    wider = service.wider_anchors
    try:
        service.wider_anchors = service.anchors_per_item  # the most attended entries only
        narrow = service.recommend("learner1", k=10, profile=profile)
        service.wider_anchors = 8
        wide = service.recommend("learner1", k=10, profile=profile)
    finally:
        service.wider_anchors = wider
    assert [r.item for r in wide] == [r.item for r in narrow]  # explaining does not rank
    shorter = 0
    for n, w in zip(narrow, wide, strict=True):
        if n.reasons and len(n.reasons[0].path.steps) <= 2:
            assert w.reasons == n.reasons  # a short reason is kept as it is
        elif n.reasons:
            assert len(w.reasons[0].path.steps) <= len(n.reasons[0].path.steps)
            shorter += len(w.reasons[0].path.steps) < len(n.reasons[0].path.steps)
    assert shorter > 0


# -- cold start, new items, online updates -----------------------------------------------------
def test_a_new_learner_is_represented_by_the_items_their_profile_leads_to(service) -> None:
    profile = Profile(likes=("person:henry_purcell",), instrument="instrument:piano")
    history = {e.item: e for e in service.history("someone-new", profile)}
    assert history["work:dido_and_aeneas"].anchor == "person:henry_purcell"
    assert history["work:dido_and_aeneas"].verb == "you like" and not history["work:dido_and_aeneas"].engaged
    assert history["concept:piano_posture"].anchor == "instrument:piano"
    purcell = service.recommend("someone-new", k=7, profile=profile)
    blank = service.recommend("someone-new", k=7)
    assert scores(purcell) != scores(blank)
    top = next(r for r in purcell if r.item == "work:dido_and_aeneas")
    assert "Because you like Henry Purcell" in top.reason


@pytest.mark.parametrize("which", ["service", "untrained"])
def test_technique_lessons_are_explained_by_the_instrument_however_much_else_was_asked(
    which: str, request: pytest.FixtureRequest
) -> None:
    service = request.getfixturevalue(which)
    asked = ("person:johann_pachelbel", "work:canon_in_d", "era:baroque", "genre:opera",
             "work:dido_and_aeneas", "person:henry_purcell")
    profile = Profile(instrument="instrument:piano", asked=asked, level=1.0)
    lessons = service.recommend("someone-new", k=10, kind="lesson", profile=profile)
    technique = [r for r in lessons if service.technique_of.get(r.item) == "instrument:piano"]
    assert technique
    assert {r.reasons[0].anchor for r in technique} == {"instrument:piano"}
    assert all(r.reason.startswith("Because you play the piano") for r in technique)


def test_items_nobody_interacted_with_are_scored_from_content_and_graph(service, data) -> None:
    positives = {data.item_ids[i] for i in data.positives[:, 1].tolist()}
    assert not set(UNTOUCHED) & positives
    found = scores(service.recommend("someone-new", k=10))
    for item in UNTOUCHED:
        assert item in found and found[item] == found[item]  # scored, not NaN
    row = service.index["concept:perfect_fifth"]
    content = service.served.model._content[1][row]
    assert content.sum() >= 2  # its id and its synthesized sound and keyboard video


def test_observing_a_positive_updates_the_learner_at_once(service: RecommenderService) -> None:
    before = scores(service.recommend("fresh", k=10))
    assert not service.observe("fresh", BehaviorEvent("fresh", "message", concept="concept:ground_bass"))
    assert scores(service.recommend("fresh", k=10)) == before
    assert service.observe("fresh", BehaviorEvent("fresh", "explain_concept", concept="concept:ground_bass"))
    assert [e.item for e in service.history("fresh")] == ["concept:ground_bass"]
    after = service.recommend("fresh", k=10)
    assert scores(after) != before
    assert any(r.reason and r.reason.startswith("Because you studied ground bass") for r in after)


@pytest.mark.parametrize("size", [5, 300, 4000])
def test_ranking_reads_items_as_a_stable_sort_would_ties_and_nan_included(size: int) -> None:
    rng = np.random.default_rng(size)
    for trial in range(20):  # integer scores: many ties across the sorted head's edge
        values = (rng.integers(0, 30, size) if trial % 2 else rng.standard_normal(size)).astype(np.float32)
        values[rng.integers(0, size, 2)] = np.nan
        assert list(best_first(values, head=64)) == np.argsort(-values, kind="stable").tolist()


def test_the_fast_path_scores_exactly_like_the_model(service: RecommenderService) -> None:
    service.recommend("fast", k=3, profile=Profile(studied=("concept:pitch", "work:canon_in_d")))
    model, row = service.served.model, service._rows["fast"]
    assert service._fast and [i for i in model.history_items[row].tolist() if i != model.pad]
    assert max_difference(FastScorer(model), [0, 1, row]) < 1e-5
    assert max_difference(FastScorer(model, torch.tensor([5, 0, 2])), [row]) < 1e-5


# -- versions ----------------------------------------------------------------------------------
def test_a_trained_version_has_its_metadata_and_is_active(trained: dict, home: Path) -> None:
    assert trained["activated"] and trained["reason"] == "no active model"
    meta = json.loads((rec_dir(home) / trained["version"] / "metadata.json").read_text())
    for key in ("data_hash", "config", "metrics", "trained_at", "versions", "split", "gate", "data"):
        assert key in meta
    assert meta["split"]["protocol"] == "leave-latest-out" and meta["split"]["test"] == 10
    assert {"torch", "python", "numpy"} <= set(meta["versions"])
    assert meta["saved_max_difference"] < 1e-4  # saving (no raw media, no encoders) changes no score
    assert meta["fast_path_max_difference"] < 1e-4
    assert meta["config"]["dim"] == TINY["dim"]
    assert not (rec_dir(home) / trained["version"] / "model.pt").read_bytes().count(b"audio_values")


def test_the_gate_keeps_the_active_version_unless_forced_and_rollback_restores_it(data, tmp_path) -> None:
    order = histories(data, behaviour())
    first = train_version(data, tmp_path, order, config=TINY)
    refused = train_version(data, tmp_path, order, config=TINY, tolerance=-1.0)  # must win by 1 ndcg
    assert not refused["activated"] and "use --force" in refused["reason"]
    assert refused["active_metrics"] is not None  # the active one was measured on the same rows
    assert load_active(tmp_path).version == first["version"]
    forced = train_version(data, tmp_path, order, config=TINY, tolerance=-1.0, force=True)
    assert forced["activated"] and load_active(tmp_path).version == forced["version"]
    assert rollback(tmp_path) == {"active": first["version"], "replaced": forced["version"]}
    assert load_active(tmp_path).version == first["version"]
    with pytest.raises(ValueError, match="roll back"):
        rollback(tmp_path)


def test_training_needs_behaviour_with_something_to_hold_out(graph: KnowledgeGraph, tmp_path) -> None:
    with pytest.raises(ValueError, match="no learner behaviour"):
        train_version(platform_data(graph, [], media=False), tmp_path)
    few = [e for e in behaviour(2) if e.learner_id == "learner0"][:2]
    with pytest.raises(ValueError, match="held-out"):
        train_version(platform_data(graph, few, media=False), tmp_path)


def test_a_graph_on_a_server_is_walked_in_an_in_memory_copy(graph: KnowledgeGraph) -> None:
    from kg.embedded import EmbeddedStore

    class ServerStore(EmbeddedStore):  # stands in for Neo4j: same answers, another kind
        kind = "neo4j"

    remote = ServerStore()
    remote.upsert_nodes(graph.store.nodes())
    remote.upsert_triples(graph.store.triples())
    served = RecommenderService(KnowledgeGraph(remote))
    assert served.graph.store is not remote and served.graph.store.kind == "embedded"
    profile = Profile(asked=("person:henry_purcell",))
    assert [r.to_dict() for r in served.recommend("x", k=5, profile=profile)] == [
        r.to_dict() for r in RecommenderService(graph).recommend("x", k=5, profile=profile)]
