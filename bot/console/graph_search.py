"""Finding nodes of the knowledge graph by name, for the console's Graph browser and its JSON twin.

Two sources, merged: the graph's entity linker (`KnowledgeGraph.link` without its semantic step:
exact names, aliases and near spellings such as "perfekt fifth") and the names and aliases that
contain the words typed ("fifth" finds "circle of fifths", `Linker.containing`, read from the
linker's in-memory index rather than the store), which the linker's whole-name matching does not.
Both compare text normalised the linker's way (`kg.linking.normalize`), so case, accents,
"5th"/"fifth" and "♭"/"b" do not matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kg.linking import normalize

MAX_QUERY = 100
MAX_RESULTS = 30
METHODS = {"exact": "name", "alias": "alias", "fuzzy": "similar spelling"}


class InvalidQuery(ValueError):
    """The search text cannot be searched for; the message says why."""


@dataclass(frozen=True)
class Hit:
    id: str
    name: str
    label: str
    match: str  # how it matched: name, alias, similar spelling, name contains, alias contains

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "label": self.label, "match": self.match}


def check_query(raw: str | None) -> str:
    """The query, stripped; InvalidQuery if it is missing, empty, too long or has control characters."""
    query = (raw or "").strip()
    if not query:
        raise InvalidQuery("Enter a name to search for.")
    if len(query) > MAX_QUERY:
        raise InvalidQuery(f"The search must be at most {MAX_QUERY} characters.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in query):
        raise InvalidQuery("The search must not contain control characters.")
    if not normalize(query):
        raise InvalidQuery("The search needs at least one letter or digit.")
    return query


def search(graph: Any, query: str, limit: int = MAX_RESULTS) -> list[Hit]:
    """Nodes whose name or alias matches `query`: the linker's matches first (best first), then
    names and aliases containing it (those starting with it first, then shorter names)."""
    hits: dict[str, Hit] = {}
    for match in graph.link(query, k=limit, semantic=False):
        how = METHODS.get(match.method, match.method)
        hits.setdefault(match.id, Hit(match.id, match.name, match.label, how))
    wanted = normalize(query)
    ranked: list[tuple[tuple[int, int, str, str], Hit]] = []
    for node, how in graph.linker.containing(query):
        if node.id in hits:
            continue
        name = normalize(node.name)
        order = (0 if name.startswith(wanted) else 1) if how == "name" else 2
        ranked.append(((order, len(name), node.name.lower(), node.id),
                       Hit(node.id, node.name, node.label, f"{how} contains")))
    for _, hit in sorted(ranked, key=lambda pair: pair[0]):
        if len(hits) >= limit:
            break
        hits.setdefault(hit.id, hit)
    return list(hits.values())[:limit]
