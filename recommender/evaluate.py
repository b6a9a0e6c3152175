"""One evaluator for every model: CTR metrics on labelled pairs, top-K metrics by full ranking.

Top-K ranks every item a user has not interacted with in training (and, on test, not in
validation either: those are known interactions too, not recommendations to make).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch

from recommender.base import Recommender
from recommender.metrics import KS, ctr_metrics, ranking_metrics
from recommender.splits import Protocol, Split

Part = Literal["valid", "test"]


def validation_metric(protocol: Protocol, n_items: int | None = None) -> str:
    """AUC for CTR; recall@20 for top-K, at a smaller cut-off for a catalogue of fewer items
    (the cut-offs `evaluate` reports for it)."""
    if protocol == "ctr":
        return "auc"
    if n_items is None or n_items >= 20:
        return "recall@20"
    return f"recall@{max((k for k in KS if k <= n_items), default=n_items)}"


@torch.no_grad()
def predict_logits(model: Recommender, rows: np.ndarray, device: torch.device | str = "cpu",
                   batch_size: int = 8192) -> np.ndarray:
    """Logits for (user, item) rows."""
    model.eval()
    out = []
    t = torch.as_tensor(rows[:, :2], dtype=torch.long)
    for chunk in t.split(batch_size):
        chunk = chunk.to(device)
        out.append(model(chunk[:, 0], chunk[:, 1]).float().cpu())
    return torch.cat(out).numpy() if out else np.zeros(0, dtype=np.float32)


def predict(model: Recommender, rows: np.ndarray, device: torch.device | str = "cpu",
            batch_size: int = 8192) -> np.ndarray:
    """CTR probabilities for (user, item) rows, under the model's fitted decision rule."""
    logits = torch.as_tensor(predict_logits(model, rows, device, batch_size))
    return model.probability(logits.to(model.decision.device)).cpu().numpy()


@torch.no_grad()
def rank(model: Recommender, users: np.ndarray, exclude: list[set[int]], k: int,
         device: torch.device | str = "cpu", batch_size: int = 256) -> np.ndarray:
    """[len(users), k] the best `k` items per user, leaving out `exclude[user]`."""
    model.eval()
    out = []
    for start in range(0, len(users), batch_size):
        chunk = users[start:start + batch_size]
        scores = model.score_items(torch.as_tensor(chunk, device=device)).float().clone()
        for row, u in enumerate(chunk.tolist()):
            if exclude[u]:
                scores[row, list(exclude[u])] = -torch.inf
        out.append(scores.topk(k, dim=1).indices.cpu())
    return torch.cat(out).numpy() if out else np.zeros((0, k), dtype=np.int64)


def evaluate(model: Recommender, split: Split, part: Part = "test",
             device: torch.device | str = "cpu", ks: tuple[int, ...] = KS,
             users: np.ndarray | None = None, items: np.ndarray | None = None) -> dict[str, float]:
    """Metrics of `model` on `split.valid` or `split.test`.

    `users` / `items` restrict the measured rows (cold-start users, long-tail items): CTR keeps
    rows whose user and item are both allowed; top-K keeps the allowed users and counts only
    allowed items as relevant (the ranking still covers every item).
    """
    rows = split.valid if part == "valid" else split.test
    if users is not None:
        rows = rows[np.isin(rows[:, 0], users)]
    if items is not None:
        rows = rows[np.isin(rows[:, 1], items)]
    if split.protocol == "ctr":
        return ctr_metrics(rows[:, 2], predict(model, rows, device))
    n_users = model.n_users
    ks = tuple(k for k in ks if k <= model.n_items) or (model.n_items,)  # tiny catalogues
    seen = [set() for _ in range(n_users)]
    known = split.train if part == "valid" else np.concatenate([split.train, split.valid])
    for u, i in known[:, :2].tolist():
        seen[u].add(i)
    relevant = [set() for _ in range(n_users)]
    for u, i in rows[:, :2].tolist():
        relevant[u].add(i)
    measured = np.array([u for u in range(n_users) if relevant[u]], dtype=np.int64)
    ranked = rank(model, measured, seen, max(ks), device)
    full = np.zeros((n_users, max(ks)), dtype=np.int64)
    full[measured] = ranked
    return ranking_metrics(full, relevant, ks)
