"""NeuMF: a GMF tower and an MLP tower fused by one output layer (He et al., 2017)."""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import nn

from recommender.base import Recommender
from recommender.data import RecData
from recommender.models.common import pair_mlp_scores


class NeuMF(Recommender):
    """GMF (element-wise product of user and item vectors) beside an MLP over their concatenation.

    The towers have separate embeddings, as in the paper, so the linear and non-linear views of an
    interaction do not have to share one space. `layers` hidden layers halve the width each time.
    """

    name = "neumf"
    # tuned on Last.FM validation (both protocols); CTR adds one fresh negative per positive an epoch
    defaults = {"dim": 32, "layers": 2, "dropout": 0.0, "epochs": 40, "lr": 1e-2, "batch_size": 512,
                "weight_decay": 1e-5, "patience": 6, "extra_negatives": 1}

    def __init__(self, data: RecData, config=None) -> None:
        super().__init__(data, config)
        dim, n_layers = int(self.config["dim"]), int(self.config["layers"])
        self.user_gmf = nn.Embedding(data.n_users, dim)
        self.item_gmf = nn.Embedding(data.n_items, dim)
        self.user_mlp = nn.Embedding(data.n_users, dim)
        self.item_mlp = nn.Embedding(data.n_items, dim)
        for emb in (self.user_gmf, self.item_gmf, self.user_mlp, self.item_mlp):
            nn.init.normal_(emb.weight, std=0.05)
        widths = [2 * dim] + [max(4, dim // 2**k) for k in range(n_layers)]
        self.first = nn.Linear(widths[0], widths[1])
        rest: list[nn.Module] = [nn.ReLU(), nn.Dropout(float(self.config["dropout"]))]
        for a, b in pairwise(widths[1:]):
            rest += [nn.Linear(a, b), nn.ReLU(), nn.Dropout(float(self.config["dropout"]))]
        self.rest = nn.Sequential(*rest)
        self.out = nn.Linear(dim + widths[-1], 1)
        self.dim = dim

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        gmf = self.user_gmf(users) * self.item_gmf(items)
        mlp = self.rest(self.first(torch.cat([self.user_mlp(users), self.item_mlp(items)], 1)))
        return self.out(torch.cat([gmf, mlp], 1)).squeeze(1)

    def score_items(self, users: torch.Tensor) -> torch.Tensor:
        w_gmf, w_mlp = self.out.weight[0, : self.dim], self.out.weight[0, self.dim:]
        gmf = (self.user_gmf(users) * w_gmf) @ self.item_gmf.weight.T
        first_w = self.first.weight
        user_part = self.user_mlp(users) @ first_w[:, : self.dim].T + self.first.bias
        item_part = self.item_mlp.weight @ first_w[:, self.dim:].T
        mlp = pair_mlp_scores(user_part, item_part, lambda x: self.rest(x) @ w_mlp)
        return gmf + mlp + self.out.bias
