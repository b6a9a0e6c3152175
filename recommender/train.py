"""One trainer for every model: seeded batches, early stopping on validation, checkpoints, AMP, DDP.

CTR trains on the labelled training pairs (optionally with extra negatives drawn each epoch from
the items a user has no training positive for), then fits its decision rule on the validation
pairs (`recommender.calibration`); top-K on a positive with one or more sampled negatives. The
model's state with the best validation metric is kept and restored. Under `torch.distributed`
(torchrun, or two gloo processes in the tests) each rank takes its share of every epoch's batches
and DistributedDataParallel averages the gradients, so all ranks end with the same weights.
"""

from __future__ import annotations

import copy
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from recommender.base import Batch, Recommender, TrainingSet
from recommender.calibration import decision_rule
from recommender.data import RecData
from recommender.evaluate import evaluate, predict_logits, validation_metric
from recommender.splits import Split

log = logging.getLogger(__name__)

TRAIN_DEFAULTS: dict[str, Any] = {
    "epochs": 20,
    "batch_size": 1024,
    "lr": 1e-3,
    "weight_decay": 0.0,
    "patience": 3,  # epochs without a better validation metric before stopping
    "extra_negatives": 0,  # CTR: fresh sampled negatives per positive each epoch
    "negatives": 1,  # top-K: sampled negatives per positive in every training example
    "topk_loss": "bpr",  # top-K: bpr | softmax (recommender.base.ranking_loss)
    "calibrate": "f1",  # CTR decision rule fitted on validation: f1 | platt | none
}


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@dataclass(slots=True)
class FitResult:
    best_epoch: int
    best_valid: float
    metric: str
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0


class _LossModule(nn.Module):
    """Wraps a model so DistributedDataParallel sees the loss computed inside `forward`."""

    def __init__(self, model: Recommender) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: Batch) -> torch.Tensor:
        return self.model.loss(batch)


def _known_items(train: TrainingSet) -> list[set[int]]:
    return [set(h.tolist()) for h in train.history()]


def _sample_negatives(users: np.ndarray, known: list[set[int]], n_items: int,
                      rng: np.random.Generator) -> np.ndarray:
    """One item per user that is not among the user's training positives (rejection sampling)."""
    out = rng.integers(0, n_items, size=len(users))
    for k, u in enumerate(users.tolist()):
        while int(out[k]) in known[u]:
            out[k] = rng.integers(0, n_items)
    return out


def epoch_batches(train: TrainingSet, config: dict[str, Any], rng: np.random.Generator,
                  known: list[set[int]]) -> list[Batch]:
    """One epoch's shuffled batches (CPU tensors)."""
    size = int(config["batch_size"])
    if train.protocol == "ctr":
        rows = train.rows
        extra = int(config.get("extra_negatives", 0))
        if extra:
            pos = train.positives
            users = np.repeat(pos[:, 0], extra)
            negs = _sample_negatives(users, known, train.n_items, rng)
            rows = np.concatenate([rows, np.stack([users, negs, np.zeros_like(users)], 1)])
        rows = rows[rng.permutation(len(rows))]
        t = torch.as_tensor(rows, dtype=torch.long)
        return [Batch(c[:, 0], c[:, 1], labels=c[:, 2]) for c in t.split(size)]
    pos = train.positives[rng.permutation(len(train.positives))]
    n = max(1, int(config.get("negatives", 1)))
    negs = _sample_negatives(np.repeat(pos[:, 0], n), known, train.n_items, rng).reshape(-1, n)
    rows = torch.as_tensor(np.concatenate([pos, negs], 1), dtype=torch.long)
    return [Batch(c[:, 0], c[:, 1], negatives=c[:, 2] if n == 1 else c[:, 2:]) for c in rows.split(size)]


def calibrate(model: Recommender, split: Split, device: torch.device | str = "cpu") -> None:
    """Fit the model's CTR decision rule on the validation pairs (a no-op for top-K)."""
    if split.protocol != "ctr" or not len(split.valid):
        return
    logits = predict_logits(model, split.valid, device)  # the rule never changes the logits
    a, b = decision_rule(logits, split.valid[:, 2], str(model.config.get("calibrate", "f1")))
    model.decision.copy_(torch.tensor([a, b]))


def fit(
    model: Recommender,
    data: RecData,
    split: Split,
    seed: int = 0,
    device: str | torch.device = "cpu",
    progress: bool = False,
    checkpoint: Path | None = None,
    amp: bool = True,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
) -> FitResult:
    """Prepare and train `model` on `split.train`, early-stopping on `split.valid`; best state kept."""
    start = time.perf_counter()
    seed_everything(seed)
    device = torch.device(device)
    train = TrainingSet(split.protocol, split.train, data.n_users, data.n_items)
    model.prepare(train)
    model.to(device)
    metric = validation_metric(split.protocol, data.n_items)
    if not model.trainable:
        calibrate(model, split, device)
        score = evaluate(model, split, part="valid", device=device)[metric]
        return FitResult(0, score, metric, [{metric: score}], time.perf_counter() - start)

    config = model.config
    distributed = dist.is_available() and dist.is_initialized()
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    wrapped: nn.Module = _LossModule(model)
    if distributed:
        wrapped = nn.parallel.DistributedDataParallel(wrapped, find_unused_parameters=True)
    optimizer = torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad],
        lr=float(config["lr"]), weight_decay=float(config["weight_decay"]),
    )
    use_amp = amp and device.type == "cuda"
    rng = np.random.default_rng(seed)  # the same on every rank: ranks agree on the batches
    known = _known_items(train)
    best = FitResult(0, -math.inf, metric)  # epoch 0: the initial weights
    best_state: dict[str, torch.Tensor] | None = None
    epochs = int(config["epochs"])
    bar = _progress(epochs, progress and rank == 0, model.name)
    for epoch in range(1, epochs + 1):
        model.train()
        batches = epoch_batches(train, config, rng, known)
        if distributed:  # equal shares, so every rank runs the same number of steps
            share = len(batches) // world or 1
            batches = batches[rank * share:(rank + 1) * share] if len(batches) >= world else batches
        total = 0.0
        for batch in batches:
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_amp):
                loss = wrapped(batch.to(device))
            loss.backward()
            optimizer.step()
            total += float(loss.detach())
        scores = evaluate(model, split, part="valid", device=device)
        scores["loss"] = total / max(1, len(batches))
        if distributed:  # rank 0's scores decide for all: no rank stops, or keeps a best state, alone
            shared = [scores]
            dist.broadcast_object_list(shared, src=0)
            scores = shared[0]
        best.history.append({"epoch": epoch, **scores})
        if on_epoch:
            on_epoch(epoch, scores)
        bar(epoch, scores[metric])
        if scores[metric] > best.best_valid:
            best.best_epoch, best.best_valid = epoch, scores[metric]
            best_state = copy.deepcopy(model.state_dict())
            if checkpoint is not None and rank == 0:
                _save(checkpoint, model, epoch, best_state)
        elif epoch - best.best_epoch >= int(config["patience"]):
            log.info("%s: early stop at epoch %d (best %d)", model.name, epoch, best.best_epoch)
            break
    bar(None, None)
    if best_state is not None:
        model.load_state_dict(best_state)
    calibrate(model, split, device)
    if checkpoint is not None and rank == 0 and best_state is not None and split.protocol == "ctr":
        _save(checkpoint, model, best.best_epoch, model.state_dict())  # with its decision rule
    best.seconds = time.perf_counter() - start
    return best


def _save(path: Path, model: Recommender, epoch: int, state: dict[str, torch.Tensor]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.name, "config": model.config, "epoch": epoch, "state": state}, path)


def _progress(total: int, enabled: bool, name: str) -> Callable[[int | None, float | None], None]:
    if not enabled:
        return lambda epoch, value: None
    from tqdm import tqdm

    bar = tqdm(total=total, desc=name, unit="epoch", leave=False)

    def update(epoch: int | None, value: float | None) -> None:
        if epoch is None:
            bar.close()
            return
        bar.update(1)
        bar.set_postfix(valid=f"{value:.4f}")

    return update
