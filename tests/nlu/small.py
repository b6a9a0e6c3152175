"""A small, quick NLU training set for tests: a subset of data/nlu.yml and a fast config.yml.

Shared by tests/nlu (the engine) and tests/bot (the assembled service), so both train the same
2-layer, one-epoch model the way a fresh checkout trains its first one.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from bot.settings import REPO_ROOT
from nlu.data import NLUData, load_nlu, write_nlu

PER_INTENT = 10
FAST = {
    "encoder_layers": 2,
    "max_length": 32,
    "epochs": 1,
    "batch_size": 16,
    "head_learning_rate": 0.01,
    "learning_rate": 0.0003,
    "warmup": 0.0,
}


def small_training_set(root: Path) -> tuple[Path, Path]:
    """Write the subset (examples with entities first, so the tagger sees some) and the fast
    config into `root`; returns their paths."""
    full = load_nlu(REPO_ROOT / "data" / "nlu.yml")
    per_intent: dict[str, list[Any]] = defaultdict(list)
    for example in full.examples:
        per_intent[example.intent].append(example)
    subset = []
    for examples in per_intent.values():
        examples.sort(key=lambda e: -len(e.entities))
        subset += examples[:PER_INTENT]
    write_nlu(NLUData(subset, full.synonyms), root / "nlu.yml")
    config = yaml.safe_load((REPO_ROOT / "config.yml").read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component["name"] == "JointTransformerClassifier":
            component.update(FAST)
        if component["name"] == "GraphEntityLinker":
            component["semantic"] = False
        if component["name"] == "ModelGate":
            component["tolerance"] = 0.0
    (root / "config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return root / "nlu.yml", root / "config.yml"
