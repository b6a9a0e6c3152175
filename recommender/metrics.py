"""Evaluation metrics of the two protocols, computed over whole sets (never averaged per batch)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score, roc_auc_score

KS: tuple[int, ...] = (1, 2, 5, 10, 20, 50)
TOPK_NAMES: tuple[str, ...] = ("precision", "recall", "ndcg", "mrr", "map", "hit", "f1")


def ctr_metrics(labels: np.ndarray, probabilities: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """AUC over the whole set and F1 of `probability >= threshold` (0.5, as the papers report)."""
    labels = np.asarray(labels)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if len(np.unique(labels)) < 2:
        raise ValueError("AUC needs both positive and negative labels")
    predicted = (probabilities >= threshold).astype(int)
    return {
        "auc": float(roc_auc_score(labels, probabilities)),
        "f1": float(f1_score(labels, predicted, zero_division=0)),
        "accuracy": float((predicted == labels).mean()),
    }


def ranking_metrics(
    ranked: np.ndarray, relevant: list[set[int]], ks: tuple[int, ...] = KS
) -> dict[str, float]:
    """Top-K metrics of `ranked[u]` (items best first, at least max(ks) long) against `relevant[u]`.

    Per user, then averaged over users with at least one relevant item:
    precision@K = hits/K; recall@K = hits/|relevant|; hit@K = any hit; ndcg@K with binary gains
    and the ideal DCG of min(|relevant|, K) hits; mrr@K = 1/rank of the first hit within K;
    map@K = mean over hits of precision at the hit's rank, divided by min(|relevant|, K);
    f1@K = the harmonic mean of the averaged precision@K and recall@K (as KGCN reports it).
    """
    ranked = np.asarray(ranked)
    users = [u for u, rel in enumerate(relevant) if rel]
    if not users:
        raise ValueError("no user has a relevant item")
    top = max(ks)
    if ranked.shape[1] < top:
        raise ValueError(f"ranking is {ranked.shape[1]} long, shorter than K={top}")
    hits = np.array([[item in relevant[u] for item in ranked[u, :top]] for u in users], dtype=np.float64)
    n_rel = np.array([len(relevant[u]) for u in users], dtype=np.float64)
    discounts = 1.0 / np.log2(np.arange(2, top + 2))
    out: dict[str, float] = {}
    for k in ks:
        h = hits[:, :k]
        n_hits = h.sum(1)
        precision = n_hits / k
        recall = n_hits / n_rel
        ideal = np.array([discounts[: int(min(n, k))].sum() for n in n_rel])
        ndcg = (h * discounts[:k]).sum(1) / ideal
        first = np.where(h.any(1), h.argmax(1) + 1, np.inf)
        mrr = 1.0 / first
        precision_at = np.cumsum(h, 1) / np.arange(1, k + 1)
        ap = (precision_at * h).sum(1) / np.minimum(n_rel, k)
        p, r = float(precision.mean()), float(recall.mean())
        out.update({
            f"precision@{k}": p,
            f"recall@{k}": r,
            f"ndcg@{k}": float(ndcg.mean()),
            f"mrr@{k}": float(mrr.mean()),
            f"map@{k}": float(ap.mean()),
            f"hit@{k}": float(h.any(1).mean()),
            f"f1@{k}": 2 * p * r / (p + r) if p + r > 0 else 0.0,
        })
    return out
