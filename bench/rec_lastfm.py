"""Last.FM recommender benchmark: every model on both protocols, seeds, sparsity, slices, ablations.

    .venv/bin/python bench/rec_lastfm.py [--seeds 5] [--stages main,fixed,sparsity,ablation]
                                         [--models mkgat,bprmf,...] [--report-only]

Each finished run is appended to bench/reports/rec_lastfm.runs.jsonl (keyed by its spec), so an
interrupted benchmark resumes where it stopped and the report is rebuilt from whatever finished.
Writes bench/reports/rec_lastfm.md (+ .json and PNG plots). Stages:
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from machine import machine_info  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from recommender.data import lastfm_data  # noqa: E402
from recommender.experiment import RunSpec, aggregate, run_once  # noqa: E402
from recommender.metrics import KS  # noqa: E402
from recommender.models import MAIN, MODELS  # noqa: E402
from recommender.splits import load_split_dir, make_split  # noqa: E402

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


def key(stage: str, model: str, protocol: str, seed: int, config: dict, fraction: float) -> str:
    return json.dumps([stage, model, protocol, seed, config, fraction], sort_keys=True)


def load_runs() -> dict[str, dict[str, Any]]:
    if not RUNS.is_file():
        return {}
    out = {}
    for line in RUNS.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            out[row["key"]] = row
    return out


def execute(done: dict, data, stage: str, model: str, protocol: str, seed: int,
            config: dict | None = None, fraction: float = 1.0, split_dir: Path | None = None) -> dict:
    k = key(stage, model, protocol, seed, config or {}, fraction)
    if k in done:
        return done[k]
    console.print(f"[bold]{stage}[/bold] {model} {protocol} seed={seed} {config or ''} fraction={fraction}")
    split = load_split_dir(data, split_dir, protocol) if split_dir else make_split(data, protocol, seed)
    result = run_once(data, split, RunSpec(model, protocol, config, fraction), seed, progress=True)
    row = {"key": k, "stage": stage, "model": model, "protocol": protocol, "seed": seed,
           "config": config or {}, "fraction": fraction, "result": result}
    with RUNS.open("a") as handle:
        handle.write(json.dumps(row, default=float) + "\n")
    done[k] = row
    headline = result["test"].get("auc", result["test"].get("recall@20"))
    console.print(f"  -> {headline:.4f} in {result['fit_seconds']} s")
    return row


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
    rows = list(done.values())
    report: dict[str, Any] = {"machine": machine_info(), "seeds": seeds, "main": {}, "fixed": {},
                              "sparsity": {}, "ablation": {}}
    for protocol in ("ctr", "topk"):
        for name in MODELS:
            main = [r for r in rows if r["stage"] == "main" and r["model"] == name
                    and r["protocol"] == protocol and r["seed"] < seeds]
            if main:
                report["main"].setdefault(protocol, {})[name] = {**summarise(main), "n": len(main)}
            fixed = [r for r in rows
                     if r["stage"] == "fixed" and r["model"] == name and r["protocol"] == protocol]
            if fixed:
                report["fixed"].setdefault(protocol, {})[name] = fixed[0]["result"]
        for r in rows:
            if r["stage"] == "sparsity" and r["protocol"] == protocol:
                report["sparsity"].setdefault(protocol, {}).setdefault(r["model"], {})[str(r["fraction"])] = (
                    r["result"]["test"])
            if r["stage"] == "ablation" and r["protocol"] == protocol:
                label = next((n for n, c in ABLATIONS.items() if c == r["config"]), json.dumps(r["config"]))
                report["ablation"].setdefault(protocol, {})[label] = r["result"]["test"]
            if (r["stage"] == "main" and r["model"] == MAIN and r["seed"] == 0 and not r["config"]
                    and r["protocol"] == protocol):
                report["ablation"].setdefault(protocol, {})["full"] = r["result"]["test"]
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
             f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, CPU only "
             f"(load {m['load_average_1min']} at the start; other jobs shared the cores, so fit "
             "times are upper bounds).", "",
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
    args = parser.parse_args()
    REPORTS.mkdir(parents=True, exist_ok=True)
    done = load_runs()
    if not args.report_only:
        data = lastfm_data(args.data)
        models = [m for m in args.models.split(",") if m]
        stages = args.stages.split(",")
        protocols = args.protocols.split(",")
        split_dir = args.data or data_dir()
        for protocol in protocols:
            if "fixed" in stages:
                for name in models:
                    execute(done, data, "fixed", name, protocol, 0, split_dir=split_dir / "splits")
            if "main" in stages:
                for seed in range(args.seeds):
                    for name in models:
                        execute(done, data, "main", name, protocol, seed)
            if "ablation" in stages:
                for config in ABLATIONS.values():
                    execute(done, data, "ablation", MAIN, protocol, 0, config=config)
            if "sparsity" in stages:
                for name in [MAIN, "bprmf", "itemknn"]:
                    if name in MODELS:
                        for fraction in FRACTIONS:
                            execute(done, data, "sparsity", name, protocol, 0, fraction=fraction)
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
