"""Hand-annotated training prose: real sentences with every entity and every stated relation.

The generator's sentences are short and regular, and descriptions are labelled by the graph, so
neither shows the extractor long prose with places, films, labels and asides that are not entities,
or facts stated through apposition and relative clauses. These sentences do: each one lists every
entity mention with its type and every triple of the eight relations it states. They are training
data only; the held-out and development sets (`data/relext/heldout.yml`, `dev.yml`) were written
separately and share no sentence with them (a test checks it).

Format (one YAML list per file under `data/relext/train/`)::

    - text: "The trumpeter Lee Morgan recorded The Sidewinder for Blue Note in 1963."
      entities:
        - ["trumpeter", INSTRUMENT]
        - ["Lee Morgan", PERSON]
        - ["The Sidewinder", WORK]
      triples:
        - ["Lee Morgan", PLAYS, "trumpeter"]
        - ["The Sidewinder", PERFORMED_BY, "Lee Morgan"]

Entity names are written exactly as in the sentence; `BAND` is a person node of kind band.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kg.extract.distant import Annotated
from kg.extract.types import ENTITY_TYPES, RELATIONS, Mention, allowed_relations

TRAIN_DIR = Path(__file__).resolve().parents[2] / "data" / "relext" / "train"
TYPES = (*ENTITY_TYPES, "BAND")
SOURCE = "prose"


@dataclass(frozen=True, slots=True)
class ProseItem:
    """One annotated sentence; `where` says which file and item it came from, for errors."""

    text: str
    entities: tuple[tuple[str, str], ...]
    triples: tuple[tuple[str, str, str], ...]
    where: str


def load(paths: Iterable[str | Path] | None = None) -> list[ProseItem]:
    """Every item of the given files (default: all of `data/relext/train/`), validated.

    Raises ValueError naming each bad item, so a typo in an annotation cannot silently teach the
    models something else.
    """
    items, errors = read(paths)
    if errors:
        raise ValueError("bad training prose:\n" + "\n".join(errors))
    return items


def read(paths: Iterable[str | Path] | None = None) -> tuple[list[ProseItem], list[str]]:
    """The valid items of the files and what is wrong with the others (`etude kg validate`)."""
    files = sorted(TRAIN_DIR.glob("*.yml")) if paths is None else [Path(p) for p in paths]
    items: list[ProseItem] = []
    errors: list[str] = []
    for path in files:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as exc:
            errors.append(f"{path.name}: not YAML ({exc})")
            continue
        if not isinstance(raw, list):
            errors.append(f"{path.name}: expected a list of items")
            continue
        for k, entry in enumerate(raw):
            where = f"{path.name}[{k}]"
            try:
                items.append(_item(entry, where))
            except ValueError as exc:
                errors.append(f"{where}: {exc}")
    return items, errors + problems(items)


def problems(items: Sequence[ProseItem]) -> list[str]:
    """Checks across items: the same sentence twice."""
    seen: dict[str, str] = {}
    out = []
    for item in items:
        key = " ".join(item.text.split()).lower()
        if key in seen:
            out.append(f"{item.where}: the same sentence as {seen[key]}")
        seen.setdefault(key, item.where)
    return out


def _item(entry: Any, where: str) -> ProseItem:
    if not isinstance(entry, dict) or not isinstance(entry.get("text"), str) or not entry["text"].strip():
        raise ValueError("an item needs a non-empty `text`")
    text = entry["text"]
    entities = []
    types: dict[str, str] = {}
    for row in entry.get("entities") or []:
        if not (isinstance(row, list) and len(row) == 2 and all(isinstance(x, str) for x in row)):
            raise ValueError(f"an entity is [name, TYPE], not {row!r}")
        name, kind = row
        if kind not in TYPES:
            raise ValueError(f"{name!r}: unknown type {kind} (one of {', '.join(TYPES)})")
        if not occurrences(text, name):
            raise ValueError(f"{name!r} is not written in the sentence")
        if name in types and types[name] != kind:
            raise ValueError(f"{name!r} is given two types")
        types[name] = kind
        entities.append((name, kind))
    triples = []
    for row in entry.get("triples") or []:
        if not (isinstance(row, list) and len(row) == 3 and all(isinstance(x, str) for x in row)):
            raise ValueError(f"a triple is [head, RELATION, tail], not {row!r}")
        head, rel, tail = row
        if rel not in RELATIONS:
            raise ValueError(f"unknown relation {rel} (one of {', '.join(RELATIONS)})")
        for name in (head, tail):
            if name not in types:
                raise ValueError(f"{name!r} in a triple is not among the entities")
        if rel not in _allowed(types[head], types[tail]):
            raise ValueError(f"{rel} cannot join a {types[head]} to a {types[tail]}")
        triples.append((head, rel, tail))
    return ProseItem(text, tuple(entities), tuple(triples), where)


def _allowed(head: str, tail: str) -> list[str]:
    """Relations the two types admit; a person here is known not to be a band."""
    (ht, hk), (tt, tk) = _type_kind(head), _type_kind(tail)
    return allowed_relations(ht, tt, hk or "person", tk or "person")


def _type_kind(kind: str) -> tuple[str, str | None]:
    return ("PERSON", "band") if kind == "BAND" else (kind, None)


def occurrences(text: str, name: str) -> list[tuple[int, int]]:
    """Where `name` is written in `text` as whole words."""
    pattern = r"(?<!\w)" + re.escape(name) + r"(?!\w)"
    return [(m.start(), m.end()) for m in re.finditer(pattern, text)]


def annotated(items: Iterable[ProseItem]) -> list[Annotated]:
    """The items as training sentences: every occurrence of an entity is a mention (an occurrence
    inside a longer entity's is not), and every pair of occurrences of a triple's two entities is
    labelled with its relation."""
    out = []
    for item in items:
        spans: list[tuple[int, int, str, str]] = []
        for name, kind in sorted(item.entities, key=lambda e: -len(e[0])):
            for start, end in occurrences(item.text, name):
                if any(start < e and s < end for s, e, _, _ in spans):
                    continue
                spans.append((start, end, name, kind))
        spans.sort()
        mentions = []
        for start, end, name, kind in spans:
            node_type, node_kind = _type_kind(kind)
            mentions.append(Mention(start, end, item.text[start:end], node_type, f"prose:{name}",
                                    name, False, "prose", 1.0, node_kind))
        relations: dict[tuple[int, int], list[str]] = {}
        for head, rel, tail in item.triples:
            for i, a in enumerate(mentions):
                for j, b in enumerate(mentions):
                    if a.name == head and b.name == tail:
                        relations.setdefault((i, j), []).append(rel)
        out.append(Annotated(item.text, mentions, relations, SOURCE))
    return out
