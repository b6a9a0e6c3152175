"""The graph's vocabulary: node labels, relation types, and the records every store speaks.

Both stores and every caller share these names, so a relation written by the build is the one the
tutor queries and the one Cypher matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Node labels (one per node; Last.FM entities are `Entity` unless they are artists).
CONCEPT = "Concept"
PERSON = "Person"
WORK = "Work"
ERA = "Era"
GENRE = "Genre"
INSTRUMENT = "Instrument"
ENTITY = "Entity"  # Last.FM / Freebase entity without a better label

LABELS = (CONCEPT, PERSON, WORK, ERA, GENRE, INSTRUMENT, ENTITY)

# id prefix of each kind of node: "concept:perfect_fifth".
KIND_LABEL = {
    "concept": CONCEPT,
    "person": PERSON,
    "work": WORK,
    "era": ERA,
    "genre": GENRE,
    "instrument": INSTRUMENT,
    "lastfm": ENTITY,
}

# Relation types with the sentence template used to render explanation paths. Freebase relations
# of the Last.FM graph are typed `FB_<RELATION>` (kg.lastfm) and read as their words.
# `{h}` and `{t}` are the head and tail names.
RELATIONS: dict[str, str] = {
    "REQUIRES": "{h} builds on {t}",
    "RELATED_TO": "{h} is related to {t}",
    "TECHNIQUE_FOR": "{h} is a technique for the {t}",
    "COMPOSED_BY": "{h} was composed by {t}",
    "PERFORMED_BY": "{h} was performed by {t}",
    "STUDIED_WITH": "{h} studied with {t}",
    "INFLUENCED_BY": "{h} was influenced by {t}",
    "PLAYS": "{h} plays the {t}",
    "MEMBER_OF": "{h} was a member of {t}",
    "IN_ERA": "{h} belongs to the {t}",
    "IN_GENRE": "{h} belongs to the genre {t}",
    "EXAMPLE_OF": "{h} is a famous example of {t}",
    "SAME_AS": "{h} is the same as {t}",
}

# Inverse readings, used when a path walks an edge against its direction.
INVERSE: dict[str, str] = {
    "REQUIRES": "{h} is a prerequisite of {t}",
    "RELATED_TO": "{h} is related to {t}",
    "TECHNIQUE_FOR": "the {h} has the technique {t}",
    "COMPOSED_BY": "{h} composed {t}",
    "PERFORMED_BY": "{h} performed {t}",
    "STUDIED_WITH": "{h} taught {t}",
    "INFLUENCED_BY": "{h} influenced {t}",
    "PLAYS": "the {h} is played by {t}",
    "MEMBER_OF": "{h} had the member {t}",
    "IN_ERA": "the {h} includes {t}",
    "IN_GENRE": "the genre {h} includes {t}",
    "EXAMPLE_OF": "{h} is illustrated by {t}",
    "SAME_AS": "{h} is the same as {t}",
}

_NUMERAL = re.compile(r"[b♭#♯]?(?:vii|vi|iv|v|iii|ii|i)[°ø+o]?\d*(?:/[ivIV]+)?")


def capitalized(text: str) -> str:
    """`text` with a capital first letter, unless its first word already has a capital inside it
    ("ii-V-I progression" stays: "Ii-V-I" would be another chord), as sentences starting with a
    name need."""
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    if any(ch.isupper() for ch in first[1:]) or _NUMERAL.fullmatch(first):
        return text  # "vi in F major" is the numeral vi, whatever the sentence wants
    return text[:1].upper() + text[1:]


# Relations that read the same both ways ("a is related to b"): a pair linked by one edge each
# way is one fact, and a path over either edge says the same thing.
SYMMETRIC: frozenset[str] = frozenset(r for r in RELATIONS if RELATIONS[r] == INVERSE[r])

# Two things that share one neighbour the same way, read together ("{a} and {b} " + this):
# "Canon in D and Dido and Aeneas are both famous examples of ground bass".
BOTH: dict[str, str] = {
    "REQUIRES": "both build on {t}",
    "RELATED_TO": "are both related to {t}",
    "TECHNIQUE_FOR": "are both techniques for the {t}",
    "COMPOSED_BY": "were both composed by {t}",
    "PERFORMED_BY": "were both performed by {t}",
    "STUDIED_WITH": "both studied with {t}",
    "INFLUENCED_BY": "were both influenced by {t}",
    "PLAYS": "both play the {t}",
    "MEMBER_OF": "were both members of {t}",
    "IN_ERA": "both belong to the {t}",
    "IN_GENRE": "both belong to the genre {t}",
    "EXAMPLE_OF": "are both famous examples of {t}",
}

CATEGORIES = (
    "notation",
    "rhythm",
    "scales",
    "keys",
    "intervals",
    "chords",
    "harmony",
    "form",
    "counterpoint",
    "expression",
    "ear_training",
    "jazz_pop",
    "technique",
    "practice",
)

_SLUG = re.compile(r"^[a-z0-9_]+$")
_REL = re.compile(r"^[A-Z][A-Z0-9_]*$")


def is_slug(value: str) -> bool:
    return bool(_SLUG.match(value))


def node_id(kind: str, slug: str) -> str:
    """The graph id of an authored node: `node_id("concept", "perfect_fifth")`."""
    if kind not in KIND_LABEL:
        raise ValueError(f"unknown node kind {kind!r}")
    return f"{kind}:{slug}"


def label_of(node_id_: str) -> str:
    kind = node_id_.split(":", 1)[0]
    return KIND_LABEL.get(kind, ENTITY)


def check_relation(rel: str) -> str:
    """Relation types end up in Cypher text, so only plain upper-case names are allowed."""
    if not _REL.match(rel):
        raise ValueError(f"invalid relation type {rel!r}: use UPPER_SNAKE_CASE")
    return rel


def check_text(value: Any, what: str = "value") -> Any:
    """Reject NUL characters: neither store can keep them faithfully."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(f"{what} contains a NUL character")
    if isinstance(value, list):
        for item in value:
            check_text(item, what)
    return value


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(slots=True)
class Node:
    """A graph node: an id, one label and flat properties (name, aliases, description, ...)."""

    id: str
    label: str
    props: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.props.get("name") or self.props.get("title") or self.id)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, **self.props}


@dataclass(slots=True)
class Triple:
    """A directed typed edge with provenance kept in `props` (source, confidence, time)."""

    head: str
    rel: str
    tail: str
    props: dict[str, Any] = field(default_factory=dict)

    def key(self) -> tuple[str, str, str]:
        return (self.head, self.rel, self.tail)

    def to_dict(self) -> dict[str, Any]:
        return {"head": self.head, "rel": self.rel, "tail": self.tail, **self.props}


@dataclass(slots=True)
class Step:
    """One hop of a path: the edge (head -rel-> tail) and whether it was walked forwards."""

    rel: str
    source: str
    target: str
    forward: bool


@dataclass(slots=True)
class Path:
    """A path between two nodes, as the node ids and the steps between them."""

    nodes: list[str]
    steps: list[Step]

    def __len__(self) -> int:
        return len(self.steps)
