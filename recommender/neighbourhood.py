"""Neighbourhood evidence: what similar users chose and what resembles a user's history.

Two classic collaborative signals that a few thousand labelled pairs cannot teach an embedding
model on their own: the votes of a user's nearest neighbours (cosine over their item histories
and, where the data has it, their behaviour outside the catalogue) for an item, and the summed
cosine similarity of an item to the items of the user's history.

A pair is never evidence for itself. When the candidate is in the user's training history (a
training positive) its own interaction is taken out of every count first: out of the user's
profile before neighbours are chosen, and out of the co-occurrences behind the item
similarities. Otherwise a model would learn from training rows that carry a trace of their own
label, which test rows never do.
"""

from __future__ import annotations

import torch
from torch import nn


FEATURES = 4  # neighbour votes, item similarity, item popularity, history size


class NeighbourhoodEvidence(nn.Module):
    """Co-occurrence statistics of the training histories, kept current under online updates."""

    def __init__(self, n_users: int, n_items: int, neighbours: int = 200) -> None:
        super().__init__()
        self.neighbours = neighbours
        # Derived from the histories (and context), rebuilt by `fit`, so not saved with the model.
        self.register_buffer("history", torch.zeros(n_users, n_items), persistent=False)
        self.register_buffer("user_dots", torch.zeros(n_users, n_users), persistent=False)
        self.register_buffer("context_dots", torch.zeros(n_users, n_users), persistent=False)
        self.register_buffer("context_sizes", torch.zeros(n_users), persistent=False)
        self.register_buffer("cooccurrence", torch.zeros(n_items, n_items), persistent=False)
        self._cosine: torch.Tensor | None = None  # item-item cosine, cached until the data changes

    def fit(self, history: torch.Tensor, context: list[torch.Tensor] | None = None) -> None:
        """`history` [n_users, n_items] 0/1; `context` per user the ids of behaviour outside it."""
        device = self.history.device
        self.history = history.float().to(device)
        n_users = len(history)
        if context is not None:
            n_context = 1 + max((int(c.max()) for c in context if len(c)), default=0)
            index = [(u, int(c)) for u, ids in enumerate(context) for c in ids.tolist()]
            matrix = torch.zeros(n_users, n_context, device=device)
            if index:
                rows, cols = zip(*index, strict=True)
                matrix[list(rows), list(cols)] = 1.0
            self.context_dots = matrix @ matrix.T
            self.context_sizes = matrix.sum(1)
        else:
            self.context_dots = torch.zeros(n_users, n_users, device=device)
            self.context_sizes = torch.zeros(n_users, device=device)
        self.user_dots = self.history @ self.history.T + self.context_dots
        self.cooccurrence = self.history.T @ self.history
        self._cosine = None

    def update_user(self, user: int, row: torch.Tensor) -> None:
        """Replace one user's history row and patch the statistics (no full rebuild)."""
        old = self.history[user].clone()
        new = row.float().to(self.history.device)
        self.history[user] = new
        self.cooccurrence += torch.outer(new, new) - torch.outer(old, old)
        dots = self.history @ new + self.context_dots[user]
        self.user_dots[user] = dots
        self.user_dots[:, user] = dots
        self._cosine = None

    def _votes(self, dots: torch.Tensor, sizes: torch.Tensor, users: torch.Tensor) -> torch.Tensor:
        """Cosine similarities [B, n_users] from dot products, own row zeroed, top-k kept."""
        all_sizes = self.history.sum(1) + self.context_sizes
        sims = dots / (sizes.clamp_min(1e-9).sqrt().unsqueeze(1) * all_sizes.clamp_min(1e-9).sqrt())
        sims[torch.arange(len(users), device=users.device), users] = 0.0
        k = min(self.neighbours, max(1, sims.shape[1] - 1))
        top = sims.topk(k, dim=1)
        return torch.zeros_like(sims).scatter_(1, top.indices, top.values.clamp_min(0))

    def pairs(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """[B, FEATURES] log-scaled evidence for (user, item) pairs, own interaction taken out."""
        own = self.history[users, items]  # 1 for a training positive
        column = self.history[:, items].T  # [B, n_users]: who has the candidate
        dots = self.user_dots[users] - own.unsqueeze(1) * column
        sizes = self.history[users].sum(1) + self.context_sizes[users] - own
        weights = self._votes(dots, sizes, users)
        user_votes = (weights * column).sum(1)
        counts = self.history.sum(0)
        co = self.cooccurrence[items] - own.unsqueeze(1) * self.history[users]  # [B, n_items]
        n_item_i = (counts[items] - own).unsqueeze(1)  # the user's other items keep their counts
        cos = co / (counts.unsqueeze(0) * n_item_i).clamp_min(1e-9).sqrt()
        mine = self.history[users].clone()
        mine[torch.arange(len(users), device=users.device), items] = 0.0  # not its own similar item
        item_sim = (cos * mine).sum(1)
        history_size = self.history[users].sum(1) - own
        return self._features(user_votes, item_sim, counts[items] - own, history_size)

    def all_items(self, users: torch.Tensor) -> torch.Tensor:
        """[B, n_items, FEATURES] evidence for every item; items already in a history are not
        corrected (rankings leave them out anyway)."""
        sizes = self.history[users].sum(1) + self.context_sizes[users]
        weights = self._votes(self.user_dots[users], sizes, users)
        user_votes = weights @ self.history
        if self._cosine is None or self._cosine.device != self.cooccurrence.device:
            counts = self.history.sum(0)
            cos = self.cooccurrence / (counts.unsqueeze(1) * counts.unsqueeze(0)).clamp_min(1e-9).sqrt()
            self._cosine = cos - torch.diag(torch.diagonal(cos))
        item_sim = self.history[users] @ self._cosine
        counts = self.history.sum(0).expand_as(item_sim)
        history_size = self.history[users].sum(1, keepdim=True).expand_as(item_sim)
        return self._features(user_votes, item_sim, counts, history_size)

    @staticmethod
    def _features(votes: torch.Tensor, similarity: torch.Tensor, popularity: torch.Tensor,
                  history_size: torch.Tensor) -> torch.Tensor:
        """Neighbour votes, item similarity, the item's popularity and the user's history size:
        the votes only mean something next to how popular the item is and how much the user did."""
        return torch.stack([torch.log1p(votes), torch.log1p(similarity.clamp_min(0)),
                            torch.log1p(popularity), torch.log1p(history_size)], -1)
