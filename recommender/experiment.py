"""Evaluation runs: one model, one protocol, one or more seeds; the numbers `etude rec eval` prints.

A run trains on a split's training rows, early-stops on its validation rows and reports test
metrics, plus the slices the benchmark asks for: cold-start users (at most 5 training
interactions) and long-tail items (outside the top 20% by training popularity). Several seeds
give fresh random splits and the mean and standard deviation of every number.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recommender.data import RecData
from recommender.evaluate import evaluate
from recommender.models import create
from recommender.splits import Protocol, Split, load_split_dir, make_split, subsample_train
from recommender.train import fit, seed_everything

COLD_START_MAX = 5  # training interactions of a cold-start user
HEAD_SHARE = 0.2  # items outside the most popular 20% are the long tail


@dataclass(frozen=True, slots=True)
class RunSpec:
    model: str
    protocol: Protocol
    config: Mapping[str, Any] | None = None
    fraction: float = 1.0  # share of the training rows kept (the sparsity experiment)
    device: str = "cpu"
    slices: bool = True


def cold_users(split: Split, n_users: int) -> np.ndarray:
    counts = np.bincount(split.train_positives[:, 0], minlength=n_users)
    return np.flatnonzero(counts <= COLD_START_MAX)


def tail_items(split: Split, n_items: int) -> np.ndarray:
    counts = np.bincount(split.train_positives[:, 1], minlength=n_items)
    order = np.argsort(-counts, kind="stable")
    return np.sort(order[math.ceil(n_items * HEAD_SHARE):])


def _slice(model, split: Split, device: str, **subset: np.ndarray) -> dict[str, float] | None:
    """Metrics on a subset of the test rows; None when the subset cannot be measured."""
    try:
        return evaluate(model, split, "test", device=device, **subset)
    except ValueError:  # one class only, or no relevant item left
        return None


def run_once(data: RecData, split: Split, spec: RunSpec, seed: int,
             progress: bool = False) -> dict[str, Any]:
    """Train and test one model on one split; metrics, slices and timings."""
    if spec.fraction < 1.0:
        split = subsample_train(split, spec.fraction, seed)
    seed_everything(seed)  # the initial weights too, not only the batches
    model = create(spec.model, data, spec.config)
    result = fit(model, data, split, seed=seed, device=spec.device, progress=progress)
    start = time.perf_counter()
    test = evaluate(model, split, "test", device=spec.device)
    out: dict[str, Any] = {
        "seed": seed,
        "test": test,
        "valid": {result.metric: result.best_valid},
        "best_epoch": result.best_epoch,
        "fit_seconds": round(result.seconds, 2),
        "eval_seconds": round(time.perf_counter() - start, 2),
        "split_sizes": split.sizes(),
        "config": dict(model.config),  # the defaults resolved: what really ran
    }
    if spec.slices:
        out["cold_start"] = _slice(model, split, spec.device, users=cold_users(split, data.n_users))
        out["long_tail"] = _slice(model, split, spec.device, items=tail_items(split, data.n_items))
    return out


def _summary(values: list[float]) -> dict[str, float]:
    return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0}


def aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and std over runs of every metric in `test`, `cold_start`, `long_tail`, and fit time."""
    out: dict[str, Any] = {}
    for part in ("test", "cold_start", "long_tail"):
        measured = [r[part] for r in runs if r.get(part)]
        if measured:
            out[part] = {k: _summary([m[k] for m in measured]) for k in measured[0]}
    out["fit_seconds"] = _summary([r["fit_seconds"] for r in runs])
    return out


def run(data: RecData, spec: RunSpec, seeds: list[int], split_dir: Path | None = None,
        progress: bool = False, on_run: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """One run per seed (fresh random splits), or per seed on the fixed split files of `split_dir`."""
    runs = []
    fixed = load_split_dir(data, split_dir, spec.protocol) if split_dir else None
    for seed in seeds:
        split = fixed if fixed is not None else make_split(data, spec.protocol, seed)
        result = run_once(data, split, spec, seed, progress)
        runs.append(result)
        if on_run:
            on_run(result)
    report: dict[str, Any] = {
        "dataset": data.name,
        "protocol": spec.protocol,
        "model": spec.model,
        "config": dict(spec.config or {}),
        "fraction": spec.fraction,
        "split": f"fixed files in {split_dir}" if split_dir else "random per seed",
        "seeds": seeds,
    }
    if len(runs) == 1:
        report.update({k: v for k, v in runs[0].items() if k != "seed"})
    else:
        report.update(aggregate(runs))
        report["runs"] = runs
    return report
