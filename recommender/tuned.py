"""Benchmark settings chosen on validation rows, so `etude rec eval` runs what the report measured.

`bench/rec_lastfm.py` tries each model's candidates (its TUNE table) on the Last.FM fixed split's
validation rows and runs the best everywhere else; the winners are recorded here, and the
benchmark warns when a tuning run picks something else. Models and protocols not listed run
their own defaults (which were tuned on the same validation rows when they were written).
"""

from __future__ import annotations

from typing import Any

LASTFM: dict[tuple[str, str], dict[str, Any]] = {
    # validation AUC 0.8767 with the defaults; wider tables, all 800 nearest users' votes, a
    # stronger graph loss and less dropout reach 0.8980 (bench/reports/rec_lastfm.md, tuning)
    ("mkgat", "ctr"): {"knn": 800, "dim": 128, "kg_lambda": 0.5, "dropout": 0.3},
    # validation Recall@20 0.4015 with one BPR negative; a softmax over 8, 32, 64 and 128 sampled
    # negatives: 0.4137, 0.4188, 0.4199, 0.4236
    ("mkgat", "topk"): {"epochs": 40, "patience": 4, "negatives": 128, "topk_loss": "softmax"},
    ("bprmf", "topk"): {"negatives": 8, "topk_loss": "softmax"},
}
SETTINGS: dict[str, dict[tuple[str, str], dict[str, Any]]] = {"lastfm": LASTFM}


def tuned_config(dataset: str, model: str, protocol: str) -> dict[str, Any]:
    """The recorded settings of `model` on `dataset` for `protocol` ({} when there are none)."""
    return dict(SETTINGS.get(dataset, {}).get((model, protocol), {}))
