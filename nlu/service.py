"""The NLU service: load the active model and parse messages into Rasa's parse format.

`NLU.load_active(home)` / `NLU.parse(text)` / `NLU.parse_batch(texts)`; `ensure_model(home)` trains a
model first when none exists (a fresh checkout trains one automatically on first use). Parsing never
raises: anything unexpected is logged and answered with `nlu_fallback`.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
from pathlib import Path
from typing import Any

from nlu.data import FALLBACK, component
from nlu.lookups import TYPE_LABEL
from nlu.model import JointModel, Prediction, Span, set_threads
from nlu.versions import VersionDir

log = logging.getLogger(__name__)

_TAG = re.compile(r"<[^<>\n]{1,200}>")
_NO_GRAPH = object()


def blank_markup(text: str) -> str:
    """HTML/XML tags replaced by spaces of the same length, so offsets still point into `text`."""
    return _TAG.sub(lambda m: " " * len(m.group()), text)


def latin_share(text: str) -> float:
    """Share of the letters in `text` that are Latin (1.0 when there are no letters)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 1.0
    latin = sum(1 for ch in letters if unicodedata.name(ch, "").startswith("LATIN"))
    return latin / len(letters)


def nlu_dir(home: Path) -> Path:
    return Path(home) / "models" / "nlu"


def nlu_versions(home: Path) -> VersionDir:
    """The NLU's model versions; a version is complete once its labels are written."""
    return VersionDir(nlu_dir(home), "labels.json", "NLU model")


def active_version(home: Path) -> str | None:
    return nlu_versions(home).active()


class NLU:
    def __init__(
        self,
        model: JointModel,
        settings: dict[str, Any] | None = None,
        graph: Any = None,
        synonyms: dict[str, str] | None = None,
        version: str | None = None,
        home: Path | None = None,
    ) -> None:
        settings = settings or {}
        self.model = model
        self.version = version
        self.threshold = float(settings.get("threshold", 0.45))
        self.link_threshold = float(settings.get("link_threshold", 0.7))
        self.unlinked_threshold = float(settings.get("unlinked_threshold", 0.0))
        self.semantic = bool(settings.get("semantic", True))
        # Names (people, works) are matched by spelling only: a name's embedding says little about
        # which person it is, and the extra forward pass would double the time of a first-seen name.
        self.semantic_types = set(settings.get("semantic_types") or ["concept", "instrument", "genre", "era"])
        self.ranking_length = int(settings.get("ranking_length", 10))
        self.synonyms = {k.lower(): v for k, v in (synonyms or {}).items()}
        self._graph = graph
        self._home = home
        self._link_cache: dict[tuple[str, str], tuple[str | None, str | None]] = {}
        self._exact_cache: dict[str, tuple[tuple[str, str, str], ...]] = {}
        # parse_batch may be called from a micro-batcher's worker thread while another thread parses:
        # one forward pass at a time (two would only fight over the same cores), one graph opening.
        self._predict_lock = threading.Lock()
        self._graph_lock = threading.Lock()

    # loading ---------------------------------------------------------------------------------

    @classmethod
    def load(cls, directory: Path, graph: Any = None, home: Path | None = None) -> NLU:
        set_threads(inference=True)
        directory = Path(directory)
        meta = json.loads((directory / "metadata.json").read_text(encoding="utf-8"))
        config = meta.get("config", {})
        settings = {
            "threshold": component(config, "FallbackClassifier").get("threshold", 0.45),
            **{k: v for k, v in component(config, "GraphEntityLinker").items()},
        }
        quantize = bool(component(config, "JointTransformerClassifier").get("int8", False))
        model = JointModel.load(directory, quantize=quantize)
        return cls(model, settings, graph, meta.get("synonyms"), directory.name, home)

    @classmethod
    def load_active(cls, home: Path, graph: Any = None) -> NLU:
        version = active_version(home)
        if version is None:
            raise FileNotFoundError(f"no active NLU model under {nlu_dir(home)}; run `etude train nlu`")
        nlu = cls.load(nlu_dir(home) / version, graph=graph, home=Path(home))
        nlu.warm_up()
        return nlu

    def warm_up(self) -> None:
        """Load what the first parse would otherwise load (kernels, the graph, the semantic linker).

        Linking by meaning loads a sentence encoder and the graph's embedding index on first use,
        which takes seconds; done here, it does not land on a learner's first message.
        """
        try:
            self.parse("what is a perfect fifth?")
            graph = self.graph
            if graph is not None and self.semantic:
                graph.linker.link("warm up", k=1, labels=[TYPE_LABEL["concept"]], semantic=True)
        except Exception as exc:  # warming up is an optimisation, never a reason to fail
            log.warning("NLU: warm-up failed (%s)", exc)

    @property
    def graph(self) -> Any:
        """The knowledge graph used for linking: the one given, else the home's embedded graph (opened
        lazily); None without one. A service on Neo4j passes its graph."""
        if self._graph is None and self._home is not None:
            with self._graph_lock:
                if self._graph is None:
                    try:
                        from kg.stores import open_graph

                        self._graph = open_graph(Path(self._home))
                    except Exception as exc:  # the graph is optional: entities then carry id null
                        log.warning("NLU: no knowledge graph for entity linking (%s)", exc)
                        self._graph = _NO_GRAPH
        return None if self._graph in (None, _NO_GRAPH) else self._graph

    # parsing ---------------------------------------------------------------------------------

    def parse(self, text: str) -> dict[str, Any]:
        return self.parse_batch([text])[0]

    def parse_batch(self, texts: list[str]) -> list[dict[str, Any]]:
        """One parse per text, in order; safe to call from any thread (calls are serialised)."""
        texts = ["" if t is None else str(t) for t in texts]
        out: list[dict[str, Any] | None] = [None] * len(texts)
        todo = [i for i, t in enumerate(texts) if t.strip()]
        for i, t in enumerate(texts):
            if not t.strip():
                out[i] = self._fallback(t, [], 1.0)
        if todo:
            try:
                with self._predict_lock:
                    set_threads(inference=True)  # a training in this process may have raised it
                    preds = self.model.predict([blank_markup(texts[i]) for i in todo])
            except Exception:
                log.exception("NLU: prediction failed; answering nlu_fallback")
                preds = None
            for n, i in enumerate(todo):
                try:
                    out[i] = self._result(texts[i], preds[n]) if preds else self._fallback(texts[i], [], 1.0)
                except Exception:
                    log.exception("NLU: could not build the parse of %r", texts[i][:80])
                    out[i] = self._fallback(texts[i], [], 1.0)
        return [o for o in out if o is not None]

    def _ranking(self, pred: Prediction) -> list[dict[str, Any]]:
        return [{"name": n, "confidence": round(c, 4)} for n, c in pred.ranking[: self.ranking_length]]

    def _fallback(self, text: str, ranking: list[dict[str, Any]], confidence: float) -> dict[str, Any]:
        return {
            "text": text,
            "intent": {"name": FALLBACK, "confidence": round(confidence, 4)},
            "intent_ranking": ranking,
            "entities": [],
        }

    def _result(self, text: str, pred: Prediction) -> dict[str, Any]:
        if pred.truncated:
            log.info(
                "NLU: message of %d characters truncated to %d word pieces", len(text), self.model.max_length
            )
        ranking = self._ranking(pred)
        top, confidence = pred.ranking[0]
        # a span of one function word ("the" of "the Doors") names nothing
        spans = [s for s in pred.spans if text[s.start:s.end].lower() not in _STOP]
        entities = [self._entity(text, s) for s in self._joined(text, spans)]
        if self.graph is not None:
            # a doubtful span that names nothing in the graph is more often a stray word ("gentle",
            # "rusty") than a thing the graph lacks
            entities = [e for e in entities if e["id"] is not None or e["entity"] not in TYPE_LABEL
                        or e["confidence"] >= self.unlinked_threshold]
        result = {
            "text": text,
            "intent": {"name": top, "confidence": round(confidence, 4)},
            "intent_ranking": ranking,
            "entities": entities,
        }
        if confidence < self.threshold:
            result["intent"] = {"name": FALLBACK, "confidence": round(self.threshold, 4)}
        elif top != "out_of_scope" and latin_share(text) < 0.5:
            # Another language: the model was trained on English, so it does not guess.
            result["intent"] = {"name": FALLBACK, "confidence": round(self.threshold, 4)}
        return result

    def _entity(self, text: str, span) -> dict[str, Any]:
        start, end = span.start, span.end
        surface = text[start:end]
        canonical = self.synonyms.get(surface.lower())
        entity_id, name = self._link(canonical or surface, span.entity)
        if entity_id is None and canonical:
            entity_id, name = self._link(surface, span.entity)
        if entity_id is None:
            # a misspelt name is often tagged in part ("perfct" of "perfct fith"): the span
            # widened by a neighbouring word may name something the part alone does not; a span
            # that took in a function word ("jig in") may name something without it
            for other_start, other_end in widened(text, start, end) + narrowed(text, start, end):
                entity_id, name = self._link(text[other_start:other_end], span.entity)
                if entity_id is not None:
                    start, end, surface = other_start, other_end, text[other_start:other_end]
                    break
        etype = span.entity
        if entity_id is None:
            # tagged as the wrong kind of thing ("waltz" as a work): a name the graph holds
            # exactly under another type is that thing
            etype, entity_id, name = self._retyped(surface, etype)
        return {
            "entity": etype,
            "value": name or canonical or surface,
            "start": start,
            "end": end,
            "confidence": round(span.confidence, 4),
            "id": entity_id,
        }

    def _joined(self, text: str, spans: list[Span]) -> list[Span]:
        """`spans` with neighbours that name one thing together made one span.

        The tagger sometimes opens a new entity in the middle of a name ("Giant" + "Steps",
        "Ludovico" + "Einaudi"). Two spans with only spaces between them are joined when the words
        together are a graph name exactly (then of that name's type), or when both are names of
        people or works (then of the more confident one's type): two names typed side by side
        with nothing between them are nearly always one.
        """
        out: list[Span] = []
        for span in spans:
            prev = out[-1] if out else None
            if prev is None or text[prev.end:span.start].strip() or span.start <= prev.end:
                out.append(span)
                continue
            etype = self._exact_type(text[prev.start:span.end], (prev.entity, span.entity))
            if etype is None and {prev.entity, span.entity} <= _NAMES:
                etype = max((prev, span), key=lambda s: s.confidence).entity
            if etype is None:
                out.append(span)
            else:
                out[-1] = Span(prev.start, span.end, etype, min(prev.confidence, span.confidence))
        return out

    def _exact_type(self, mention: str, prefer: tuple[str, ...]) -> str | None:
        """The entity type under which the graph holds `mention` exactly (a name or alias), one of
        `prefer` when it holds it under several; None when it does not hold it."""
        types = [etype for etype, _, _ in self._held_exactly(mention)]
        return next((t for t in types if t in prefer), types[0] if types else None)

    def _retyped(self, mention: str, etype: str) -> tuple[str, str | None, str | None]:
        """(type, id, name) of the one graph entity of another type whose name or alias is exactly
        `mention`; (etype, None, None) when there is none, or more than one."""
        if len(mention) < 3:
            return etype, None, None
        found = [held for held in self._held_exactly(mention) if held[0] != etype]
        return found[0] if len(found) == 1 else (etype, None, None)

    def _held_exactly(self, mention: str) -> tuple[tuple[str, str, str], ...]:
        """(type, id, name) of each entity type's best graph match whose name or alias is exactly
        `mention`, the best-scored first; empty without a graph or when linking fails."""
        graph = self.graph
        if graph is None:
            return ()
        key = mention.lower()
        cached = self._exact_cache.get(key)
        if cached is not None:
            return cached
        found = []
        for etype, label in TYPE_LABEL.items():
            try:
                matches = graph.linker.link(mention, k=1, labels=[label], semantic=False)
            except Exception as exc:
                log.warning("NLU: linking %r failed (%s)", mention, exc)
                return ()
            if matches and matches[0].method in ("exact", "alias"):
                found.append((matches[0].score, etype, matches[0].id, matches[0].name))
        found.sort(key=lambda f: -f[0])  # stable: equal scores keep the types' order
        return self._remember(self._exact_cache, key, tuple(f[1:] for f in found))

    def _link(self, mention: str, etype: str) -> tuple[str | None, str | None]:
        label = TYPE_LABEL.get(etype)
        if label is None:
            return None, None
        key = (mention.lower(), etype)
        cached = self._link_cache.get(key)
        if cached is not None:
            return cached
        answer: tuple[str | None, str | None] = (None, None)
        graph = self.graph
        if graph is not None:
            try:
                semantic = self.semantic and etype in self.semantic_types
                matches = graph.linker.link(mention, k=1, labels=[label], semantic=semantic)
            except Exception as exc:
                log.warning("NLU: linking %r failed (%s)", mention, exc)
                matches = []
            if matches and matches[0].score >= self.link_threshold:
                answer = (matches[0].id, matches[0].name)
        return self._remember(self._link_cache, key, answer)

    def _remember(self, cache: dict[Any, Any], key: Any, answer: Any) -> Any:
        """Keep `answer` in a bounded cache (emptied past 10,000 entries) and return it."""
        with self._graph_lock:
            if len(cache) > 10000:
                cache.clear()
            cache[key] = answer
        return answer


_NAMES = frozenset({"person", "work"})
_WORD = re.compile(r"[\w'’#♯♭-]+")
_STOP = frozenset({"a", "an", "the", "is", "are", "what", "whats", "what's", "of", "in", "on", "me",
                   "about", "and", "or", "to", "for", "my", "it", "this", "that", "how", "wat"})


def narrowed(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The span [start, end) without the function words at its ends ("jig in" -> "jig"), if any."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text[start:end])]
    while words and text[start + words[-1][0]:start + words[-1][1]].lower() in _STOP:
        words.pop()
    while words and text[start + words[0][0]:start + words[0][1]].lower() in _STOP:
        words.pop(0)
    if not words or (words[0][0] == 0 and start + words[-1][1] == end):
        return []
    return [(start + words[0][0], start + words[-1][1])]


def widened(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The span [start, end) grown by the next word, by the previous one, and by both: words only,
    within the same clause (no punctuation crossed), never onto a function word."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    after = next(((s, e) for s, e in words if s >= end), None)
    before = next(((s, e) for s, e in reversed(words) if e <= start), None)
    if after is not None and (text[end:after[0]].strip() or text[after[0]:after[1]].lower() in _STOP):
        after = None
    if before is not None and (text[before[1]:start].strip() or text[before[0]:before[1]].lower() in _STOP):
        before = None
    out = []
    if after is not None:
        out.append((start, after[1]))
    if before is not None:
        out.append((before[0], end))
    if after is not None and before is not None:
        out.append((before[0], after[1]))
    return out


def ensure_model(
    home: Path, data: Path | None = None, config: Path | None = None, progress: bool = True,
    graph: Any = None,
) -> Path:
    """The active model's directory, training one first (with a progress bar) when none exists;
    `graph` gives that training its lookup tables (the home's embedded graph without it)."""
    version = active_version(home)
    if version is not None:
        return nlu_dir(home) / version
    from nlu.train import train_nlu

    log.info("no NLU model yet: training one (once)")
    result = train_nlu(data=data, config=config, home=Path(home), force=True, show_progress=progress,
                       graph=graph)
    return Path(result["path"])
