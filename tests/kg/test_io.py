"""Export and import: JSON lines round-trip, CSV for neo4j-admin, bad files change nothing."""

from __future__ import annotations

import csv
import io

import pytest

from kg.build import build_graph
from kg.embedded import EmbeddedStore
from kg.io import BadImportFile, export_csv, export_jsonl, import_jsonl


@pytest.fixture
def store(data_dir):
    store = EmbeddedStore(None)
    build_graph(store, data_dir=data_dir, corpus=False)
    return store


def test_a_jsonl_export_imports_into_an_empty_store_unchanged(store):
    buffer = io.StringIO()
    counts = export_jsonl(store, buffer)
    copy = EmbeddedStore(None)
    assert import_jsonl(copy, io.StringIO(buffer.getvalue())) == counts
    again = io.StringIO()
    export_jsonl(copy, again)
    assert again.getvalue() == buffer.getvalue()


def test_a_malformed_line_is_reported_by_number_and_nothing_is_written(store):
    text = ('{"kind": "node", "id": "person:x", "label": "Person", "props": {"name": "X"}}\n'
            '{"kind": "edge", "head": "person:x", "rel": "bad rel", "tail": "era:baroque"}\n')
    target = EmbeddedStore(None)
    with pytest.raises(BadImportFile, match="line 2"):
        import_jsonl(target, io.StringIO(text))
    assert target.counts()["nodes"] == {}


def test_an_edge_to_a_node_nowhere_is_refused(store):
    text = '{"kind": "edge", "head": "person:x", "rel": "PLAYS", "tail": "instrument:piano"}\n'
    with pytest.raises(BadImportFile, match="person:x"):
        import_jsonl(store, io.StringIO(text))


def test_the_csv_export_uses_neo4j_admin_headers(store, tmp_path):
    result = export_csv(store, tmp_path / "csv")
    with open(tmp_path / "csv" / "nodes.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    header = rows[0].keys()
    assert {"id:ID", ":LABEL", "grade:long", "aliases:string[]", "name:string"} <= set(header)
    fifth = next(r for r in rows if r["id:ID"] == "concept:perfect_fifth")
    assert fifth[":LABEL"] == "Node;Concept" and fifth["aliases:string[]"] == "P5;perfect 5th"
    with open(tmp_path / "csv" / "relationships.csv", encoding="utf-8") as handle:
        edges = list(csv.DictReader(handle))
    assert {":START_ID", ":END_ID", ":TYPE"} <= set(edges[0])
    assert len(edges) == result["edges"] == sum(store.counts()["edges"].values())
