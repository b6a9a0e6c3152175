"""Entity types, relation signatures and the records the extraction pipeline passes around."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from kg.schema import CONCEPT, ERA, GENRE, INSTRUMENT, PERSON, WORK

# NER types (BIO tags are built from these) and the graph label each one becomes.
ENTITY_TYPES = ("PERSON", "WORK", "CONCEPT", "INSTRUMENT", "GENRE", "ERA")
TYPE_LABEL = {
    "PERSON": PERSON,
    "WORK": WORK,
    "CONCEPT": CONCEPT,
    "INSTRUMENT": INSTRUMENT,
    "GENRE": GENRE,
    "ERA": ERA,
}
LABEL_TYPE = {label: kind for kind, label in TYPE_LABEL.items()}
# Id prefix of new nodes of each type ("person:florence_price").
TYPE_KIND = {kind: kind.lower() for kind in ENTITY_TYPES}

NONE = "NONE"
# The relations the classifier predicts, with the (head types, tail types) each one allows.
SIGNATURES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "COMPOSED_BY": (frozenset({"WORK"}), frozenset({"PERSON"})),
    "PERFORMED_BY": (frozenset({"WORK"}), frozenset({"PERSON"})),
    "STUDIED_WITH": (frozenset({"PERSON"}), frozenset({"PERSON"})),
    "INFLUENCED_BY": (frozenset({"PERSON"}), frozenset({"PERSON"})),
    "PLAYS": (frozenset({"PERSON"}), frozenset({"INSTRUMENT"})),
    "MEMBER_OF": (frozenset({"PERSON"}), frozenset({"PERSON"})),
    "IN_GENRE": (frozenset({"PERSON", "WORK"}), frozenset({"GENRE"})),
    "EXAMPLE_OF": (frozenset({"WORK"}), frozenset({"CONCEPT"})),
}
RELATIONS = tuple(SIGNATURES)
CLASSES = (NONE, *RELATIONS)  # index 0 is NONE


def allowed_relations(
    head_type: str, tail_type: str, head_kind: str | None = None, tail_kind: str | None = None
) -> list[str]:
    """Relations whose signature admits the ordered pair; `*_kind` is a person's catalog kind.

    Bands are Person nodes with `kind: band`: only a band can be the tail of MEMBER_OF, a band is
    never anyone's member or student, and a band studies with no one. A band is the performer of
    its songs, not their composer: the catalog credits the members who wrote them ("Metallica's
    Master of Puppets" is performed by Metallica); and the members, not the band, play the
    instruments.
    """
    out = []
    for rel, (heads, tails) in SIGNATURES.items():
        if head_type not in heads or tail_type not in tails:
            continue
        if rel == "MEMBER_OF" and (tail_kind not in (None, "band") or head_kind == "band"):
            continue
        if rel == "STUDIED_WITH" and "band" in (head_kind, tail_kind):
            continue
        if rel == "COMPOSED_BY" and tail_kind == "band":
            continue
        if rel == "PLAYS" and head_kind == "band":  # its members play: "the Stones' guitarist"
            continue
        out.append(rel)
    return out


@dataclass(slots=True)
class Mention:
    """An entity mention in a sentence; offsets are into the document text."""

    start: int
    end: int
    text: str
    type: str  # one of ENTITY_TYPES
    id: str | None = None  # graph id when linked (or the proposed id of a new node)
    name: str | None = None  # the graph name when linked, else the text
    linked: bool = False  # True when `id` names an existing graph node
    method: str = "gazetteer"  # gazetteer | tagger | tagger+link
    score: float = 1.0
    kind: str | None = None  # catalog kind of a linked person (composer/performer/band)

    @property
    def label(self) -> str:
        return TYPE_LABEL[self.type]


@dataclass(slots=True)
class ExtractedTriple:
    head_id: str
    head_name: str
    head_label: str
    relation: str
    tail_id: str
    tail_name: str
    tail_label: str
    confidence: float
    sentence: str
    head_span: tuple[int, int]  # character offsets into the text given to `extract`
    tail_span: tuple[int, int]
    head_text: str = ""
    tail_text: str = ""
    head_linked: bool = True
    tail_linked: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def key(self) -> tuple[str, str, str]:
        return (self.head_id, self.relation, self.tail_id)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["confidence"] = round(float(self.confidence), 4)
        data["head_span"] = list(self.head_span)
        data["tail_span"] = list(self.tail_span)
        if not data["extra"]:
            data.pop("extra")
        return data
