"""The Last.FM benchmark (HetRec 2011 listening data with KGCN's Freebase knowledge graph).

The data is benchmark data outside the repository (`ETUDE_LASTFM_DIR`, or `../shared/data/lastfm`
beside the checkout); the product runs without it. `load_lastfm` reads it with the standard
preprocessing (KGCN, RippleNet, KGNN-LS, CKAN): only the 3,846 artists linked to the knowledge
graph are items and every listened (user, item) pair is a positive.

Standard counts, checked by `LastFM.check_counts`:

| what | count | definition |
|---|---|---|
| users | 1,872 | distinct users among the positives |
| items | 3,846 | rows of `item_index2entity_id.txt` (linked artists) |
| positives | 21,173 | (user, item) pairs of `user_artists.dat` whose artist is an item |
| entities | 9,366 | distinct heads and tails of `kg.txt`, together with the item entities |
| relations | 60 | distinct relation names in `kg.txt` |
| triples | 15,518 | lines of `kg.txt` |

On the entity count: the item entities are exactly 0..3,845 and every one of them is a head in
`kg.txt`, so "heads and tails" and "heads, tails and item entities" both give 9,366 (ids 0..9,365,
dense). The item-inclusive definition is the one used, so an item without triples still counts.

In the graph (`lastfm_records`) every entity is a node `lastfm:<entity id>`; the linked artists are
`Person` nodes (name from `artists.dat`, `kind: artist`), the rest `Entity` nodes. Every Freebase
triple becomes an edge typed by its relation: `music.artist.genre` becomes `FB_MUSIC_ARTIST_GENRE`
(`rel_type`), with the Freebase name kept in the `relation` property. The sanitised names match
`kg.schema.check_relation`, so they are safe to place in Cypher text, and because the type is part
of an edge's key, two entities joined under several Freebase relations (5,608 pairs, mostly
`film.actor.film` beside `film.person_or_entity_appearing_in_film.film`) keep one edge per
relation: the 15,518 triples are 15,518 edges.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.linking import normalise_name
from kg.schema import ENTITY, PERSON, Node, Triple

REPO_ROOT = Path(__file__).resolve().parent.parent

# The published statistics of the standard preprocessing (see the data's README).
EXPECTED_COUNTS: dict[str, int] = {
    "users": 1872,
    "items": 3846,
    "positives": 21173,
    "entities": 9366,
    "relations": 60,
    "triples": 15518,
}

FREEBASE_PREFIX = "FB_"
SOURCE = "lastfm"

FILES = ("item_index2entity_id.txt", "kg.txt", "user_artists.dat", "artists.dat")


class LastFMDataError(ValueError):
    """The Last.FM files are missing or do not give the standard counts."""


def default_lastfm_dir() -> Path | None:
    """`ETUDE_LASTFM_DIR` when set, else `../shared/data/lastfm` beside the checkout, else None."""
    configured = os.environ.get("ETUDE_LASTFM_DIR")
    if configured:
        return Path(configured).expanduser()
    candidate = REPO_ROOT.parent / "shared" / "data" / "lastfm"
    return candidate if candidate.is_dir() else None


@dataclass(slots=True)
class LastFM:
    """The Last.FM data after the standard preprocessing (raw HetRec ids throughout)."""

    path: Path
    items: dict[int, int] = field(default_factory=dict)  # artistID -> KG entity id
    artist_names: dict[int, str] = field(default_factory=dict)  # artistID -> name (all artists)
    triples: list[tuple[int, str, int]] = field(default_factory=list)  # (head, relation, tail)
    positives: list[tuple[int, int]] = field(default_factory=list)  # (userID, artistID), items only
    weights: dict[tuple[int, int], int] = field(default_factory=dict)  # listening counts

    @property
    def users(self) -> list[int]:
        return sorted({u for u, _ in self.positives})

    @property
    def relations(self) -> list[str]:
        return sorted({r for _, r, _ in self.triples})

    @property
    def entities(self) -> set[int]:
        """Distinct heads and tails of the KG together with the item entities."""
        found = set(self.items.values())
        for head, _, tail in self.triples:
            found.add(head)
            found.add(tail)
        return found

    @property
    def entity_artist(self) -> dict[int, int]:
        """KG entity id -> artistID for the linked artists."""
        return {entity: artist for artist, entity in self.items.items()}

    def counts(self) -> dict[str, int]:
        return {
            "users": len(self.users),
            "items": len(self.items),
            "positives": len(self.positives),
            "entities": len(self.entities),
            "relations": len(self.relations),
            "triples": len(self.triples),
        }

    def check_counts(self) -> list[str]:
        """Every way the data differs from the published statistics; empty when it matches."""
        found = self.counts()
        problems = [
            f"{what}: expected {expected:,}, found {found[what]:,}"
            for what, expected in EXPECTED_COUNTS.items()
            if found[what] != expected
        ]
        unnamed = sorted(a for a in self.items if a not in self.artist_names)
        if unnamed:
            problems.append(f"{len(unnamed)} linked artists have no name in artists.dat")
        return problems


def _lines(path: Path) -> list[str]:
    """Text lines, decoded as UTF-8 line by line with a Latin-1 fallback for stray bytes."""
    out = []
    for raw in path.read_bytes().splitlines():
        try:
            out.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(raw.decode("latin-1"))
    return out


def _rows(path: Path, header: bool) -> list[list[str]]:
    lines = _lines(path)[1 if header else 0 :]
    return [line.split("\t") for line in lines if line.strip()]


def listening_rows(directory: Path) -> list[tuple[int, int]]:
    """Every (userID, artistID) of `user_artists.dat`, items or not (raw ids)."""
    try:
        return [(int(r[0]), int(r[1])) for r in _rows(directory / "user_artists.dat", header=True)]
    except (IndexError, ValueError) as exc:
        raise LastFMDataError(f"{directory}: malformed user_artists.dat ({exc})") from exc


def load_lastfm(path: Path | str | None = None, check: bool = True) -> LastFM:
    """Read the Last.FM files; with `check`, raise `LastFMDataError` unless the counts match."""
    directory = Path(path) if path is not None else default_lastfm_dir()
    if directory is None:
        raise LastFMDataError(
            "no Last.FM data: set ETUDE_LASTFM_DIR or pass the directory with the files "
            + ", ".join(FILES)
        )
    missing = [name for name in FILES if not (directory / name).is_file()]
    if missing:
        raise LastFMDataError(f"{directory}: missing {', '.join(missing)}")
    data = LastFM(path=directory)
    try:
        for row in _rows(directory / "item_index2entity_id.txt", header=False):
            data.items[int(row[0])] = int(row[1])
        for row in _rows(directory / "kg.txt", header=False):
            data.triples.append((int(row[0]), row[1].strip(), int(row[2])))
        for row in _rows(directory / "artists.dat", header=True):
            data.artist_names[int(row[0])] = row[1].strip()
        seen: set[tuple[int, int]] = set()
        for row in _rows(directory / "user_artists.dat", header=True):
            pair = (int(row[0]), int(row[1]))
            if pair[1] in data.items and pair not in seen:
                seen.add(pair)
                data.positives.append(pair)
                data.weights[pair] = int(row[2]) if len(row) > 2 else 1
    except (IndexError, ValueError) as exc:
        raise LastFMDataError(f"{directory}: malformed file ({exc})") from exc
    if check:
        problems = data.check_counts()
        if problems:
            raise LastFMDataError(
                f"{directory} does not give the standard Last.FM counts: " + "; ".join(problems)
            )
    return data


# -------------------------------------------------------------------------------------------------
# graph records


def rel_type(relation: str) -> str:
    """`music.artist.genre` -> `FB_MUSIC_ARTIST_GENRE` (a valid graph relation type)."""
    cleaned = re.sub(r"[^A-Z0-9]+", "_", relation.upper()).strip("_")
    return FREEBASE_PREFIX + cleaned


def entity_id(entity: int) -> str:
    return f"lastfm:{entity}"


def lastfm_records(
    data: LastFM, catalog_people: dict[str, str]
) -> tuple[list[Node], list[Triple]]:
    """Nodes for every KG entity, LASTFM edges for the triples and SAME_AS links to the catalog.

    `catalog_people` maps person names and aliases to catalog person ids; keys are normalised
    here (`normalise_name`), so either raw or normalised names work. A linked artist whose
    normalised name matches gets `lastfm:<entity> -SAME_AS-> <person id>`. Names that match two
    different people are ambiguous and left unlinked.
    """
    people: dict[str, str | None] = {}
    for name, pid in catalog_people.items():
        key = normalise_name(name)
        if key:
            people[key] = pid if people.get(key, pid) == pid else None  # None: ambiguous
    incoming: dict[int, set[str]] = defaultdict(set)
    for _, relation, tail in data.triples:
        incoming[tail].add(relation)
    artists = data.entity_artist
    nodes: list[Node] = []
    same_as: list[Triple] = []
    for entity in sorted(data.entities):
        nid = entity_id(entity)
        props: dict[str, Any] = {"lastfm_entity_id": entity, "source": SOURCE}
        artist = artists.get(entity)
        if artist is None:
            if incoming.get(entity):
                props["lastfm_relations_in"] = sorted(incoming[entity])
            nodes.append(Node(nid, ENTITY, props))
            continue
        name = data.artist_names.get(artist) or f"Last.FM artist {artist}"
        props.update({"name": name, "kind": "artist", "lastfm_artist_id": artist})
        nodes.append(Node(nid, PERSON, props))
        pid = people.get(normalise_name(name))
        if pid:
            same_as.append(Triple(nid, "SAME_AS", pid, {"source": SOURCE, "method": "name"}))
    edges = {
        (head, relation, tail): Triple(
            entity_id(head), rel_type(relation), entity_id(tail),
            {"relation": relation, "source": SOURCE},
        )
        for head, relation, tail in data.triples
    }
    return nodes, [*edges.values(), *same_as]


def record_counts(nodes: list[Node], triples: list[Triple]) -> dict[str, int]:
    """What `lastfm_records` made, for `etude kg import-lastfm` to print."""
    freebase = [t for t in triples if t.rel.startswith(FREEBASE_PREFIX)]
    return {
        "nodes": len(nodes),
        "artists": sum(1 for n in nodes if n.label == PERSON),
        "entities": sum(1 for n in nodes if n.label == ENTITY),
        "freebase_edges": len(freebase),
        "relations": len({t.rel for t in freebase}),
        "same_as": sum(1 for t in triples if t.rel == "SAME_AS"),
    }
