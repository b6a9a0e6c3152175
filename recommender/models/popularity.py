"""Most popular first: the floor every personalised model has to clear."""

from __future__ import annotations

import numpy as np
import torch

from recommender.base import Recommender, TrainingSet
from recommender.data import RecData


class Popularity(Recommender):
    """Scores an item by how many training users liked it.

    With labelled CTR rows the score is the smoothed log-odds of an item's training labels, so the
    sigmoid is a probability and F1 at 0.5 means something; for top-K it is the positive count.
    """

    name = "pop"
    trainable = False

    def __init__(self, data: RecData, config=None) -> None:
        super().__init__(data, config)
        self.register_buffer("logits", torch.zeros(data.n_items))

    def prepare(self, train: TrainingSet) -> None:
        pos = np.bincount(train.positives[:, 1], minlength=self.n_items).astype(np.float64)
        if train.protocol == "ctr":
            neg_rows = train.rows[train.rows[:, 2] == 0, 1]
            neg = np.bincount(neg_rows, minlength=self.n_items).astype(np.float64)
            scores = np.log((pos + 0.5) / (neg + 0.5)) + 1e-6 * pos  # ties broken by count
        else:
            scores = pos
        self.logits = torch.as_tensor(scores, dtype=torch.float32)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.logits[items]

    def score_items(self, users: torch.Tensor) -> torch.Tensor:
        return self.logits.expand(len(users), -1)
