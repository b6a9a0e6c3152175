"""The one contract every recommender follows, so any model drops into one trainer and evaluator.

A model is a `torch.nn.Module` built from the data set and a config. It gets to see the training
rows once (`prepare`: histories, graphs, popularity), scores (user, item) pairs as logits
(`forward`), scores every item for a batch of users (`score_items`, overridden where a model can
do it faster) and says its loss for a batch (`loss`: BCE on labelled pairs for CTR; for top-K BPR,
or a sampled softmax, over a positive and its sampled negatives; plus `aux_loss`, e.g. λ·L_kg).
Closed-form models set `trainable = False` and do their fitting in `prepare`. A CTR probability is
σ(a·logit + b) with the `decision` (a, b) the trainer fits on validation (`recommender.calibration`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from recommender.data import RecData
from recommender.splits import Protocol, user_history


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """What a model may learn from: the training rows of one split, never validation or test."""

    protocol: Protocol
    rows: np.ndarray  # CTR: (user, item, label); top-K: (user, item)
    n_users: int
    n_items: int

    @property
    def positives(self) -> np.ndarray:
        if self.protocol == "ctr":
            return self.rows[self.rows[:, 2] == 1, :2]
        return self.rows[:, :2]

    def history(self) -> list[np.ndarray]:
        return user_history(self.positives, self.n_users)

    def matrix(self) -> torch.Tensor:
        """Sparse [n_users, n_items] 0/1 matrix of the positives (COO, coalesced)."""
        pos = np.unique(self.positives, axis=0)
        index = torch.as_tensor(pos.T.copy(), dtype=torch.long)
        values = torch.ones(index.shape[1])
        return torch.sparse_coo_tensor(index, values, (self.n_users, self.n_items)).coalesce()


@dataclass(slots=True)
class Batch:
    """CTR: `items` with `labels` (0/1). Top-K: `items` are positives, `negatives` sampled items
    ([B], or [B, n] with several negatives per positive)."""

    users: torch.Tensor
    items: torch.Tensor
    labels: torch.Tensor | None = None
    negatives: torch.Tensor | None = None

    def to(self, device: torch.device | str) -> Batch:
        def move(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.to(device)

        return Batch(move(self.users), move(self.items), move(self.labels), move(self.negatives))


TOPK_LOSSES = ("bpr", "softmax")


def ranking_loss(pos: torch.Tensor, neg: torch.Tensor, kind: str = "bpr") -> torch.Tensor:
    """Top-K loss of positive logits [B] against their negatives' logits [B] or [B, n]: BPR
    (mean over the pairs) or a sampled softmax (the positive against its n negatives)."""
    neg = neg.reshape(len(pos), -1)
    if kind == "bpr":
        return -F.logsigmoid(pos.unsqueeze(1) - neg).mean()
    if kind == "softmax":
        return -F.log_softmax(torch.cat([pos.unsqueeze(1), neg], 1).float(), 1)[:, 0].mean()
    raise ValueError(f"unknown top-K loss {kind!r}; use one of {TOPK_LOSSES}")


class Recommender(nn.Module):
    """Base class: subclasses set `name`, `defaults` and implement `forward` (and maybe more)."""

    name: ClassVar[str] = "recommender"
    trainable: ClassVar[bool] = True
    # Hyper-parameters and training settings (epochs, lr, batch_size, ...) a config may override.
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, data: RecData, config: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        unknown = set(config or {}) - set(self.all_defaults())
        if unknown:
            raise ValueError(f"{self.name}: unknown config keys {sorted(unknown)}")
        self.config: dict[str, Any] = {**self.all_defaults(), **(config or {})}
        self.n_users = data.n_users
        self.n_items = data.n_items
        # CTR decision rule p = σ(a·logit + b), fitted on validation after training (identity before)
        self.register_buffer("decision", torch.tensor([1.0, 0.0]))

    @classmethod
    def all_defaults(cls) -> dict[str, Any]:
        from recommender.train import TRAIN_DEFAULTS

        return {**TRAIN_DEFAULTS, **cls.defaults}

    def prepare(self, train: TrainingSet) -> None:
        """Read what the training rows give (histories, graphs, counts). Called once before fitting."""

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def score_items(self, users: torch.Tensor) -> torch.Tensor:
        """[len(users), n_items] logits; the default scores every pair through `forward`."""
        device = users.device
        items = torch.arange(self.n_items, device=device)
        rows = []
        for u in users:
            rows.append(self.forward(u.repeat(self.n_items), items))
        return torch.stack(rows)

    def probability(self, logits: torch.Tensor) -> torch.Tensor:
        """CTR probabilities of `forward`'s logits under the fitted decision rule."""
        return torch.sigmoid(self.decision[0] * logits.float() + self.decision[1])

    def aux_loss(self) -> torch.Tensor | float:
        """Extra loss terms added to every batch's loss (regularisers, λ·L_kg)."""
        return 0.0

    def rec_loss(self, batch: Batch) -> torch.Tensor:
        if batch.labels is not None:
            logits = self.forward(batch.users, batch.items)
            return F.binary_cross_entropy_with_logits(logits, batch.labels.float())
        if batch.negatives is None:
            raise ValueError("a batch needs labels (CTR) or negatives (top-K)")
        pos = self.forward(batch.users, batch.items)
        negatives = batch.negatives.reshape(len(batch.users), -1)
        users = batch.users.unsqueeze(1).expand_as(negatives).reshape(-1)
        neg = self.forward(users, negatives.reshape(-1)).view_as(negatives)
        return ranking_loss(pos, neg, str(self.config.get("topk_loss", "bpr")))

    def loss(self, batch: Batch) -> torch.Tensor:
        return self.rec_loss(batch) + self.aux_loss()
