"""Lookup tables (gazetteers) generated from the knowledge graph's names and aliases.

Never hand-copied: each table is read from the graph, per entity type. They feed the training data
(examples whose entity values are swapped for other graph names of the same type, so the tagger
learns the slot rather than a closed list) and can be exported in Rasa's `lookup:` format.
"""

from __future__ import annotations

import random
import re
from typing import TYPE_CHECKING

from kg.schema import CONCEPT, ERA, GENRE, INSTRUMENT, PERSON, WORK
from nlu.data import Entity, Example

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

TYPE_LABEL = {
    "concept": CONCEPT,
    "person": PERSON,
    "work": WORK,
    "genre": GENRE,
    "era": ERA,
    "instrument": INSTRUMENT,
}


def _catalog(node) -> bool:
    source = str(node.props.get("source") or "")
    return not (node.id.startswith(("work:m21_", "lastfm:")) or source.startswith("music21"))


def lookup_tables(graph: KnowledgeGraph, types: list[str] | None = None) -> dict[str, list[str]]:
    """Entity type -> sorted surface forms (names and aliases) of the graph's nodes of that type.

    concept: Concept nodes; person: catalog Person nodes; work: catalog Work nodes (not the analysed
    music21 corpus); genre, era, instrument: their vocabularies.
    """
    tables: dict[str, list[str]] = {}
    for etype in types or list(TYPE_LABEL):
        label = TYPE_LABEL.get(etype)
        if label is None:
            continue
        forms: set[str] = set()
        for node in graph.store.nodes(label):
            if label in (PERSON, WORK) and not _catalog(node):
                continue
            for key in ("name", "title"):
                if node.props.get(key):
                    forms.add(str(node.props[key]).strip())
            forms.update(str(a).strip() for a in node.props.get("aliases") or [])
        tables[etype] = sorted(f for f in forms if f and len(f) <= 60)
    return tables


_ARTICLE = re.compile(r"^(the|a|an)\s+", re.I)


def augment(
    examples: list[Example], tables: dict[str, list[str]], copies: int = 1, seed: int = 13
) -> list[Example]:
    """Copies of the examples with entities whose type has a table swapped for random table entries."""
    rng = random.Random(seed)
    out: list[Example] = []
    for _ in range(copies):
        for ex in examples:
            swappable = [e for e in ex.entities if tables.get(e.entity)]
            if not swappable:
                continue
            text, entities = ex.text, []
            pieces: list[str] = []
            cursor = 0
            for ent in sorted(ex.entities, key=lambda e: e.start):
                pieces.append(text[cursor : ent.start])
                start = sum(len(p) for p in pieces)
                if tables.get(ent.entity):
                    surface = _ARTICLE.sub("", rng.choice(tables[ent.entity])).rstrip(".,!?;:")
                    surface = surface or text[ent.start : ent.end]
                    if rng.random() < 0.5:
                        surface = surface.lower()
                else:
                    surface = text[ent.start : ent.end]
                pieces.append(surface)
                entities.append(Entity(start, start + len(surface), ent.entity, surface))
                cursor = ent.end
            pieces.append(text[cursor:])
            out.append(Example("".join(pieces), ex.intent, entities))
    return out


_TYPO_WORD = re.compile(r"[A-Za-z]{4,}")


def _misspell(word: str, rng: random.Random) -> str:
    """One slip of the fingers: two neighbouring letters swapped, one dropped or one doubled."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def typo_copies(examples: list[Example], share: float, seed: int = 13) -> list[Example]:
    """Copies of a random `share` of the examples with one misspelt word outside the entities.

    Learners type fast on phones; the model should not take "expain" or "waht" for gibberish.
    Entity spans after the edit are shifted so they still cover the same words.
    """
    rng = random.Random(seed)
    out: list[Example] = []
    for ex in examples:
        if rng.random() >= share:
            continue
        words = [
            m
            for m in _TYPO_WORD.finditer(ex.text)
            if not any(e.start < m.end() and m.start() < e.end for e in ex.entities)
        ]
        if not words:
            continue
        m = rng.choice(words)
        typo = _misspell(m.group(), rng)
        shift = len(typo) - len(m.group())
        text = ex.text[: m.start()] + typo + ex.text[m.end() :]
        entities = [
            Entity(e.start + shift, e.end + shift, e.entity, e.value) if e.start >= m.end() else e
            for e in ex.entities
        ]
        out.append(Example(text, ex.intent, entities))
    return out


_WORD = re.compile(r"[\w#♭♯'’.-]*\w|[^\w\s]")
MAX_WORDS = 8


def _words(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group().casefold()) for m in _WORD.finditer(text)]


class Gazetteer:
    """Longest-match lookup of the tables' entries in a text (case-insensitive, whole words)."""

    def __init__(self, tables: dict[str, list[str]]) -> None:
        self.tables = {k: list(v) for k, v in tables.items()}
        self._phrases: dict[tuple[str, ...], set[str]] = {}
        for etype, entries in tables.items():
            for entry in entries:
                words = tuple(w for _, _, w in _words(entry))
                if 0 < len(words) <= MAX_WORDS and len(entry.strip()) > 1:
                    self._phrases.setdefault(words, set()).add(etype)

    def __len__(self) -> int:
        return len(self._phrases)

    def match(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, type) of every longest, non-overlapping entry found in `text`."""
        words = _words(text)
        found: list[tuple[int, int, str]] = []
        i = 0
        while i < len(words):
            for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
                types = self._phrases.get(tuple(w for _, _, w in words[i : i + n]))
                if types:
                    found += [(words[i][0], words[i + n - 1][1], t) for t in sorted(types)]
                    i += n
                    break
            else:
                i += 1
        return found
