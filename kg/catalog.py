"""The authored catalog: eras, genres, instruments, people and works under `data/catalog/`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.curriculum import DATA_DIR, load_yaml_list
from kg.schema import is_slug

PERSON_KINDS = ("composer", "performer", "band")
VOCABULARIES = ("eras", "genres", "instruments")


@dataclass(slots=True)
class Catalog:
    eras: list[dict[str, Any]] = field(default_factory=list)
    genres: list[dict[str, Any]] = field(default_factory=list)
    instruments: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    works: list[dict[str, Any]] = field(default_factory=list)

    def ids(self, what: str) -> set[str]:
        return {str(item.get("id")) for item in getattr(self, what)}


# What a work's `year` dates (the tutor words it: "composed in", "first performed in", ...).
YEAR_EVENTS = ("composed", "premiered", "published", "recorded", "released")


def load_catalog(directory: Path | None = None) -> Catalog:
    directory = directory or DATA_DIR / "catalog"
    catalog = Catalog()
    for what in VOCABULARIES:
        for path in sorted(directory.glob(f"{what}*.yml")):
            getattr(catalog, what).extend(_tagged(path))
    for path in sorted(directory.glob("people_*.yml")):
        catalog.people += _tagged(path)
    for path in sorted(directory.glob("works_*.yml")):
        catalog.works += _tagged(path)
    return catalog


def _tagged(path: Path) -> list[dict[str, Any]]:
    items = load_yaml_list(path)
    for item in items:
        item["_source"] = path.name
    return items


def _refs(item: dict[str, Any], key: str) -> list[str]:
    value = item.get(key) or []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def validate_catalog(catalog: Catalog, concept_ids: set[str]) -> list[str]:
    """Every problem found, as readable lines; an empty list means the catalog is sound."""
    problems: list[str] = []
    for what in (*VOCABULARIES, "people", "works"):
        seen: set[str] = set()
        for item in getattr(catalog, what):
            slug = str(item.get("id", ""))
            where = f"{item.get('_source')}:{slug or '<no id>'}"
            if not is_slug(slug):
                problems.append(f"{where}: id must be a lowercase slug")
            if slug in seen:
                problems.append(f"{where}: duplicate id")
            seen.add(slug)
            if not str(item.get("name") or item.get("title") or "").strip():
                problems.append(f"{where}: needs a name (or title)")
            if not str(item.get("description") or "").strip():
                problems.append(f"{where}: empty description")
    eras, genres, instruments = catalog.ids("eras"), catalog.ids("genres"), catalog.ids("instruments")
    people = catalog.ids("people")
    for p in catalog.people:
        where = f"{p.get('_source')}:{p.get('id')}"
        kind = p.get("kind")
        if kind not in PERSON_KINDS:
            problems.append(f"{where}: kind must be one of {', '.join(PERSON_KINDS)}")
        if kind == "band":
            active = p.get("active")
            if not (isinstance(active, list) and len(active) == 2 and isinstance(active[0], int)):
                problems.append(f"{where}: bands need active: [start, end or null]")
        else:
            born, died = p.get("born"), p.get("died")
            if not isinstance(born, int):
                problems.append(f"{where}: people need an integer birth year")
            if died is not None and (not isinstance(died, int) or (isinstance(born, int) and died <= born)):
                problems.append(f"{where}: death year must be an integer after the birth year")
        if not p.get("nationality"):
            problems.append(f"{where}: nationality missing")
        if not (p.get("eras") or p.get("genres")):
            problems.append(f"{where}: needs an era or a genre")
        problems += _unknown(where, "eras", _refs(p, "eras"), eras)
        problems += _unknown(where, "genres", _refs(p, "genres"), genres)
        problems += _unknown(where, "instruments", _refs(p, "instruments"), instruments)
        for key in ("teachers", "influences", "members"):
            problems += _unknown(where, key, _refs(p, key), people)
            if p.get("id") in _refs(p, key):
                problems.append(f"{where}: {key} names itself")
    for w in catalog.works:
        where = f"{w.get('_source')}:{w.get('id')}"
        if not (_refs(w, "composers") or _refs(w, "performers")):
            problems.append(f"{where}: needs composers or performers")
        problems += _unknown(where, "composers", _refs(w, "composers"), people)
        problems += _unknown(where, "performers", _refs(w, "performers"), people)
        problems += _unknown(where, "eras", _refs(w, "eras"), eras)
        problems += _unknown(where, "genres", _refs(w, "genres"), genres)
        problems += _unknown(where, "examples_of", _refs(w, "examples_of"), concept_ids)
        if not isinstance(w.get("year"), int):
            problems.append(f"{where}: needs an integer year")
        if w.get("year_event", "composed") not in YEAR_EVENTS:
            problems.append(f"{where}: year_event must be one of {', '.join(YEAR_EVENTS)}, "
                            f"not {w.get('year_event')!r}")
        if w.get("key"):
            problems += _key_problems(where, str(w["key"]))
        if w.get("meter") is not None:
            problems += _meter_problems(where, w["meter"])
    return problems


def _unknown(where: str, key: str, refs: list[str], known: set[str]) -> list[str]:
    return [f"{where}: {key} unknown id {ref!r}" for ref in refs if ref not in known]


def _meter_problems(where: str, value: object) -> list[str]:
    """A meter is a time signature music21 reads, written as a string ("6/8": YAML would read
    an unquoted 6/8 as text anyway, but 3 or 3.4 would slip through as numbers)."""
    from music21 import meter

    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}/\d{1,2}", value):
        return [f"{where}: meter {value!r} should read like '3/4' or '6/8'"]
    try:
        meter.TimeSignature(value)
    except Exception as exc:  # music21 raises its own exception types
        return [f"{where}: meter {value!r} is not a time signature music21 knows: {exc}"]
    return []


def _key_problems(where: str, text: str) -> list[str]:
    from music21 import key

    parts = text.split()
    if len(parts) != 2 or parts[1] not in ("major", "minor"):
        return [f"{where}: key {text!r} should read like 'D major' or 'c minor'"]
    tonic = parts[0].replace("b", "-") if len(parts[0]) > 1 else parts[0]
    try:
        key.Key(tonic, parts[1])
    except Exception as exc:  # music21 raises its own exception types
        return [f"{where}: key {text!r} is not a key music21 knows: {exc}"]
    return []
