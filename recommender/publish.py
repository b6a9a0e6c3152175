"""Training the platform's recommender into a new version, activated only when it is no worse.

Like the NLU (`nlu.train`): every run is checked on held-out behaviour, saved as a new version
with its metadata, and activated when its score is at least the active version's on the same
held-out rows (minus a tolerance), or when forced; a rollback re-activates the previous one.

The held-out check is leave-latest-out: a learner's most recent positive is the test item and the
one before it the validation item (for learners with at least three), which is what serving
does: predict what a learner takes up next from what they did before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch.distributed as dist

from recommender.base import Recommender, TrainingSet
from recommender.behaviour import BehaviorEvent, positive_item
from recommender.data import RecData
from recommender.evaluate import evaluate
from recommender.fastscore import FastScorer, max_difference, supports
from recommender.models import MAIN, create
from recommender.registry import (
    Histories,
    ServedModel,
    content_vectors,
    finish_version,
    library_versions,
    load_version,
    rec_versions,
    save_version,
)
from recommender.splits import Split
from recommender.train import fit, seed_everything

log = logging.getLogger(__name__)
MIN_HELD_OUT = 3  # positives a learner needs to give one validation and one test item
GATE_K = 10
REPRODUCTION_TOLERANCE = 1e-3  # relative logit difference: float rounding, nothing more


def histories(data: RecData, events: Iterable[BehaviorEvent] | None = None) -> Histories:
    """Each learner's positives, least recent first, with the kind of their latest event.

    Without events the data set's order stands and the kind is "positive".
    """
    out: Histories = {u: [] for u in data.user_ids}
    if events is None:
        for u, i in data.positives.tolist():
            out[data.user_ids[u]].append((data.item_ids[i], "positive"))
        return out
    index = data.item_index()
    dated = sorted(enumerate(events), key=lambda p: (p[1].at.timestamp() if p[1].at else math.inf, p[0]))
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    for seq, event in dated:
        item = positive_item(event, index)
        if item is not None:
            latest[(event.learner_id, data.item_ids[item])] = (seq, event.kind)
    for (learner, item), (_seq, kind) in sorted(latest.items(), key=lambda p: p[1][0]):
        out.setdefault(learner, []).append((item, kind))
    return out


def holdout_split(data: RecData, order: Histories) -> Split:
    """Leave-latest-out: per learner with enough positives, the latest is test, the one before valid."""
    users, items = data.user_index(), data.item_index()
    parts: tuple[list, list, list] = ([], [], [])
    for learner, history in order.items():
        if learner not in users:
            continue
        u = users[learner]
        ids = [items[i] for i, _ in history if i in items]
        cut = len(ids) >= MIN_HELD_OUT
        train, held = (ids[:-2], ids[-2:]) if cut else (ids, [])
        parts[0].extend((u, i) for i in train)
        if held:
            parts[1].append((u, held[0]))
            parts[2].append((u, held[1]))
    train, valid, test = (np.array(p, dtype=np.int64).reshape(-1, 2) for p in parts)
    return Split("topk", train, valid, test)


def data_hash(data: RecData) -> str:
    """What the model learnt from: items, learners, behaviour, graph and item content."""
    digest = hashlib.sha256()
    digest.update(json.dumps([data.item_ids, data.user_ids, data.relation_names, data.n_entities]).encode())
    for array in (data.positives, data.triples, data.item_entity, data.weights):
        if array is not None:
            digest.update(np.ascontiguousarray(array).tobytes())
    for name in sorted(data.modalities):
        modality = data.modalities[name]
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(modality.present).tobytes())
        digest.update(np.ascontiguousarray(modality.values).tobytes())
    return digest.hexdigest()


def gate_metric(metrics: dict[str, float]) -> str:
    """ndcg@10, or at the largest cut-off a tiny catalogue has."""
    ks = [int(k.split("@")[1]) for k in metrics if k.startswith("ndcg@")]
    return f"ndcg@{max(k for k in ks if k <= GATE_K)}"


def evaluate_served(served: ServedModel, data: RecData, split: Split) -> dict[str, float] | None:
    """A saved version's test metrics on `split`, or None when it was built on other items or
    another graph (then it cannot be compared on these rows)."""
    model = served.model
    same_graph = (served.item_ids == list(data.item_ids) and model.n_items == data.n_items
                  and np.array_equal(model.triples.cpu().numpy(), data.triples.reshape(-1, 3)))
    if not same_graph:
        return None
    model.n_users = data.n_users
    model.prepare(TrainingSet("topk", split.train, data.n_users, data.n_items))
    return evaluate(model, split, "test")


def reproduction_error(model: Recommender, saved: ServedModel, split: Split, users: int = 3) -> float:
    """Largest logit difference (relative where logits are large) between the trained model and its
    saved version read back with the same training rows: whatever saving leaves out (raw media,
    encoders) must not change a score."""
    import torch

    with torch.no_grad():
        model.eval()
        rows = torch.as_tensor(np.unique(split.train[:, 0])[:users])
        trained = model.score_items(rows)
        return float(((saved.model.score_items(rows) - trained).abs() / trained.abs().clamp_min(1.0)).max())


# The tutor's model ranks every lesson and work on each request, on one CPU: at dimension 32 a
# request's scoring pass costs about 60% of dimension 64's (bench/rec_serving.py), which the
# p95 ≤ 5 ms budget needs; the benchmark model (Last.FM) keeps MKGAT's own defaults.
SERVING_DEFAULTS: dict[str, Any] = {"dim": 32}


def train_version(
    data: RecData,
    home: Path | str,
    order: Histories | None = None,
    *,
    config: dict[str, Any] | None = None,
    seed: int = 0,
    force: bool = False,
    tolerance: float = 0.0,
    device: str = "cpu",
    progress: bool = False,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
) -> dict[str, Any]:
    """Train the main model on `data`, check it on held-out behaviour, save a version, and
    activate it unless the active version scores better on the same rows (see the module).
    `on_epoch(epoch, validation scores)` follows the training (a job's progress)."""
    started = time.perf_counter()
    if len(data.positives) == 0:
        raise ValueError("no learner behaviour to learn from yet: the tutor recommends from the graph")
    order = order if order is not None else histories(data)
    split = holdout_split(data, order)
    if len(split.valid) == 0:
        raise ValueError(
            f"too little behaviour for a held-out check: no learner has {MIN_HELD_OUT} positives yet")
    seed_everything(seed)
    model = create(MAIN, data, {**SERVING_DEFAULTS, **(config or {})})
    result = fit(model, data, split, seed=seed, device=device, progress=progress, on_epoch=on_epoch)
    model.to("cpu")
    if dist.is_available() and dist.is_initialized() and dist.get_rank() != 0:
        # one of several torchrun ranks: all hold the same weights, and rank 0 saves and gates them
        return {"version": None, "activated": False, "reason": f"rank {dist.get_rank()}: rank 0 saves",
                "best_epoch": result.best_epoch}

    versions = rec_versions(home)
    version = versions.new_version()
    path = versions.path(version)
    vectors, present = content_vectors(model)  # the encoders run once more, for every item
    save_version(path, model, data, order, (vectors, present))
    reproduced = reproduction_error(model, load_version(path, rows=split.train), split)
    model.cache_content(vectors, present)  # the same scores, without running the encoders again
    metrics = evaluate(model, split, "test")
    key = gate_metric(metrics)
    served = load_version(path)
    rows = list(range(min(3, served.model.n_users)))
    fast = max_difference(FastScorer(served.model), rows) if supports(served.model) else None

    active, old, reason = versions.active(), None, ""
    if reproduced > REPRODUCTION_TOLERANCE:
        activated, reason = False, f"the saved version scores {reproduced:.2g} off the trained model"
    elif active is None:
        activated, reason = True, "no active model"
    else:
        try:
            old = evaluate_served(load_version(versions.path(active)), data, split)
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            log.warning("the active recommender %s cannot be evaluated (%s)", active, exc)
        old_score = old[key] if old is not None else -math.inf
        if force:
            activated, reason = True, "forced"
        elif old is None:
            activated, reason = True, f"the active model {active} was built on other items or graph"
        elif metrics[key] >= old_score - tolerance:
            activated, reason = True, f"{key} {metrics[key]:.4f} ≥ active {old_score:.4f} - {tolerance}"
        else:
            activated = False
            reason = f"{key} {metrics[key]:.4f} < active {active} {old_score:.4f} - {tolerance}; use --force"
    meta = {
        "version": version,
        "model": MAIN,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "data_hash": data_hash(data),
        "data": data.stats(),
        "config": model.config,
        "split": {**split.sizes(), "protocol": "leave-latest-out", "seed": seed},
        "best_epoch": result.best_epoch,
        "valid": {result.metric: result.best_valid},
        "metrics": metrics,
        "gate": {"metric": key, "tolerance": tolerance, "reason": reason,
                 "active": active, "active_metrics": old},
        "activated": activated,
        "saved_max_difference": reproduced,
        "fast_path_max_difference": fast,
        "versions": library_versions(),
        "device": str(device),
    }
    finish_version(path, meta)
    if activated:
        versions.activate(version)
    log.info("recommender %s: %s %.4f; %s (%s)", version, key, metrics[key],
             "activated" if activated else "not activated", reason)
    return {
        "version": version,
        "path": str(path),
        "activated": activated,
        "reason": reason,
        "active": versions.active(),
        "metrics": metrics,
        "active_metrics": old,
        "split": meta["split"],
        "best_epoch": result.best_epoch,
        "seconds": meta["seconds"],
    }


def rollback(home: Path | str) -> dict[str, Any]:
    """Activate the version that was active before the current one."""
    return rec_versions(home).rollback()
