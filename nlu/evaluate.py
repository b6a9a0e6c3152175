"""Evaluation of an NLU model on Rasa-format examples: intents, entities, confusion matrix."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nlu.data import Example

ParseBatch = Callable[[list[str]], list[dict[str, Any]]]


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": tp + fn}


def evaluate(parse_batch: ParseBatch, examples: list[Example]) -> dict[str, Any]:
    """Intent accuracy, macro F1, per-intent and per-entity-type P/R/F1, and the errors.

    The intent scored is the model's top-ranked intent (before the fallback threshold); the share of
    messages that fell back is reported beside it. Entities match on exact span and type.
    """
    texts = [e.text for e in examples]
    parses = parse_batch(texts) if texts else []
    gold = [e.intent for e in examples]
    pred = [p["intent_ranking"][0]["name"] if p["intent_ranking"] else p["intent"]["name"] for p in parses]
    fallback = sum(1 for p in parses if p["intent"]["name"] == "nlu_fallback")
    labels = sorted(set(gold) | set(pred))
    per_intent = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if p == label and g != label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        per_intent[label] = _prf(tp, fp, fn)
    gold_labels = sorted(set(gold))
    macro = sum(per_intent[g]["f1"] for g in gold_labels) / len(gold_labels) if gold_labels else 0.0
    correct = sum(1 for g, p in zip(gold, pred, strict=True) if g == p)

    counts: dict[str, Counter] = {}
    entity_errors = []
    for ex, parse in zip(examples, parses, strict=True):
        want = {(e.start, e.end, e.entity) for e in ex.entities}
        got = {(e["start"], e["end"], e["entity"]) for e in parse["entities"]}
        for s in want | got:
            c = counts.setdefault(s[2], Counter())
            c["tp" if s in want and s in got else "fn" if s in want else "fp"] += 1
        if want != got:
            entity_errors.append(
                {
                    "text": ex.text,
                    "expected": [
                        {"text": ex.text[s:e], "entity": t, "start": s, "end": e} for s, e, t in sorted(want)
                    ],
                    "predicted": [
                        {"text": ex.text[s:e], "entity": t, "start": s, "end": e} for s, e, t in sorted(got)
                    ],
                }
            )
    per_type = {t: _prf(c["tp"], c["fp"], c["fn"]) for t, c in sorted(counts.items())}
    total = Counter()
    for c in counts.values():
        total.update(c)
    overall = _prf(total["tp"], total["fp"], total["fn"])
    misclassified = [
        {
            "text": ex.text,
            "expected": g,
            "predicted": p,
            "confidence": parse["intent_ranking"][0]["confidence"]
            if parse["intent_ranking"]
            else parse["intent"]["confidence"],
        }
        for ex, g, p, parse in zip(examples, gold, pred, parses, strict=True)
        if g != p
    ]
    return {
        "examples": len(examples),
        "intent_accuracy": round(correct / len(examples), 4) if examples else 0.0,
        "intent_macro_f1": round(macro, 4),
        "fallback_rate": round(fallback / len(examples), 4) if examples else 0.0,
        "per_intent": per_intent,
        "entity_precision": overall["precision"],
        "entity_recall": overall["recall"],
        "entity_f1": overall["f1"] if total else 1.0,
        "per_entity_type": per_type,
        "misclassified": misclassified,
        "entity_errors": entity_errors,
        "confusion": {
            "labels": labels,
            "matrix": [
                [sum(1 for g, p in zip(gold, pred, strict=True) if g == a and p == b) for b in labels]
                for a in labels
            ],
        },
    }


def score(metrics: dict[str, Any]) -> float:
    """One number for the activation gate: the mean of intent accuracy and entity F1."""
    return (float(metrics["intent_accuracy"]) + float(metrics["entity_f1"])) / 2


def write_report(metrics: dict[str, Any], directory: Path) -> list[str]:
    """confusion.png, metrics.json, misclassified.json and entity_errors.json in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    for name, key in (("misclassified.json", "misclassified"), ("entity_errors.json", "entity_errors")):
        (directory / name).write_text(
            json.dumps(metrics[key], indent=2, ensure_ascii=False), encoding="utf-8"
        )
        files.append(str(directory / name))
    (directory / "metrics.json").write_text(
        json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    files.append(str(directory / "metrics.json"))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
    except ImportError:
        return files
    labels = metrics["confusion"]["labels"]
    matrix = np.array(metrics["confusion"]["matrix"], dtype=float)
    size = max(6.0, 0.38 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("expected")
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                ax.text(
                    j,
                    i,
                    int(matrix[i, j]),
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if matrix[i, j] > matrix.max() / 2 else "black",
                )
    ax.set_title(f"intent confusion (accuracy {metrics['intent_accuracy']:.3f})")
    fig.tight_layout()
    fig.savefig(directory / "confusion.png", dpi=110)
    plt.close(fig)
    files.append(str(directory / "confusion.png"))
    return files
