"""CTR decision rules fitted on validation: Platt scaling, then the F1-best threshold moved to 0.5.

A ranking model's logits order pairs well (AUC) but nothing makes 0 the right place to say "yes":
early stopping on AUC, dropout and sampled negatives all shift them. The CTR protocol reports F1 at
0.5, so after training the trainer fits p = σ(a·logit + b) on the validation pairs (never test)
and, by default, moves the validation-F1-best threshold to 0.5. AUC is unchanged (a > 0 keeps the
order); only the yes/no decision moves.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Mode = Literal["f1", "platt", "none"]
MODES: tuple[str, ...] = ("f1", "platt", "none")


def platt(x: np.ndarray, y: np.ndarray, steps: int = 50, ridge: float = 1e-6) -> tuple[float, float]:
    """(a, b) maximising the likelihood of y under sigmoid(a·x + b): Newton's method on two numbers."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    span = float(np.abs(x).max()) if len(x) else 1.0
    span = span or 1.0
    x = x / span  # conditioning; undone on return
    X = np.stack([x, np.ones_like(x)], 1)
    w = np.zeros(2)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        grad = X.T @ (p - y) + ridge * w
        hess = (X * (p * (1 - p))[:, None]).T @ X + ridge * np.eye(2)
        delta = np.linalg.solve(hess, grad)
        w -= delta
        if np.abs(delta).max() < 1e-8:
            break
    return float(w[0] / span), float(w[1])


def best_f1_cut(scores: np.ndarray, labels: np.ndarray) -> float:
    """The score threshold (predict yes at or above it) with the highest F1 on these pairs;
    halfway between two neighbouring scores, so nearby scores on other data fall the same way."""
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order].astype(np.float64)
    positives = y.sum()
    if positives == 0 or len(s) == 0:
        return float("inf")
    tp = np.cumsum(y)
    predicted = np.arange(1, len(s) + 1)
    f1 = 2 * tp / (predicted + positives)
    last = np.r_[s[1:] != s[:-1], True]  # a cut can only fall between distinct scores
    k = int(np.flatnonzero(last)[np.argmax(f1[last])])
    return float(s[k]) if k + 1 == len(s) else float((s[k] + s[k + 1]) / 2)


def decision_rule(logits: np.ndarray, labels: np.ndarray, mode: Mode = "f1") -> tuple[float, float]:
    """(a, b) such that σ(a·logit + b) ≥ 0.5 is the decision `mode` asks for on these pairs."""
    if mode not in MODES:
        raise ValueError(f"unknown calibration {mode!r}; use one of {MODES}")
    labels = np.asarray(labels)
    if mode == "none" or len(np.unique(labels)) < 2:
        return 1.0, 0.0
    a, b = platt(logits, labels)
    if a <= 0:  # a model worse than chance on validation: keep its own order and decision
        return 1.0, 0.0
    if mode == "f1":
        cut = best_f1_cut(a * np.asarray(logits, dtype=np.float64) + b, labels)
        if np.isfinite(cut):
            b -= cut
    return a, b
