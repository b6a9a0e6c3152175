"""Explanation paths: the search returns real simple paths, its early stop loses none of the
cheapest, and a cache for many pairs answers the same."""

from __future__ import annotations

from itertools import permutations

import pytest

from kg.build import build_graph
from kg.embedded import EmbeddedStore
from kg.paths import PathCache, explain, find_paths, path_cost
from kg.schema import Path, Step


@pytest.fixture
def store(data_dir):
    with EmbeddedStore() as store:
        build_graph(store, data_dir=data_dir, corpus=False)
        yield store


def every_path(store, a: str, b: str, max_len: int) -> list[Path]:
    """All simple paths a ~ b of at most `max_len` edges, edges walked either way."""
    found: list[Path] = []

    def walk(nodes: list[str], steps: list[Step]) -> None:
        here = nodes[-1]
        if here == b and steps:
            found.append(Path(list(nodes), list(steps)))
            return
        if len(steps) == max_len:
            return
        for t in store.edges([here]):
            forward = t.head == here
            there = t.tail if forward else t.head
            if there not in nodes:
                walk([*nodes, there], [*steps, Step(t.rel, t.head, t.tail, forward)])

    walk([a], [])
    return found


def test_the_search_returns_real_paths_and_stops_early_without_losing_the_cheapest(store) -> None:
    ids = sorted(n.id for n in store.nodes())
    for a, b in permutations(ids, 2):
        for k, max_len in ((3, 4), (1, 2), (2, 3)):
            every = [(p.nodes, p.steps) for p in every_path(store, a, b, max_len)]
            found = find_paths(store, a, b, k, max_len)
            assert all((p.nodes, p.steps) in every for p in found)
            # with room for every candidate nothing is skipped: the first k are the same
            unpruned = find_paths(store, a, b, 10_000, max_len)[:k]
            degree = store.degrees({n for p in unpruned for n in p.nodes[1:-1]})
            # the same costs and nodes in the same order (parallel edges may tie: either will do)
            assert [(round(path_cost(p, degree), 9), p.nodes) for p in found] == [
                (round(path_cost(p, degree), 9), p.nodes) for p in unpruned], (a, b, k, max_len)


def test_cached_explanations_equal_fresh_ones_for_every_pair(store) -> None:
    ids = sorted(n.id for n in store.nodes())
    cache = PathCache(store, size=4)  # small: entries are dropped and computed again
    for a, b in permutations(ids, 2):
        for k, max_len in ((3, 4), (1, 2)):
            fresh = explain(store, a, b, k, max_len)
            expected = [e.to_dict() for e in fresh]
            assert [e.to_dict() for e in cache.explain(a, b, k, max_len)] == expected
            degree = store.degrees({n for e in fresh for n in e.path.nodes[1:-1]})
            assert [round(e.score, 9) for e in fresh] == [round(path_cost(e.path, degree), 9) for e in fresh]
    found = cache.explain("work:dido_and_aeneas", "person:johann_pachelbel")
    assert found and found[0].sentence.startswith("Dido and Aeneas")


def test_an_explanation_writes_its_sentence_once_however_often_it_is_read(store) -> None:
    cache = PathCache(store)
    first = cache.explain("work:dido_and_aeneas", "person:johann_pachelbel")[0]
    asked: list[list[str]] = []
    names = first.names
    first.names = lambda ids: asked.append(list(ids)) or names(ids)
    sentence = first.sentence
    again = cache.explain("work:dido_and_aeneas", "person:johann_pachelbel")[0]
    assert again is first and again.sentence == sentence and len(asked) == 1


def _node(node_id: str, label: str, name: str):
    from kg.schema import Node

    return Node(node_id, label, {"name": name})


NAMES = {n.id: n for n in (
    _node("concept:a", "Concept", "inversion"), _node("concept:b", "Concept", "figured bass"),
    _node("concept:c", "Concept", "triad"), _node("person:p", "Person", "Frédéric Chopin"),
    _node("person:q", "Person", "Franz Liszt"), _node("era:romantic", "Era", "Romantic"),
    _node("person:r", "Person", "Clara Schumann"), _node("instrument:piano", "Instrument", "piano"),
    _node("instrument:organ", "Instrument", "organ"),
)}


@pytest.mark.parametrize(
    ("steps", "sentence"),
    [
        # both point to one neighbour: read together
        ([Step("IN_ERA", "person:p", "era:romantic", True),
          Step("IN_ERA", "person:q", "era:romantic", False)],
         "Frédéric Chopin and Franz Liszt both belong to the Romantic era."),
        ([Step("REQUIRES", "concept:a", "concept:c", True),
          Step("REQUIRES", "concept:b", "concept:c", False)],
         "Inversion and figured bass both build on triad."),
        # one neighbour points to both
        ([Step("REQUIRES", "concept:c", "concept:a", False),
          Step("REQUIRES", "concept:c", "concept:b", True)],
         "Triad builds on both inversion and figured bass."),
        ([Step("PLAYS", "person:r", "instrument:piano", False),
          Step("PLAYS", "person:r", "instrument:organ", True)],
         "Clara Schumann plays both the piano and the organ."),
        # different relations: each later hop is a relative clause on the name before it
        ([Step("INFLUENCED_BY", "person:q", "person:p", True),
          Step("IN_ERA", "person:p", "era:romantic", True)],
         "Franz Liszt was influenced by Frédéric Chopin, who belongs to the Romantic era."),
        ([Step("REQUIRES", "concept:b", "concept:a", False),
          Step("REQUIRES", "concept:c", "concept:b", False)],
         "Inversion is a prerequisite of figured bass, which is a prerequisite of triad."),
        ([Step("IN_ERA", "person:p", "era:romantic", True),
          Step("IN_ERA", "person:q", "era:romantic", False),
          Step("PLAYS", "person:q", "instrument:piano", True),
          Step("PLAYS", "person:r", "instrument:piano", False)],
         "Frédéric Chopin belongs to the Romantic era, which includes Franz Liszt, "
         "who plays the piano, which is played by Clara Schumann."),
    ],
)
def test_hops_read_as_one_sentence(steps, sentence) -> None:
    from kg.paths import render

    nodes = [steps[0].source if steps[0].forward else steps[0].target]
    for step in steps:
        nodes.append(step.target if step.forward else step.source)
    assert render(Path(nodes, steps), NAMES) == sentence


def test_paths_of_equal_cost_come_in_one_order_whatever_order_the_edges_were_added_in() -> None:
    from kg.schema import Triple

    edges = [Triple("concept:a", "REQUIRES", "concept:c"), Triple("concept:a", "RELATED_TO", "concept:c"),
             Triple("concept:b", "RELATED_TO", "concept:c"), Triple("concept:b", "REQUIRES", "concept:c")]
    answers = []
    for order in (edges, edges[::-1]):
        with EmbeddedStore() as store:
            store.upsert_nodes([NAMES["concept:a"], NAMES["concept:b"], NAMES["concept:c"]])
            store.upsert_triples(order)
            answers.append([[(s.rel, s.source, s.target) for s in p.steps]
                            for k in (1, 2, 3) for p in find_paths(store, "concept:a", "concept:b", k)])
    assert answers[0] == answers[1]
    assert len(answers[0][0]) == 2  # a ~ c ~ b, with one of the two ties chosen the same way each time


def test_what_two_ends_share_reads_without_naming_them_for_a_reply_that_names_both() -> None:
    from kg.paths import shared

    def two(rel: str, a: str, middle: str, b: str, rel2: str | None = None, forward2: bool = False) -> Path:
        second = Step(rel2 or rel, b, middle, False) if not forward2 else Step(rel2 or rel, middle, b, True)
        return Path([a, middle, b], [Step(rel, a, middle, True), second])

    assert shared(two("IN_ERA", "person:p", "era:romantic", "person:q"), NAMES) == \
        "both belong to the Romantic era"
    assert shared(two("EXAMPLE_OF", "person:p", "concept:c", "person:q"), NAMES) == \
        "both are famous examples of triad"
    assert shared(two("INFLUENCED_BY", "person:q", "person:p", "era:romantic", "IN_ERA", True), NAMES) is None
