"""BPR-MF: user and item vectors whose dot product ranks items (Rendle et al., 2009)."""

from __future__ import annotations

import torch
from torch import nn

from recommender.base import Recommender
from recommender.data import RecData


class BPRMF(Recommender):
    """Matrix factorisation with item biases; BPR loss for top-K, BCE for CTR (the trainer's default)."""

    name = "bprmf"
    defaults = {"dim": 64, "epochs": 40, "lr": 5e-3, "batch_size": 2048, "weight_decay": 1e-6}

    def __init__(self, data: RecData, config=None) -> None:
        super().__init__(data, config)
        dim = int(self.config["dim"])
        self.user = nn.Embedding(data.n_users, dim)
        self.item = nn.Embedding(data.n_items, dim)
        self.bias = nn.Embedding(data.n_items, 1)
        nn.init.normal_(self.user.weight, std=0.05)
        nn.init.normal_(self.item.weight, std=0.05)
        nn.init.zeros_(self.bias.weight)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return (self.user(users) * self.item(items)).sum(1) + self.bias(items).squeeze(1)

    def score_items(self, users: torch.Tensor) -> torch.Tensor:
        return self.user(users) @ self.item.weight.T + self.bias.weight.T
