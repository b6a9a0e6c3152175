"""Building the graph from authored data, and rebuilding it without losing added facts."""

from __future__ import annotations

import json

import yaml

from kg.build import build_graph
from kg.embedded import EmbeddedStore
from kg.graph import KnowledgeGraph
from kg.schema import Node, Triple
from kg.validate import validate_all


def build(data_dir, store=None):
    store = store or EmbeddedStore(None)
    report = build_graph(store, data_dir=data_dir, corpus=False)
    return KnowledgeGraph(store), report


def test_the_fixture_data_is_valid(data_dir):
    assert validate_all(data_dir) == []


def test_a_build_writes_every_authored_node_and_edge(data_dir):
    graph, report = build(data_dir)
    stats = graph.stats()
    assert stats["nodes"] == {"Concept": 5, "Era": 1, "Genre": 1, "Instrument": 2, "Person": 2,
                              "Work": 2}
    assert stats["edges"]["REQUIRES"] == 3
    assert stats["edges"]["EXAMPLE_OF"] == 2
    assert stats["edges"]["TECHNIQUE_FOR"] == 1
    assert (report.nodes, report.triples) == (13, stats["total_edges"])


def test_a_persons_instruments_keep_the_catalogs_order_beside_the_plays_edges(data_dir):
    graph, _ = build(data_dir)
    pachelbel = graph.facts("person:johann_pachelbel")
    assert pachelbel["instrument_order"] == ["instrument:organ"]
    assert pachelbel["instruments"] == [{"id": "instrument:organ", "name": "organ"}]


def test_concepts_carry_their_example_as_json_and_their_provenance(data_dir):
    graph, _ = build(data_dir)
    fifth = graph.entity("concept:perfect_fifth")
    assert json.loads(fifth.props["example"])["pitches"] == "C4 G4"
    assert fifth.props["source"] == "curriculum:basics.yml"
    assert fifth.props["confidence"] == 1.0 and fifth.props["updated"]
    assert fifth.props["aliases"] == ["P5", "perfect 5th"]


def test_people_and_works_answer_fact_questions(data_dir):
    graph, _ = build(data_dir)
    canon = graph.facts("work:canon_in_d")
    assert canon["composers"] == [{"id": "person:johann_pachelbel", "name": "Johann Pachelbel"}]
    assert canon["year"] == 1694 and canon["key"] == "D major"
    assert {"id": "concept:ground_bass", "name": "ground bass"} in canon["examples_of"]
    pachelbel = graph.facts("person:johann_pachelbel")
    assert pachelbel["born"] == 1653 and pachelbel["instruments"][0]["name"] == "organ"


def test_a_learning_path_over_the_built_curriculum_is_in_order(data_dir):
    graph, _ = build(data_dir)
    path = [n.id for n in graph.learning_path("concept:ground_bass")]
    assert path == ["concept:pitch", "concept:interval", "concept:perfect_fifth",
                    "concept:ground_bass"]


def test_two_works_are_explained_through_the_concept_they_share(data_dir):
    graph, _ = build(data_dir)
    best = graph.explain("work:canon_in_d", "work:dido_and_aeneas")[0]
    assert best.path.nodes[1] == "concept:ground_bass"
    assert best.sentence == "Canon in D and Dido and Aeneas are both famous examples of ground bass."


def test_rebuilding_is_idempotent(data_dir, tmp_path):
    store = EmbeddedStore(tmp_path / "g.db")
    first = build(data_dir, store)[0].stats()
    second = build(data_dir, store)[0].stats()
    assert first == second


def test_a_rebuild_keeps_ingested_facts_but_drops_records_removed_from_the_data(data_dir, tmp_path):
    store = EmbeddedStore(tmp_path / "g.db")
    graph, _ = build(data_dir, store)
    graph.upsert([Node("person:florence_price", "Person", {"name": "Florence Price"})],
                 [Triple("person:florence_price", "PLAYS", "instrument:organ")],
                 source="text:notes.txt", confidence=0.9)
    works = yaml.safe_load((data_dir / "catalog" / "works_test.yml").read_text())
    (data_dir / "catalog" / "works_test.yml").write_text(yaml.safe_dump(works[:1]))
    _, report = build(data_dir, store)
    assert report.removed_nodes == 1
    assert graph.entity("work:dido_and_aeneas") is None
    assert graph.entity("person:florence_price") is not None
    assert store.edges(["person:florence_price"], "PLAYS", "out")


def test_a_related_concept_that_is_also_a_prerequisite_link_gets_no_second_edge():
    from kg.build import curriculum_records
    from kg.curriculum import Concept

    def concept(cid: str, requires: list[str], related: list[str]) -> Concept:
        return Concept(cid, cid, "chords", 1, "A concept used by this test only.", requires=requires,
                       related=related)

    records = curriculum_records([
        concept("chord", [], ["triad", "cadence"]),  # triad requires chord: the link is known
        concept("triad", ["chord"], ["chord", "inversion"]),
        concept("inversion", ["triad"], []),
        concept("cadence", [], []),
    ])
    edges = {(t.head, t.rel, t.tail) for t in records.triples}
    assert edges == {
        ("concept:triad", "REQUIRES", "concept:chord"),
        ("concept:inversion", "REQUIRES", "concept:triad"),
        ("concept:chord", "RELATED_TO", "concept:cadence"),
    }
