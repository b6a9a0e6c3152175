"""The relation classifier: a BiLSTM over frozen MiniLM word pieces with typed entity markers.

Input: one sentence with the ordered pair marked, e.g.
`[E1:WORK] kind of blue [/E1] was recorded by [E2:PERSON] miles davis [/E2] in 1959`; the
markers are extra embeddings appended to the word-piece table (2 roles x 6 types x open/close).
The BiLSTM states at the two opening markers and a max-pool over the sentence feed a small MLP
that scores NONE and the eight relations. Relations whose type signature does not admit the pair
are masked out before the softmax, in training and prediction alike, so the probabilities are
shared only among the readings that make sense for the pair.

Why frozen MiniLM word-piece embeddings. The training sentences come from distant supervision:
the graph's own descriptions and sentences generated from its facts, so their vocabulary is small
and formulaic, while the text the extractor is used on is not. Trainable word embeddings would only
learn the words of the generator and fall back to `<unk>` for everything else ("apprenticed",
"tutelage", "cut the record"); MiniLM's 30,522 word pieces were trained on a billion sentences and
already put such words near their paraphrases, and sub-word pieces cover names never seen
("florence", "chad ##wick"). Freezing them keeps that: fine-tuning 11.7 M embedding parameters on a
few thousand template sentences moves only the pieces the templates use, away from the pieces they
don't, which is exactly the drift that hurts on new wording. It also keeps training fast on a CPU
and the saved model small: the table is read back from the installed MiniLM package (checked by a
fingerprint), so only the markers, a LayerNorm, the LSTM and the MLP are stored.

By default (`Extractor` config `context`) each piece is represented not by its table row but by
the frozen encoder's contextual state of it in the unmarked sentence (`kg.extract.context`); the
markers are still learned embeddings inserted between the states. The same reasoning applies with
more force: the states also say what role a word plays in this sentence, and nothing of the
encoder is trained or stored. On the held-out set this was the largest single gain (micro F1
0.728 -> 0.773, see `bench/reports/relext.md`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import torch
from torch import nn

from kg.embeddings import model_path
from kg.extract.context import ContextEncoder
from kg.extract.types import CLASSES, ENTITY_TYPES, allowed_relations

MAX_PIECES = 96
MARGIN = 10  # word pieces kept on either side of the marked pair
N_MARKERS = 2 * len(ENTITY_TYPES) * 2


def marker_index(role: int, kind: str, closing: bool) -> int:
    """Index of a marker among the extra embeddings: role 1 or 2, entity type, open or close."""
    return ((role - 1) * len(ENTITY_TYPES) + ENTITY_TYPES.index(kind)) * 2 + int(closing)


@lru_cache(maxsize=1)
def minilm_tokenizer():
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_path())


@lru_cache(maxsize=1)
def minilm_word_embeddings() -> torch.Tensor:
    """MiniLM's word-piece embedding table (30522 x 384), read straight from its safetensors."""
    from safetensors import safe_open

    with safe_open(f"{model_path()}/model.safetensors", "pt") as f:
        return f.get_tensor("embeddings.word_embeddings.weight").float().clone()


def fingerprint(table: torch.Tensor) -> str:
    sample = table[:: max(1, table.shape[0] // 512)].contiguous().numpy().tobytes()
    return hashlib.sha256(sample).hexdigest()[:16]


@dataclass(slots=True)
class PairInput:
    """One ordered pair in one sentence; spans are character offsets into `text`."""

    text: str
    head: tuple[int, int]
    head_type: str
    tail: tuple[int, int]
    tail_type: str
    head_kind: str | None = None
    tail_kind: str | None = None


class PieceEncoder:
    """Word pieces of a sentence with the markers of one ordered pair inserted.

    With a `ContextEncoder` the pieces are the ones it ran the encoder over (so each piece can be
    given its contextual state); without one, the plain tokenizer's.
    """

    def __init__(self, context: ContextEncoder | None = None) -> None:
        self.tok = minilm_tokenizer()
        self.vocab_size = self.tok.vocab_size
        self.context = context
        self._cache: dict[str, tuple[list[int], list[tuple[int, int]]]] = {}

    def pieces(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        if self.context is not None:
            enc = self.context(text)
            return enc.ids, enc.offsets
        hit = self._cache.get(text)
        if hit is None:
            enc = self.tok(text, add_special_tokens=False, return_offsets_mapping=True)
            hit = (list(enc["input_ids"]), [tuple(o) for o in enc["offset_mapping"]])
            if len(self._cache) > 50000:
                self._cache.clear()
            self._cache[text] = hit
        return hit

    def encode(self, pair: PairInput) -> tuple[list[int], int, int]:
        """Ids (markers are `vocab_size + marker_index`) and the positions of the two openers."""
        ids, _src, p1, p2 = self.locate(pair)
        return ids, p1, p2

    def locate(self, pair: PairInput) -> tuple[list[int], list[int], int, int]:
        """As `encode`, plus where each position comes from in the sentence's pieces (-1 for a
        marker), to look up contextual states."""
        ids, offsets = self.pieces(pair.text)
        v = self.vocab_size
        # (character position, closers first at a shared position, marker id, role if opener)
        marks = sorted(
            [
                (pair.head[0], 1, v + marker_index(1, pair.head_type, False), 1),
                (pair.head[1], 0, v + marker_index(1, pair.head_type, True), 0),
                (pair.tail[0], 1, v + marker_index(2, pair.tail_type, False), 2),
                (pair.tail[1], 0, v + marker_index(2, pair.tail_type, True), 0),
            ]
        )
        out: list[int] = []
        src: list[int] = []
        opens = {1: 0, 2: 0}
        m = 0
        for k, (piece, (s, _e)) in enumerate(zip(ids, offsets, strict=True)):
            while m < len(marks) and s >= marks[m][0]:
                if marks[m][3]:
                    opens[marks[m][3]] = len(out)
                out.append(marks[m][2])
                src.append(-1)
                m += 1
            out.append(piece)
            src.append(k)
        while m < len(marks):
            if marks[m][3]:
                opens[marks[m][3]] = len(out)
            out.append(marks[m][2])
            src.append(-1)
            m += 1
        closes = [k for k, x in enumerate(out) if x >= v and (x - v) % 2 == 1]
        start, end, p1, p2 = self._window(len(out), opens[1], opens[2],
                                          max(closes) if closes else len(out) - 1)
        return out[start:end], src[start:end], p1, p2

    @staticmethod
    def _window(n: int, p1: int, p2: int, last: int) -> tuple[int, int, int, int]:
        """The pieces from `MARGIN` before the first marker to `MARGIN` after the last one (at
        most `MAX_PIECES`): what lies far outside the pair rarely bears on it, and shorter
        sequences train faster."""
        start = max(0, min(p1, p2) - MARGIN)
        end = min(n, last + 1 + MARGIN)
        if end - start > MAX_PIECES:  # the pair is wider than the window: keep both markers
            end = start + MAX_PIECES
            if max(p1, p2) >= end:
                return start, end, min(p1 - start, MAX_PIECES - 1), min(p2 - start, MAX_PIECES - 1)
        return start, end, p1 - start, p2 - start


class RelationNet(nn.Module):
    def __init__(
        self, vocab_size: int, dim: int = 384, hidden: int = 128, dropout: float = 0.3,
        table: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        weight = table if table is not None else torch.zeros(vocab_size, dim)
        self.pieces = nn.Embedding.from_pretrained(weight, freeze=True)
        self.markers = nn.Embedding(N_MARKERS, dim)
        nn.init.normal_(self.markers.weight, std=float(weight.std()) if table is not None else 0.05)
        self.norm = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
        self.mlp = nn.Sequential(
            nn.Linear(6 * hidden, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, len(CLASSES)),
        )

    def forward(
        self, ids: torch.Tensor, lengths: torch.Tensor, p1: torch.Tensor, p2: torch.Tensor,
        valid: torch.Tensor, states: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits over `CLASSES`; `states` (batch, time, dim), when given, are the pieces'
        contextual states and replace their static embeddings."""
        is_marker = ids >= self.vocab_size
        pieces = states if states is not None else self.pieces(ids.clamp(max=self.vocab_size - 1))
        x = torch.where(
            is_marker.unsqueeze(-1), self.markers((ids - self.vocab_size).clamp(min=0)), pieces
        )
        x = self.drop(self.norm(x))
        packed = nn.utils.rnn.pack_padded_sequence(
            x, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
        rows = torch.arange(ids.shape[0])
        pad = torch.arange(ids.shape[1]).unsqueeze(0) >= lengths.unsqueeze(1)
        pooled = out.masked_fill(pad.unsqueeze(-1), -1e4).max(dim=1).values
        feats = torch.cat([out[rows, p1], out[rows, p2], pooled], dim=-1)
        logits = self.mlp(self.drop(feats))
        return logits.masked_fill(~valid, -1e4)

    def trainable_state(self) -> dict[str, torch.Tensor]:
        return {k: v for k, v in self.state_dict().items() if not k.startswith("pieces.")}


def valid_mask(pairs: Sequence[PairInput]) -> torch.Tensor:
    mask = torch.zeros(len(pairs), len(CLASSES), dtype=torch.bool)
    mask[:, 0] = True
    for b, p in enumerate(pairs):
        for rel in allowed_relations(p.head_type, p.tail_type, p.head_kind, p.tail_kind):
            mask[b, CLASSES.index(rel)] = True
    return mask


def collate(
    encoded: Sequence[tuple[list[int], list[int], int, int]], bank: torch.Tensor | None = None,
) -> tuple[torch.Tensor, ...]:
    """Padded ids, lengths, opener positions and, given the `bank` of piece states that the
    examples' source indices point into, the contextual state of every position (zeros at
    markers and padding)."""
    t = max(len(ids) for ids, _, _, _ in encoded)
    ids = torch.zeros(len(encoded), t, dtype=torch.long)
    where = torch.full((len(encoded), t), -1, dtype=torch.long)
    for b, (seq, src, _, _) in enumerate(encoded):
        ids[b, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        where[b, : len(src)] = torch.tensor(src, dtype=torch.long)
    ctx = None
    if bank is not None:
        ctx = bank[where.clamp(min=0)].float()
        ctx.masked_fill_((where < 0).unsqueeze(-1), 0.0)
    lengths = torch.tensor([len(seq) for seq, _, _, _ in encoded], dtype=torch.long)
    p1 = torch.tensor([a for _, _, a, _ in encoded], dtype=torch.long)
    p2 = torch.tensor([b for _, _, _, b in encoded], dtype=torch.long)
    return ids, lengths, p1, p2, ctx
