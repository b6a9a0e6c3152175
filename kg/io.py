"""Export and import: JSON lines (round-trips through either store) and CSV for `neo4j-admin import`."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, TextIO

from kg.schema import LABELS, Node, Triple, check_relation
from kg.store import GraphStore, checked_nodes, checked_triples

ARRAY_DELIMITER = ";"


class BadImportFile(ValueError):
    """A line of an import file is malformed; nothing has been written."""


def export_jsonl(store: GraphStore, out: TextIO) -> dict[str, int]:
    """Nodes first, then edges, one JSON object per line, in a stable order."""
    nodes = sorted(store.nodes(), key=lambda n: n.id)
    for node in nodes:
        out.write(json.dumps({"kind": "node", "id": node.id, "label": node.label,
                              "props": node.props}, ensure_ascii=False, sort_keys=True) + "\n")
    triples = sorted(store.triples(), key=lambda t: t.key())
    for t in triples:
        out.write(json.dumps({"kind": "edge", "head": t.head, "rel": t.rel, "tail": t.tail,
                              "props": t.props}, ensure_ascii=False, sort_keys=True) + "\n")
    return {"nodes": len(nodes), "edges": len(triples)}


def read_jsonl(lines: TextIO) -> tuple[list[Node], list[Triple]]:
    """Parse and check a whole file before anything is written; errors name the line."""
    nodes: list[Node] = []
    triples: list[Triple] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            kind = row.get("kind")
            props = row.get("props") or {}
            if not isinstance(props, dict):
                raise ValueError("props must be an object")
            if kind == "node":
                if row.get("label") not in LABELS:
                    raise ValueError(f"unknown label {row.get('label')!r}")
                nodes += checked_nodes([Node(str(row["id"]), row["label"], props)])
            elif kind == "edge":
                check_relation(str(row["rel"]))
                triples += checked_triples(
                    [Triple(str(row["head"]), row["rel"], str(row["tail"]), props)]
                )
            else:
                raise ValueError("kind must be 'node' or 'edge'")
        except (ValueError, KeyError, AttributeError, TypeError) as exc:
            raise BadImportFile(f"line {number}: {exc}") from exc
    return nodes, triples


def import_jsonl(store: GraphStore, lines: TextIO) -> dict[str, int]:
    nodes, triples = read_jsonl(lines)
    known = {n.id for n in nodes}
    outside = {e for t in triples for e in (t.head, t.tail)} - known
    missing = outside - set(store.get_nodes(outside))
    if missing:
        raise BadImportFile(f"edges name nodes that are neither in the file nor the graph: "
                           f"{', '.join(sorted(missing)[:10])}")
    return {"nodes": store.upsert_nodes(nodes), "edges": store.upsert_triples(triples)}


def _csv_type(values: list[Any]) -> str:
    sample = [v for v in values if v is not None]
    if sample and all(isinstance(v, list) for v in sample):
        return "string[]"
    if sample and all(isinstance(v, bool) for v in sample):
        return "boolean"
    if sample and all(isinstance(v, int) and not isinstance(v, bool) for v in sample):
        return "long"
    if sample and all(isinstance(v, int | float) and not isinstance(v, bool) for v in sample):
        return "double"
    return "string"


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ARRAY_DELIMITER.join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write_csv(path: Path, fixed: list[str], rows: list[tuple[list[str], dict[str, Any]]]) -> None:
    keys = sorted({k for _, props in rows for k in props})
    types = {k: _csv_type([props.get(k) for _, props in rows]) for k in keys}
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(fixed + [f"{k}:{types[k]}" for k in keys])
        for head, props in rows:
            writer.writerow(head + [_csv_value(props.get(k)) for k in keys])


def export_csv(store: GraphStore, directory: Path) -> dict[str, Any]:
    """`nodes.csv` and `relationships.csv` in neo4j-admin's header format.

    Load with: `neo4j-admin database import full --nodes=nodes.csv
    --relationships=relationships.csv --array-delimiter=";" neo4j`.
    """
    directory.mkdir(parents=True, exist_ok=True)
    nodes = sorted(store.nodes(), key=lambda n: n.id)
    _write_csv(directory / "nodes.csv", ["id:ID", ":LABEL"],
               [([n.id, f"Node;{n.label}"], n.props) for n in nodes])
    triples = sorted(store.triples(), key=lambda t: t.key())
    _write_csv(directory / "relationships.csv", [":START_ID", ":END_ID", ":TYPE"],
               [([t.head, t.tail, t.rel], t.props) for t in triples])
    return {"nodes": len(nodes), "edges": len(triples),
            "files": [str(directory / "nodes.csv"), str(directory / "relationships.csv")]}

