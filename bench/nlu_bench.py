"""NLU benchmark: CLINC150 (in-scope accuracy, OOS recall), latency on this CPU, own test set quality.

    .venv/bin/python bench/nlu_bench.py [--home DIR] [--clinc-epochs 3] [--clinc-subset N]
                                        [--no-clinc] [--no-latency] [--no-quality]

(a) CLINC150 (../shared/data/clinc150/data_full.json; skipped when absent): the same joint model
    trained on train + oos_train (oos as its own class), temperature and OOS threshold tuned on val
    (+ oos_val), reported on test (in-scope accuracy) and oos_test (OOS recall), beside the paper.
(b) Latency: single-message parse p50/p95, batch throughput, and the ratio of parse time to a bare
    encoder forward pass on the same messages.
(c) Quality on data/nlu_test.yml (never trained on) with the active model trained on data/nlu.yml
    (trained first when the home has none), and that model's own held-out split.

Prints a table and writes bench/reports/nlu.md and bench/reports/nlu.json. Targets (issue 3):
in-scope ≥ 95 %, OOS recall ≥ 60 %, p95 ≤ 20 ms, ratio ≤ 1.5, intent accuracy ≥ 0.95, entity F1 ≥ 0.90.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from machine import machine_info  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from nlu.data import Example, load_nlu  # noqa: E402

REPORTS = ROOT / "bench" / "reports"
CONFIG = ROOT / "config.yml"
CLINC = ROOT.parent / "shared" / "data" / "clinc150" / "data_full.json"
PAPER = [
    ("BERT-large, OOS as a class", 96.9, 40.3),
    ("BERT-large, confidence threshold", 96.2, 52.3),
    ("MLP on USE embeddings", 93.5, 47.4),
    ("Rasa NLU 2019 (spaCy + sklearn), OOS as a class", 91.5, 45.3),
]
console = Console(stderr=True)


def machine() -> dict[str, Any]:
    import torch

    info = machine_info()
    return {
        **info,
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "load_average_1m": info["load_average_1min"],
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def _progress(description: str):
    from nlu.train import _progress as progress

    return progress(True, description)


# (a) CLINC150 -------------------------------------------------------------------------------------


def clinc(
    epochs: int,
    subset: int | None,
    max_length: int,
    batch_size: int,
    seed: int = 13,
    save_probs: Path | None = None,
) -> dict[str, Any]:
    from nlu.data import component, load_config
    from nlu.lexical import best_temperature
    from nlu.model import JointModel
    from nlu.train import LEXICAL, MODEL, add_lexical

    raw = json.loads(CLINC.read_text(encoding="utf-8"))

    def examples(key: str) -> list[Example]:
        return [Example(text, intent) for text, intent in raw[key]]

    train = examples("train") + examples("oos_train")
    if subset:
        rng = random.Random(seed)
        by: dict[str, list[Example]] = {}
        for e in train:
            by.setdefault(e.intent, []).append(e)
        train = [e for v in by.values() for e in rng.sample(v, min(subset, len(v)))]
    val_in, val_oos = examples("val"), examples("oos_val")
    test_in, test_oos = examples("test"), examples("oos_test")
    intents = sorted({e.intent for e in train})
    config = load_config(CONFIG)  # the engine's pooling and lexical model
    pooling = str(component(config, MODEL).get("pooling", "mean"))
    heads = int(component(config, MODEL).get("attention_heads", 1))
    model = JointModel.from_pretrained_encoder(intents, [], max_length=max_length, seed=seed, pooling=pooling,
                                               attention_heads=heads)
    started = time.perf_counter()
    with _progress("CLINC150 training") as update:
        losses = model.fit(
            train, epochs=epochs, batch_size=batch_size, lr=1e-4, head_lr=2e-3, seed=seed, progress=update
        )
    train_seconds = time.perf_counter() - started
    # the engine's lexical intent model too (config.yml), its weight chosen on val's NLL; the
    # encoder's logits are computed once per list and mixed (or not, `alone`) afterwards
    val = val_in + val_oos
    lexical = add_lexical(model, train, val, component(config, LEXICAL))  # and temperature
    if not lexical:
        model.fit_temperature(val)
    encoded: dict[int, np.ndarray] = {}

    def probs(items: list[Example], alone: bool = False) -> np.ndarray:
        texts = [e.text for e in items]
        if id(items) not in encoded:
            encoded[id(items)] = model.encoder_logits(texts, batch_size=128)
        z = encoded[id(items)] / alone_temperature if alone else (
            model.with_lexical(texts, encoded[id(items)]) / model.temperature)
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    labels = np.array([intents.index(e.intent) for e in val])
    alone_temperature = best_temperature(model.encoder_logits([e.text for e in val], 128), labels)[0]
    oos = intents.index("oos")

    def predict(p: np.ndarray, threshold: float) -> list[str]:
        top = p.argmax(axis=1)
        return ["oos" if (k == oos or p[i, k] < threshold) else intents[k] for i, k in enumerate(top)]

    def scores(p_in, items_in, p_oos, threshold) -> tuple[float, float]:
        acc = float(np.mean([a == e.intent for a, e in zip(predict(p_in, threshold), items_in, strict=True)]))
        rec = float(np.mean([a == "oos" for a in predict(p_oos, threshold)]))
        return acc, rec

    pv_in, pv_oos = probs(val_in), probs(val_oos)
    grid = [round(t, 2) for t in np.arange(0.0, 0.96, 0.02)]
    tuned = max(grid, key=lambda t: (sum(scores(pv_in, val_in, pv_oos, t)), -t))
    # A conservative rule too: the most OOS recall that costs at most one point of val in-scope accuracy.
    base_val = scores(pv_in, val_in, pv_oos, 0.0)[0]
    allowed = [t for t in grid if scores(pv_in, val_in, pv_oos, t)[0] >= base_val - 0.01]
    conservative = max(allowed, key=lambda t: (scores(pv_in, val_in, pv_oos, t)[1], -t))
    pt_in, pt_oos = probs(test_in), probs(test_oos)
    if save_probs is not None:  # lets other threshold rules be studied without retraining
        np.savez_compressed(
            save_probs,
            intents=np.array(intents),
            val_in=pv_in,
            val_oos=pv_oos,
            test_in=pt_in,
            test_oos=pt_oos,
        )
    acc0, rec0 = scores(pt_in, test_in, pt_oos, 0.0)
    alone = scores(probs(test_in, alone=True), test_in, probs(test_oos, alone=True), 0.0)
    acc, rec = scores(pt_in, test_in, pt_oos, tuned)
    acc1, rec1 = scores(pt_in, test_in, pt_oos, conservative)
    sweep = {
        str(t): [round(100 * x, 2) for x in scores(pt_in, test_in, pt_oos, t)]
        for t in (0.3, 0.5, 0.6, 0.7, 0.8, 0.9)
    }
    return {
        "train_examples": len(train),
        "subset_per_intent": subset,
        "epochs": epochs,
        "max_length": max_length,
        "pooling": pooling,
        "attention_heads": heads,
        "train_seconds": round(train_seconds, 1),
        "losses": [round(x, 4) for x in losses],
        "temperature": round(model.temperature, 3),
        "threshold": tuned,
        "threshold_rule": "maximises in-scope accuracy + OOS recall on val + oos_val",
        "lexical": lexical,
        "oos_as_class": {"in_scope_accuracy": round(100 * acc0, 2), "oos_recall": round(100 * rec0, 2)},
        "encoder_alone_oos_as_class": {"in_scope_accuracy": round(100 * alone[0], 2),
                                       "oos_recall": round(100 * alone[1], 2)},
        "oos_class_and_threshold": {
            "in_scope_accuracy": round(100 * acc, 2),
            "oos_recall": round(100 * rec, 2),
        },
        "conservative_threshold": conservative,
        "conservative_rule": "most val OOS recall with val in-scope accuracy ≤ 1 point below no threshold",
        "oos_class_and_conservative_threshold": {
            "in_scope_accuracy": round(100 * acc1, 2),
            "oos_recall": round(100 * rec1, 2),
        },
        "test_sweep_threshold_to_in_scope_and_oos_recall": sweep,
    }


# (b) latency ------------------------------------------------------------------------------------


def _timed(fn, texts: list[str], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        for text in texts:
            t0 = time.perf_counter()
            fn(text)
            out.append((time.perf_counter() - t0) * 1000)
    return out


def latency(nlu, texts: list[str], repeats: int = 2) -> dict[str, Any]:
    """One-message parse times of the served model beside bare encoder forward passes on the same texts.

    Parses run first on messages not seen before (entity linking uncached), then once more.
    """
    import torch

    from nlu.model import LeanEncoder

    model = nlu.model
    load_before = round(os.getloadavg()[0], 2)
    nlu._link_cache.clear()  # the first pass links every mention afresh, as for new learners' messages
    nlu.warm_up()
    cold = _timed(nlu.parse, texts, 1)
    single = _timed(nlu.parse, texts, repeats)  # mentions seen before: links come from the cache
    encoded = {
        t: model.tokenizer([t], truncation=True, max_length=model.max_length, return_tensors="pt")
        for t in texts
    }
    lean = model.net.lean or LeanEncoder(model.net.encoder)
    with torch.inference_mode():
        bare = _timed(
            lambda t: model.net.encoder(
                input_ids=encoded[t]["input_ids"], attention_mask=encoded[t]["attention_mask"]
            ),
            texts,
            repeats,
        )
        served = _timed(lambda t: lean(encoded[t]["input_ids"], encoded[t]["attention_mask"]), texts, repeats)
    started = time.perf_counter()
    nlu.parse_batch(texts)
    batch_seconds = time.perf_counter() - started
    p50, p95 = percentile(single, 50), percentile(single, 95)
    return {
        "messages": len(texts),
        "torch_threads": torch.get_num_threads(),
        "repeats": repeats,
        "int8": bool(getattr(lean, "quantized", False)),
        "load_average_1m_before": load_before,
        "load_average_1m_after": round(os.getloadavg()[0], 2),
        "parse_p50_ms": round(p50, 2),
        "parse_p95_ms": round(p95, 2),
        "parse_mean_ms": round(float(np.mean(single)), 2),
        "first_sight_parse_p50_ms": round(percentile(cold, 50), 2),
        "first_sight_parse_p95_ms": round(percentile(cold, 95), 2),
        "encoder_forward_p50_ms": round(percentile(bare, 50), 2),
        "encoder_forward_p95_ms": round(percentile(bare, 95), 2),
        "serving_encoder_forward_p50_ms": round(percentile(served, 50), 2),
        "serving_encoder_forward_p95_ms": round(percentile(served, 95), 2),
        "ratio_parse_to_forward_p50": round(p50 / percentile(bare, 50), 2),
        "ratio_parse_to_serving_forward_p50": round(p50 / percentile(served, 50), 2),
        "batch_messages_per_second": round(len(texts) / batch_seconds, 1),
    }


def alternative(nlu, home: Path, meta: dict[str, Any], test: list[Example]) -> dict[str, Any]:
    """The same model served the other way (int8 when it is served in float32, and back): quality on
    the held-out split and on data/nlu_test.yml, and latency, to show what the serving choice costs."""
    from nlu.data import component
    from nlu.evaluate import evaluate
    from nlu.service import NLU
    from nlu.split import split

    served_int8 = bool(getattr(nlu.model.net.lean, "quantized", False))
    other = NLU.load_active(home)
    other.model.serve(quantize=not served_int8)
    params = component(meta["config"], "JointTransformerClassifier")
    examples = load_nlu(Path(meta["data"])).examples
    _, _, held_out = split(examples, float(params.get("test_share", 0.15)),
                           float(params.get("validation_share", 0.1)), int(params.get("seed", 13)))
    out: dict[str, Any] = {"int8": not served_int8}
    for name, items in (("held_out", held_out), ("nlu_test", test)):
        m = evaluate(other.parse_batch, items)
        out[name] = {k: m[k] for k in ("intent_accuracy", "entity_f1", "fallback_rate")}
    out["latency"] = latency(other, [e.text for e in test])
    return out


# main -------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, default=None, help="ETUDE_HOME with (or for) the NLU model")
    parser.add_argument("--clinc-epochs", type=int, default=3)
    parser.add_argument("--clinc-subset", type=int, default=None, help="training examples per intent")
    parser.add_argument("--clinc-max-length", type=int, default=32)
    parser.add_argument("--clinc-batch-size", type=int, default=32)
    parser.add_argument("--clinc-save-probs", type=Path, default=None, help="write val/test probabilities")
    parser.add_argument("--no-clinc", action="store_true")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument("--render", action="store_true", help="only rewrite nlu.md from nlu.json")
    args = parser.parse_args()
    if args.render:
        report = json.loads((REPORTS / "nlu.json").read_text(encoding="utf-8"))
        (REPORTS / "nlu.md").write_text("\n".join(render(report)) + "\n", encoding="utf-8")
        return

    import logging

    from nlu.model import set_threads

    logging.basicConfig(level="INFO", format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    logging.getLogger("nlu.model").setLevel("DEBUG")  # step losses of long trainings
    for noisy in ("transformers", "sentence_transformers", "httpx"):
        logging.getLogger(noisy).setLevel("WARNING")
    set_threads()
    report: dict[str, Any] = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    previous = {}
    if (REPORTS / "nlu.json").exists():
        previous = json.loads((REPORTS / "nlu.json").read_text(encoding="utf-8"))

    if not args.no_latency or not args.no_quality:
        from bot.settings import get_settings
        from nlu.service import NLU, ensure_model

        home = args.home or get_settings().home
        ensure_model(home)
        nlu = NLU.load_active(home)
        meta = json.loads((Path(home) / "models" / "nlu" / nlu.version / "metadata.json").read_text())
        report["model"] = {
            "version": nlu.version,
            "held_out": meta["metrics"],
            "split": meta["split"],
            "train_seconds": meta["seconds"],
            "device": meta.get("device"),
            "lexical": meta.get("lexical"),
        }
        test = load_nlu(ROOT / "data" / "nlu_test.yml").examples
        if not args.no_quality:
            from nlu.evaluate import evaluate

            metrics = evaluate(nlu.parse_batch, test)
            report["quality"] = {k: v for k, v in metrics.items() if k not in ("confusion", "entity_errors")}
        if not args.no_latency:
            report["latency"] = latency(nlu, [e.text for e in test])
        if not args.no_quality and not args.no_latency:
            report["alternative"] = alternative(nlu, home, meta, test)
    if not args.no_clinc:
        set_threads()  # training threads again after the inference sections
        if CLINC.exists():
            report["clinc150"] = clinc(
                args.clinc_epochs,
                args.clinc_subset,
                args.clinc_max_length,
                args.clinc_batch_size,
                save_probs=args.clinc_save_probs,
            )
        else:
            console.print(f"[yellow]CLINC150 skipped: {CLINC} is absent[/yellow]")
            report["clinc150"] = {"skipped": f"{CLINC} is absent"}
    keep_earlier(report, previous)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "nlu.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    lines = render(report)
    (REPORTS / "nlu.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    console.print(f"wrote {REPORTS / 'nlu.md'} and {REPORTS / 'nlu.json'}")


SECTIONS = ("clinc150", "latency", "quality", "model", "alternative")


def keep_earlier(report: dict[str, Any], previous: dict[str, Any]) -> None:
    """Stamp this run's sections with its date and CPU; take the sections not rerun from the
    previous report, each with the date and CPU it was measured on, so none is shown as this run's."""
    ran = {"date": report["date"], "cpu": report["machine"]["cpu"]}
    for key in SECTIONS:
        if key in report:
            report[key]["ran"] = ran
        elif key in previous:
            report[key] = previous[key]
            report[key].setdefault("ran", {"date": previous.get("date"), "cpu": previous["machine"]["cpu"]})


def _earlier(section: dict[str, Any], report: dict[str, Any]) -> str:
    """' (run DATE on CPU)' for a section kept from an earlier run on another day or machine."""
    ran = section.get("ran") or {}
    if not ran or (ran.get("date"), ran.get("cpu")) == (report["date"], report["machine"]["cpu"]):
        return ""
    return f" (run {ran.get('date')} on {ran.get('cpu')})"


def render(report: dict[str, Any]) -> list[str]:
    table = Table(title="NLU benchmark")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    rows: list[tuple[str, str, str]] = []
    model = report.get("model")
    if model:
        held = model["held_out"]
        rows += [
            ("held-out split of data/nlu.yml: intent accuracy", f"{held['intent_accuracy']:.3f}", "≥ 0.95"),
            ("held-out split of data/nlu.yml: entity F1", f"{held['entity_f1']:.3f}", "≥ 0.90"),
        ]
    quality = report.get("quality")
    if quality:
        rows += [
            ("data/nlu_test.yml: intent accuracy", f"{quality['intent_accuracy']:.3f}", "≥ 0.95"),
            ("data/nlu_test.yml: intent macro F1", f"{quality['intent_macro_f1']:.3f}", ""),
            ("data/nlu_test.yml: entity F1 (exact span + type)", f"{quality['entity_f1']:.3f}", "≥ 0.90"),
            ("data/nlu_test.yml: fallback rate", f"{quality['fallback_rate']:.3f}", ""),
        ]
    lat = report.get("latency")
    if lat:
        rows += [
            (
                f"parse p50 / p95 (ms, one message, {lat.get('torch_threads', '?')} torch thread"
                + (", mentions linked before)" if "first_sight_parse_p95_ms" in lat else ")"),
                f"{lat['parse_p50_ms']} / {lat['parse_p95_ms']}",
                "p95 ≤ 20",
            ),
            ("bare transformers encoder forward p50 (ms)", f"{lat['encoder_forward_p50_ms']}", ""),
            (
                "ratio parse / transformers encoder forward (p50)",
                f"{lat['ratio_parse_to_forward_p50']}",
                "≤ 1.5",
            ),
            ("batch throughput (messages/s)", f"{lat['batch_messages_per_second']}", ""),
        ]
        if "first_sight_parse_p95_ms" in lat:
            rows.append(
                (
                    "parse p50 / p95 (ms), first sight of every message (entity linking uncached)",
                    f"{lat['first_sight_parse_p50_ms']} / {lat['first_sight_parse_p95_ms']}",
                    "",
                )
            )
        if "serving_encoder_forward_p50_ms" in lat:
            rows += [
                (
                    f"serving encoder forward p50 (ms, lean{', int8' if lat.get('int8') else ', float32'})",
                    f"{lat['serving_encoder_forward_p50_ms']}",
                    "",
                ),
                (
                    "ratio parse / serving encoder forward (p50)",
                    f"{lat['ratio_parse_to_serving_forward_p50']}",
                    "",
                ),
            ]
    cl = report.get("clinc150")
    if cl and "skipped" not in cl:
        # The headline rule favours in-scope accuracy: a tutor that wrongly refuses a real question
        # costs more than one that tries to answer an odd one.
        both = cl.get("oos_class_and_conservative_threshold") or cl["oos_class_and_threshold"]
        rows += [
            ("CLINC150 in-scope accuracy (%), cautious threshold", f"{both['in_scope_accuracy']}", "≥ 95"),
            ("CLINC150 OOS recall (%), cautious threshold", f"{both['oos_recall']}", "≥ 60"),
        ]
    for row in rows:
        table.add_row(*row)
    Console().print(table)

    m = report["machine"]
    lines = [
        "# NLU benchmark",
        "",
        f"{report['date']} · {m['cpu']} · {m['cores']} cores · torch {m['torch']} "
        f"· Python {m['python']} · load average {m.get('load_average_1m', '?')} (shared machine)",
        "",
        "Produced by `.venv/bin/python bench/nlu_bench.py`.",
        "",
        "| measure | value | target |",
        "|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    if model:
        lines += [
            "",
            f"Model {model['version']}: split {model['split']}, trained in {model['train_seconds']} s "
            f"on {model.get('device')}.",
        ]
        if model.get("lexical"):
            lines += ["", f"Lexical intent model weight {model['lexical']['weight']}, chosen on validation "
                      f"NLL: {model['lexical']['validation_nll']}."]
    if lat and "load_average_1m_before" in lat:
        lines += [
            "",
            f"Latency measured{_earlier(lat, report)} with load average "
            f"{lat['load_average_1m_before']} before and "
            f"{lat['load_average_1m_after']} after (other jobs share the 2 cores); parse = the whole "
            "`NLU.parse` (tokenizing, forward pass, decoding, linking). On first sight of a mention "
            "the graph's names do not match, linking it by meaning costs one more sentence-encoder pass.",
        ]
    alt = report.get("alternative")
    if alt:
        al = alt["latency"]
        kind = "int8" if alt["int8"] else "float32"
        lines += [
            "",
            f"## The same model served in {kind} instead{_earlier(alt, report)}",
            "",
            "| measure | value |",
            "|---|---|",
            f"| held-out split: intent accuracy / entity F1 | {alt['held_out']['intent_accuracy']:.3f} / "
            f"{alt['held_out']['entity_f1']:.3f} |",
            f"| data/nlu_test.yml: intent accuracy / entity F1 | {alt['nlu_test']['intent_accuracy']:.3f} / "
            f"{alt['nlu_test']['entity_f1']:.3f} |",
            f"| parse p50 / p95 (ms) | {al['parse_p50_ms']} / {al['parse_p95_ms']} |",
            f"| serving encoder forward p50 (ms) | {al['serving_encoder_forward_p50_ms']} |",
            f"| load average before / after | {al['load_average_1m_before']} / "
            f"{al['load_average_1m_after']} |",
        ]
    if cl and "skipped" not in cl:
        lines += [
            "",
            f"## CLINC150 (full data; test: 4,500 in-scope, oos_test: 1,000){_earlier(cl, report)}",
            "",
            f"Training: {cl['train_examples']} examples"
            + (
                f" (a subset of {cl['subset_per_intent']} per intent)"
                if cl["subset_per_intent"]
                else " (all of train + oos_train)"
            )
            + f", {cl['epochs']} epochs, max length {cl['max_length']}, {cl.get('pooling', 'mean')} pooling, "
            f"{cl['train_seconds']} s on {cl.get('ran', {}).get('cpu') or 'this CPU'}. "
            f"Temperature {cl['temperature']}; tuned OOS threshold {cl['threshold']} ({cl['threshold_rule']})"
            + (
                f"; cautious threshold {cl['conservative_threshold']} ({cl['conservative_rule']}), the one "
                "in the summary table above."
                if "conservative_threshold" in cl
                else "."
            ),
            "",
            "| model | in-scope acc | OOS recall |",
            "|---|---|---|",
            f"| Etude joint MiniLM, OOS as a class | {cl['oos_as_class']['in_scope_accuracy']} | "
            f"{cl['oos_as_class']['oos_recall']} |",
            "| Etude joint MiniLM, OOS class + tuned threshold | "
            f"{cl['oos_class_and_threshold']['in_scope_accuracy']} | "
            f"{cl['oos_class_and_threshold']['oos_recall']} |",
        ]
        if "oos_class_and_conservative_threshold" in cl:
            cons = cl["oos_class_and_conservative_threshold"]
            lines.append(
                f"| Etude joint MiniLM, OOS class + threshold {cl['conservative_threshold']} (cautious) | "
                f"{cons['in_scope_accuracy']} | {cons['oos_recall']} |"
            )
        if "encoder_alone_oos_as_class" in cl:
            alone = cl["encoder_alone_oos_as_class"]
            lines.append(
                f"| the encoder alone (no lexical model), OOS as a class | {alone['in_scope_accuracy']} | "
                f"{alone['oos_recall']} |"
            )
        lines += [f"| {name} (paper) | {a} | {b} |" for name, a, b in PAPER]
        if cl.get("lexical"):
            lines += ["", f"Lexical model weight {cl['lexical']['weight']} (validation NLL per weight: "
                      f"{cl['lexical']['validation_nll']}); the Etude rows but the last are the mixed "
                      "engine's."]
        if cl.get("note"):
            lines += ["", cl["note"]]
    elif cl:
        lines += ["", f"CLINC150: {cl['skipped']}"]
    if quality:
        lines += [
            "",
            "## Per entity type on data/nlu_test.yml",
            "",
            "| type | P | R | F1 | n |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {t} | {v['precision']} | {v['recall']} | {v['f1']} | {v['support']} |"
            for t, v in quality["per_entity_type"].items()
        ]
        lines += ["", f"Misclassified intents on data/nlu_test.yml: {len(quality['misclassified'])}."]
    return lines


if __name__ == "__main__":
    main()
