"""NLU quality over training seeds: validation and held-out intent accuracy, entity F1, per variant.

    .venv/bin/python bench/nlu_seeds.py --home var/x [--seeds 13 7 21] [--jobs 2]
        [--variant NAME=CONFIG[:DATA] ...] [--epochs N] [--report DIR]

Why: one training's held-out intent accuracy moves by about half a point with the training seed
(and a graph rebuild redraws the augmented copies the same way), which is as much as most changes
to the data or the training are worth. A change is judged here on the mean over seeds, on the
validation split (the held-out split is for the final number), with every run beside it.

A variant is a config file and optionally a data file (default: config.yml and data/nlu.yml). Each
run trains with the variant's config, `model_seed` set to the seed (the split keeps the config's
`seed`, so every run of a variant is scored on the same examples), in its own home under the work
directory; the knowledge graph is read from `--home` (built there first when missing). Runs go in
`--jobs` processes; on a CUDA machine they share the GPU.

Prints a table and writes nlu_seeds.md and nlu_seeds.json (every run, with its validation errors)
under `--report` (default bench/reports).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from machine import machine_info, machine_line, save_report  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

console = Console(stderr=True)
UNSEEN = ROOT / "data" / "nlu_test.yml"
PARTS = ("validation", "held_out")


def parse_variant(text: str) -> tuple[str, Path, Path]:
    """`NAME=CONFIG[:DATA]` -> (name, config, data); paths relative to the repository."""
    name, sep, rest = text.partition("=")
    if not sep or not name or not rest:
        raise argparse.ArgumentTypeError(f"a variant is NAME=CONFIG[:DATA], got {text!r}")
    config, _, data = rest.partition(":")
    paths = [Path(p) if Path(p).is_absolute() else ROOT / p for p in (config, data or "data/nlu.yml")]
    for p in paths:
        if not p.is_file():
            raise argparse.ArgumentTypeError(f"{p} does not exist")
    return name, paths[0], paths[1]


def run_one(job: dict[str, Any]) -> dict[str, Any]:
    """Train one (variant, seed) and score it on its validation and held-out splits (and on the
    never-trained test file, when there is one)."""
    os.environ["ETUDE_NLU_THREADS"] = str(job["threads"])
    os.environ["ETUDE_NLU_INFER_THREADS"] = str(job["threads"])
    import torch

    from kg.build import built_graph
    from nlu.data import component, load_config, load_nlu
    from nlu.evaluate import evaluate
    from nlu.service import NLU
    from nlu.split import split
    from nlu.train import MODEL, train_nlu

    graph = built_graph(Path(job["graph_home"]), ROOT / "data")
    overrides: dict[str, Any] = {"model_seed": job["seed"]}
    if job["epochs"]:
        overrides["epochs"] = job["epochs"]
    started = time.perf_counter()
    result = train_nlu(data=Path(job["data"]), config=Path(job["config"]), home=Path(job["home"]),
                       force=True, overrides=overrides, show_progress=False, graph=graph)
    params = component(load_config(Path(job["config"])), MODEL)
    _, val, test = split(load_nlu(Path(job["data"])).examples, float(params.get("test_share", 0.15)),
                         float(params.get("validation_share", 0.1)), int(params.get("seed", 13)))
    nlu = NLU.load(Path(result["path"]), graph=graph)
    scores = {
        "validation": evaluate(nlu.parse_batch, val),
        "held_out": json.loads((Path(result["path"]) / "evaluation.json").read_text(encoding="utf-8")),
    }
    sizes = {"validation": len(val), "held_out": len(test)}
    if job["unseen"]:
        unseen = load_nlu(Path(job["unseen"])).examples
        scores["unseen"], sizes["unseen"] = evaluate(nlu.parse_batch, unseen), len(unseen)
    device = nlu.model.device
    return {
        "variant": job["variant"],
        "seed": job["seed"],
        "seconds": round(time.perf_counter() - started, 1),
        "machine": machine_info(),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else str(device),
        **{part: {"intent_accuracy": m["intent_accuracy"], "entity_f1": m["entity_f1"],
                  "examples": sizes[part]} for part, m in scores.items()},
        # which texts each part held and which of them got the wrong intent: variants with different
        # data are also compared on the examples they share
        "texts": {"validation": [e.text for e in val], "held_out": [e.text for e in test]},
        "wrong": {part: [m["text"] for m in scores[part]["misclassified"]] for part in PARTS},
        "validation_errors": scores["validation"]["misclassified"],
    }


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per variant: mean and standard deviation of each score over its seeds, and the intent accuracy
    on the examples that every run's split holds (the same messages for every variant)."""
    shared = {part: set.intersection(*(set(r["texts"][part]) for r in runs)) for part in PARTS}
    for r in runs:
        r["shared"] = {part: {"intent_accuracy": round(1 - len(shared[part] & set(r["wrong"][part]))
                                                        / max(1, len(shared[part])), 4),
                              "examples": len(shared[part])} for part in PARTS}
    out = []
    for name in dict.fromkeys(r["variant"] for r in runs):
        mine = [r for r in runs if r["variant"] == name]
        row: dict[str, Any] = {"variant": name, "seeds": [r["seed"] for r in mine]}
        for part in PARTS:
            for metric in ("intent_accuracy", "entity_f1"):
                row[f"{part}_{metric}"] = _spread([r[part][metric] for r in mine])
            on_shared = [r["shared"][part]["intent_accuracy"] for r in mine]
            row[f"shared_{part}_intent_accuracy"] = _spread(on_shared)
        if all("unseen" in r for r in mine):
            row["unseen_intent_accuracy"] = _spread([r["unseen"]["intent_accuracy"] for r in mine])
        out.append(row)
    return out


def _spread(values: list[float]) -> dict[str, Any]:
    return {"mean": round(statistics.fmean(values), 4),
            "sd": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0, "runs": values}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, required=True, help="ETUDE_HOME whose knowledge graph is read")
    parser.add_argument("--seeds", type=int, nargs="+", default=[13, 7, 21])
    parser.add_argument("--variant", type=parse_variant, action="append", dest="variants")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=None, help="instead of the config's")
    parser.add_argument("--unseen", type=Path, default=UNSEEN,
                        help="messages never trained on, scored too (default data/nlu_test.yml; '' for none)")
    parser.add_argument("--work", type=Path, default=None, help="the runs' homes (default: a temp dir)")
    parser.add_argument("--report", type=Path, default=ROOT / "bench" / "reports")
    parser.add_argument("--from-runs", type=Path, default=None,
                        help="report the runs of this nlu_seeds.jsonl (e.g. from a run that was cut short)")
    args = parser.parse_args(argv)
    variants = args.variants or [("current", ROOT / "config.yml", ROOT / "data" / "nlu.yml")]
    if len({v[0] for v in variants}) != len(variants):
        parser.error("variant names must differ")
    info = machine_info()
    started = time.perf_counter()
    if args.from_runs:
        runs = [json.loads(line) for line in args.from_runs.read_text(encoding="utf-8").splitlines() if line]
        first = {name: i for i, name in reversed(list(enumerate(r["variant"] for r in runs)))}
        runs.sort(key=lambda r: (first[r["variant"]], r["seed"]))
        report(args.report, runs[0].get("machine", info) if runs else info, runs, None, None)
        return 0
    from kg.build import built_graph

    built_graph(args.home, ROOT / "data")  # built once, before the workers read it
    work = args.work or Path(tempfile.mkdtemp(prefix="nlu-seeds-"))
    threads = max(1, (os.cpu_count() or 2) // max(1, args.jobs))
    jobs = [
        {"variant": name, "config": str(config), "data": str(data), "seed": seed, "epochs": args.epochs,
         "home": str(work / f"{name}-{seed}"), "graph_home": str(args.home), "threads": threads,
         "unseen": str(args.unseen) if args.unseen and args.unseen.is_file() else None}
        for seed in args.seeds
        for name, config, data in variants
    ]
    args.report.mkdir(parents=True, exist_ok=True)
    log = args.report / "nlu_seeds.jsonl"  # each run as it ends: a run cut short keeps what finished
    log.write_text("", encoding="utf-8")
    runs: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
        for future in as_completed([pool.submit(run_one, job) for job in jobs]):
            run = future.result()
            console.print(f"{run['variant']} seed {run['seed']}: validation "
                          f"{run['validation']['intent_accuracy']:.4f}, held out "
                          f"{run['held_out']['intent_accuracy']:.4f} ({run['seconds']:.0f} s)")
            with log.open("a", encoding="utf-8") as f:
                f.write(json.dumps(run, ensure_ascii=False) + "\n")
            runs.append(run)
    order = {(j["variant"], j["seed"]): i for i, j in enumerate(jobs)}
    runs.sort(key=lambda r: order[(r["variant"], r["seed"])])
    report(args.report, info, runs, time.perf_counter() - started, args.jobs,
           {name: {"config": str(c), "data": str(d)} for name, c, d in variants})
    return 0


def report(directory: Path, info: dict[str, Any], runs: list[dict[str, Any]], seconds: float | None,
           jobs: int | None, variants: dict[str, Any] | None = None) -> None:
    """Print the table and write nlu_seeds.md / nlu_seeds.json."""
    summary = summarise(runs)
    columns = [("validation_intent_accuracy", "validation intent"),
               ("shared_validation_intent_accuracy", "validation intent, shared examples"),
               ("validation_entity_f1", "validation entity F1"),
               ("held_out_intent_accuracy", "held-out intent"),
               ("shared_held_out_intent_accuracy", "held-out intent, shared examples"),
               ("held_out_entity_f1", "held-out entity F1")]
    if summary and all("unseen_intent_accuracy" in row for row in summary):
        columns.append(("unseen_intent_accuracy", "never-trained test file intent"))
    table = Table(title="NLU quality over training seeds (mean ± sd)")
    for title in ("variant", "seeds", *(t for _, t in columns)):
        table.add_column(title)
    shared = runs[0]["shared"] if runs else {}
    took = f" in {seconds:.0f} s with {jobs} job(s)" if seconds is not None else " (reported from their log)"
    lines = ["# NLU quality over training seeds", "", machine_line(info), "",
             f"Device: {runs[0]['device'] if runs else '-'}; {len(runs)} runs{took}. "
             f"Shared examples: the {shared.get('validation', {}).get('examples', 0)} validation and "
             f"{shared.get('held_out', {}).get('examples', 0)} held-out messages in every run's split.",
             "", "| variant | seeds | " + " | ".join(t for _, t in columns) + " |",
             "|---|---|" + "---|" * len(columns)]
    for row in summary:
        cells = [f"{row[k]['mean']:.4f} ± {row[k]['sd']:.4f}" for k, _ in columns]
        seeds = " ".join(map(str, row["seeds"]))
        table.add_row(row["variant"], seeds, *cells)
        lines.append(f"| {row['variant']} | {seeds} | " + " | ".join(cells) + " |")
    lines += ["", "Every run:", "",
              "| variant | seed | validation intent | held-out intent | held-out entity F1 |",
              "|---|---|---|---|---|"]
    lines += [f"| {r['variant']} | {r['seed']} | {r['validation']['intent_accuracy']:.4f} | "
              f"{r['held_out']['intent_accuracy']:.4f} | {r['held_out']['entity_f1']:.4f} |" for r in runs]
    Console().print(table)
    kept = [{k: v for k, v in r.items() if k != "texts"} for r in runs]  # the jsonl keeps the texts
    save_report(directory, "nlu_seeds", {"machine": info, "variants": variants, "summary": summary,
                                         "runs": kept}, lines)


if __name__ == "__main__":
    raise SystemExit(main())
