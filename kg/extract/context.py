"""Contextual word-piece states from the frozen MiniLM encoder, shared by the tagger and the
relation classifier.

Why contextual states and not only the word-piece table. The models learn from distant
supervision: the graph's descriptions and sentences generated from its facts, whose wording is
narrow, while the text they read is encyclopedia and liner-note prose. A static piece embedding
says what a word is; the encoder's states also say what it does in this sentence ("the violinist"
before a name, "from whom he learned" after one, "his father" as a teacher), which is what lets a
small BiLSTM trained on template sentences carry over to wording it never saw. The encoder stays
frozen (it is read from the installed MiniLM package, like the piece table), so training stays a
matter of minutes on a CPU and nothing of it is stored with the model.

The state of a piece is the mean of the last four layers, the usual recipe for feature-based use
of a BERT-style encoder: the top layer of a sentence-embedding model is tuned for pooling and
carries less about the token itself.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import torch

from kg.embeddings import model_path

LAYERS = 4  # the last LAYERS hidden states are averaged
MAX_PIECES = 254  # per sentence, without [CLS] and [SEP]
DIM = 384


@dataclass(slots=True, frozen=True)
class Encoded:
    """The word pieces of one text: ids, character offsets and contextual states (fp16)."""

    ids: list[int]
    offsets: list[tuple[int, int]]
    states: torch.Tensor  # (len(ids), DIM)


@lru_cache(maxsize=1)
def _model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModel, AutoTokenizer

    path = model_path()
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return tok, model


class ContextEncoder:
    """Runs the frozen encoder over texts, batched and cached by text."""

    def __init__(self, batch_size: int = 32, cache_limit: int = 100_000) -> None:
        self.batch_size = batch_size
        self.cache_limit = cache_limit
        self._cache: dict[str, Encoded] = {}

    @property
    def tokenizer(self):
        return _model()[0]

    def __call__(self, text: str) -> Encoded:
        return self.encode([text])[0]

    @torch.no_grad()
    def encode(self, texts: Sequence[str], cache: bool = True) -> list[Encoded]:
        """The encoding of each text (computed for the ones not cached yet; kept in the cache
        unless `cache` is false)."""
        store = self._cache if cache else dict(self._cache)
        todo = sorted({t for t in texts if t not in store}, key=len)
        if todo:
            if cache and len(self._cache) + len(todo) > self.cache_limit:
                self._cache.clear()
                todo = sorted(set(texts), key=len)
            tok, model = _model()
            for k in range(0, len(todo), self.batch_size):
                chunk = todo[k : k + self.batch_size]
                enc = tok(chunk, return_offsets_mapping=True, padding=True, truncation=True,
                          max_length=MAX_PIECES + 2, return_tensors="pt")
                offsets = enc.pop("offset_mapping")
                out = model(**enc, output_hidden_states=True)
                states = torch.stack(out.hidden_states[-LAYERS:]).mean(dim=0)
                for b, text in enumerate(chunk):
                    n = int(enc["attention_mask"][b].sum()) - 2  # without [CLS] and [SEP]
                    ids = enc["input_ids"][b, 1 : n + 1].tolist()
                    offs = [(int(s), int(e)) for s, e in offsets[b, 1 : n + 1].tolist()]
                    store[text] = Encoded(ids, offs, states[b, 1 : n + 1].half().clone())
        return [store[t] for t in texts]

    def words(self, sentences: Sequence[Sequence[str]]) -> list[torch.Tensor]:
        """One state per word of each tokenised sentence (fp16): the mean of its pieces' states.

        The words are joined with spaces for the encoder (it lower-cases and splits punctuation
        itself, so this reads as the sentence did); a word with no piece gets zeros.
        """
        texts, spans = [], []
        for words in sentences:
            pos, bounds = 0, []
            for w in words:
                bounds.append((pos, pos + len(w)))
                pos += len(w) + 1
            texts.append(" ".join(words))
            spans.append(bounds)
        out = []
        for enc, bounds in zip(self.encode(texts, cache=False), spans, strict=True):
            vec = torch.zeros(len(bounds), DIM)
            states = enc.states.float()
            k = 0
            for i, (s, e) in enumerate(bounds):
                while k < len(enc.offsets) and enc.offsets[k][1] <= s:
                    k += 1
                j = k
                while j < len(enc.offsets) and enc.offsets[j][0] < e:
                    j += 1
                if j > k:
                    vec[i] = states[k:j].mean(dim=0)
            out.append(vec.half())
        return out
