"""ItemKNN: an item scores by its cosine similarity to the items a user liked (Sarwar et al., 2001)."""

from __future__ import annotations

import torch

from recommender.base import Recommender, TrainingSet
from recommender.calibration import platt
from recommender.data import RecData
from recommender.models.common import interactions


class ItemKNN(Recommender):
    """Item-item cosine similarity over training positives, top-N neighbours, shrunk towards 0.

    score(u, i) = Σ over i's neighbours j in u's history of sim(i, j). Fitted in `prepare`; nothing
    trains. For CTR the score goes through a 1-D logistic (scale, bias) fitted on the labelled
    training rows, so sigmoid ≥ 0.5 is a real decision. A training positive's own item never
    counts towards its score (no self-similarity), so that fit sees leave-one-out scores.
    """

    name = "itemknn"
    trainable = False
    defaults = {"neighbours": 200, "shrink": 10.0}

    def __init__(self, data: RecData, config=None) -> None:
        super().__init__(data, config)
        n = max(1, min(int(self.config["neighbours"]), data.n_items - 1))
        self.register_buffer("seen", torch.zeros(data.n_users, data.n_items, dtype=torch.bool))
        self.register_buffer("neighbour_index", torch.zeros(data.n_items, n, dtype=torch.long))
        self.register_buffer("neighbour_weight", torch.zeros(data.n_items, n))
        self.register_buffer("calibration", torch.tensor([1.0, 0.0]))  # logit = a·score + b

    def prepare(self, train: TrainingSet) -> None:
        device = self.seen.device
        seen = interactions(train)
        m = seen.float()
        co = m.T @ m  # co-occurrence counts; the diagonal is each item's count
        norm = co.diagonal().sqrt()
        sim = co / (norm[:, None] * norm[None, :] + float(self.config["shrink"]) + 1e-12)
        sim.fill_diagonal_(0.0)
        weight, index = sim.topk(self.neighbour_index.shape[1], dim=1)
        self.seen, self.neighbour_index, self.neighbour_weight = seen, index, weight
        self.calibration = torch.tensor([1.0, 0.0])
        if train.protocol == "ctr":
            rows = torch.as_tensor(train.rows, dtype=torch.long)
            raw = self._raw(rows[:, 0], rows[:, 1]).double().numpy()
            self.calibration = torch.as_tensor(platt(raw, train.rows[:, 2]), dtype=torch.float32)
        self.to(device)

    def _raw(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        index = self.neighbour_index[items]
        hit = self.seen[users[:, None], index]
        return (self.neighbour_weight[items] * hit).sum(1)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.calibration[0] * self._raw(users, items) + self.calibration[1]

    def score_items(self, users: torch.Tensor) -> torch.Tensor:
        n_items, n = self.neighbour_index.shape
        rows = torch.arange(n_items, device=users.device).repeat_interleave(n)
        sim = torch.sparse_coo_tensor(torch.stack([rows, self.neighbour_index.reshape(-1)]),
                                      self.neighbour_weight.reshape(-1), (n_items, n_items),
                                      check_invariants=False)
        raw = torch.sparse.mm(sim, self.seen[users].float().T).T
        return self.calibration[0] * raw + self.calibration[1]
