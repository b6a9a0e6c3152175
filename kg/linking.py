"""Entity linking: which graph entities a mention such as "perfect 5th", "P5" or "perfekt fifth" names.

Four methods, tried from the most to the least certain, each with its own score ceiling so that a
ranking mixes them sensibly: exact name (1.0), alias (0.95; a case-sensitive alias such as "M3"
beats its lowercase twin "m3"), fuzzy string similarity with rapidfuzz (≤ 0.9), and semantic
similarity of sentence embeddings to the entity's name and description (≤ 0.85), which is what
catches paraphrases ("the chord on the flat second degree").
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from kg.schema import CONCEPT, ERA, GENRE, INSTRUMENT, PERSON, WORK, Node
from kg.store import GraphStore

# Labels worth a semantic index (Last.FM entities have no descriptions to embed).
SEMANTIC_LABELS = (CONCEPT, PERSON, WORK, INSTRUMENT, GENRE, ERA)
FUZZY_MIN = 82  # rapidfuzz score below which a fuzzy candidate is noise
SEMANTIC_MIN = 0.45  # cosine below which a semantic candidate is noise

_ORDINALS = {
    "1st": "first", "2nd": "second", "3rd": "third", "4th": "fourth", "5th": "fifth",
    "6th": "sixth", "7th": "seventh", "8th": "eighth", "9th": "ninth", "10th": "tenth",
    "11th": "eleventh", "12th": "twelfth", "13th": "thirteenth",
}
_ARTICLE = re.compile(r"^(the|a|an)\s+")
_PUNCT = re.compile(r"[^\w#+\s]")
_BRACKETED = re.compile(r"\s*\([^()]*\)\s*$")  # "forte (f)": a note in brackets after a name


@dataclass(slots=True, frozen=True)
class Match:
    id: str
    name: str
    label: str
    score: float
    method: str  # exact | alias | fuzzy | semantic

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "name": self.name, "label": self.label,
            "score": round(self.score, 4), "method": self.method,
        }


def normalize(text: str) -> str:
    """Lowercase, no accents, flats/sharps spelled as b/#, ordinals as words, no article."""
    text = text.replace("♭", "b").replace("♯", "#").replace("♮", " natural")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("-", " ").replace("_", " ").replace("'s ", " ")
    text = _PUNCT.sub(" ", text)
    words = [_ORDINALS.get(w, w) for w in text.split()]
    return _ARTICLE.sub("", " ".join(words))


def normalise_name(text: str) -> str:
    """A key for matching a person's name across sources (catalog, corpus metadata, Last.FM):
    lowercase ASCII, punctuation as spaces, "&" as "and", no leading "the"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", " ", ascii_text.lower().replace("&", " and ")).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


class Linker:
    """An in-memory index of every entity's surface forms, built from a store."""

    def __init__(self, nodes: Iterable[Node], cache_dir: Path | None = None) -> None:
        self.cache_dir = cache_dir
        self._nodes: dict[str, Node] = {}
        self._names: dict[str, set[str]] = defaultdict(set)  # normalised name -> ids
        self._aliases: dict[str, set[str]] = defaultdict(set)  # normalised alias -> ids
        self._cased: dict[str, set[str]] = defaultdict(set)  # alias as written -> ids
        self._forms: tuple[list[str], list[list[str]]] = ([], [])  # fuzzy-match forms, their ids
        self._semantic: tuple[list[str], np.ndarray] | None = None
        self.add(nodes)

    @classmethod
    def from_store(cls, store: GraphStore, cache_dir: Path | None = None) -> Linker:
        return cls(store.nodes(), cache_dir)

    def add(self, nodes: Iterable[Node]) -> None:
        for node in nodes:
            self._nodes[node.id] = node
            names = {str(node.props[k]) for k in ("name", "title") if node.props.get(k)}
            for name in names:
                self._names[normalize(name)].add(node.id)
                # "forte (f)", "turn (ornament)": the name without its note in brackets is the
                # word learners write, an alias of it
                bare = _BRACKETED.sub("", name).strip()
                if bare and bare != name.strip():
                    self._aliases[normalize(bare)].add(node.id)
            for alias in node.props.get("aliases") or []:
                self._aliases[normalize(str(alias))].add(node.id)
                self._cased[str(alias).strip()].add(node.id)
        forms: dict[str, set[str]] = defaultdict(set)
        for table in (self._names, self._aliases):
            for form, ids in table.items():
                if form:
                    forms[form] |= ids
        choices = list(forms)
        # one assignment, so a link running in another thread never pairs old forms with new ids
        self._forms = (choices, [sorted(forms[f]) for f in choices])
        self._semantic = None

    def __len__(self) -> int:
        return len(self._nodes)

    def link(
        self, mention: str, k: int = 5, labels: Iterable[str] | None = None,
        semantic: bool = True,
    ) -> list[Match]:
        """The `k` best entities for `mention`; empty for an empty mention or nothing close."""
        allowed = set(labels) if labels else None
        best: dict[str, Match] = {}

        def offer(node_id: str, score: float, method: str) -> None:
            node = self._nodes.get(node_id)
            if node is None or (allowed and node.label not in allowed):
                return
            if node_id not in best or best[node_id].score < score:
                best[node_id] = Match(node_id, node.name, node.label, score, method)

        norm = normalize(mention)
        if not norm:
            return []
        # Snapshots (tuples): `add` may grow these sets from another thread (an ingest job).
        cased = tuple(self._cased.get(mention.strip(), ()))
        for node_id in cased:
            offer(node_id, 0.97 if len(cased) == 1 else 0.9, "alias")
        exact = set(tuple(self._names.get(norm, ())))
        for node_id in exact:
            offer(node_id, 1.0 if len(exact) == 1 else 0.92, "exact")
        alias = set(tuple(self._aliases.get(norm, ()))) - exact
        for node_id in alias:
            # A lowercase alias shared by several entities ("m3"/"M3") is weaker evidence.
            offer(node_id, 0.95 if len(alias) == 1 else 0.75, "alias")
        if len(best) < k:
            choices, choice_ids = self._forms
            for form, ratio, index in process.extract(
                norm, choices, scorer=fuzz.token_sort_ratio, limit=k * 4, score_cutoff=FUZZY_MIN
            ):
                if form == norm:
                    continue  # already scored above as an exact name or alias
                length_penalty = min(len(norm), len(form)) / max(len(norm), len(form))
                score = 0.9 * (ratio / 100) * (0.7 + 0.3 * length_penalty)
                for node_id in choice_ids[index]:
                    offer(node_id, score, "fuzzy")
        if semantic and (not best or max(m.score for m in best.values()) < 0.8):
            for node_id, cosine in self._semantic_candidates(mention, k * 4):
                offer(node_id, 0.85 * cosine, "semantic")
        ranked = sorted(best.values(), key=lambda m: (-m.score, len(m.name), m.id))
        return ranked[:k]

    def containing(self, text: str) -> list[tuple[Node, str]]:
        """Entities whose name ("name") or else an alias ("alias") contains `text`, compared
        normalised; read from this in-memory index, so no store is scanned (a Neo4j graph too)."""
        wanted = normalize(text)
        if not wanted:
            return []
        found: dict[str, str] = {}
        for table, how in ((self._names, "name"), (self._aliases, "alias")):
            for form, ids in list(table.items()):  # copied at once: `add` may run in another thread
                if wanted in form:
                    for node_id in tuple(ids):
                        found.setdefault(node_id, how)
        return [(self._nodes[node_id], how) for node_id, how in found.items() if node_id in self._nodes]

    # semantic index --------------------------------------------------------------------------

    def warm(self) -> int:
        """Build the semantic index now (embedding every concept, person and work once, then cached
        on disk) instead of inside the first request that needs it; returns its size."""
        return len(self._semantic_index()[0])

    def _semantic_candidates(self, mention: str, limit: int) -> list[tuple[str, float]]:
        ids, matrix = self._semantic_index()
        if not ids:
            return []
        from kg.embeddings import sentence_model

        query = sentence_model().encode([mention], normalize_embeddings=True)[0]
        scores = matrix @ query
        top = np.argsort(-scores)[:limit]
        return [(ids[i], float(scores[i])) for i in top if scores[i] >= SEMANTIC_MIN]

    def _semantic_index(self) -> tuple[list[str], np.ndarray]:
        if self._semantic is not None:
            return self._semantic
        nodes = [
            n for n in self._nodes.values()
            if n.label in SEMANTIC_LABELS and n.props.get("source") != "music21"
        ]
        nodes.sort(key=lambda n: n.id)
        texts = [semantic_text(n) for n in nodes]
        ids = [n.id for n in nodes]
        matrix = self._cached_embeddings(texts)
        self._semantic = (ids, matrix)
        return self._semantic

    def _cached_embeddings(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
        path = self.cache_dir / f"link-embeddings-{digest}.npy" if self.cache_dir else None
        if path is not None and path.exists():
            return np.load(path)
        from kg.embeddings import sentence_model

        matrix = sentence_model().encode(
            texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False
        ).astype(np.float32)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, matrix)
        return matrix


def semantic_text(node: Node) -> str:
    """Name, aliases and the first sentence of the description: what a paraphrase will echo."""
    description = str(node.props.get("description") or "")
    first = description.split(". ")[0]
    aliases = ", ".join(str(a) for a in (node.props.get("aliases") or [])[:4])
    return f"{node.name} ({aliases}): {first}" if aliases else f"{node.name}: {first}"
