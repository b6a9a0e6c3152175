"""The joint model: intent classification and BIO entity tagging on a MiniLM encoder.

One transformer encoder (initialised from all-MiniLM-L6-v2, fine-tuned) feeds two heads: a linear
intent classifier on the pooled output (the mean of the word pieces, and with `pooling:
attention` beside it a learned weighting of them) and a linear BIO tagger on every word piece. Tags are
decoded to character spans with the tokenizer's offset mapping (word pieces of one word stay in one
span), then trimmed of articles and punctuation. Intent confidences are calibrated by temperature
scaling on a validation split.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# On a shared CPU, spinning OpenMP workers fight other processes for cores: let them sleep.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch
from torch import nn

from kg.embeddings import model_path
from nlu.data import Example, article_length
from nlu.lexical import LexicalIntents, best_temperature
from nlu.lookups import Gazetteer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]

_LEADING = re.compile(r"^[\s\"'“”‘’(\[{<*_`.,!?;:-]+")
_TRAILING = re.compile(r"[\s\"'“”‘’)\]}>*_`.,!?;:]+$")
_MAYBE_SYMBOL = re.compile("[\u2300-\U0010ffff]")
_SYMBOL_STOP = {"sign", "face", "with", "symbol", "heavy", "black", "white"}


def _symbol_words(ch: str) -> str | None:
    """Words naming a pictographic symbol (emoji), or None for anything else (music signs included)."""
    cp = ord(ch)
    if cp < 0x2300 or 0x2669 <= cp <= 0x266F or 0x1D100 <= cp <= 0x1D1FF:  # keep ♭ ♮ ♯ 𝄞 as text
        return None
    if unicodedata.category(ch) != "So":
        return None
    words = [w for w in unicodedata.name(ch, "").lower().split() if w not in _SYMBOL_STOP]
    return " ".join(words) or None


def describe_symbols(text: str) -> tuple[str, list[int] | None]:
    """`text` with each emoji replaced by the words of its Unicode name, and where each character came from.

    The encoder's vocabulary has no emoji (they all become [UNK], which the model would learn to read
    as "gibberish, out of scope"); "👍" read as "thumbs up" keeps its meaning. The second value maps
    each character of the new text to its index in `text` (-1 inside a description), or is None when
    nothing was replaced.
    """
    if not _MAYBE_SYMBOL.search(text):
        return text, None
    parts: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        words = _symbol_words(ch)
        if words is None:
            parts.append(ch)
            origin.append(i)
        else:
            piece = f" {words} "
            parts.append(piece)
            origin.extend([-1] * len(piece))
    if len(origin) == len(text):
        return text, None
    return "".join(parts), origin


def _map_offsets(offsets: list[list[int]], origin: list[int] | None) -> list[list[int]]:
    """Word-piece offsets into the described text -> offsets into the original (empty for emoji words)."""
    if origin is None:
        return offsets
    out = []
    for s, e in offsets:
        if e <= s or origin[s] < 0 or origin[e - 1] < 0:
            out.append([0, 0])
        else:
            out.append([origin[s], origin[e - 1] + 1])
    return out


def set_threads(inference: bool = False) -> None:
    """CPU threads: ETUDE_NLU_THREADS (default 2) to train, ETUDE_NLU_INFER_THREADS (default 1) to parse.

    The machine is shared: a one-message forward pass is fastest on one thread when other processes
    compete for the cores (measured: 13 ms on one thread against 22 ms on two under load).
    """
    name, default = ("ETUDE_NLU_INFER_THREADS", "1") if inference else ("ETUDE_NLU_THREADS", "2")
    wanted = max(1, int(os.environ.get(name, default)))
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)


def device_auto() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _quiet_transformers() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


@dataclass(slots=True)
class Span:
    start: int
    end: int
    entity: str
    confidence: float


@dataclass(slots=True)
class Prediction:
    ranking: list[tuple[str, float]]  # calibrated, best first
    spans: list[Span] = field(default_factory=list)
    truncated: bool = False


class LeanEncoder(nn.Module):
    """Inference-only copy of a BERT encoder: the same weights in one plain forward function.

    The transformers implementation spends a large share of a one-message forward pass in Python
    (module hooks, signature checks, mask helpers). This one fuses query, key and value into one
    matrix product per layer and skips everything training needs, with identical outputs (checked
    by the tests). Optionally its linear layers are quantized to int8 (dynamic quantization).
    """

    def __init__(self, encoder: nn.Module, quantize: bool = False) -> None:
        super().__init__()
        config = encoder.config
        emb = encoder.embeddings
        self.heads = config.num_attention_heads
        self.eps = config.layer_norm_eps
        self.quantized = quantize
        self.words = emb.word_embeddings
        self.positions = emb.position_embeddings
        self.types = emb.token_type_embeddings
        self.norm = emb.LayerNorm
        self.qkv = nn.ModuleList()
        self.attn_out = nn.ModuleList()
        self.attn_norm = nn.ModuleList()
        self.ffn_in = nn.ModuleList()
        self.ffn_out = nn.ModuleList()
        self.ffn_norm = nn.ModuleList()
        for layer in encoder.encoder.layer:
            att = layer.attention.self
            qkv = nn.Linear(att.query.in_features, 3 * att.query.out_features)
            with torch.no_grad():
                qkv.weight.copy_(torch.cat([att.query.weight, att.key.weight, att.value.weight]))
                qkv.bias.copy_(torch.cat([att.query.bias, att.key.bias, att.value.bias]))
            self.qkv.append(qkv)
            self.attn_out.append(layer.attention.output.dense)
            self.attn_norm.append(layer.attention.output.LayerNorm)
            self.ffn_in.append(layer.intermediate.dense)
            self.ffn_out.append(layer.output.dense)
            self.ffn_norm.append(layer.output.LayerNorm)
        self.eval()
        if quantize:
            from torch.ao.quantization import quantize_dynamic

            for name in ("qkv", "attn_out", "ffn_in", "ffn_out"):
                setattr(self, name, quantize_dynamic(getattr(self, name), {nn.Linear}, dtype=torch.qint8))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        batch, length = input_ids.shape
        positions = self.positions.weight[:length]
        x = self.words(input_ids) + positions + self.types.weight[0]
        x = nn.functional.layer_norm(x, x.shape[-1:], self.norm.weight, self.norm.bias, self.eps)
        mask = None
        if attention_mask is not None and not bool(attention_mask.all()):
            mask = attention_mask[:, None, None, :].bool()
        hidden = x.shape[-1]
        head_dim = hidden // self.heads
        for qkv, out, norm1, ffn_in, ffn_out, norm2 in zip(
            self.qkv, self.attn_out, self.attn_norm, self.ffn_in, self.ffn_out, self.ffn_norm, strict=True
        ):
            q, k, v = qkv(x).view(batch, length, 3, self.heads, head_dim).permute(2, 0, 3, 1, 4)
            context = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
            context = context.transpose(1, 2).reshape(batch, length, hidden)
            x = nn.functional.layer_norm(out(context) + x, (hidden,), norm1.weight, norm1.bias, self.eps)
            h = ffn_out(nn.functional.gelu(ffn_in(x)))
            x = nn.functional.layer_norm(h + x, (hidden,), norm2.weight, norm2.bias, self.eps)
        return x


POOLINGS = ("mean", "attention")


class JointNet(nn.Module):
    def __init__(
        self,
        encoder: nn.Module,
        n_intents: int,
        n_tags: int,
        dropout: float = 0.1,
        n_gazetteer: int = 0,
        pooling: str = "mean",
        attention_heads: int = 1,
    ) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)} (got {pooling!r})")
        if isinstance(attention_heads, bool) or not isinstance(attention_heads, int) or attention_heads < 1:
            raise ValueError(f"attention_heads must be a whole number ≥ 1 (got {attention_heads!r})")
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.pooling = pooling
        # "attention": a learned score per word piece picks the words that decide the intent ("too
        # easy" against "too hard" differ in one word, which a mean over the sentence dilutes); its
        # weighted sum is read beside the mean. The scorer starts at zero, i.e. at the mean. With
        # `attention_heads` above 1 it scores the words that many ways, each its own weighted sum
        # ("far from" and "hard" may both need a look), told apart by the intent layer's start.
        self.attention_heads = attention_heads if pooling == "attention" else 0
        self.scorer = nn.Linear(hidden, attention_heads) if pooling == "attention" else None
        if self.scorer is not None:
            nn.init.zeros_(self.scorer.weight)
            nn.init.zeros_(self.scorer.bias)
        self.intent = nn.Linear(hidden * (1 + self.attention_heads), n_intents)
        self.tagger = nn.Linear(hidden, n_tags)
        # Gazetteer features (B/I of each entity type found in the graph's lookup tables) enter the
        # tagger beside the encoder's output.
        self.gazetteer = nn.Linear(n_gazetteer, hidden, bias=False) if n_gazetteer else None
        self.lean: LeanEncoder | None = None  # set for serving; training always uses `encoder`

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, gazetteer: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.lean is not None and not self.training:
            hidden = self.lean(input_ids, attention_mask)
        else:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        if self.scorer is not None:  # [batch, words, heads] -> each head's weighted sum, side by side
            scores = self.scorer(hidden).masked_fill(mask == 0, torch.finfo(hidden.dtype).min)
            weighted = torch.einsum("bwh,bwd->bhd", torch.softmax(scores, dim=1), hidden)
            pooled = torch.cat([pooled, weighted.flatten(1)], dim=-1)
        tokens = self.dropout(hidden)
        if self.gazetteer is not None and gazetteer is not None:
            tokens = tokens + self.gazetteer(gazetteer.to(hidden.dtype))
        return self.intent(self.dropout(pooled)), self.tagger(tokens)


def _symmetric_kl(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """Mean of KL(p‖q) and KL(q‖p) between the softmaxes of two logit batches, per example."""
    p, q = first.log_softmax(-1), second.log_softmax(-1)

    def kl(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # KL(b‖a), both log-probabilities
        return nn.functional.kl_div(a, b, log_target=True, reduction="batchmean")

    return (kl(q, p) + kl(p, q)) / 2


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow [start, end) so it has no leading article/punctuation and no trailing punctuation."""
    while start < end:
        m = _LEADING.match(text[start:end])
        skip = m.end() if m else article_length(text[start:end])
        if not skip:
            break
        start += skip
    m = _TRAILING.search(text[start:end])
    if m:
        end = start + m.start()
    return start, max(start, end)


class JointModel:
    """Tokenizer, network, label sets and calibration: everything needed to predict."""

    def __init__(
        self,
        tokenizer,
        net: JointNet,
        intents: list[str],
        entity_types: list[str],
        max_length: int = 64,
        temperature: float = 1.0,
        device: torch.device | None = None,
        gazetteer: Gazetteer | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.gazetteer = gazetteer if net.gazetteer is not None else None
        self.net = net
        self.intents = list(intents)
        self.entity_types = list(entity_types)
        self.tags = ["O"] + [f"{p}-{t}" for t in self.entity_types for p in ("B", "I")]
        self.max_length = max_length
        self.temperature = temperature
        self.device = device or device_auto()
        self.net.to(self.device)
        # spelled cues beside the encoder (nlu/lexical.py): logits = (1 - w)·encoder + w·lexical
        self.lexical: LexicalIntents | None = None
        self.lexical_weight = 0.0

    # construction ----------------------------------------------------------------------------

    @classmethod
    def from_pretrained_encoder(
        cls,
        intents: list[str],
        entity_types: list[str],
        max_length: int = 64,
        layers: int | None = None,
        dropout: float = 0.1,
        seed: int = 13,
        tables: dict[str, list[str]] | None = None,
        pooling: str = "mean",
        attention_heads: int = 1,
    ) -> JointModel:
        from transformers import AutoModel, AutoTokenizer

        _quiet_transformers()
        torch.manual_seed(seed)
        path = model_path()
        tokenizer = AutoTokenizer.from_pretrained(path)
        encoder = AutoModel.from_pretrained(path)
        if layers and layers < encoder.config.num_hidden_layers:
            encoder.encoder.layer = encoder.encoder.layer[:layers]
            encoder.config.num_hidden_layers = layers
        n_tags = 1 + 2 * len(entity_types)
        gazetteer = Gazetteer(tables) if tables and entity_types else None
        n_gazetteer = 2 * len(entity_types) if gazetteer else 0
        net = JointNet(encoder, len(intents), n_tags, dropout, n_gazetteer, pooling, attention_heads)
        return cls(tokenizer, net, intents, entity_types, max_length, gazetteer=gazetteer)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.net.encoder.save_pretrained(directory / "encoder")
        self.tokenizer.save_pretrained(directory / "encoder")
        heads = {"intent": self.net.intent.state_dict(), "tagger": self.net.tagger.state_dict()}
        if self.net.scorer is not None:
            heads["scorer"] = self.net.scorer.state_dict()
        if self.net.gazetteer is not None and self.gazetteer is not None:
            heads["gazetteer"] = self.net.gazetteer.state_dict()
            (directory / "gazetteer.json").write_text(
                json.dumps(self.gazetteer.tables, ensure_ascii=False), encoding="utf-8"
            )
        torch.save(heads, directory / "heads.pt")
        if self.lexical is not None:
            self.lexical.save(directory)
        (directory / "labels.json").write_text(
            json.dumps(
                {
                    "intents": self.intents,
                    "entity_types": self.entity_types,
                    "tags": self.tags,
                    "max_length": self.max_length,
                    "pooling": self.net.pooling,
                    "attention_heads": self.net.attention_heads,
                    "temperature": self.temperature,
                    "lexical_weight": self.lexical_weight if self.lexical is not None else 0.0,
                },
                indent=2,
            ),
            encoding="utf-8",
        )

    def serve(self, quantize: bool = False) -> None:
        """Switch to inference: the lean encoder (same outputs, less Python), int8 linear layers if asked.

        int8 only on the CPU; the weights are copied, so call this again after any further training.
        """
        self.net.eval()
        self.net.lean = LeanEncoder(self.net.encoder, quantize=quantize and self.device.type == "cpu")
        self.net.lean.to(self.device)

    @classmethod
    def load(
        cls, directory: Path, device: torch.device | None = None, lean: bool = True, quantize: bool = False
    ) -> JointModel:
        from transformers import AutoModel, AutoTokenizer

        _quiet_transformers()
        meta = json.loads((directory / "labels.json").read_text(encoding="utf-8"))
        tokenizer = AutoTokenizer.from_pretrained(directory / "encoder")
        encoder = AutoModel.from_pretrained(directory / "encoder")
        heads = torch.load(directory / "heads.pt", map_location="cpu", weights_only=True)
        gazetteer = None
        if "gazetteer" in heads and (directory / "gazetteer.json").exists():
            gazetteer = Gazetteer(json.loads((directory / "gazetteer.json").read_text(encoding="utf-8")))
        n_gazetteer = 2 * len(meta["entity_types"]) if gazetteer else 0
        net = JointNet(
            encoder,
            len(meta["intents"]),
            len(meta["tags"]),
            n_gazetteer=n_gazetteer,
            pooling=meta.get("pooling", "mean"),
            attention_heads=max(1, int(meta.get("attention_heads", 1))),
        )
        net.intent.load_state_dict(heads["intent"])
        if net.scorer is not None:
            net.scorer.load_state_dict(heads["scorer"])
        net.tagger.load_state_dict(heads["tagger"])
        if gazetteer is not None and net.gazetteer is not None:
            net.gazetteer.load_state_dict(heads["gazetteer"])
        model = cls(
            tokenizer,
            net,
            meta["intents"],
            meta["entity_types"],
            meta["max_length"],
            meta["temperature"],
            device,
            gazetteer,
        )
        model.lexical = LexicalIntents.load(directory)
        model.lexical_weight = float(meta.get("lexical_weight", 0.0)) if model.lexical is not None else 0.0
        model.net.eval()
        if lean:
            model.serve(quantize)
        return model

    # encoding --------------------------------------------------------------------------------

    def _encode(self, texts: Sequence[str]) -> tuple[dict[str, Any], list[list[list[int]]]]:
        """Tensors for `texts` and each word piece's offsets into the original text.

        One message is not padded at all; a batch is padded to a multiple of 8 (fewer kernel shapes).
        """
        described = [describe_symbols(t) for t in texts]
        enc = self.tokenizer(
            [text for text, _ in described],
            truncation=True,
            max_length=self.max_length,
            padding=len(texts) > 1,
            pad_to_multiple_of=8 if len(texts) > 1 else None,
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        offsets = [
            _map_offsets(o, origin)
            for o, (_, origin) in zip(enc.pop("offset_mapping").tolist(), described, strict=True)
        ]
        return enc, offsets

    def _tag_labels(self, example: Example, offsets: list[tuple[int, int]]) -> list[int]:
        index = {t: i for i, t in enumerate(self.tags)}
        labels, seen = [], set()
        for s, e in offsets:
            if e <= s:
                labels.append(-100)
                continue
            tag = "O"
            for k, ent in enumerate(example.entities):
                if ent.start <= s < ent.end and ent.entity in self.entity_types:
                    tag = f"{'I' if k in seen else 'B'}-{ent.entity}"
                    seen.add(k)
                    break
            labels.append(index[tag])
        return labels

    def _gazetteer_rows(self, text: str, offsets: list[tuple[int, int]] | list[list[int]]) -> np.ndarray:
        """Per word piece: B/I flags of each entity type whose lookup entries cover it."""
        width = 2 * len(self.entity_types)
        rows = np.zeros((len(offsets), width), dtype=np.float32)
        if self.gazetteer is None or not offsets:
            return rows
        end = max(e for _, e in offsets)
        index = {t: i for i, t in enumerate(self.entity_types)}
        for ms, me, etype in self.gazetteer.match(text[:end]):
            k = index.get(etype)
            if k is None:
                continue
            first = True
            for i, (s, e) in enumerate(offsets):
                if e > s and ms <= s < me:
                    rows[i, 2 * k + (0 if first else 1)] = 1.0
                    first = False
        return rows

    # training --------------------------------------------------------------------------------

    def fit(
        self,
        examples: list[Example],
        epochs: int = 10,
        batch_size: int = 16,
        lr: float = 1e-4,
        head_lr: float = 2e-3,
        weight_decay: float = 0.01,
        warmup: float = 0.1,
        entity_weight: float = 1.0,
        seed: int = 13,
        progress: Progress | None = None,
        freeze_embeddings: bool = True,
        gazetteer_dropout: float = 0.3,
        entity_only: list[Example] | None = None,
        layer_decay: float = 1.0,
        label_smoothing: float = 0.0,
        ema_decay: float = 0.0,
        consistency: float = 0.0,
    ) -> list[float]:
        """Fine-tune on `examples` (and `entity_only`, which train the tagger but not the intent head);
        returns the mean loss of each epoch.

        Copies made by swapping entity values belong in `entity_only`: counted for intents too, they
        would tilt the classifier towards the intents that carry entities.

        The word-piece embedding matrix (half the encoder's weights) stays frozen by default: it
        keeps the pretrained vocabulary for words the training data never shows, and halves the
        optimizer's work on CPU. With `layer_decay` below 1 each layer learns at that factor of the
        rate of the layer above it (the embeddings at the lowest), so the general features of the
        lower layers move least. `label_smoothing` softens the intent targets; with `ema_decay` above 0
        the model ends with an exponential moving average of its weights over the training steps
        rather than the last step's weights, which depend more on the last batches seen. With
        `consistency` above 0 every batch is run twice under different dropout and the symmetric KL
        divergence of the two intent distributions, times `consistency`, is added to the loss
        (R-Drop): the head is asked to decide the same way whichever units drop, at twice the
        training time.
        """
        from transformers import get_linear_schedule_with_warmup

        for name, value in (("label_smoothing", label_smoothing), ("ema_decay", ema_decay)):
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be at least 0 and below 1 (got {value})")
        if not (consistency >= 0.0 and math.isfinite(consistency)):
            raise ValueError(f"consistency must be a finite number of at least 0 (got {consistency})")
        set_threads()
        self.net.lean = None  # its weights would go stale
        rng = random.Random(seed)
        torch.manual_seed(seed)
        intent_index = {name: i for i, name in enumerate(self.intents)}
        n_intent = len(examples)
        examples = list(examples) + list(entity_only or [])
        described = [describe_symbols(e.text) for e in examples]
        enc = self.tokenizer(
            [text for text, _ in described],
            truncation=True,
            max_length=self.max_length,
            return_offsets_mapping=True,
        )
        offsets = [
            _map_offsets(o, origin) for o, (_, origin) in zip(enc["offset_mapping"], described, strict=True)
        ]
        rows = [
            (
                enc["input_ids"][i],
                self._tag_labels(ex, offsets[i]),
                intent_index[ex.intent] if i < n_intent else -100,
                self._gazetteer_rows(ex.text, offsets[i]),
            )
            for i, ex in enumerate(examples)
        ]
        n_gaz = 2 * len(self.entity_types)
        steps_per_epoch = math.ceil(len(rows) / batch_size)
        total = max(1, steps_per_epoch * epochs)
        heads = [*self.net.intent.parameters(), *self.net.tagger.parameters()]
        if self.net.scorer is not None:
            heads += list(self.net.scorer.parameters())
        if self.net.gazetteer is not None:
            heads += list(self.net.gazetteer.parameters())
        words = self.net.encoder.embeddings.word_embeddings.weight
        words.requires_grad_(not freeze_embeddings)
        optimizer = torch.optim.AdamW(
            [*self._encoder_groups(lr, layer_decay), {"params": heads, "lr": head_lr}],
            weight_decay=weight_decay,
        )
        schedule = get_linear_schedule_with_warmup(optimizer, int(warmup * total), total)
        pad = self.tokenizer.pad_token_id or 0
        average = None
        if ema_decay > 0:
            from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

            average = AveragedModel(self.net, multi_avg_fn=get_ema_multi_avg_fn(ema_decay))
        losses: list[float] = []
        step = 0
        for epoch in range(epochs):
            self.net.train()
            order = list(range(len(rows)))
            rng.shuffle(order)
            running = 0.0
            for b in range(0, len(order), batch_size):
                batch = [rows[i] for i in order[b : b + batch_size]]
                width = min(self.max_length, -(-max(len(r[0]) for r in batch) // 8) * 8)  # few shapes
                ids = torch.full((len(batch), width), pad, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                tags = torch.full((len(batch), width), -100, dtype=torch.long)
                gaz = torch.zeros((len(batch), width, n_gaz))
                for j, (tok, lab, _, feats) in enumerate(batch):
                    ids[j, : len(tok)] = torch.tensor(tok)
                    mask[j, : len(tok)] = 1
                    tags[j, : len(lab)] = torch.tensor(lab)
                    if rng.random() >= gazetteer_dropout:  # the tagger must also work without it
                        gaz[j, : len(feats)] = torch.from_numpy(feats)
                intents = torch.tensor([r[2] for r in batch])
                if consistency > 0:  # the batch twice, one forward pass: dropout differs per row
                    ids, mask, tags, intents, gaz = (torch.cat([t, t]) for t in (ids, mask, tags, intents,
                                                                                 gaz))
                ids, mask, tags, intents, gaz = (t.to(self.device) for t in (ids, mask, tags, intents, gaz))
                intent_logits, tag_logits = self.net(ids, mask, gaz if self.gazetteer else None)
                loss = torch.zeros((), device=self.device)
                labelled = intents != -100  # entity-only copies carry no intent
                if labelled.any():
                    if consistency > 0:  # the two readings of each labelled message, compared
                        first, second = intent_logits[labelled].chunk(2)
                        loss = consistency * _symmetric_kl(first, second)
                    loss = loss + nn.functional.cross_entropy(
                        intent_logits, intents, ignore_index=-100, label_smoothing=label_smoothing
                    )
                if (tags != -100).any():
                    loss = loss + entity_weight * nn.functional.cross_entropy(
                        tag_logits.reshape(-1, tag_logits.shape[-1]), tags.reshape(-1), ignore_index=-100
                    )
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                if average is not None:
                    average.update_parameters(self.net)
                running += float(loss.detach()) * len(batch)
                step += 1
                if progress:
                    progress(f"epoch {epoch + 1}/{epochs}", step, total)
                if step % 100 == 0:
                    log.debug("step %d/%d: loss %.4f", step, total, float(loss.detach()))
            losses.append(running / max(1, len(rows)))
            log.info("epoch %d/%d: loss %.4f", epoch + 1, epochs, losses[-1])
        if average is not None:
            self.net.load_state_dict(average.module.state_dict())
        self.net.eval()
        return losses

    def _encoder_groups(self, lr: float, layer_decay: float) -> list[dict[str, Any]]:
        """The encoder's trainable weights as optimizer groups: one at `lr`, or with a decay one per
        layer, the top layer at `lr` and each lower one (the embeddings last) `layer_decay` times
        the rate above it."""
        trainable = [p for p in self.net.encoder.parameters() if p.requires_grad]
        if layer_decay >= 1.0:
            return [{"params": trainable, "lr": lr}]
        layers = list(self.net.encoder.encoder.layer)
        stack = [list(self.net.encoder.embeddings.parameters()), *(list(x.parameters()) for x in layers)]
        grouped = {id(p) for part in stack for p in part}
        top = [p for p in trainable if id(p) not in grouped]  # a pooler, if any: with the top layer
        groups = []
        for depth, params in enumerate(reversed(stack)):
            params = [p for p in params if p.requires_grad] + (top if depth == 0 else [])
            if params:
                groups.append({"params": params, "lr": lr * layer_decay**depth})
        return groups

    def fit_temperature(self, examples: list[Example]) -> float:
        """Temperature that minimises the intent NLL on `examples` (a validation split)."""
        known = [e for e in examples if e.intent in self.intents]
        if not known:
            self.temperature = 1.0
            return self.temperature
        labels = np.array([self.intents.index(e.intent) for e in known])
        self.temperature = best_temperature(self.logits([e.text for e in known]), labels)[0]
        return self.temperature

    def with_lexical(self, texts: Sequence[str], encoder_logits: np.ndarray) -> np.ndarray:
        """The intent logits the engine decides on: the encoder's, mixed with the lexical model's
        log-probabilities where there is one."""
        if self.lexical is None or self.lexical_weight <= 0:
            return encoder_logits
        w = self.lexical_weight
        return (1.0 - w) * encoder_logits + w * self.lexical.log_probs(texts)

    # prediction ------------------------------------------------------------------------------

    def logits(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Intent logits before the temperature: the encoder's and the lexical model's together."""
        return self.with_lexical(texts, self.encoder_logits(texts, batch_size))

    @torch.inference_mode()
    def encoder_logits(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        out = []
        for b in range(0, len(texts), batch_size):
            enc, _ = self._encode(texts[b : b + batch_size])
            intent_logits, _ = self.net(
                enc["input_ids"].to(self.device), enc["attention_mask"].to(self.device)
            )
            out.append(intent_logits.float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.intents)), dtype=np.float32)

    @torch.inference_mode()
    def predict(self, texts: Sequence[str], batch_size: int = 64) -> list[Prediction]:
        results: list[Prediction] = []
        for b in range(0, len(texts), batch_size):
            chunk = list(texts[b : b + batch_size])
            enc, offsets = self._encode(chunk)
            ids, mask = enc["input_ids"].to(self.device), enc["attention_mask"].to(self.device)
            gaz = None
            if self.gazetteer is not None:
                gaz = torch.from_numpy(
                    np.stack([self._gazetteer_rows(t, o) for t, o in zip(chunk, offsets, strict=True)])
                ).to(self.device)
            intent_logits, tag_logits = self.net(ids, mask, gaz)
            mixed = self.with_lexical(chunk, intent_logits.float().cpu().numpy())
            probs = torch.softmax(torch.from_numpy(mixed) / self.temperature, dim=-1).numpy()
            tag_probs = torch.softmax(tag_logits.float(), dim=-1).cpu().numpy()
            lengths = mask.sum(1).tolist()
            for j, text in enumerate(chunk):
                order = np.argsort(-probs[j])
                ranking = [(self.intents[k], float(probs[j][k])) for k in order]
                spans = self.decode(text, tag_probs[j][: lengths[j]], offsets[j][: lengths[j]])
                full = lengths[j] >= self.max_length
                reached = max((e for _, e in offsets[j][: lengths[j]]), default=0)
                results.append(Prediction(ranking, spans, truncated=full and reached < len(text.rstrip())))
        return results

    def decode(self, text: str, probs: np.ndarray, offsets: list[list[int]]) -> list[Span]:
        """BIO tags over word pieces -> trimmed character spans (a word's pieces stay together)."""
        spans: list[Span] = []
        current: list[Any] | None = None  # [type, start, end, [probs]]
        prev_end, prev_in = -1, False

        def close() -> None:
            nonlocal current
            if current is not None:
                start, end = trim_span(text, current[1], current[2])
                if end > start:
                    spans.append(Span(start, end, current[0], float(np.mean(current[3]))))
            current = None

        for i, (s, e) in enumerate(offsets):
            if e <= s:
                continue
            k = int(np.argmax(probs[i]))
            p = float(probs[i][k])
            continuation = s == prev_end and s > 0 and text[s - 1].isalnum() and text[s].isalnum()
            if continuation:
                if prev_in and current is not None:
                    current[2] = e
                    current[3].append(p)
                prev_end = e
                continue
            tag = self.tags[k]
            if tag == "O":
                close()
                prev_in = False
            elif tag.startswith("B-") or current is None or current[0] != tag[2:]:
                close()
                current = [tag[2:], s, e, [p]]
                prev_in = True
            else:
                current[2] = e
                current[3].append(p)
                prev_in = True
            prev_end = e
        close()
        return spans
