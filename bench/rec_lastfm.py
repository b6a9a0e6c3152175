"""Last.FM recommender benchmark: every model on both protocols, seeds, sparsity, slices, ablations.

    .venv/bin/python bench/rec_lastfm.py [--seeds 5] [--stages main,fixed,sparsity,ablation]
                                         [--models mkgat,bprmf,...] [--report-only]
                                         [--device cuda --workers 12 --threads 1 --deadline 600]

Each finished run is appended to bench/reports/rec_lastfm.runs.jsonl (keyed by its spec and
stamped with its device), so an interrupted benchmark resumes where it stopped and the report is
rebuilt from whatever finished; a run whose model defaults have changed since is stale and runs
again. `--workers` runs that many processes at once (a run that fails on the GPU is retried on
the CPU). Writes bench/reports/rec_lastfm.md (+ .json and PNG plots). Stages:
- tune (with main or fixed): the top-K settings in TUNE on the fixed split; the one with the best
  validation metric is what the other stages run;
- main: every model, both protocols, fresh random splits for seeds 0..N-1 (mean ± std), with the
  cold-start-user and long-tail-item slices of each run;
- fixed: every model on the fixed split files of the data's README (peers are run on them);
- sparsity: the main model and two baselines with 10-50% of the training rows (seed 0);
- ablation: the main model without graph / attention / sequence / content / user context (seed 0).
Targets (issue 5): CTR AUC >= 0.88 and F1 >= 0.80; top-K Recall@20 at least 10% above every baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from machine import cpu_name, machine_info  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from recommender.data import lastfm_data  # noqa: E402
from recommender.experiment import RunSpec, aggregate, run_once  # noqa: E402
from recommender.metrics import KS  # noqa: E402
from recommender.models import MAIN, MODELS  # noqa: E402
from recommender.splits import load_split_dir, make_split  # noqa: E402
from recommender.tuned import tuned_config  # noqa: E402

REPORTS = ROOT / "bench" / "reports"
RUNS = REPORTS / "rec_lastfm.runs.jsonl"
console = Console(stderr=True)

PUBLISHED = [  # CTR on this data, from ../shared/data/lastfm/README.md
    ("RippleNet", "~0.780", "~0.702", "KGCN paper"),
    ("KGCN (concat)", "0.796", "0.721", "KGCN paper"),
    ("KGNN-LS", "~0.80", "~0.72", "KGNN-LS paper"),
    ("KGAT", "~0.829", "~0.742", "as a baseline in CKAN"),
    ("CKAN", "~0.842", "~0.769", "CKAN, SIGIR 2020"),
    ("MCCLK", "~0.876", "", "MCCLK, SIGIR 2022, 8:2 split, no validation"),
]
ABLATIONS = {  # the like-for-like row first; "full" is the main stage's seed-0 run
    "no user context (standard inputs)": {"use_context": False},
    "no neighbourhood evidence": {"use_neighbours": False},
    "no graph": {"use_graph": False},
    "no attention": {"use_attention": False},
    "no content (id only)": {"modalities": ["id"]},
    "with sequence (Last.FM has no time order)": {"use_sequence": True},
}
FRACTIONS = (0.1, 0.2, 0.3, 0.4, 0.5, 1.0)


TUNE = {  # settings tried on the fixed split's validation rows; the other stages run the best
    (MAIN, "topk"): [
        {"epochs": 40, "patience": 4},
        {"epochs": 40, "patience": 4, "negatives": 8, "topk_loss": "bpr"},
        {"epochs": 40, "patience": 4, "negatives": 8, "topk_loss": "softmax"},
        {"epochs": 40, "patience": 4, "negatives": 8, "topk_loss": "softmax", "lr": 3e-3},
        {"epochs": 40, "patience": 4, "negatives": 32, "topk_loss": "softmax"},
        {"epochs": 40, "patience": 4, "negatives": 8, "topk_loss": "softmax", "dropout": 0.2},
        # with what helped CTR (wider tables, more voting neighbours, a stronger graph loss)
        {"epochs": 40, "patience": 4, "negatives": 32, "topk_loss": "softmax", "knn": 800},
        {"epochs": 40, "patience": 4, "negatives": 32, "topk_loss": "softmax", "knn": 800, "dim": 128,
         "kg_lambda": 0.5},
        # more negatives helped so far (1 -> 8 -> 32)
        {"epochs": 40, "patience": 4, "negatives": 64, "topk_loss": "softmax"},
        {"epochs": 40, "patience": 4, "negatives": 128, "topk_loss": "softmax"},
    ],
    (MAIN, "ctr"): [
        {},
        {"extra_negatives": 1},
        {"dim": 128},
        {"dropout": 0.3},
        {"kg_lambda": 0.5},
        {"lr": 3e-3},
        {"knn": 400},
        # then the single changes that helped, together
        {"knn": 400, "dim": 128},
        {"knn": 400, "dim": 128, "kg_lambda": 0.5},
        {"knn": 400, "dim": 128, "kg_lambda": 0.5, "dropout": 0.3},
        {"knn": 800, "dim": 128, "kg_lambda": 0.5, "dropout": 0.3},
        {"knn": 400, "dim": 128, "kg_lambda": 0.5, "dropout": 0.3, "extra_negatives": 1},
        {"knn": 1600, "dim": 128, "kg_lambda": 0.5, "dropout": 0.3},
        {"knn": 800, "dim": 256, "kg_lambda": 0.5, "dropout": 0.3},
    ],
    # the strongest trained baselines get the same chance at several negatives and the softmax
    ("lightgcn", "topk"): [{}, {"negatives": 8, "topk_loss": "softmax"}],
    ("bprmf", "topk"): [{}, {"negatives": 8, "topk_loss": "softmax"}],
}
SPARSITY_MODELS = (MAIN, "bprmf", "itemknn")


def key(stage: str, model: str, protocol: str, seed: int, config: dict, fraction: float) -> str:
    return json.dumps([stage, model, protocol, seed, config, fraction], sort_keys=True)


def _normal(config: dict) -> str:
    return json.dumps(config, sort_keys=True, default=list)


def is_current(row: dict) -> bool:
    """Whether a stored run ran with today's defaults (a retuned default makes old rows stale)."""
    cls = MODELS.get(row["model"])
    if cls is None:
        return False
    wanted = {**cls.all_defaults(), **row["config"]}
    return _normal(wanted) == _normal(row["result"].get("config", {}))


def load_runs(path: Path = RUNS) -> dict[str, dict[str, Any]]:
    """The stored runs that are still current, by key (later lines win)."""
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            if is_current(row):
                out[row["key"]] = row
    return out


def tuned(done: dict, model: str, protocol: str) -> dict | None:
    """The tuning candidate with the best validation metric; {} when the model is not tuned for
    the protocol, None while its tuning runs are unfinished."""
    candidates = TUNE.get((model, protocol))
    if not candidates:
        return {}
    rows = [done.get(key("tune", model, protocol, 0, c, 1.0)) for c in candidates]
    if any(r is None for r in rows):
        return None
    best = max(range(len(rows)), key=lambda k: next(iter(rows[k]["result"]["valid"].values())))
    return candidates[best]


@dataclass(frozen=True)
class Job:
    stage: str
    model: str
    protocol: str
    seed: int = 0
    config: dict | None = None  # None: the tuned config (known once the tuning runs finished)
    fraction: float = 1.0
    extra: dict | None = None  # merged over the tuned config (ablations)

    def resolve(self, done: dict) -> dict | None:
        if self.config is not None:
            return self.config
        base = tuned(done, self.model, self.protocol)
        return None if base is None else {**base, **(self.extra or {})}


def plan(stages: list[str], models: list[str], protocols: list[str], seeds: int) -> list[Job]:
    """Every run the stages ask for, most important first."""
    jobs: list[Job] = []
    for protocol in protocols:
        if "main" in stages or "fixed" in stages:
            for model in models:
                for config in TUNE.get((model, protocol), []):
                    jobs.append(Job("tune", model, protocol, 0, config))
    if "topk" in protocols and "fixed" in stages:
        jobs += [Job("fixed", model, "topk") for model in models]
    if "main" in stages:
        jobs += [Job("main", model, protocol, seed) for protocol in ("topk", "ctr") if protocol in protocols
                 for seed in range(seeds) for model in models]
    # CTR runs are cheaper than top-K ones (no full ranking per epoch): their extras come first
    for protocol in ("ctr", "topk"):
        if protocol not in protocols:
            continue
        if "ablation" in stages and MAIN in models:
            jobs += [Job("ablation", MAIN, protocol, extra=c) for c in ABLATIONS.values()]
        if "sparsity" in stages:
            jobs += [Job("sparsity", model, protocol, fraction=f) for model in SPARSITY_MODELS
                     if model in models for f in FRACTIONS if f < 1.0]
        if protocol == "ctr" and "fixed" in stages:
            jobs += [Job("fixed", model, "ctr") for model in models]
    return jobs


# Each worker process loads the data once.
_DATA: dict[str, Any] = {}


def _init_worker(data_path: str | None, threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    _DATA["data"] = lastfm_data(Path(data_path) if data_path else None)
    _DATA["split_dir"] = (Path(data_path) if data_path else data_dir()) / "splits"


def _run_job(stage: str, model: str, protocol: str, seed: int, config: dict, fraction: float,
             device: str) -> dict:
    data = _DATA["data"]
    fixed = stage in ("fixed", "tune")
    split = load_split_dir(data, _DATA["split_dir"], protocol) if fixed else make_split(data, protocol, seed)
    result = run_once(data, split, RunSpec(model, protocol, config, fraction, device=device), seed)
    return {"key": key(stage, model, protocol, seed, config, fraction), "stage": stage, "model": model,
            "protocol": protocol, "seed": seed, "config": config, "fraction": fraction,
            "device": device_name(device), "result": result}


def device_name(device: str) -> str:
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        return f"{torch.cuda.get_device_name()} + {cpu_name()}"
    return f"CPU: {cpu_name()}"


def execute(jobs: list[Job], done: dict, runs: Path, data_path: Path | None, device: str,
            workers: int, threads: int, deadline: float) -> None:
    """Run the jobs not yet done, `workers` at a time, each finished run appended to `runs` at
    once; no job starts after `deadline` seconds, and running ones are abandoned then too."""
    import concurrent.futures as futures
    import multiprocessing
    import time

    start = time.monotonic()
    pending = list(jobs)
    seen: set[str] = set()

    def next_ready() -> tuple[Job, dict] | None:
        for job in list(pending):
            config = job.resolve(done)
            if config is None:  # waits for its tuning runs
                continue
            pending.remove(job)
            k = key(job.stage, job.model, job.protocol, job.seed, config, job.fraction)
            if k in done or k in seen:
                continue
            seen.add(k)
            return job, config
        return None

    def record(row: dict) -> None:
        done[row["key"]] = row
        with runs.open("a") as handle:
            handle.write(json.dumps(row, default=float) + "\n")
        headline = row["result"]["test"].get("auc", row["result"]["test"].get("recall@20"))
        console.print(f"  done {row['stage']} {row['model']} {row['protocol']} seed={row['seed']} "
                      f"{row['config'] or ''} f={row['fraction']}: {headline:.4f} "
                      f"({row['result']['fit_seconds']} s, {time.monotonic() - start:.0f} s in)")

    if workers <= 0:  # in this process, one after another
        _init_worker(str(data_path) if data_path else None, threads)
        while (ready := next_ready()) and time.monotonic() - start < deadline:
            job, config = ready
            console.print(f"[bold]{job.stage}[/bold] {job.model} {job.protocol} seed={job.seed} {config}")
            record(_run_job(job.stage, job.model, job.protocol, job.seed, config, job.fraction, device))
        return
    context = multiprocessing.get_context("spawn")  # CUDA cannot be forked
    pool = futures.ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                       initargs=(str(data_path) if data_path else None, threads))
    running: dict[futures.Future, tuple[Job, dict, str]] = {}
    retry: list[tuple[Job, dict]] = []  # failed on the accelerator: run again on the CPU

    def submit(job: Job, config: dict, where: str) -> None:
        future = pool.submit(_run_job, job.stage, job.model, job.protocol, job.seed, config,
                             job.fraction, where)
        running[future] = (job, config, where)

    try:
        while True:
            while len(running) < workers and time.monotonic() - start < deadline:
                if retry:
                    submit(*retry.pop(0), "cpu")
                    continue
                ready = next_ready()
                if ready is None:
                    break
                submit(*ready, device)
            if not running:
                break
            left = deadline - (time.monotonic() - start)
            if left <= 0:
                console.print(f"deadline: abandoning {len(running)} running jobs")
                break
            finished, _ = futures.wait(running, timeout=min(left, 30), return_when=futures.FIRST_COMPLETED)
            for future in finished:
                job, config, where = running.pop(future)
                try:
                    record(future.result())
                except Exception as error:  # one failed run must not stop the others
                    console.print(f"[red]failed[/red] on {where}: {job} {config}: {error!r}")
                    if where != "cpu":
                        retry.append((job, config))
    finally:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)


# ------------------------------------------------------------------------------------------ report

def _fmt(summary: dict | None, metric: str) -> str:
    if not summary or metric not in summary:
        return "—"
    value = summary[metric]
    if isinstance(value, dict):
        return f"{value['mean']:.4f} ± {value['std']:.4f}"
    return f"{value:.4f}"


def summarise(rows: list[dict]) -> dict[str, Any]:
    return aggregate([r["result"] for r in rows])


def build_report(done: dict, seeds: int) -> dict[str, Any]:
    """Main and fixed rows of each model with its tuned config (its defaults where it is not tuned)."""
    rows = list(done.values())
    report: dict[str, Any] = {"machine": machine_info(), "seeds": seeds, "main": {}, "fixed": {},
                              "sparsity": {}, "ablation": {}, "tuning": {},
                              "devices": sorted({r.get("device", "CPU (earlier runs)") for r in rows})}
    for protocol in ("ctr", "topk"):
        for name in MODELS:
            chosen = tuned(done, name, protocol)
            if (name, protocol) in TUNE:
                report["tuning"].setdefault(protocol, {})[name] = {
                    "chosen": chosen,
                    "candidates": [{"config": c, "valid": (done.get(key("tune", name, protocol, 0, c, 1.0))
                                                          or {}).get("result", {}).get("valid")}
                                   for c in TUNE[(name, protocol)]]}
            if chosen is None:
                continue
            mine = [r for r in rows if r["model"] == name and r["protocol"] == protocol
                    and r["config"] == chosen and r["fraction"] == 1.0]
            main = [r for r in mine if r["stage"] == "main" and r["seed"] < seeds]
            if main:
                report["main"].setdefault(protocol, {})[name] = {**summarise(main), "n": len(main),
                                                                 "config": chosen}
            fixed = [r for r in mine if r["stage"] == "fixed"]
            if fixed:
                report["fixed"].setdefault(protocol, {})[name] = fixed[0]["result"]
            if name == MAIN:
                full = [r for r in main if r["seed"] == 0]
                if full:
                    report["ablation"].setdefault(protocol, {})["full"] = full[0]["result"]["test"]
                for label, extra in ABLATIONS.items():
                    wanted = {**chosen, **extra}
                    hit = [r for r in rows if r["stage"] == "ablation" and r["protocol"] == protocol
                           and r["config"] == wanted]
                    if hit:
                        report["ablation"].setdefault(protocol, {})[label] = hit[0]["result"]["test"]
            for r in rows:
                if (r["stage"] == "sparsity" and r["protocol"] == protocol and r["model"] == name
                        and r["config"] == chosen):
                    report["sparsity"].setdefault(protocol, {}).setdefault(name, {})[str(r["fraction"])] = (
                        r["result"]["test"])
            if main and name in SPARSITY_MODELS:
                full = [r for r in main if r["seed"] == 0]
                if full and report["sparsity"].get(protocol, {}).get(name):
                    report["sparsity"][protocol][name]["1.0"] = full[0]["result"]["test"]
    return report


def plots(report: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    topk = report["main"].get("topk", {})
    if topk:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for name, summary in topk.items():
            for ax, metric in zip(axes, ("recall", "ndcg"), strict=True):
                ys = [summary["test"][f"{metric}@{k}"]["mean"] for k in KS]
                ax.plot(KS, ys, marker="o", label=name)
                ax.set_xscale("log")
                ax.set_xticks(KS, [str(k) for k in KS])
                ax.set_xlabel("K")
                ax.set_ylabel(f"{metric}@K")
        axes[0].legend(fontsize=8)
        fig.suptitle("Last.FM top-K (mean over seeds)")
        fig.tight_layout()
        fig.savefig(REPORTS / "rec_lastfm_topk.png", dpi=110)
        plt.close(fig)
        made.append("rec_lastfm_topk.png")
    for protocol, metric in (("ctr", "auc"), ("topk", "recall@20")):
        sparse = report["sparsity"].get(protocol, {})
        if sparse:
            fig, ax = plt.subplots(figsize=(5.5, 4))
            for name, by_fraction in sparse.items():
                xs = sorted(by_fraction, key=float)
                ax.plot([float(x) for x in xs], [by_fraction[x][metric] for x in xs], marker="o", label=name)
            ax.set_xlabel("share of training data")
            ax.set_ylabel(metric)
            ax.legend(fontsize=8)
            ax.set_title(f"Sparsity ({protocol})")
            fig.tight_layout()
            fig.savefig(REPORTS / f"rec_lastfm_sparsity_{protocol}.png", dpi=110)
            plt.close(fig)
            made.append(f"rec_lastfm_sparsity_{protocol}.png")
        ablation = report["ablation"].get(protocol, {})
        if ablation:
            fig, ax = plt.subplots(figsize=(6.5, 3.5))
            labels = list(ablation)
            ax.barh(labels, [ablation[label][metric] for label in labels])
            low = min(ablation[label][metric] for label in labels)
            ax.set_xlim(max(0.0, low - 0.05), None)
            ax.set_xlabel(metric)
            ax.set_title(f"Ablations of {MAIN} ({protocol}, seed 0)")
            fig.tight_layout()
            fig.savefig(REPORTS / f"rec_lastfm_ablation_{protocol}.png", dpi=110)
            plt.close(fig)
            made.append(f"rec_lastfm_ablation_{protocol}.png")
    return made


def markdown(report: dict, images: list[str]) -> str:
    m = report["machine"]
    lines = ["# Last.FM recommender benchmark", "",
             f"Report written on: {m['cpu']}, {m['cores']} cores, Python {m['python']}. The runs ran on: "
             + "; ".join(report.get("devices", [])) + " (each run records its device in the runs file; "
             "fit times are wall-clock with other runs sharing the machine, so upper bounds).", "",
             "Data: the standard KGCN preprocessing (1,872 users, 3,846 items, 21,173 positives, 42,346 "
             "labelled pairs, 9,366 entities, 60 relations, 15,518 triples; asserted on load).",
             f"`main`: fresh random splits for seeds 0..{report['seeds'] - 1} (mean ± std); `fixed`: "
             "the README's split files. Models tune on validation only; test is reported.", "",
             f"`{MAIN}` reads, besides the graph and the item history, each user's listening to the "
             "artists that are not items (`user_context`: Last.FM artists without a graph link, "
             "disjoint from every label). The published models do not read it, so the row "
             "*no user context (standard inputs)* in the ablations is the like-for-like comparison.", ""]
    ctr = report["main"].get("ctr", {})
    if ctr:
        lines += ["## CTR (6:2:2 labelled pairs; AUC over the whole test set, F1 at 0.5)", "",
                  "| model | AUC | F1 | cold-start users AUC | long-tail items AUC | fit s | runs |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for name, s in sorted(ctr.items(), key=lambda kv: -kv[1]["test"]["auc"]["mean"]):
            lines.append(f"| {name} | {_fmt(s['test'], 'auc')} | {_fmt(s['test'], 'f1')} | "
                         f"{_fmt(s.get('cold_start'), 'auc')} | {_fmt(s.get('long_tail'), 'auc')} | "
                         f"{s['fit_seconds']['mean']:.0f} | {s['n']} |")
        lines += ["", "Published on this data (CTR, 6:2:2 unless noted):", "",
                  "| model | AUC | F1 | source |", "|---|---:|---:|---|"]
        lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in PUBLISHED]
        lines.append("")
    topk = report["main"].get("topk", {})
    if topk:
        lines += ["## Top-K (per-user 8:1:1 of the positives; full ranking over unseen items)", "",
                  "| model | P@20 | R@20 | NDCG@20 | MRR@20 | MAP@20 | Hit@20 | F1@20 | R@20 cold users | "
                  "R@20 long tail | fit s |", "|---|" + "---:|" * 10]
        order = sorted(topk.items(), key=lambda kv: -kv[1]["test"]["recall@20"]["mean"])
        for name, s in order:
            t = s["test"]
            lines.append(f"| {name} | " + " | ".join(_fmt(t, f"{x}@20") for x in
                                                   ("precision", "recall", "ndcg", "mrr", "map", "hit", "f1"))
                         + f" | {_fmt(s.get('cold_start'), 'recall@20')}"
                         + f" | {_fmt(s.get('long_tail'), 'recall@20')}"
                         f" | {s['fit_seconds']['mean']:.0f} |")
        if MAIN in topk:
            ours = topk[MAIN]["test"]["recall@20"]["mean"]
            best = max(((n, s["test"]["recall@20"]["mean"]) for n, s in topk.items() if n != MAIN),
                       key=lambda x: x[1], default=None)
            if best:
                lines += ["", f"{MAIN} Recall@20 {ours:.4f} vs the best baseline ({best[0]}) {best[1]:.4f}: "
                          f"{(ours / best[1] - 1) * 100:+.1f}% (target +10%)."]
        lines += ["", "All K (mean over seeds):", "", "| model | " + " | ".join(
            f"R@{k}" for k in KS) + " | " + " | ".join(f"NDCG@{k}" for k in KS) + " |",
            "|---|" + "---:|" * (2 * len(KS))]
        for name, s in order:
            lines.append(f"| {name} | " + " | ".join(f"{s['test'][f'recall@{k}']['mean']:.4f}" for k in KS)
                         + " | " + " | ".join(f"{s['test'][f'ndcg@{k}']['mean']:.4f}" for k in KS) + " |")
        lines.append("")
    for protocol, metric in (("ctr", "auc"), ("topk", "recall@20")):
        fixed = report["fixed"].get(protocol, {})
        if fixed:
            lines += [f"## Fixed split files ({protocol}, the README's `splits/`)", "",
                      f"| model | {metric} | " + ("F1 |" if protocol == "ctr" else "NDCG@20 |"),
                      "|---|---:|---:|"]
            other = "f1" if protocol == "ctr" else "ndcg@20"
            for name, r in sorted(fixed.items(), key=lambda kv: -kv[1]["test"][metric]):
                lines.append(f"| {name} | {r['test'][metric]:.4f} | {r['test'][other]:.4f} |")
            lines.append("")
    for protocol, block in report.get("tuning", {}).items():
        lines += [f"## Tuning on the fixed split's validation rows ({protocol})", "",
                  "| model | config | validation | chosen |", "|---|---|---:|---|"]
        for name, t in block.items():
            for c in t["candidates"]:
                valid = next(iter(c["valid"].values())) if c["valid"] else None
                lines.append(f"| {name} | `{json.dumps(c['config'])}` | "
                             f"{'—' if valid is None else f'{valid:.4f}'} | "
                             f"{'yes' if c['config'] == t['chosen'] else ''} |")
        lines.append("")
    for title, part in (("Sparsity (share of training rows, seed 0)", "sparsity"),
                        ("Ablations of the main model (seed 0)", "ablation")):
        for protocol, metric in (("ctr", "auc"), ("topk", "recall@20")):
            block = report[part].get(protocol, {})
            if not block:
                continue
            lines += [f"## {title}: {protocol}, {metric}", ""]
            if part == "sparsity":
                fractions = sorted({f for by in block.values() for f in by}, key=float)
                lines += ["| model | " + " | ".join(f"{float(f):.0%}" for f in fractions) + " |",
                          "|---|" + "---:|" * len(fractions)]
                for name, by in block.items():
                    lines.append(f"| {name} | " + " | ".join(
                        f"{by[f][metric]:.4f}" if f in by else "—" for f in fractions) + " |")
            else:
                lines += [f"| variant | {metric} |", "|---|---:|"]
                lines += [f"| {label} | {t[metric]:.4f} |" for label, t in block.items()]
            lines.append("")
    if images:
        lines += ["## Plots", ""] + [f"![{i}]({i})" for i in images] + [""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--stages", default="main,fixed,sparsity,ablation")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--protocols", default="ctr,topk")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--workers", type=int, default=0, help="parallel processes (0: this one)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads per worker")
    parser.add_argument("--deadline", type=float, default=float("inf"),
                        help="seconds after which no run starts and running ones are abandoned")
    parser.add_argument("--runs", type=Path, default=RUNS, help="the runs file to resume and append to")
    args = parser.parse_args()
    REPORTS.mkdir(parents=True, exist_ok=True)
    done = load_runs(args.runs)
    if not args.report_only:
        jobs = plan(args.stages.split(","), [m for m in args.models.split(",") if m],
                    args.protocols.split(","), args.seeds)
        execute(jobs, done, args.runs, args.data, args.device, args.workers, args.threads, args.deadline)
    for (name, protocol) in TUNE:
        chosen = tuned(done, name, protocol)
        if chosen is not None and chosen != tuned_config("lastfm", name, protocol):
            console.print(f"[yellow]tuning chose {chosen} for {name} ({protocol}); "
                          "recommender/tuned.py records something else: update it[/yellow]")
    report = build_report(done, args.seeds)
    images = plots(report)
    (REPORTS / "rec_lastfm.json").write_text(json.dumps(report, indent=1, default=float))
    (REPORTS / "rec_lastfm.md").write_text(markdown(report, images))
    table = Table(title="Last.FM (mean over seeds)")
    for column in ("model", "CTR AUC", "CTR F1", "top-K R@20", "top-K NDCG@20"):
        table.add_column(column)
    for name in MODELS:
        c = report["main"].get("ctr", {}).get(name, {}).get("test")
        t = report["main"].get("topk", {}).get(name, {}).get("test")
        table.add_row(name, _fmt(c, "auc"), _fmt(c, "f1"), _fmt(t, "recall@20"), _fmt(t, "ndcg@20"))
    Console().print(table)


def data_dir() -> Path:
    from kg.lastfm import default_lastfm_dir

    found = default_lastfm_dir()
    if found is None:
        raise SystemExit("no Last.FM data: set ETUDE_LASTFM_DIR or pass --data")
    return found


if __name__ == "__main__":
    main()
