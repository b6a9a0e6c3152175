"""The recommender as the tutor uses it: next lessons and music for one learner, each with its reasons.

`RecommenderService` serves the active trained version (MKGAT on the platform's data, see
`recommender.publish`) or, before one exists, a graph ranking (`recommender.graphrank`); every
`Recommendation` says which (`source`), so nothing pretends to be learnt that is not.

- Top-k over every item of the kind asked for (lessons, works or both), with filters; lessons
  never come ahead of their unmastered prerequisites (`recommender.lessons`).
- Every recommendation carries its best graph paths to the learner's history or interests,
  rendered as sentences (`recommender.reasons`).
- Cold start: a learner the model never saw is represented by the history their profile gives
  through the graph (`recommender.profile`); an item nobody interacted with is scored from its
  content and graph neighbourhood like any other (the model reads both for every item).
- Online: `observe` adds a learner's new positive to their history at once; the next
  recommendation reads it, no retraining needed.
- Fast: per model version the item side is precomputed (`recommender.fastscore`), so a request
  costs one pass over the items' constants plus the explanation paths.

Nothing here imports the service layer: the tutor (bot.service) builds this and hands it to the
actions.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from kg.graph import KnowledgeGraph
from kg.paths import PathCache
from kg.schema import CONCEPT, WORK
from recommender.behaviour import positive_item
from recommender.catalog import Works, platform_items
from recommender.graphrank import GraphScores
from recommender.lessons import Prerequisites, prerequisites_first
from recommender.profile import SEED_EDGES, Entry, Profile, Seeds, entries, stated_anchors
from recommender.reasons import Anchor, Reason, reasons

if TYPE_CHECKING:
    from recommender.fastscore import FastScorer
    from recommender.registry import ServedModel

log = logging.getLogger(__name__)

Kind = Literal["lesson", "work", "any"]
KINDS: tuple[Kind, ...] = ("lesson", "work", "any")
LABEL_KIND = {CONCEPT: "lesson", WORK: "work"}
FAST_TOLERANCE = 1e-3  # largest |fast − model| logit accepted when a version loads
MAX_OBSERVED = 200  # newest positives kept per learner between trainings
SPARE_ROWS = 256  # model history rows for learners a version never saw (reused beyond that)


class Event(Protocol):
    """A behaviour event as the conversation store records it (`bot.store.BehaviorEvent`)."""

    kind: str
    concept: str | None
    item: str | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class Recommendation:
    item: str  # graph id
    name: str
    kind: str  # "lesson" or "work"
    score: float  # the model's logit (source "mkgat") or the graph score (source "graph")
    source: str
    reasons: tuple[Reason, ...] = ()
    prerequisite_of: str | None = None  # a recommended lesson that needs this one first

    @property
    def reason(self) -> str | None:
        """The best reason as one sentence ("Because you like Chopin: ..."), if a path exists."""
        return self.reasons[0].sentence if self.reasons else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "name": self.name,
            "kind": self.kind,
            "score": round(self.score, 4),
            "source": self.source,
            "reason": self.reason,
            "reasons": [r.to_dict() for r in self.reasons],
            "prerequisite_of": self.prerequisite_of,
        }


@dataclass(frozen=True, slots=True)
class _Scores:
    values: np.ndarray  # per row of the kind
    attention: np.ndarray  # [rows, len(slots)]: weight of each history slot
    slots: list[int]  # history entries (indices into the learner's entries) the columns are


def best_first(values: np.ndarray, head: int = 256) -> Iterator[int]:
    """Positions of `values`, highest first and ties in position order (a stable sort of
    −values), sorting only the best `head` (and their ties) unless the caller reads past them:
    a recommendation rarely reads beyond the first few dozen of thousands."""
    if len(values) <= head:
        yield from np.argsort(-values, kind="stable").tolist()
        return
    kth = np.partition(values, len(values) - head)[len(values) - head]
    top = np.flatnonzero(values >= kth)
    yield from top[np.lexsort((top, -values[top]))].tolist()
    rest = np.flatnonzero(~(values >= kth))  # NaN included, last as a stable sort has them
    yield from rest[np.argsort(-values[rest], kind="stable")].tolist()


def local_graph(graph: KnowledgeGraph) -> KnowledgeGraph:
    """The graph itself when its store answers from memory (the embedded store), else an in-memory
    copy: a request walks dozens of paths, which a server round trip each would make seconds.
    Like every cache here, the copy is as of start: restart (or reload) after rebuilding the graph."""
    if graph.store.kind == "embedded":
        return graph
    from kg.embedded import EmbeddedStore

    copy = EmbeddedStore()
    copy.upsert_nodes(graph.store.nodes())
    copy.upsert_triples(graph.store.triples())
    return KnowledgeGraph(copy, cache_dir=graph.cache_dir)


class RecommenderService:
    """Recommendations for learners from the active model version, or from the graph without one."""

    def __init__(
        self,
        graph: KnowledgeGraph,
        served: ServedModel | None = None,
        *,
        works: Works = "all",
        paths_per_item: int = 3,
        max_path: int = 4,
        anchors_per_item: int = 3,
        wider_anchors: int = 5,
        max_learners: int = 100_000,
    ) -> None:
        graph = local_graph(graph)
        self.graph = graph
        self.served = served
        self.paths_per_item, self.max_path, self.anchors_per_item = paths_per_item, max_path, anchors_per_item
        self.wider_anchors = wider_anchors
        self.max_learners = max_learners
        self.item_ids: list[str] = (list(served.item_ids) if served
                                    else [n.id for n in platform_items(graph, works)])
        self.nodes = graph.store.get_nodes(self.item_ids)  # items gone from the graph are never shown
        self.index = {item: k for k, item in enumerate(self.item_ids)}
        self.labels = {item: node.label for item, node in self.nodes.items()}
        lessons = [k for k, item in enumerate(self.item_ids) if self.labels.get(item) == CONCEPT]
        works_rows = [k for k, item in enumerate(self.item_ids) if self.labels.get(item) == WORK]
        self.rows: dict[str, np.ndarray] = {
            "lesson": np.array(lessons, dtype=np.int64),
            "work": np.array(works_rows, dtype=np.int64),
            "any": np.array(sorted(lessons + works_rows), dtype=np.int64),
        }
        # item index -> position among a kind's rows (scores come per kind)
        self.positions = {kind: {int(r): j for j, r in enumerate(rows.tolist())}
                          for kind, rows in self.rows.items()}
        self.paths = PathCache(graph.store)
        self.seeds = Seeds(graph.store, set(self.nodes))
        self.prerequisites = Prerequisites(graph)
        self.technique_of = {t.head: t.tail for t in graph.store.triples("TECHNIQUE_FOR")}
        self.observed: OrderedDict[str, list[tuple[str, str]]] = OrderedDict()
        self._lock = threading.Lock()
        self._scorers: dict[str, FastScorer] = {}
        self._fallback = GraphScores(self.paths, self.item_ids, self.nodes) if served is None else None
        self._fast = served is not None and self._prepare_model(served)

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, graph: KnowledgeGraph, home: Path | str, *, spare_rows: int = SPARE_ROWS,
             **options: Any) -> RecommenderService:
        """The active version under `home` (ETUDE_HOME), or the graph ranking when there is none
        or it cannot be loaded (logged, never raised: the tutor must answer either way).
        `spare_rows` are history rows for learners the version never saw (reused, least recently
        served first, when more come)."""
        from recommender.registry import load_active

        try:
            served = load_active(home, spare_rows)
        except Exception as exc:  # a broken version must not take the tutor down
            log.warning("the active recommender version cannot be loaded (%s): ranking by the graph", exc)
            served = None
        if served is None:
            log.info("no trained recommender yet: ranking by the graph")
        service = cls(graph, served, **options)
        service.warm()
        return service

    def warm(self, paths: PathCache | None = None) -> None:
        """Expand the graph neighbourhood of every item, and of everything a learner can state an
        interest in (people, genres, eras, instruments), into the path cache now, and look up
        what those interests stand for (about 0.6 s for the full graph): no request, a new
        learner's first included, pays for a first expansion when it explains its picks."""
        paths = paths or self.paths
        hops = {self.max_path // 2, (self.max_path + 1) // 2}  # the two sides of a path search
        interests = [n.id for label in SEED_EDGES for n in self.graph.store.nodes(label)]
        for node in [*self.item_ids, *interests]:
            for h in hops:
                paths.expansion(node, h)
        for interest in interests:
            self.seeds(interest)

    def refresh_paths(self) -> None:
        """After the graph changed (a text ingested): a new path cache, warmed aside and then put in
        place in one assignment, so requests explaining their picks meanwhile keep the old one
        whole instead of meeting a cache cleared under them (the cache is not thread-safe)."""
        paths = PathCache(self.graph.store)
        self.warm(paths)
        fallback = GraphScores(paths, self.item_ids, self.nodes) if self._fallback is not None else None
        self.paths = paths
        if fallback is not None:
            self._fallback = fallback

    def _prepare_model(self, served: ServedModel) -> bool:
        """Assign the model's history rows to learners; True when the fast path is exact here."""
        import torch

        from recommender.fastscore import FastScorer, max_difference, supports

        model = served.model
        model.eval()
        trained = list(served.histories)
        self._rows: OrderedDict[str, int] = OrderedDict((learner, r) for r, learner in enumerate(trained))
        self._free = list(range(model.n_users - 1, len(trained) - 1, -1))
        self._held = {r: [i for i in model.history_items[r].tolist() if i != model.pad]
                      for r in range(model.n_users)}
        if not supports(model):
            return False
        rows = torch.as_tensor(self.rows["any"][:64])
        difference = max_difference(FastScorer(model, rows), [0])
        if difference > FAST_TOLERANCE:
            log.warning("the fast scoring path differs from the model by %.2g: scoring with the model",
                        difference)
            return False
        return True

    @property
    def source(self) -> str:
        return "mkgat" if self.served is not None else "graph"

    @property
    def version(self) -> str | None:
        return self.served.version if self.served is not None else None

    # ------------------------------------------------------------------ learners

    def observe(self, learner: str, event: Event) -> bool:
        """Take one behaviour event into the learner's history now; True when it was a positive."""
        row = positive_item(event, self.index)  # type: ignore[arg-type]
        if row is None:
            return False
        item = self.item_ids[row]
        with self._lock:
            history = [p for p in self.observed.pop(learner, []) if p[0] != item]
            history.append((item, event.kind))
            self.observed[learner] = history[-MAX_OBSERVED:]
            while len(self.observed) > self.max_learners:
                self.observed.popitem(last=False)
        return True

    def forget(self, learner: str) -> None:
        """Drop everything held about `learner` (their data was erased, `bot.privacy`): the online
        history, the trained version's history of them and their model row, emptied and freed."""
        with self._lock:
            self.observed.pop(learner, None)
            if self.served is None:
                return
            self.served.histories.pop(learner, None)
            row = self._rows.pop(learner, None)
            if row is not None:
                import torch

                with torch.no_grad():
                    self.served.model.set_history(row, [])
                self._held[row] = []
                self._free.append(row)

    def history(self, learner: str, profile: Profile | None = None) -> list[Entry]:
        """What the model reads for `learner`: profile seeds, then trained and observed behaviour."""
        base = self.served.histories.get(learner, []) if self.served is not None else []
        with self._lock:
            observed = list(self.observed.get(learner, ()))
        return entries(profile or Profile(), self.seeds, self.labels, [*base, *observed])

    # ------------------------------------------------------------------ recommending

    def recommend(
        self,
        learner: str,
        k: int = 10,
        kind: Kind = "any",
        exclude: Iterable[str] = (),
        profile: Profile | None = None,
        *,
        max_grade: float | None = None,
        min_grade: float | None = None,
        related_to: Iterable[str] = (),
    ) -> list[Recommendation]:
        """The `k` best items of `kind` for `learner`, best first, each with its reasons.

        Left out: `exclude`, lessons the learner masters (and all they build on), works they
        engaged with, technique lessons for an instrument other than theirs, lessons outside
        [`min_grade`, `max_grade`], and, when `related_to` names graph ids ("some jazz"), items
        more than two edges from all of them. A lesson never comes ahead of its unmastered
        prerequisites.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if k <= 0:
            return []
        profile = profile or Profile()
        history = self.history(learner, profile)
        known = self.prerequisites.known([*profile.known, *profile.assumed])
        engaged = {e.item for e in history if e.engaged}
        blocked = set(exclude)
        instrument = profile.instrument
        near = self._near(related_to)

        def allowed(item: str) -> bool:
            label = self.labels.get(item)
            if label is None or item in blocked or item not in self.index:
                return False
            if near is not None and item not in near:
                return False
            if label == WORK:
                return item not in engaged
            if item in known:
                return False
            if instrument and self.technique_of.get(item, instrument) != instrument:
                return False
            grade = self.nodes[item].props.get("grade")
            if grade is None:
                return True
            return (max_grade is None or float(grade) <= max_grade) and (
                min_grade is None or float(grade) >= min_grade)

        rows = self.rows[kind]
        scores = self._scores(kind, learner, history, profile)

        def ranked() -> Iterator[str]:
            for j in best_first(scores.values):
                item = self.item_ids[rows[j]]
                if allowed(item):
                    yield item

        picks = prerequisites_first(ranked(), k, self.prerequisites, known,
                                    lambda i: self.labels.get(i) == CONCEPT, allowed)
        position = self.positions[kind]
        stated = [Anchor(a, verb) for a, verb in stated_anchors(profile)]
        out = []
        for pick in picks:
            j = position.get(self.index[pick.item])
            anchors = self._anchors(history, scores, j, stated, self.anchors_per_item)
            found = reasons(self.paths, pick.item, anchors, self.paths_per_item, self.max_path)
            if not found or len(found[0].path.steps) > 2:
                # The anchors the model weighed most give only a long path (a third of items) or
                # none: look further down the history, where a shorter one often is. A reason of
                # one or two edges reads as one fact; a chain of four hops hardly does.
                more = self._anchors(history, scores, j, stated, self.wider_anchors)
                if len(more) > len(anchors):
                    found = reasons(self.paths, pick.item, more, self.paths_per_item, self.max_path)
            out.append(Recommendation(
                pick.item, self.nodes[pick.item].name, LABEL_KIND[self.labels[pick.item]],
                float(scores.values[j]) if j is not None else float("nan"), self.source, tuple(found),
                pick.prerequisite_of))
        return out

    def _near(self, ids: Iterable[str]) -> set[str] | None:
        """Everything within two edges of any of `ids` (None: no such filter)."""
        ids = [i for i in ids if self.graph.store.get_node(i) is not None]
        if not ids:
            return None
        return {n for i in ids for n in self.paths.expansion(i, 2)}

    def _scores(self, kind: str, learner: str, history: list[Entry], profile: Profile) -> _Scores:
        rows = self.rows[kind]
        if self.served is None:
            assert self._fallback is not None
            latest = history[-8:]  # the newest weigh most, from 1 down to 0.5
            anchors = [(e.anchor, 0.5 + 0.5 * (n + 1) / len(latest)) for n, e in enumerate(latest)]
            anchors += [(a, 1.0) for a, _ in stated_anchors(profile)]
            values = self._fallback.scores(anchors, profile.level)[rows]
            slots = list(range(len(history)))[-self.anchors_per_item:]  # the latest, equally
            return _Scores(values, np.full((len(rows), len(slots)), 1.0 / max(1, len(slots))), slots)
        return self._model_scores(kind, learner, history)

    def _row(self, learner: str, items: list[int]) -> int:
        """The learner's history row holding `items` (set only when it holds something else)."""
        model = self.served.model  # type: ignore[union-attr]
        row = self._rows.get(learner)
        if row is None:
            row = self._free.pop() if self._free else self._rows.popitem(last=False)[1]
            self._rows[learner] = row
        else:
            self._rows.move_to_end(learner)
        if self._held.get(row) != items:
            model.set_history(row, items)
            self._held[row] = items
        return row

    def _model_scores(self, kind: str, learner: str, history: list[Entry]) -> _Scores:
        import torch

        model = self.served.model  # type: ignore[union-attr]
        rows = self.rows[kind]
        length = model.history_items.shape[1]
        items = [self.index[e.item] for e in history][-length:]  # the model reads the latest
        offset = len(history) - len(items)
        with self._lock, torch.no_grad():
            row = self._row(learner, items)
            if self._fast:
                scorer = self._scorers.get(kind)
                if scorer is None:
                    from recommender.fastscore import FastScorer

                    scorer = self._scorers[kind] = FastScorer(model, torch.as_tensor(rows))
                scored = scorer.score(row)
                return _Scores(scored.logits.numpy(), scored.attention.numpy(),
                               [offset + p for p in scored.positions])
            logits = model.score_items(torch.tensor([row]))[0, torch.as_tensor(rows)]
        slots = list(range(offset, len(history)))
        return _Scores(logits.numpy(), np.full((len(rows), len(slots)), 1.0 / max(1, len(slots))), slots)

    def _anchors(self, history: list[Entry], scores: _Scores, j: int | None,
                 stated: list[Anchor], limit: int) -> list[Anchor]:
        """What to explain an item by, at most `limit`: the history entries the model attended to
        most for it (weights relative to uniform attention), then the stated interests."""
        weights: dict[tuple[str, str], float] = {}
        if j is not None and scores.slots:
            attention = scores.attention[j] * len(scores.slots)
            for slot, weight in zip(scores.slots, attention.tolist(), strict=True):
                entry = history[slot]
                key = (entry.anchor, entry.verb)
                weights[key] = weights.get(key, 0.0) + weight
        best = sorted(weights.items(), key=lambda p: -p[1])[: max(1, limit - len(stated))]
        anchors = [Anchor(a, verb, w) for (a, verb), w in best]
        chosen = {a.id for a in anchors}
        anchors += [a for a in stated if a.id not in chosen]
        return anchors[:limit]
