"""Scoring extracted triples against the hand-written held-out set (`data/relext/heldout.yml`).

A predicted triple counts when its relation matches a gold triple and both of its entities name
the gold entities. An entity matches when any of these holds: the names are equal once folded and
stripped of punctuation and a leading article ("The Beatles" = "beatles"); the gold name is a name
or alias of the graph node the prediction is linked to ("Bach" = person:johann_sebastian_bach);
or the predicted mention covers where the gold name is written in the sentence (character overlap
of at least half of their union, so "Symphony No. 9" matches a mention linked to the graph's
"Symphony No. 9 in E minor, Op. 95"). Each gold triple can be matched once; predictions left over
are false positives.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kg.extract.gazetteer import player_nouns, usable
from kg.extract.text import norm_name
from kg.extract.types import RELATIONS, ExtractedTriple
from kg.schema import Node

HELDOUT = Path(__file__).resolve().parents[2] / "data" / "relext" / "heldout.yml"
DEV = HELDOUT.with_name("dev.yml")  # hand-written too; tunes the decision rule, never trains


@dataclass(slots=True)
class Item:
    text: str
    triples: list[tuple[str, str, str]]


def load_heldout(path: str | Path = HELDOUT) -> list[Item]:
    """The held-out sentences; raises ValueError on a malformed item or an unknown relation."""
    with Path(path).open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or []
    items = []
    for k, entry in enumerate(raw):
        text = entry.get("text") if isinstance(entry, dict) else None
        triples = entry.get("triples") if isinstance(entry, dict) else None
        if not isinstance(text, str) or not isinstance(triples, list):
            raise ValueError(f"{path}: item {k} needs `text` and a `triples` list")
        clean = []
        for t in triples:
            if not (isinstance(t, list) and len(t) == 3 and all(isinstance(x, str) for x in t)):
                raise ValueError(f"{path}: item {k}: triple {t!r} is not [head, RELATION, tail]")
            if t[1] not in RELATIONS:
                raise ValueError(f"{path}: item {k}: unknown relation {t[1]!r}")
            clean.append((t[0], t[1], t[2]))
        items.append(Item(text, clean))
    return items


class NameIndex:
    """Normalised names and aliases of the graph's entities -> ids, for comparing entities."""

    def __init__(self, nodes: Iterable[Node] = ()) -> None:
        self._ids: dict[str, set[str]] = defaultdict(set)
        for node in nodes:
            if not usable(node):
                continue
            forms = [node.name, *(str(a) for a in node.props.get("aliases") or [])]
            if node.label == "Instrument":
                forms += player_nouns(node.name)
            for form in forms:
                key = norm_name(form)
                if key:
                    self._ids[key].add(node.id)

    @classmethod
    def from_graph(cls, graph: Any) -> NameIndex:
        store = getattr(graph, "store", graph)
        return cls(store.nodes())

    def ids(self, name: str) -> set[str]:
        return set(self._ids.get(norm_name(name), ()))

    def keys(self, name: str, entity_id: str | None = None) -> set[str]:
        """Everything an entity can be recognised by: its id and its normalised name."""
        out = {f"name:{norm_name(name)}"} | self.ids(name)
        if entity_id:
            out.add(entity_id)
        return out


@dataclass(slots=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4), "tp": self.tp, "fp": self.fp, "fn": self.fn,
                "support": self.tp + self.fn}


@dataclass(slots=True)
class Report:
    per_relation: dict[str, Score]
    micro: Score
    macro: dict[str, float]
    sentences: int
    errors: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sentences": self.sentences,
            "micro": self.micro.to_dict(),
            "macro": {k: round(v, 4) for k, v in self.macro.items()},
            "per_relation": {r: s.to_dict() for r, s in self.per_relation.items()},
            **self.extra,
        }


def score(
    items: Sequence[Item], predictions: Sequence[Sequence[ExtractedTriple]], index: NameIndex,
    threshold: float = 0.0, keep_errors: bool = True,
) -> Report:
    """Precision, recall and F1 per relation and overall (see the module docstring)."""
    per = {rel: Score() for rel in RELATIONS}
    errors: list[dict[str, Any]] = []
    for item, preds in zip(items, predictions, strict=True):
        gold = [(_Gold(index.keys(h), occurrences(item.text, h)), r,
                 _Gold(index.keys(t), occurrences(item.text, t)), (h, r, t))
                for h, r, t in item.triples]
        used = [False] * len(gold)
        for p in preds:
            if p.confidence < threshold:
                continue
            hk = index.keys(p.head_name, p.head_id) | {f"name:{norm_name(p.head_text)}"}
            tk = index.keys(p.tail_name, p.tail_id) | {f"name:{norm_name(p.tail_text)}"}
            hit = next((k for k, (gh, gr, gt, _) in enumerate(gold)
                        if not used[k] and gr == p.relation and gh.matches(hk, p.head_span)
                        and gt.matches(tk, p.tail_span)), None)
            if hit is None:
                per[p.relation].fp += 1
                if keep_errors:
                    errors.append({"type": "fp", "text": item.text, "triple": [
                        p.head_name, p.relation, p.tail_name], "confidence": round(p.confidence, 3)})
            else:
                used[hit] = True
                per[p.relation].tp += 1
        for k, (_, rel, _, raw) in enumerate(gold):
            if not used[k]:
                per[rel].fn += 1
                if keep_errors:
                    errors.append({"type": "fn", "text": item.text, "triple": list(raw)})
    micro = Score(sum(s.tp for s in per.values()), sum(s.fp for s in per.values()),
                  sum(s.fn for s in per.values()))
    present = [s for s in per.values() if s.tp + s.fn > 0]
    macro = {
        "precision": sum(s.precision for s in present) / max(1, len(present)),
        "recall": sum(s.recall for s in present) / max(1, len(present)),
        "f1": sum(s.f1 for s in present) / max(1, len(present)),
    }
    return Report(per, micro, macro, len(items), errors)


@dataclass(slots=True)
class _Gold:
    keys: set[str]
    spans: list[tuple[int, int]]

    def matches(self, keys: set[str], span: Sequence[int]) -> bool:
        if self.keys & keys:
            return True
        s, e = int(span[0]), int(span[1])
        for gs, ge in self.spans:
            inter = max(0, min(e, ge) - max(s, gs))
            union = max(e, ge) - min(s, gs)
            if union and inter / union >= 0.5:
                return True
        return False


def occurrences(text: str, name: str) -> list[tuple[int, int]]:
    """Where `name` is written in `text` (case- and accent-insensitive), as character spans."""
    folded_text = _fold_chars(text)
    folded_name = _fold_chars(name).strip()
    out, start = [], 0
    while folded_name:
        k = folded_text.find(folded_name, start)
        if k < 0:
            break
        out.append((k, k + len(folded_name)))
        start = k + 1
    return out


def _fold_chars(text: str) -> str:
    from kg.extract.text import fold

    return "".join((fold(ch) or ch)[:1] for ch in text)


def coverage(items: Sequence[Item], index: NameIndex) -> dict[str, Any]:
    """How many gold entities the graph knows, and how many gold triples it already holds."""
    names = Counter()
    known = 0
    for item in items:
        for h, _, t in item.triples:
            for name in (h, t):
                names[name] += 1
                known += bool(index.ids(name))
    total = sum(names.values())
    return {"gold_entity_mentions": total, "known_to_graph": known,
            "absent_from_graph": total - known}
