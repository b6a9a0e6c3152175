"""Content-based recommendation: items known only by their content, users by what they liked.

No user or item id embeddings: an item is its KG features (multi-hot of shared neighbour entities
and relations) and its text (the "text" modality where present, else its description embedded
by the sentence encoder). A user is the mean of their training items' content vectors. So the
model says what content predicts, and scores items nobody has interacted with yet.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from recommender.base import Recommender, TrainingSet
from recommender.data import RecData
from recommender.encoders.text import text_features
from recommender.models.common import interactions, item_kg_features


def item_text_features(data: RecData) -> tuple[np.ndarray, np.ndarray] | None:
    """([n_items, D] text vectors, [n_items] presence) from the text modality, else from item_text."""
    if "text" in data.modalities:
        modality = data.modalities["text"]
        values = np.asarray(modality.values, dtype=np.float32).reshape(data.n_items, -1)
        return values, np.asarray(modality.present, dtype=bool)
    if data.item_text is None:
        return None
    present = np.array([bool(t and t.strip()) for t in data.item_text])
    values = text_features([t if p else "" for t, p in zip(data.item_text, present, strict=True)])
    return values * present[:, None], present


class ContentBased(Recommender):
    """score(u, i) = (W·profile_u) · v_i + b_i, with v_i and b_i linear in item i's content.

    The profile is the mean content vector of u's training positives, leaving out the scored item
    itself when it is one of them (else training would teach "an item resembles itself").
    """

    name = "cbr"
    # tuned on Last.FM validation (both protocols); CTR adds one fresh negative per positive an epoch
    defaults = {"dim": 64, "features": 32, "graph": True, "text": True, "epochs": 40, "lr": 1e-2,
                "batch_size": 512, "weight_decay": 1e-6, "patience": 6, "extra_negatives": 1}

    def __init__(self, data: RecData, config=None) -> None:
        super().__init__(data, config)
        dim = int(self.config["dim"])
        feats, n_features = item_kg_features(data, int(self.config["features"]))
        if not self.config["graph"]:
            feats = np.full((data.n_items, 1), n_features, dtype=np.int64)
        self.n_features = n_features
        self.register_buffer("features", torch.as_tensor(feats), persistent=False)
        self.feature = nn.Embedding(n_features + 1, dim + 1, padding_idx=n_features)
        nn.init.normal_(self.feature.weight, std=0.1)
        with torch.no_grad():
            self.feature.weight[n_features].zero_()
        text = item_text_features(data) if self.config["text"] else None
        if text is None:
            text = (np.zeros((data.n_items, 1), dtype=np.float32), np.zeros(data.n_items, dtype=bool))
        self.register_buffer("text", torch.as_tensor(text[0]), persistent=False)
        self.register_buffer("text_present", torch.as_tensor(text[1]), persistent=False)
        self.text_proj = nn.Linear(self.text.shape[1], dim + 1)
        self.no_text = nn.Parameter(torch.zeros(dim + 1))  # what an item without text gets instead
        self.user_proj = nn.Linear(dim, dim, bias=False)
        self.register_buffer("seen", torch.zeros(data.n_users, data.n_items, dtype=torch.bool))
        self.dim = dim

    def prepare(self, train: TrainingSet) -> None:
        self.seen = interactions(train).to(self.seen.device)

    def item_vectors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """([n_items, dim] content vectors, [n_items] content biases) of every item."""
        mask = (self.features != self.n_features).unsqueeze(-1)
        graph = self.feature(self.features).sum(1) / mask.sum(1).clamp(min=1)
        present = self.text_present.unsqueeze(-1)
        text = torch.where(present, self.text_proj(self.text), self.no_text)
        both = graph + text
        return both[:, : self.dim], both[:, self.dim]

    def _score(self, sums: torch.Tensor, counts: torch.Tensor, v: torch.Tensor, bias: torch.Tensor,
               own: torch.Tensor) -> torch.Tensor:
        """Scores from un-normalised profile sums, leaving the item out where `own` (it is in history)."""
        self_term = (self.user_proj(v) * v).sum(-1)
        match = (self.user_proj(sums) * v).sum(-1) - own * self_term
        return match / (counts - own).clamp(min=1) + bias

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        vectors, biases = self.item_vectors()
        history = self.seen[users].to(vectors.dtype)
        own = self.seen[users, items].to(vectors.dtype)
        return self._score(history @ vectors, history.sum(1), vectors[items], biases[items], own)

    def score_items(self, users: torch.Tensor) -> torch.Tensor:
        vectors, biases = self.item_vectors()
        history = self.seen[users].to(vectors.dtype)
        profile = self.user_proj(history @ vectors)  # [B, dim]
        counts = history.sum(1, keepdim=True)
        self_term = (self.user_proj(vectors) * vectors).sum(-1)
        match = profile @ vectors.T - history * self_term
        return match / (counts - history).clamp(min=1) + biases
