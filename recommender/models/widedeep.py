"""Wide & Deep: memorised user × item-feature crosses beside a deep net (Cheng et al., 2016)."""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import nn

from recommender.base import Recommender
from recommender.data import RecData
from recommender.models.common import item_kg_features, pair_mlp_scores

_USER_MIX, _FEATURE_MIX = 2_654_435_761, 40_503  # multipliers of the cross-feature hash


class WideDeep(Recommender):
    """Wide: a linear model over user × KG-feature crosses (hashed), item features and biases.
    Deep: an MLP over user, item and the mean of the item's feature embeddings.

    An item's features are its one-hop KG neighbours shared with other items (genres, countries,
    labels) and its relations (`common.item_kg_features`), so a cross such as (user, genre) lets
    the wide part memorise "this user likes this genre" and carry it to items never seen together.
    """

    name = "widedeep"
    # tuned on Last.FM validation (both protocols); CTR adds one fresh negative per positive an epoch
    defaults = {"dim": 32, "layers": 2, "features": 16, "buckets": 1 << 18, "epochs": 40, "lr": 1e-2,
                "batch_size": 512, "weight_decay": 1e-5, "patience": 6, "extra_negatives": 1}

    def __init__(self, data: RecData, config=None) -> None:
        super().__init__(data, config)
        dim, n_layers = int(self.config["dim"]), int(self.config["layers"])
        features, n_features = item_kg_features(data, int(self.config["features"]))
        self.n_features = n_features
        self.register_buffer("features", torch.as_tensor(features), persistent=False)
        self.buckets = int(self.config["buckets"])
        # wide
        self.cross = nn.Embedding(self.buckets, 1)
        self.feature_weight = nn.Embedding(n_features + 1, 1, padding_idx=n_features)
        self.user_bias = nn.Embedding(data.n_users, 1)
        self.item_bias = nn.Embedding(data.n_items, 1)
        for emb in (self.cross, self.feature_weight, self.user_bias, self.item_bias):
            nn.init.zeros_(emb.weight)
        # deep
        self.user = nn.Embedding(data.n_users, dim)
        self.item = nn.Embedding(data.n_items, dim)
        self.feature = nn.Embedding(n_features + 1, dim, padding_idx=n_features)
        for emb in (self.user, self.item, self.feature):
            nn.init.normal_(emb.weight, std=0.05)
        with torch.no_grad():
            self.feature.weight[n_features].zero_()
        widths = [3 * dim] + [max(4, dim // 2**k) for k in range(n_layers)]
        self.first = nn.Linear(widths[0], widths[1])
        rest: list[nn.Module] = [nn.ReLU()]
        for a, b in pairwise(widths[1:]):
            rest += [nn.Linear(a, b), nn.ReLU()]
        rest.append(nn.Linear(widths[-1], 1))
        self.rest = nn.Sequential(*rest)
        self.dim = dim

    def _item_side(self, items: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per item: padded features, the presence mask, and wide item terms (features + bias)."""
        feats = self.features[items]
        mask = feats != self.n_features
        wide = self.feature_weight(feats).squeeze(-1).sum(-1) + self.item_bias(items).squeeze(-1)
        return feats, mask, wide

    def _deep_item(self, items: torch.Tensor, feats: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        count = mask.sum(-1, keepdim=True).clamp(min=1)
        return torch.cat([self.item(items), self.feature(feats).sum(-2) / count], -1)

    def _cross(self, users: torch.Tensor, feats: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Σ over an item's features of the (user, feature) cross weight; users broadcast against feats."""
        ids = (users * _USER_MIX + feats * _FEATURE_MIX) % self.buckets
        return (self.cross(ids).squeeze(-1) * mask).sum(-1)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        feats, mask, wide = self._item_side(items)
        wide = wide + self.user_bias(users).squeeze(-1) + self._cross(users[:, None], feats, mask)
        deep = self.rest(self.first(torch.cat([self.user(users), self._deep_item(items, feats, mask)], 1)))
        return wide + deep.squeeze(-1)

    def score_items(self, users: torch.Tensor) -> torch.Tensor:
        items = torch.arange(self.n_items, device=users.device)
        feats, mask, wide_item = self._item_side(items)
        w = self.first.weight
        user_part = self.user(users) @ w[:, : self.dim].T + self.first.bias
        item_part = self._deep_item(items, feats, mask) @ w[:, self.dim:].T
        deep = pair_mlp_scores(user_part, item_part, lambda x: self.rest(x).squeeze(-1))
        step = max(1, (1 << 21) // max(1, feats.numel()))
        cross = torch.cat([self._cross(users[s:s + step, None, None], feats, mask)
                           for s in range(0, len(users), step)])
        return deep + cross + wide_item + self.user_bias(users)
