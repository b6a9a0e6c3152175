"""Self-attentive knowledge tracing (SAKT, Pandey & Karypis 2019), with AKT-style skill difficulty.

The next answer is predicted by attending from the skill it exercises to the learner's past
answers (skill and correctness as one interaction embedding), under a causal mask, so the answers
most like the coming one count most however long ago they were. Two additions from AKT (Ghosh et
al. 2020) that cost little: the prediction reads the attended history *and* the skill it predicts,
and each skill has a learned scalar difficulty that shifts its embeddings (a Rasch-style term, so
rare skills still get a sensible prior). Attention also fades with the number of answers between
the two (a learned rate per head, as in ALiBi), AKT's forgetting in its simplest form.

Sequences are cut into windows of `window` answers; each window starts from the answer before it
(or a start token). Windows overlap by `window - stride` answers, and an answer is predicted from
the window that shows it the longest history: without the overlap, the first answers of every
window would be predicted from almost nothing.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from recommender.learner.sequences import Responses, answer_auc, n_skills

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SAKTConfig:
    dim: int = 64
    heads: int = 4
    layers: int = 1
    dropout: float = 0.2
    window: int = 150
    stride: int | None = 25  # a new window every `stride` answers; None: half a window
    epochs: int = 80
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-5
    patience: int = 3
    seed: int = 0
    decay: bool = True  # attention fades with the number of answers in between (one rate per head)


class SAKTNet(nn.Module):
    def __init__(self, skills: int, config: SAKTConfig) -> None:
        super().__init__()
        d = config.dim
        self.skills = skills
        self.start = 2 * skills  # interaction id of "no answer yet"
        self.interaction = nn.Embedding(2 * skills + 1, d)
        self.skill = nn.Embedding(skills, d)
        self.difficulty = nn.Embedding(skills, 1)
        self.variation = nn.Embedding(skills, d)
        nn.init.zeros_(self.difficulty.weight)
        self.position = nn.Embedding(config.window, d)
        self.blocks = nn.ModuleList(
            nn.ModuleDict({
                "attention": nn.MultiheadAttention(
                    d, config.heads, dropout=config.dropout, batch_first=True
                ),
                "norm1": nn.LayerNorm(d),
                "ffn": nn.Sequential(
                    nn.Linear(d, 2 * d), nn.ReLU(), nn.Dropout(config.dropout), nn.Linear(2 * d, d)
                ),
                "norm2": nn.LayerNorm(d),
            })
            for _ in range(config.layers)
        )
        self.heads = config.heads
        # log rates of the per-head distance penalty; heads start from slow to fast forgetting
        self.decay = nn.Parameter(torch.linspace(-4.0, 0.0, config.heads)) if config.decay else None
        self.drop = nn.Dropout(config.dropout)
        self.out = nn.Sequential(nn.Linear(2 * d, d), nn.ReLU(), nn.Dropout(config.dropout), nn.Linear(d, 1))
        self.prior_weight = nn.Parameter(torch.ones(()))  # how much a base model's prediction counts

    def forward(
        self, history: torch.Tensor, skills: torch.Tensor, prior: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Logits of answering each of `skills` [B, T] right, from `history` [B, T]: the interaction
        before each (history[:, t] is the answer before skills[:, t]). With `prior` [B, T], a base
        model's logits, the network learns a correction to them rather than the whole answer."""
        t = skills.shape[1]
        positions = self.position.weight[:t]
        rasch = self.difficulty(skills) * self.variation(skills)
        query = self.skill(skills) + rasch
        answered = (history != self.start).unsqueeze(-1)
        past = history % self.skills  # the skill of each past answer (the start token's is unused)
        keys = self.interaction(history) + positions + answered * self.difficulty(past) * self.variation(past)
        causal = torch.triu(torch.ones(t, t, dtype=torch.bool, device=skills.device), diagonal=1)
        mask: torch.Tensor = causal
        if self.decay is not None:
            steps = torch.arange(t, device=skills.device)
            distance = (steps.unsqueeze(1) - steps.unsqueeze(0)).clamp(min=0).float()  # [T, T]
            bias = -self.decay.exp().view(-1, 1, 1) * distance  # [H, T, T]
            bias = bias.masked_fill(causal, -torch.inf)
            mask = bias.repeat(skills.shape[0], 1, 1)  # [B * H, T, T], batch-major as attention wants
        x = self.drop(keys)
        q = query + positions
        for block in self.blocks:
            attended, _ = block["attention"](q, x, x, attn_mask=mask, need_weights=False)
            h = block["norm1"](attended + q)
            h = block["norm2"](h + block["ffn"](h))
            q = h
        logits = self.out(torch.cat([q, query], dim=-1)).squeeze(-1)
        return logits if prior is None else logits + self.prior_weight * prior


Window = tuple[list[int], list[int], list[int], list[float]]


def _windows(
    data: Sequence[Responses],
    skills: int,
    window: int,
    stride: int | None = None,
    priors: Sequence[np.ndarray] | None = None,
) -> list[Window]:
    """(history, skills, correct, prior) per window of each learner's answers, a window every
    `stride`; `prior` holds a base model's chances for those answers (empty without one)."""
    start = 2 * skills
    stride = stride or window
    out = []
    for i, r in enumerate(data):
        inter = [s + skills * c for s, c in zip(r.skills, r.correct, strict=True)]
        base = [] if priors is None else [float(x) for x in priors[i]]
        k = 0
        while k < len(r):
            n = min(window, len(r) - k)
            hist = [inter[k - 1] if k else start, *inter[k : k + n - 1]]
            out.append((hist, list(r.skills[k : k + n]), list(r.correct[k : k + n]), base[k : k + n]))
            if k + window >= len(r):
                break
            k += stride
    return out


def _stride(config: SAKTConfig) -> int:
    return min(config.window, max(1, config.stride or config.window // 2))


def _batch(rows: Sequence[Window], skills: int, device: torch.device) -> tuple[torch.Tensor | None, ...]:
    t = max(len(s) for _, s, _, _ in rows)
    hist = torch.full((len(rows), t), 2 * skills, dtype=torch.long)
    sk = torch.zeros((len(rows), t), dtype=torch.long)
    y = torch.zeros((len(rows), t))
    mask = torch.zeros((len(rows), t), dtype=torch.bool)
    with_prior = all(len(p) for _, _, _, p in rows)
    prior = torch.zeros((len(rows), t)) if with_prior else None
    for i, (h, s, c, p) in enumerate(rows):
        n = len(s)
        hist[i, :n], sk[i, :n], mask[i, :n] = torch.tensor(h), torch.tensor(s), True
        y[i, :n] = torch.tensor(c, dtype=torch.float)
        if prior is not None:
            prior[i, :n] = torch.logit(torch.tensor(p, dtype=torch.float).clamp(1e-4, 1 - 1e-4))
    return (hist.to(device), sk.to(device), y.to(device), mask.to(device),
            None if prior is None else prior.to(device))


# Over a base model the network starts silent (its last layer at zero), so the first epochs only
# begin to move it: they are not held against it.
WARMUP_OVER_BASE = 8


class SAKT:
    """Train on sequences, early-stopped on held-out learners' AUC; predict each answer beforehand."""

    def __init__(
        self, config: SAKTConfig | None = None, device: str | torch.device = "cpu", base: Any = None
    ) -> None:
        """`base`: an optional knowledge-tracing model (anything with `predict`) whose chances SAKT
        takes as its starting point and corrects, e.g. the tutor's online model over the graph."""
        self.config = config or SAKTConfig()
        self.base = base
        self.device = torch.device(device)
        self.net: SAKTNet | None = None
        self.skills = 0
        self.history: list[dict[str, float]] = []

    def fit(
        self,
        train: Sequence[Responses],
        valid: Sequence[Responses],
        skills: int | None = None,
        progress: Callable[[int, float, float], None] | None = None,
    ) -> SAKT:
        c = self.config
        torch.manual_seed(c.seed)
        rng = random.Random(c.seed)
        self.skills = max(skills or 0, n_skills(train), n_skills(valid))
        self.net = SAKTNet(self.skills, c).to(self.device)
        priors = self.base.predict(train) if self.base is not None else None
        rows = _windows(train, self.skills, c.window, _stride(c), priors)
        optimizer = torch.optim.Adam(self.net.parameters(), lr=c.lr, weight_decay=c.weight_decay)
        best, best_state, waited = -math.inf, None, 0
        warmup = 0  # epochs that do not count towards early stopping
        if self.base is not None:
            warmup = WARMUP_OVER_BASE
            # Start exactly at the base model (the network adds nothing yet), and keep it unless
            # training beats it on the held-out learners.
            nn.init.zeros_(self.net.out[-1].weight)
            nn.init.zeros_(self.net.out[-1].bias)
            best, best_state = answer_auc(self.predict(valid), valid), copy.deepcopy(self.net.state_dict())
            self.history.append({"epoch": 0, "loss": math.nan, "valid_auc": round(best, 4)})
        for epoch in range(c.epochs):
            self.net.train()
            rng.shuffle(rows)
            total = 0.0
            for k in range(0, len(rows), c.batch_size):
                hist, sk, y, mask, prior = _batch(rows[k : k + c.batch_size], self.skills, self.device)
                logits = self.net(hist, sk, prior)
                loss = nn.functional.binary_cross_entropy_with_logits(logits[mask], y[mask])
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
                optimizer.step()
                total += float(loss.detach()) * int(mask.sum())
            auc = answer_auc(self.predict(valid), valid)
            loss_mean = total / max(1, sum(len(s) for _, s, _, _ in rows))
            self.history.append({"epoch": epoch + 1, "loss": round(loss_mean, 4), "valid_auc": round(auc, 4)})
            log.info("SAKT epoch %d: loss %.4f, validation AUC %.4f", epoch + 1, loss_mean, auc)
            if progress:
                progress(epoch + 1, loss_mean, auc)
            if auc > best:
                best, best_state, waited = auc, copy.deepcopy(self.net.state_dict()), 0
            elif epoch >= warmup:
                waited += 1
                if waited >= c.patience:
                    break
        if best_state is not None:
            self.net.load_state_dict(best_state)
        self.net.eval()
        return self

    @torch.no_grad()
    def predict(self, data: Sequence[Responses]) -> list[np.ndarray]:
        """For each learner, the chance of each answer being right given the answers before it."""
        if self.net is None:
            raise RuntimeError("SAKT is not trained")
        unknown = sorted({s for r in data for s in r.skills if s >= self.skills})
        if unknown:
            raise ValueError(f"skills {unknown[:5]} were not in the training data ({self.skills} skills)")
        self.net.eval()
        out: list[list[float]] = [[] for _ in data]
        owners: list[tuple[int, int]] = []
        rows = []
        window, stride = self.config.window, _stride(self.config)
        priors = self.base.predict(data) if self.base is not None else [None] * len(data)
        for i, r in enumerate(data):
            base = None if priors[i] is None else [priors[i]]
            for j, w in enumerate(_windows([r], self.skills, window, stride, base)):
                rows.append(w)
                owners.append((i, 0 if j == 0 else window - stride))  # answers earlier windows lacked
        for k in range(0, len(rows), 256):
            chunk = rows[k : k + 256]
            hist, sk, _, _, prior = _batch(chunk, self.skills, self.device)
            probs = torch.sigmoid(self.net(hist, sk, prior)).cpu().numpy()
            for j, (_, s, _, _) in enumerate(chunk):
                learner, first = owners[k + j]
                out[learner].extend(probs[j, first : len(s)].tolist())
        return [np.array(p) for p in out]

    @torch.no_grad()
    def predict_next(
        self, history: Responses, queries: Sequence[int], priors: Sequence[float] | None = None
    ) -> np.ndarray:
        """The chance of a right answer on each of `queries` (skill ids) as the learner's next answer,
        after `history`. `priors`: the base model's chance for each query (needed with a base)."""
        if self.net is None:
            raise RuntimeError("SAKT is not trained")
        if self.base is not None and (priors is None or len(priors) != len(queries)):
            raise ValueError("a SAKT over a base model needs the base's chance for every query")
        if any(not 0 <= q < self.skills for q in queries):
            raise ValueError("a query names a skill this model was not trained on")
        keep = self.config.window - 1  # the answers that fit in one window beside the query
        inter = [s + self.skills * c for s, c in zip(history.skills, history.correct, strict=True)]
        k = max(0, len(history) - keep)
        hist = [inter[k - 1] if k else 2 * self.skills, *inter[k:]]  # the answer before each position
        skills_row = list(history.skills[k:])
        rows = []
        for n, query in enumerate(queries):
            # A base's chance matters only at the query's own position; the others get a filler.
            prior = [] if priors is None else [0.5] * len(skills_row) + [float(priors[n])]
            rows.append((hist, [*skills_row, int(query)], [0] * len(hist), prior))
        hist_t, sk, _, _, prior_t = _batch(rows, self.skills, self.device)
        return torch.sigmoid(self.net(hist_t, sk, prior_t))[:, len(skills_row)].cpu().numpy()

    def save(self, directory: Path) -> None:
        """The trained network and its settings (the base model is not saved: it is rebuilt)."""
        if self.net is None:
            raise RuntimeError("SAKT is not trained")
        directory.mkdir(parents=True, exist_ok=True)
        torch.save(self.net.state_dict(), directory / "sakt.pt")
        meta = {"config": asdict(self.config), "skills": self.skills, "history": self.history}
        (directory / "sakt.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, base: Any = None, device: str | torch.device = "cpu") -> SAKT:
        meta = json.loads((directory / "sakt.json").read_text(encoding="utf-8"))
        model = cls(SAKTConfig(**meta["config"]), device=device, base=base)
        model.skills, model.history = int(meta["skills"]), list(meta["history"])
        model.net = SAKTNet(model.skills, model.config).to(model.device)
        model.net.load_state_dict(torch.load(directory / "sakt.pt", map_location=model.device))
        model.net.eval()
        return model
