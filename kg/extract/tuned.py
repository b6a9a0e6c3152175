"""The top layers of the MiniLM encoder, trained together with the relation classifier.

Why. With the whole encoder frozen (`kg.extract.context`) the BiLSTM has to work out who did
what to whom from states that were computed for sentence similarity, not for relations; the
errors on the held-out set are mostly pairs read as NONE whose relation is stated in wording the
generated sentences never use ("received his whole musical education from his father"). Training
the top layers lets attention itself learn which words bear on a relation, while the lower layers
and the word-piece table stay as pretrained, so new wording is still read the way MiniLM reads
it. Only the copied top layers are stored with the model (about 1.8 M parameters per layer).

The lower layers run once per sentence and their output is cached (fp16): training then costs
only the top layers' forward and backward passes. A piece's state is, as in the frozen case, the
mean of the last four layers' states, the frozen ones among them included, so with no training
the states equal `ContextEncoder`'s (a test checks it).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from kg.extract.context import DIM, LAYERS, MAX_PIECES, _model


@dataclass(slots=True, frozen=True)
class Prepared:
    """One text after the frozen lower layers: its pieces, the top layers' input ([CLS] and
    [SEP] included) and the sum of the frozen states that enter the mean (pieces only)."""

    ids: list[int]
    offsets: list[tuple[int, int]]
    base: torch.Tensor  # (len(ids) + 2, DIM), fp16
    frozen: torch.Tensor  # (len(ids), DIM), fp16


class TunedTop(nn.Module):
    """Trainable copies of the encoder's top `layers` layers over cached lower-layer states."""

    def __init__(self, layers: int = 2, batch_size: int = 32, cache_limit: int = 50_000) -> None:
        super().__init__()
        if not 1 <= layers <= LAYERS:
            raise ValueError(f"tuned layers must be between 1 and {LAYERS}, got {layers}")
        _tok, model = _model()
        self.n = layers
        self.layers = nn.ModuleList(copy.deepcopy(list(model.encoder.layer[-layers:])))
        for p in self.layers.parameters():
            p.requires_grad_(True)
        self.batch_size = batch_size
        self.cache_limit = cache_limit
        self._cache: dict[str, Prepared] = {}

    def pieces(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """The word pieces of `text` and their character offsets, as `ContextEncoder.pieces`."""
        p = self.prepare([text])[0]
        return p.ids, p.offsets

    @torch.no_grad()
    def prepare(self, texts: Sequence[str]) -> list[Prepared]:
        """Run the frozen lower layers over the texts not cached yet."""
        todo = sorted({t for t in texts if t not in self._cache}, key=len)
        if todo:
            if len(self._cache) + len(todo) > self.cache_limit:
                self._cache.clear()
                todo = sorted(set(texts), key=len)
            tok, model = _model()
            depth = len(model.encoder.layer)
            for k in range(0, len(todo), self.batch_size):
                chunk = todo[k : k + self.batch_size]
                enc = tok(chunk, return_offsets_mapping=True, padding=True, truncation=True,
                          max_length=MAX_PIECES + 2, return_tensors="pt")
                offsets = enc.pop("offset_mapping")
                hidden = model(**enc, output_hidden_states=True).hidden_states
                base = hidden[depth - self.n]
                frozen = sum(hidden[depth - LAYERS + 1 : depth - self.n + 1],
                             torch.zeros_like(base))
                for b, text in enumerate(chunk):
                    n = int(enc["attention_mask"][b].sum()) - 2
                    self._cache[text] = Prepared(
                        enc["input_ids"][b, 1 : n + 1].tolist(),
                        [(int(s), int(e)) for s, e in offsets[b, 1 : n + 1].tolist()],
                        base[b, : n + 2].half().clone(),
                        frozen[b, 1 : n + 1].half().clone(),
                    )
        return [self._cache[t] for t in texts]

    def forward(self, texts: Sequence[str]) -> list[torch.Tensor]:
        """Each text's piece states (len(ids), DIM), differentiable in the top layers."""
        prepared = self.prepare(texts)
        width = max(len(p.base) for p in prepared)
        x = torch.zeros(len(prepared), width, DIM)
        keep = torch.zeros(len(prepared), width)
        for b, p in enumerate(prepared):
            x[b, : len(p.base)] = p.base.float()
            keep[b, : len(p.base)] = 1.0
        mask = (1.0 - keep)[:, None, None, :] * torch.finfo(torch.float32).min
        total = torch.zeros_like(x)
        for layer in self.layers:
            out = layer(x, mask)
            x = out[0] if isinstance(out, tuple) else out
            total = total + x
        return [(p.frozen.float() + total[b, 1 : len(p.ids) + 1]) / LAYERS
                for b, p in enumerate(prepared)]
