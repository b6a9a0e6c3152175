"""Test doubles for NLU administration: model versions on disk without a model, a trainer that
writes one in milliseconds, and parsers that say which version answered."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from bot.nlu_admin import NLUAdmin
from nlu.data import load_nlu
from nlu.service import nlu_versions


def write_version(home: Path, version: str | None = None, accuracy: float = 0.9, **meta: Any) -> str:
    """A complete version directory (labels and metadata, no weights); returns its name."""
    store = nlu_versions(home)
    store.root.mkdir(parents=True, exist_ok=True)
    version = version or store.new_version()
    path = store.path(version)
    path.mkdir()
    (path / "metadata.json").write_text(json.dumps({
        "version": version, "trained_at": "2025-03-01T12:00:00+00:00",
        "metrics": {"intent_accuracy": accuracy, "entity_f1": 0.8, "examples": 10},
        "split": {"train": 70, "validation": 10, "test": 20}, "score": accuracy, **meta}))
    (path / "labels.json").write_text("{}")
    return version


class VersionNLU:
    """Parses every text to the intent `version_<name>`: which model answered is in the parse."""

    def __init__(self, version: str) -> None:
        self.version = version

    def parse_batch(self, texts: list[str]) -> list[dict[str, Any]]:
        return [{"text": t, "intent": {"name": f"version_{self.version}", "confidence": 0.9},
                 "intent_ranking": [], "entities": []} for t in texts]


class Served:
    """What the service serves: the loaded NLU and every swap."""

    def __init__(self, nlu: Any = None) -> None:
        self.nlu = nlu
        self.swaps: list[str] = []

    def swap(self, nlu: Any) -> None:
        self.nlu = nlu
        self.swaps.append(nlu.version)


class FakeTrainer:
    """`train_nlu`'s signature and effects in milliseconds: a new version, activated if `better`.

    `release` (when set) holds the training until the test sets it; `data` keeps what it was given."""

    def __init__(self, better: bool = True, fail: Exception | None = None,
                 release: threading.Event | None = None) -> None:
        self.better, self.fail, self.release = better, fail, release
        self.data: list[Any] = []
        self.calls: list[dict[str, Any]] = []

    def __call__(self, *, data: Path, config: Path, home: Path, force: bool, show_progress: bool,
                 progress: Any, extra_meta: dict[str, Any], **options: Any) -> dict[str, Any]:
        self.calls.append({"force": force, "config": config, **options})
        self.data.append(load_nlu(data))
        progress("training: epoch 1/1", 1, 2)
        if self.release is not None:
            assert self.release.wait(10), "the test never released the training"
        if self.fail is not None:
            raise self.fail
        version = write_version(home, accuracy=0.95 if self.better else 0.1, **extra_meta,
                                activated=self.better)
        reason = "score 0.95 ≥ active 0.9 - 0.0" if self.better else "score 0.1 < active 0.9 - 0.0"
        if self.better:
            nlu_versions(home).activate(version)
        return {"version": version, "activated": self.better, "reason": reason,
                "active": nlu_versions(home).active(), "metrics": {"intent_accuracy": 0.95}, "seconds": 0.0}


def fake_admin(home: Path, served: Served | None = None, trainer: FakeTrainer | None = None,
               corrections: list[dict[str, Any]] | None = None, data: Path | None = None) -> NLUAdmin:
    served = served or Served()
    return NLUAdmin(home, load=VersionNLU, swap=served.swap, corrections=lambda: list(corrections or []),
                    trainer=trainer or FakeTrainer(), data=data)
