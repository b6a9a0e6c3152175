"""Test doubles for the recommender's administration: versions on disk with metadata as
`recommender.publish` writes it, a trainer that makes one in a moment, and what is served.
(tests/bot/test_rec_admin.py trains real tiny versions too.)"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bot.jobs import JobRunner
from bot.rec_admin import RecAdmin
from recommender.registry import METADATA, rec_versions


def write_rec_version(home: Path, version: str | None = None, ndcg: float = 0.5,
                      activate: bool = False) -> str:
    versions = rec_versions(home)
    version = version or versions.new_version()
    path = versions.path(version)
    path.mkdir(parents=True, exist_ok=True)
    meta = {"version": version, "trained_at": "2025-03-01T12:00:00+00:00", "seconds": 1.5,
            "data": {"users": 10, "items": 24, "positives": 36}, "config": {"epochs": 2}, "best_epoch": 2,
            "metrics": {"ndcg@10": ndcg, "hit@10": 0.8, "recall@10": 0.7, "precision@10": 0.1},
            "gate": {"metric": "ndcg@10", "reason": "no active model"}, "activated": activate}
    (path / METADATA).write_text(json.dumps(meta), encoding="utf-8")
    if activate:
        versions.activate(version)
    return version


def fake_platform(works: str) -> tuple[Any, dict]:
    return SimpleNamespace(n_users=10, n_items=24, positives=[(0, 1)] * 36), {}


class FakeRecTrainer:
    """Writes and activates a version with ndcg@10 0.6 (or fails), reporting each epoch."""

    def __init__(self, release: threading.Event | None = None, fail: Exception | None = None) -> None:
        self.release, self.fail = release, fail
        self.calls: list[dict[str, Any]] = []

    def __call__(self, data: Any, home: Path, order: Any, *, config: dict[str, Any],
                 on_epoch: Any) -> dict[str, Any]:
        self.calls.append({"config": config, "works_data": data})
        for epoch in range(1, config["epochs"] + 1):
            on_epoch(epoch, {"ndcg@10": 0.5})
            if self.release is not None:
                assert self.release.wait(5)
        if self.fail is not None:
            raise self.fail
        version = write_rec_version(home, ndcg=0.6, activate=True)
        return {"version": version, "activated": True, "reason": "ndcg@10 0.6000 ≥ active 0.5000 - 0.0",
                "active": version, "metrics": {"ndcg@10": 0.6}, "active_metrics": {"ndcg@10": 0.5},
                "split": {"protocol": "leave-latest-out"}, "seconds": 0.1}


class Swaps:
    """What the service recommends with: `load` names a version, `swap` serves it."""

    def __init__(self, serving: str | None = None) -> None:
        self.serving, self.swaps = serving, []

    def load(self, version: str) -> str:
        return version

    def swap(self, version: str) -> None:
        self.serving = version
        self.swaps.append(version)


def fake_rec_admin(home: Path, trainer: FakeRecTrainer | None = None, swaps: Swaps | None = None,
                   runner: JobRunner | None = None) -> RecAdmin:
    swaps = swaps or Swaps()
    return RecAdmin(home, load=swaps.load, swap=swaps.swap, platform=fake_platform,
                    trainer=trainer or FakeRecTrainer(), runner=runner)
