"""`Extractor`: text in, typed and linked triples out, and ingestion of them into the graph.

Pipeline for each sentence of the text:

1. Mentions: the gazetteer's matches (linked to graph ids) merged with the BiLSTM tagger's spans.
   A tagger span is kept when its mean tag probability clears `tagger_threshold`, after trimming
   function words and punctuation from its ends, growing it over hyphenated parts
   ("Castelnuovo-Tedesco"), splitting a possessive ("Handel's Messiah" -> Handel + Messiah) and
   dropping places and institutions ("Vienna", "Mills College"). Where it overlaps gazetteer
   matches it wins only when it is a person or work name that strictly contains them and they are
   weaker (an alias, a case-insensitive match, or a word of another type: "Cello Suites",
   "Jazz Messengers"). Spans left unlinked are linked with the graph's `Linker` (exact, alias or
   close fuzzy matches only), else they get a proposed id such as `person:florence_price`.
2. Pairs: every two mentions of different entities, in both orders, whose types some relation's
   signature admits (and a person's catalog kind, for MEMBER_OF and STUDIED_WITH).
3. Relations: the BiLSTM classifier (`kg.extract.relation`) gives a softmax over NONE and the
   relations the signature allows, after temperature scaling fitted on held-back generated data.
   An ordered pair is read as its most probable relation when that beats NONE, plus any second
   relation that also beats NONE with probability >= `second_min` (a song both written and
   recorded by one person). Of the two orders of a pair, the one with the more probable reading
   is kept. (Thresholds tuned per relation, on held-back generated pairs or on the hand-written
   development sentences, read the held-out and development sets no better; see
   `bench/reports/relext.md`, round 19.)

`ingest` adds what clears a confidence threshold to the graph with provenance, creating nodes for
new entities, through `KnowledgeGraph.upsert` (no rebuild).
"""

from __future__ import annotations

import json
import math
import platform
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from kg.extract import prose
from kg.extract.context import ContextEncoder
from kg.extract.distant import PairExample, build_corpus, pair_examples, tagged
from kg.extract.gazetteer import COMMON_NOUN_TYPES, Gazetteer, in_compound, in_longer_name
from kg.extract.relation import (
    PairInput,
    PieceEncoder,
    RelationNet,
    collate,
    fingerprint,
    minilm_word_embeddings,
    valid_mask,
)
from kg.extract.tagger import TaggedSentence, Tagger
from kg.extract.templates import INSTITUTION_WORDS, PLACES
from kg.extract.text import fold, slugify, split_sentences, tokenize
from kg.extract.types import (
    CLASSES,
    NONE,
    TYPE_KIND,
    TYPE_LABEL,
    ExtractedTriple,
    Mention,
    allowed_relations,
)
from kg.schema import Node, Triple

FORMAT_VERSION = 2
DEFAULTS: dict[str, Any] = {
    "per_relation": 500,  # generated sentences per relation
    "none_share": 0.15,  # NONE sentences, as a share of per_relation x relations
    "augment": 0.3,  # share of generated sentences with recombined person names
    "prose_copies": 2,  # each hand-annotated sentence (data/relext/train): as written + renamed
    "tagger_epochs": 4,
    "relation_epochs": 7,
    "relation_hidden": 96,
    "relation_lr": 2e-3,
    "batch_size": 64,
    "label_smoothing": 0.05,
    "none_weight": 0.7,  # NONE pairs outnumber the others about 3 to 2
    "seed": 0,
    "tagger_threshold": 0.6,
    "link_fuzzy_min": 0.85,
    "second_min": 0.35,  # a second relation for the same pair needs this probability
    "context": True,  # both models read the frozen MiniLM encoder's contextual states
    "tagger_context_dim": 64,
}


Report = Callable[[str, int, int], None]  # (stage, done, total), e.g. a job's progress


@dataclass(slots=True)
class Candidates:
    """One sentence's mentions, its ordered mention pairs and their class probabilities."""

    text: str
    mentions: list[Mention]
    pairs: list[tuple[int, int]]
    probs: torch.Tensor


class Extractor:
    """Entity recognition, linking and relation classification; see the module docstring."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = {**DEFAULTS, **(config or {})}
        self.gazetteer = Gazetteer()
        self.tagger: Tagger | None = None
        self.net: RelationNet | None = None
        self.encoder: PieceEncoder | None = None
        self.temperature = 1.0
        self.metrics: dict[str, Any] = {}
        self.graph: Any = None
        self._ctx: ContextEncoder | None = None

    # training -------------------------------------------------------------------------------

    def train(self, graph: Any, progress: bool = False, report: Report | None = None,
              **overrides: Any) -> dict[str, Any]:
        """Train both models on sentences distantly supervised by `graph`; returns metrics.
        `progress` draws bars on stderr; `report(stage, done, total)` tells a caller that has no
        terminal (a job of the running service) the same."""
        say = report or (lambda stage, done, total: None)
        self.config.update(overrides)
        cfg = self.config
        started = time.perf_counter()
        random.seed(cfg["seed"])
        torch.manual_seed(cfg["seed"])
        self.bind(graph)
        with _progress(progress) as bar:
            task = bar.add_task("relext: training sentences", total=None) if bar else None
            say("generating the relation extractor's training sentences from the graph", 0, 1)
            written = prose.annotated(prose.load()) if cfg["prose_copies"] else []
            corpus = build_corpus(
                graph, self.gazetteer, cfg["per_relation"], cfg["none_share"], cfg["seed"],
                cfg["augment"], prose=written, prose_copies=cfg["prose_copies"],
            )
            # validation is generated text only: copies of a prose sentence stay together
            held = {i for i, s in enumerate(corpus) if i % 10 == 0 and s.source != prose.SOURCE}
            train_corpus = [s for i, s in enumerate(corpus) if i not in held]
            val_corpus = [s for i, s in enumerate(corpus) if i in held]
            if bar:
                bar.update(task, total=1, completed=1,
                           description=f"relext: {len(corpus)} training sentences")
            t_tag = time.perf_counter()
            tag_train, tag_val = tagged(train_corpus), tagged(val_corpus)
            self.tagger = Tagger.from_data(tag_train, config=self._tagger_config())
            if self.tagger.encoder is not None:
                self.tagger.encoder = self._context()
            steps = cfg["tagger_epochs"] * math.ceil(len(tag_train) / 32)
            task = bar.add_task("relext: entity tagger", total=steps) if bar else None
            stage = f"training the extractor's entity tagger: {len(tag_train)} sentences"
            say(stage, 0, steps)

            def tagger_step(step: int, loss: float) -> None:
                if bar:
                    bar.update(task, completed=step)
                say(stage, step, steps)

            tag_metrics = self.tagger.fit(
                tag_train, epochs=cfg["tagger_epochs"], seed=cfg["seed"], on_step=tagger_step,
            )
            tag_metrics.update(span_f1(self.tagger, tag_val))
            tag_metrics["seconds"] = round(time.perf_counter() - t_tag, 1)
            t_rel = time.perf_counter()
            train_pairs = pair_examples(train_corpus, cfg["seed"])
            val_pairs = pair_examples(val_corpus, cfg["seed"] + 1)
            if not train_pairs:
                raise ValueError(
                    "the graph has no facts of the extracted relations to learn from; build the "
                    "knowledge graph (etude kg build) before training the extractor"
                )
            self._init_relation_net()
            steps = cfg["relation_epochs"] * math.ceil(len(train_pairs) / cfg["batch_size"])
            task = bar.add_task("relext: relation classifier", total=steps) if bar else None
            stage = f"training the extractor's relation classifier: {len(train_pairs)} pairs"
            say(stage, 0, steps)

            def classifier_step(step: int) -> None:
                if bar:
                    bar.update(task, completed=step)
                say(stage, step, steps)

            rel_metrics = self._fit_relations(train_pairs, val_pairs, classifier_step)
            rel_metrics["seconds"] = round(time.perf_counter() - t_rel, 1)
        labels = Counter(p.labels[0] if len(p.labels) == 1 else "multi" for p in train_pairs)
        self.metrics = {
            "sentences": len(corpus),
            "sources": dict(Counter(s.source.split(":")[0] for s in corpus)),
            "pairs": len(train_pairs),
            "pair_labels": dict(sorted(labels.items())),
            "tagger": tag_metrics,
            "relations": rel_metrics,
            "temperature": round(self.temperature, 3),
            "train_seconds": round(time.perf_counter() - started, 1),
            "threads": torch.get_num_threads(),
            "machine": {"processor": platform.processor() or platform.machine(),
                        "python": platform.python_version(), "torch": torch.__version__},
        }
        return self.metrics

    def _tagger_config(self) -> dict[str, Any]:
        return {"context_dim": self.config["tagger_context_dim"] if self.config["context"] else 0}

    def _context(self) -> ContextEncoder:
        """One encoder (and cache) for both models."""
        if self._ctx is None:
            self._ctx = ContextEncoder()
        return self._ctx

    def _init_relation_net(self, table: torch.Tensor | None = None) -> None:
        if self.encoder is None:
            self.encoder = PieceEncoder(self._context() if self.config["context"] else None)
        table = minilm_word_embeddings() if table is None else table
        self.net = RelationNet(
            self.encoder.vocab_size, table.shape[1], self.config["relation_hidden"], table=table
        )

    def _inputs(self, pairs: Sequence[PairExample]) -> list[PairInput]:
        """Training inputs, without the persons' catalog kinds.

        At prediction time a kind narrows the allowed relations (only a band has members), but
        new entities have no kind; training without kinds makes the classifier itself learn to
        tell MEMBER_OF from STUDIED_WITH instead of leaning on the mask.
        """
        return [
            PairInput(p.text, (p.head.start, p.head.end), p.head.type, (p.tail.start, p.tail.end),
                      p.tail.type)
            for p in pairs
        ]

    def _targets(self, pairs: Sequence[PairExample], valid: torch.Tensor) -> torch.Tensor:
        eps = self.config["label_smoothing"]
        target = torch.zeros(len(pairs), len(CLASSES))
        for b, p in enumerate(pairs):
            for label in p.labels:
                target[b, CLASSES.index(label)] += 1.0 / len(p.labels)
        uniform = valid.float() / valid.float().sum(dim=1, keepdim=True)
        return (1 - eps) * target + eps * uniform

    def _fit_relations(
        self, train: Sequence[PairExample], val: Sequence[PairExample],
        on_step: Callable[[int], None] | None,
    ) -> dict[str, Any]:
        assert self.net is not None and self.encoder is not None
        cfg = self.config
        rng = random.Random(cfg["seed"])
        inputs = self._inputs(train)
        encoded, bank = self._encode(inputs)
        valid = valid_mask(inputs)
        targets = self._targets(train, valid)
        weights = torch.tensor([p.weight * (cfg["none_weight"] if p.labels == [NONE] else 1.0)
                                for p in train])
        params = [p for p in self.net.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=cfg["relation_lr"], weight_decay=1e-4)
        bs = cfg["batch_size"]
        order = sorted(range(len(train)), key=lambda i: len(encoded[i][0]))
        batches = [order[i : i + bs] for i in range(0, len(order), bs)]
        total = max(1, cfg["relation_epochs"] * len(batches))
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg["relation_lr"], total_steps=total)
        step, last = 0, 0.0
        self.net.train()
        for _ in range(cfg["relation_epochs"]):
            rng.shuffle(batches)
            for idx in batches:
                ids, lengths, p1, p2, ctx = collate([encoded[i] for i in idx], bank)
                logits = self.net(ids, lengths, p1, p2, valid[idx], ctx)
                logp = torch.log_softmax(logits, dim=-1)
                nll = -(targets[idx] * logp.masked_fill(~valid[idx], 0.0)).sum(dim=1)
                loss = (nll * weights[idx]).sum() / weights[idx].sum()
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(params, 5.0)
                opt.step()
                sched.step()
                step += 1
                last = loss.item()
                if on_step:
                    on_step(step)
        self.net.eval()
        metrics: dict[str, Any] = {"loss": round(last, 4), "steps": step}
        if val:
            logits = self._logits(self._inputs(val))
            gold = [p.labels[0] for p in val]
            self.temperature = fit_temperature(logits, [CLASSES.index(g) for g in gold])
            pred = [CLASSES[i] for i in logits.argmax(dim=1).tolist()]
            metrics.update(classification_report(gold, pred))
        return metrics

    # prediction -----------------------------------------------------------------------------

    @torch.no_grad()
    def _logits(self, inputs: Sequence[PairInput], batch_size: int = 128) -> torch.Tensor:
        assert self.net is not None and self.encoder is not None
        self.net.eval()
        if not inputs:
            return torch.zeros(0, len(CLASSES))
        encoded, bank = self._encode(inputs)
        valid = valid_mask(inputs)
        out = torch.zeros(len(inputs), len(CLASSES))
        order = sorted(range(len(inputs)), key=lambda i: len(encoded[i][0]))
        for k in range(0, len(order), batch_size):
            idx = order[k : k + batch_size]
            ids, lengths, p1, p2, ctx = collate([encoded[i] for i in idx], bank)
            out[idx] = self.net(ids, lengths, p1, p2, valid[idx], ctx)
        return out

    def _encode(
        self, inputs: Sequence[PairInput]
    ) -> tuple[list[tuple[list[int], list[int], int, int]], torch.Tensor | None]:
        """Marked pieces of every input and, when the classifier reads contextual states, one
        bank of the states of all their sentences (encoded in one batched pass) that the
        pieces' source indices are rewritten to point into."""
        assert self.encoder is not None
        if self.encoder.context is None:
            return [self.encoder.locate(x) for x in inputs], None
        texts = list(dict.fromkeys(x.text for x in inputs))
        base: dict[str, int] = {}
        chunks, size = [], 0
        for text, enc in zip(texts, self.encoder.context.encode(texts), strict=True):
            base[text] = size
            chunks.append(enc.states)
            size += len(enc.states)
        encoded = []
        for x in inputs:
            ids, src, p1, p2 = self.encoder.locate(x)
            encoded.append((ids, [base[x.text] + k if k >= 0 else -1 for k in src], p1, p2))
        return encoded, torch.cat(chunks)

    def probabilities(self, inputs: Sequence[PairInput]) -> torch.Tensor:
        """Calibrated class probabilities (columns in `CLASSES` order) for ordered pairs."""
        return torch.softmax(self._logits(inputs) / self.temperature, dim=-1)

    def _readings(self, row: torch.Tensor, second_min: float | None = None
                  ) -> list[tuple[str, float]]:
        """The relations an ordered pair is read as: the best one when it beats NONE, plus any
        other that also does and has at least `second_min` probability (a song both written and
        recorded by the same person)."""
        second = self.config["second_min"] if second_min is None else second_min
        none = float(row[0])
        ranked = sorted(((CLASSES[k], float(row[k])) for k in range(1, len(CLASSES))),
                        key=lambda x: -x[1])
        ranked = [(r, p) for r, p in ranked if p > none]
        if not ranked:
            return []
        return [ranked[0]] + [(r, p) for r, p in ranked[1:] if p >= second]

    def mentions(self, sentence: str, offset: int = 0) -> list[Mention]:
        """Entity mentions of one sentence: gazetteer and tagger merged, then linked."""
        found = [m for m in self.gazetteer.find(sentence, offset)
                 if not _placed(sentence, m.start - offset, m.end - offset, m.text)]
        if self.tagger is not None:
            tokens = tokenize(sentence, offset)
            spans = self.tagger.predict([[t.text for t in tokens]])[0]
            for span in spans:
                if span.score < self.config["tagger_threshold"]:
                    continue
                i, j = _trim(tokens, span.start, span.end)
                if i >= j:
                    continue
                i, j = _extend_hyphens(tokens, i, j)
                if span.type in ("PERSON", "WORK"):
                    j = _extend_capitals(tokens, i, j)
                if _place_or_institution(tokens[i:j]):
                    continue
                if j - i == 1 and _placed(sentence, tokens[i].start - offset, tokens[i].end - offset,
                                          tokens[i].text, unknown=True):
                    continue
                if span.type in COMMON_NOUN_TYPES and in_longer_name(tokens, i, j):
                    continue  # "Jazz" of "the Jazz Messengers", as the gazetteer reads it
                if in_compound(tokens, i, j):
                    continue  # "harp" of "the 21-string harp-lute", as the gazetteer reads it
                for a, b, kind in _split_possessive(tokens, i, j, span.type):
                    found = self._merge(found, tokens, a, b, kind, span.score, sentence, offset)
        found.sort(key=lambda m: m.start)
        return found

    def _merge(self, found: list[Mention], tokens: Sequence[Any], i: int, j: int, kind: str,
               score: float, sentence: str, offset: int) -> list[Mention]:
        """Add a tagger span unless the gazetteer already covers it better (module docstring)."""
        start, end = tokens[i].start, tokens[j - 1].end
        inside = [m for m in found if m.start < end and m.end > start]
        if inside:
            wider = all(start <= m.start and m.end <= end for m in inside) and \
                any((m.start, m.end) != (start, end) for m in inside)
            added = [t.text for t in tokens[i:j]
                     if not any(m.start <= t.start and t.end <= m.end for m in inside)]
            # a name that contains weaker matches ("Carl Philipp Emanuel Bach" over the alias
            # "Bach"), or words of other types ("Cello Suites", "Jazz Messengers")
            weak = all(m.method != "gazetteer" or m.type != kind for m in inside)
            if not (wider and weak and added and kind in ("PERSON", "WORK")
                    and _name_like(added) and _title_like([t.text for t in tokens[i:j]])):
                return found
            found = [m for m in found if m not in inside]
        text = sentence[start - offset : end - offset]
        return [*found, self._link(Mention(start, end, text, kind, method="tagger", score=score))]

    def _link(self, mention: Mention) -> Mention:
        label = TYPE_LABEL[mention.type]
        proposed = f"{TYPE_KIND[mention.type]}:{slugify(mention.text)}"
        graph = self.graph
        if graph is not None:
            matches = []
            try:
                matches = graph.linker.link(mention.text, k=3, labels=[label], semantic=False)
            except TypeError:
                matches = graph.link(mention.text, k=3, labels=[label])
            except Exception:  # a graph without a linker: fall back to the proposed id
                matches = []
            for m in matches:
                if m.method in ("exact", "alias") or (
                    m.method == "fuzzy" and m.score >= self.config["link_fuzzy_min"]
                ):
                    node = graph.entity(m.id)
                    mention.id, mention.name, mention.linked = m.id, m.name, True
                    mention.kind = node.props.get("kind") if node is not None else None
                    mention.method = "tagger+link"
                    return mention
            node = graph.entity(proposed)
            if node is not None and node.label == label:
                mention.id, mention.name, mention.linked = proposed, node.name, True
                mention.kind = node.props.get("kind")
                mention.method = "tagger+link"
                return mention
        else:
            known = self.gazetteer.forms_of(proposed)
            if known:
                mention.id, mention.name, mention.linked = proposed, known[0].name, True
                mention.kind = known[0].kind
                return mention
        mention.id, mention.name, mention.linked = proposed, mention.text, False
        return mention

    def extract(self, text: str) -> list[ExtractedTriple]:
        """Triples stated in `text`, each at most once per sentence, best first per sentence."""
        if self.net is None:
            raise RuntimeError("the extractor is not trained: call train() or load()")
        return [t for sent in split_sentences(text) for t in self._decide(self._candidates(sent))]

    def _candidates(self, sent: Any) -> Candidates:
        """The mentions of one sentence, its ordered pairs that some relation admits, and the
        classifier's probabilities for them: everything `_decide` reads."""
        mentions = self.mentions(sent.text, sent.start)
        pairs: list[tuple[int, int]] = []
        inputs: list[PairInput] = []
        for i, a in enumerate(mentions):
            for j, b in enumerate(mentions):
                if i == j or a.id == b.id or not allowed_relations(a.type, b.type, a.kind, b.kind):
                    continue
                pairs.append((i, j))
                inputs.append(PairInput(
                    sent.text, (a.start - sent.start, a.end - sent.start), a.type,
                    (b.start - sent.start, b.end - sent.start), b.type, a.kind, b.kind,
                ))
        probs = self.probabilities(inputs) if inputs else torch.zeros(0, len(CLASSES))
        return Candidates(sent.text, mentions, pairs, probs)

    def _decide(self, cand: Candidates) -> list[ExtractedTriple]:
        """The triples a sentence's candidates are read as (see `_readings`), each fact once."""
        best: dict[tuple[int, int], tuple[float, int, int, list[tuple[str, float]]]] = {}
        for (i, j), row in zip(cand.pairs, cand.probs, strict=True):
            readings = self._readings(row)
            if not readings:
                continue
            key = (min(i, j), max(i, j))
            top = readings[0][1]
            if key not in best or top > best[key][0]:
                best[key] = (top, i, j, readings)
        results: list[ExtractedTriple] = []
        stated: set[tuple[str, str, str]] = set()
        for _top, i, j, readings in sorted(best.values(), key=lambda x: -x[0]):
            a, b = cand.mentions[i], cand.mentions[j]
            for relation, p in readings:
                # a fact is stated once per sentence however often its entities are named
                # ("the guitarist ... the guitar"): the best-scored mention pair gives it
                if (a.id, relation, b.id) in stated:
                    continue
                stated.add((a.id, relation, b.id))
                results.append(ExtractedTriple(
                    a.id or "", a.name or a.text, a.label, relation, b.id or "",
                    b.name or b.text, b.label, p, cand.text, (a.start, a.end),
                    (b.start, b.end), a.text, b.text, a.linked, b.linked,
                ))
        return results

    # ingestion ------------------------------------------------------------------------------

    def ingest(
        self, graph: Any, text: str, threshold: float = 0.8, source: str = "text"
    ) -> dict[str, Any]:
        """Add the triples of `text` with confidence >= `threshold` to `graph`; see module doc."""
        if self.graph is not graph:
            self.bind(graph)
        extracted = self.extract(text)
        best: dict[tuple[str, str, str], ExtractedTriple] = {}
        below = 0
        for t in extracted:
            if t.confidence < threshold:
                below += 1
                continue
            if t.key() not in best or t.confidence > best[t.key()].confidence:
                best[t.key()] = t
        existing = graph.store.get_nodes({i for t in best.values() for i in (t.head_id, t.tail_id)})
        new_nodes: dict[str, Node] = {}
        triples: list[Triple] = []
        known = 0
        for t in best.values():
            for node_id, name, label in ((t.head_id, t.head_name, t.head_label),
                                         (t.tail_id, t.tail_name, t.tail_label)):
                if node_id in existing:
                    continue
                conf = max(t.confidence, float(new_nodes[node_id].props["confidence"])) \
                    if node_id in new_nodes else t.confidence
                new_nodes[node_id] = Node(node_id, label, {
                    "name": name, "confidence": round(conf, 4), "extracted": True,
                })
            if any(e.key() == t.key() for e in graph.store.edges([t.head_id], t.relation, "out")
                   if t.head_id in existing):
                known += 1
                continue
            triples.append(Triple(t.head_id, t.relation, t.tail_id, {
                "confidence": round(float(t.confidence), 4),
                "sentence": t.sentence[:500],
                "extractor": f"relext-v{FORMAT_VERSION}",
            }))
        written = {"nodes": 0, "triples": 0}
        if triples or new_nodes:
            written = graph.upsert(new_nodes.values(), triples, source=source,
                                   confidence=min([threshold, *(t.props["confidence"]
                                                               for t in triples)]))
            self.gazetteer.add(Gazetteer.from_nodes(new_nodes.values()).entries)
        return {
            "source": source,
            "threshold": threshold,
            "extracted": len(extracted),
            "below_threshold": below,
            "already_known": known,
            "added_triples": len(triples),
            "new_nodes": sorted(new_nodes),
            "written": written,
            "triples": [
                {"head": tr.head, "relation": tr.rel, "tail": tr.tail,
                 "confidence": tr.props["confidence"]}
                for tr in triples
            ],
        }

    # graph binding and persistence ----------------------------------------------------------

    def bind(self, graph: Any) -> Extractor:
        """Use `graph` for names (gazetteer) and linking from now on."""
        self.graph = graph
        self.gazetteer = Gazetteer.from_graph(graph)
        return self

    def save(self, directory: str | Path) -> Path:
        if self.net is None or self.tagger is None:
            raise RuntimeError("nothing to save: the extractor is not trained")
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        meta_file = path / "meta.json"
        if meta_file.exists():
            meta_file.unlink()  # meta.json is written last and marks a complete model
        torch.save(self.net.trainable_state(), path / "relation.pt")
        torch.save(self.tagger.net.state_dict(), path / "tagger.pt")
        (path / "vocab.json").write_text(json.dumps(self.tagger.vocab()), encoding="utf-8")
        (path / "gazetteer.json").write_text(json.dumps(self.gazetteer.to_json()), encoding="utf-8")
        meta = {
            "format": FORMAT_VERSION,
            "classes": list(CLASSES),
            "config": self.config,
            "temperature": self.temperature,
            "embeddings": {"source": "all-MiniLM-L6-v2 word_embeddings",
                           "fingerprint": fingerprint(minilm_word_embeddings())},
            "metrics": self.metrics,
            "saved": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        meta_file.write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return path

    @classmethod
    def load(cls, directory: str | Path, graph: Any = None) -> Extractor:
        path = Path(directory)
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION or tuple(meta.get("classes", ())) != CLASSES:
            raise ValueError(f"{path}: relation model format {meta.get('format')} is not supported")
        table = minilm_word_embeddings()
        if meta["embeddings"]["fingerprint"] != fingerprint(table):
            raise ValueError(f"{path}: trained on different MiniLM embeddings; retrain the model")
        ex = cls(meta["config"])
        ex.temperature = float(meta["temperature"])
        ex.metrics = meta.get("metrics", {})
        ex.tagger = Tagger.from_vocab(json.loads((path / "vocab.json").read_text(encoding="utf-8")))
        ex.tagger.encoder = ex.tagger.encoder and ex._context()
        ex.tagger.net.load_state_dict(torch.load(path / "tagger.pt", weights_only=True))
        ex.tagger.net.eval()
        ex._init_relation_net(table)
        assert ex.net is not None
        missing = ex.net.load_state_dict(torch.load(path / "relation.pt", weights_only=True),
                                         strict=False)
        if missing.unexpected_keys or any(not k.startswith("pieces.") for k in missing.missing_keys):
            raise ValueError(f"{path}: relation model does not match this code")
        ex.net.eval()
        if graph is not None:
            ex.bind(graph)
        else:
            ex.gazetteer = Gazetteer.from_json(
                json.loads((path / "gazetteer.json").read_text(encoding="utf-8"))
            )
        return ex


def load_or_train(graph: Any, model_dir: str | Path, progress: bool = True,
                  report: Report | None = None, **config: Any) -> Extractor:
    """The saved extractor under `model_dir`, or a new one trained on `graph` and saved there.

    A saved model this code cannot read (an older format, other MiniLM embeddings) is replaced by
    a new one rather than stopping `etude kg extract` after an upgrade.
    """
    path = Path(model_dir)
    if (path / "meta.json").exists():
        try:
            return Extractor.load(path, graph)
        except ValueError as err:
            if progress:
                print(f"relext: {err}; training a new model", file=sys.stderr)
    ex = Extractor(config)
    ex.train(graph, progress=progress, report=report)
    ex.save(path)
    return ex


# helpers -------------------------------------------------------------------------------------


def _progress(enabled: bool) -> Any:
    if not enabled:
        return nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=Console(file=sys.stderr), transient=False,
    )


def fit_temperature(logits: torch.Tensor, gold: Sequence[int]) -> float:
    """The softmax temperature that minimises the negative log-likelihood on held-back pairs."""
    target = torch.tensor(list(gold), dtype=torch.long)
    best_t, best_nll = 1.0, math.inf
    for step in range(5, 41):
        t = step / 10
        nll = float(nn.functional.cross_entropy(logits / t, target))
        if nll < best_nll:
            best_t, best_nll = t, nll
    return best_t


def classification_report(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """Accuracy and per-relation precision/recall/F1 (NONE excluded from the macro average)."""
    per: dict[str, dict[str, float]] = {}
    for rel in CLASSES[1:]:
        tp = sum(g == rel and p == rel for g, p in zip(gold, pred, strict=True))
        fp = sum(g != rel and p == rel for g, p in zip(gold, pred, strict=True))
        fn = sum(g == rel and p != rel for g, p in zip(gold, pred, strict=True))
        if tp + fp + fn == 0:
            continue
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[rel] = {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4)}
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / max(1, len(gold))
    macro = sum(v["f1"] for v in per.values()) / max(1, len(per))
    return {"val_pairs": len(gold), "val_accuracy": round(acc, 4), "val_macro_f1": round(macro, 4),
            "val_per_relation": per}


def span_f1(tagger: Tagger, data: Sequence[TaggedSentence]) -> dict[str, float]:
    """Exact-span F1 of the tagger on held-back sentences (gold from the gazetteer/templates)."""
    if not data:
        return {}
    pred = tagger.predict([s.words for s in data])
    tp = fp = fn = 0
    for sent, spans in zip(data, pred, strict=True):
        gold = set(_spans(sent.tags))
        got = {(s.start, s.end, s.type) for s in spans}
        tp += len(gold & got)
        fp += len(got - gold)
        fn += len(gold - got)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return {"val_span_precision": round(prec, 4), "val_span_recall": round(rec, 4),
            "val_span_f1": round(2 * prec * rec / (prec + rec), 4) if prec + rec else 0.0}


_PARTICLES = frozenset([
    "von", "van", "de", "der", "den", "da", "di", "du", "la", "le", "del", "della", "of", "y",
    "ibn", "bin", "al"
])
_EDGE_WORDS = frozenset([
    "the", "a", "an", "and", "or", "of", "in", "on", "at", "to", "for", "by", "with", "from", "as"
])


def _trim(tokens: Sequence[Any], i: int, j: int) -> tuple[int, int]:
    """Drop punctuation and lower-case function words from the ends of a tagger span."""
    def edge(t: Any) -> bool:
        return not t.text[:1].isalnum() or t.text.lower() in _EDGE_WORDS
    while i < j and edge(tokens[i]):
        i += 1
    while j > i and edge(tokens[j - 1]):
        j -= 1
    return i, j


def _extend_capitals(tokens: Sequence[Any], i: int, j: int) -> int:
    """The end of a name span grown over the capitalised words right after it: a name does not
    stop inside a run of capitals ("Roxy" of "Roxy Music", "Sun" of "Sun Records", which is then
    an institution and dropped)."""
    if not tokens[j - 1].text[:1].isupper():
        return j
    while j < len(tokens) and tokens[j].text[:1].isupper() and tokens[j].text[:1].isalpha() \
            and tokens[j].start > tokens[j - 1].end:
        j += 1
    return j


def _extend_hyphens(tokens: Sequence[Any], i: int, j: int) -> tuple[int, int]:
    """Grow a span over hyphenated parts written without spaces ("Castelnuovo-Tedesco")."""
    while j + 1 < len(tokens) and tokens[j].text == "-" and tokens[j].start == tokens[j - 1].end \
            and tokens[j + 1].start == tokens[j].end and tokens[j + 1].text[:1].isupper():
        j += 2
    while i >= 2 and tokens[i - 1].text == "-" and tokens[i - 1].end == tokens[i].start \
            and tokens[i - 2].end == tokens[i - 1].start and tokens[i - 2].text[:1].isupper():
        i -= 2
    return i, j


_TITLE_WORDS = frozenset(
    [
        "in", "of", "the", "and", "for", "a", "an", "on", "to", "at", "from", "with", "by", "minor",
        "major", "flat", "sharp", "op", "no"
    ]
)


def _title_like(words: Sequence[str]) -> bool:
    """Capitalised words with the small words titles allow ("Piano Trio in G minor")."""
    alpha = [w for w in words if w[:1].isalpha()]
    return bool(alpha) and alpha[0][:1].isupper() and all(
        w[:1].isupper() or w.lower() in _TITLE_WORDS or w.lower() in _PARTICLES for w in alpha
    )


def _place_or_institution(tokens: Sequence[Any]) -> bool:
    """A span that names a place ("Vienna") or an institution ("Mills College"), which are none
    of the six entity types."""
    words = [t.text for t in tokens if t.text[:1].isalnum()]
    folded = " ".join(fold(w) for w in words)
    if folded in PLACES:
        return True
    return bool(words) and fold(words[-1]) in INSTITUTION_WORDS


LOCATIVES = frozenset({"in", "at", "near"})


def _placed(sentence: str, start: int, end: int, text: str, unknown: bool = False) -> bool:
    """A name that its position makes a place or a year: right after "in", "at" or "near" and not
    a possessive ("born in Cremona", "at Ainola", "in 1989", "in Spain", though Chick Corea wrote
    a Spain). Known places always; with `unknown`, any one word (the tagger's span of a name the
    graph does not hold), since a work or a person is rarely named bare after those words."""
    before = sentence[:start].rstrip().rsplit(None, 1)
    if not before or before[-1].lower() not in LOCATIVES or sentence[end:end + 2] in ("'s", "’s"):
        return False
    return unknown or text.isdigit() or fold(text) in PLACES


def _split_possessive(tokens: Sequence[Any], i: int, j: int, kind: str
                      ) -> list[tuple[int, int, str]]:
    """"Handel's Messiah" tagged as one work becomes the person Handel and the work Messiah."""
    for k in range(i + 1, j - 2):
        if tokens[k].text in ("'", "’") and tokens[k + 1].text == "s" and kind == "WORK":
            return [(i, k, "PERSON"), (k + 2, j, "WORK")]
    return [(i, j, kind)]


def _name_like(words: Sequence[str]) -> bool:
    """Capitalised words, with name particles allowed between them ("Carl Philipp Emanuel")."""
    return any(w[:1].isupper() for w in words) and all(
        w[:1].isupper() or w.lower() in _PARTICLES or w in ("-", "'", ".") for w in words
    )


def _spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    out, i = [], 0
    while i < len(tags):
        if tags[i].startswith("B-"):
            kind = tags[i][2:]
            j = i + 1
            while j < len(tags) and tags[j] == f"I-{kind}":
                j += 1
            out.append((i, j, kind))
            i = j
        else:
            i += 1
    return out
