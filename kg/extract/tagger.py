"""A small BiLSTM BIO tagger for the six entity types, trained on gazetteer-labelled sentences.

Each word is represented by a trainable embedding of its folded form, a character CNN over the
word as written (so capitals, "-ist" endings and name-like spellings carry over to words never
seen), a casing class and, unless turned off, the frozen MiniLM encoder's contextual state of the
word (`kg.extract.context`), projected down: it says how a word is used in the sentence (a
capitalised word after "joined the" or before "sang"), which the other three cannot. A one-layer
BiLSTM reads the sentence and a linear layer scores the 13 BIO tags; decoding is Viterbi
restricted to valid BIO sequences.

The gazetteer knows only the graph's names, so the point of the tagger is the names it does not
know ("Florence Price studied with George Chadwick"). Two things push it to read context and
spelling rather than memorise the names it was trained on: word dropout (a word becomes `<unk>`)
that is much stronger inside entity spans than outside, and training sentences whose person, band
and title slots are sometimes filled with unseen, made-up names (see `kg.extract.distant`).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from kg.extract.context import DIM, ContextEncoder
from kg.extract.text import N_SHAPES, fold, shape
from kg.extract.types import ENTITY_TYPES

TAGS = ("O", *(f"{p}-{t}" for t in ENTITY_TYPES for p in ("B", "I")))
IGNORE = "-"  # a tag left out of the loss (an unknown word the gazetteer could not label)
TAG_INDEX = {t: i for i, t in enumerate(TAGS)}
PAD, UNK = 0, 1
MAX_CHARS = 20


@dataclass(slots=True)
class TaggedSentence:
    words: list[str]
    tags: list[str]


@dataclass(slots=True)
class Span:
    start: int  # word index
    end: int  # exclusive
    type: str
    score: float  # mean probability of the span's tags


def spans_to_tags(n: int, spans: Sequence[tuple[int, int, str]]) -> list[str]:
    tags = ["O"] * n
    for i, j, kind in spans:
        if any(t != "O" for t in tags[i:j]):
            continue
        tags[i] = f"B-{kind}"
        for k in range(i + 1, j):
            tags[k] = f"I-{kind}"
    return tags


class TaggerNet(nn.Module):
    def __init__(
        self, n_words: int, n_chars: int, word_dim: int = 64, char_dim: int = 24,
        char_filters: int = 48, shape_dim: int = 8, hidden: int = 96, dropout: float = 0.3,
        context_dim: int = 0,
    ) -> None:
        super().__init__()
        self.context = nn.Linear(DIM, context_dim) if context_dim else None
        self.words = nn.Embedding(n_words, word_dim, padding_idx=PAD)
        self.chars = nn.Embedding(n_chars, char_dim, padding_idx=PAD)
        self.char_cnn = nn.Conv1d(char_dim, char_filters, kernel_size=3, padding=1)
        self.shapes = nn.Embedding(N_SHAPES, shape_dim)
        self.drop = nn.Dropout(dropout)
        self.lstm = nn.LSTM(
            word_dim + char_filters + shape_dim + context_dim, hidden, batch_first=True,
            bidirectional=True,
        )
        self.out = nn.Linear(2 * hidden, len(TAGS))

    def forward(
        self, words: torch.Tensor, chars: torch.Tensor, shapes: torch.Tensor, lengths: torch.Tensor,
        states: torch.Tensor | None = None,
    ) -> torch.Tensor:
        b, t, c = chars.shape
        ch = self.chars(chars.view(b * t, c)).transpose(1, 2)  # (b*t, dim, c)
        ch = torch.relu(self.char_cnn(ch)).max(dim=2).values.view(b, t, -1)
        parts = [self.words(words), ch, self.shapes(shapes)]
        if self.context is not None:
            if states is None:
                states = torch.zeros(b, t, DIM)
            parts.append(torch.tanh(self.context(states)))
        x = torch.cat(parts, dim=-1)
        x = self.drop(x)
        packed = nn.utils.rnn.pack_padded_sequence(
            x, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=t)
        return self.out(self.drop(out))


class Tagger:
    """Vocabularies plus the network; `fit` trains, `spans` tags one tokenised sentence."""

    def __init__(self, words: list[str], chars: list[str], config: dict | None = None) -> None:
        self.config = {"word_dim": 64, "char_dim": 24, "char_filters": 40, "hidden": 64,
                       "dropout": 0.3, "context_dim": 0, **(config or {})}
        self.word_list = words
        self.char_list = chars
        self.word_index = {w: i for i, w in enumerate(words)}
        self.char_index = {c: i for i, c in enumerate(chars)}
        self.net = TaggerNet(len(words), len(chars), **{
            k: self.config[k]
            for k in ("word_dim", "char_dim", "char_filters", "hidden", "dropout", "context_dim")
        })
        self.encoder = ContextEncoder() if self.config["context_dim"] else None
        self._allowed = _transition_mask()

    @classmethod
    def from_data(cls, data: Sequence[TaggedSentence], min_count: int = 2,
                  config: dict | None = None) -> Tagger:
        counts = Counter(fold(w) for s in data for w in s.words)
        words = ["<pad>", "<unk>", *sorted(w for w, n in counts.items() if n >= min_count)]
        char_counts = Counter(ch for s in data for w in s.words for ch in w)
        chars = ["<pad>", "<unk>", *sorted(c for c, n in char_counts.items() if n >= 2)]
        return cls(words, chars, config)

    def states(self, sentences: Sequence[list[str]]) -> list[torch.Tensor] | None:
        """Contextual word states of each sentence, or None when the tagger does not use them."""
        return self.encoder.words(sentences) if self.encoder is not None else None

    # encoding --------------------------------------------------------------------------------

    def _batch(
        self, batch: Sequence[list[str]], word_drop: Sequence[list[float]] | None = None,
        rng: random.Random | None = None, states: Sequence[torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, ...]:
        t = max(len(w) for w in batch)
        ctx = None
        if states is not None:
            ctx = torch.zeros(len(batch), t, DIM)
            for b, vec in enumerate(states):
                ctx[b, : len(vec)] = vec.float()
        words = torch.zeros(len(batch), t, dtype=torch.long)
        chars = torch.zeros(len(batch), t, MAX_CHARS, dtype=torch.long)
        shapes = torch.zeros(len(batch), t, dtype=torch.long)
        for b, sent in enumerate(batch):
            for i, w in enumerate(sent):
                idx = self.word_index.get(fold(w), UNK)
                if word_drop is not None and rng is not None and rng.random() < word_drop[b][i]:
                    idx = UNK
                words[b, i] = idx
                shapes[b, i] = shape(w)
                for k, ch in enumerate(w[:MAX_CHARS]):
                    chars[b, i, k] = self.char_index.get(ch, UNK)
        lengths = torch.tensor([len(s) for s in batch], dtype=torch.long)
        return words, chars, shapes, lengths, ctx

    # training --------------------------------------------------------------------------------

    def fit(
        self, data: Sequence[TaggedSentence], epochs: int = 4, batch_size: int = 32,
        lr: float = 3e-3, seed: int = 0, word_dropout: float = 0.05,
        entity_word_dropout: float = 0.4, on_step: Callable[[int, float], None] | None = None,
    ) -> dict[str, float]:
        rng = random.Random(seed)
        torch.manual_seed(seed)
        data = [s for s in data if s.words]
        states = self.states([s.words for s in data])
        opt = torch.optim.AdamW(self.net.parameters(), lr=lr, weight_decay=1e-4)
        steps = epochs * math.ceil(len(data) / batch_size)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(steps, 1))
        loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
        self.net.train()
        step, last = 0, 0.0
        order = sorted(range(len(data)), key=lambda i: len(data[i].words))
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        for _ in range(epochs):
            rng.shuffle(batches)
            for idx in batches:
                sents = [data[i] for i in idx]
                drops = [
                    [entity_word_dropout if tag not in ("O", IGNORE) else word_dropout
                     for tag in s.tags]
                    for s in sents
                ]
                words, chars, shapes, lengths, ctx = self._batch(
                    [s.words for s in sents], drops, rng,
                    [states[i] for i in idx] if states is not None else None,
                )
                gold = torch.full(words.shape, -100, dtype=torch.long)
                for b, s in enumerate(sents):
                    gold[b, : len(s.tags)] = torch.tensor([TAG_INDEX.get(t, -100) for t in s.tags])
                logits = self.net(words, chars, shapes, lengths, ctx)
                loss = loss_fn(logits.reshape(-1, len(TAGS)), gold.reshape(-1))
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self.net.parameters(), 5.0)
                opt.step()
                sched.step()
                step += 1
                last = loss.item()
                if on_step:
                    on_step(step, last)
        self.net.eval()
        return {"loss": round(last, 4), "steps": step, "sentences": len(data)}

    # prediction ------------------------------------------------------------------------------

    @torch.no_grad()
    def predict(self, sentences: Sequence[list[str]], batch_size: int = 64) -> list[list[Span]]:
        self.net.eval()
        out: list[list[Span]] = []
        for k in range(0, len(sentences), batch_size):
            chunk = list(sentences[k : k + batch_size])
            nonempty = [s if s else ["."] for s in chunk]
            words, chars, shapes, lengths, ctx = self._batch(nonempty, states=self.states(nonempty))
            logp = torch.log_softmax(self.net(words, chars, shapes, lengths, ctx), dim=-1).numpy()
            for b, sent in enumerate(chunk):
                out.append(self._decode(logp[b, : len(sent)]) if sent else [])
        return out

    def _decode(self, logp: np.ndarray) -> list[Span]:
        path = viterbi(logp, self._allowed)
        probs = np.exp(logp)
        spans: list[Span] = []
        i = 0
        while i < len(path):
            tag = TAGS[path[i]]
            if tag.startswith("B-"):
                kind = tag[2:]
                j = i + 1
                while j < len(path) and TAGS[path[j]] == f"I-{kind}":
                    j += 1
                score = float(np.mean([probs[k, path[k]] for k in range(i, j)]))
                spans.append(Span(i, j, kind, score))
                i = j
            else:
                i += 1
        return spans

    # persistence -----------------------------------------------------------------------------

    def vocab(self) -> dict:
        return {"words": self.word_list, "chars": self.char_list, "config": self.config}

    @classmethod
    def from_vocab(cls, vocab: dict) -> Tagger:
        return cls(vocab["words"], vocab["chars"], vocab.get("config"))


def _transition_mask() -> np.ndarray:
    """allowed[i, j]: tag j may follow tag i (I-X only after B-X or I-X)."""
    n = len(TAGS)
    allowed = np.ones((n + 1, n), dtype=bool)  # row n: the start of the sentence
    for j, tag in enumerate(TAGS):
        if tag.startswith("I-"):
            kind = tag[2:]
            for i in range(n + 1):
                prev = TAGS[i] if i < n else "O"
                allowed[i, j] = prev in (f"B-{kind}", f"I-{kind}")
    return allowed


def viterbi(logp: np.ndarray, allowed: np.ndarray) -> list[int]:
    n_tags = logp.shape[1]
    penalty = np.where(allowed, 0.0, -1e9)
    score = logp[0] + penalty[n_tags]
    back = []
    for t in range(1, len(logp)):
        cand = score[:, None] + penalty[:n_tags]  # (prev, next)
        best = cand.argmax(axis=0)
        back.append(best)
        score = cand[best, np.arange(n_tags)] + logp[t]
    path = [int(score.argmax())]
    for best in reversed(back):
        path.append(int(best[path[-1]]))
    return path[::-1]
