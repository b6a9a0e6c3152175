"""Knowledge-tracing benchmark on ASSISTments 2009 (the DKVMN files): BKT against SAKT.

    .venv/bin/python bench/kt_assist.py [--data ../shared/data/assist2009] [--seeds 1] [--threads 2]

Trains both models on `assist2009_updated_train.csv` (10% of its learners held out for early
stopping, as the data's README says), predicts every answer of `assist2009_updated_test.csv` from
the answers before it, and reports the AUC beside the numbers published on the same files (DKVMN
paper, Table 3). Prints a table and writes bench/reports/kt_assist.{md,json}. Target (issue 6):
the attention model's AUC ≥ 0.82.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine import machine_info, save_report  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

REPORTS = ROOT / "bench" / "reports"
DATA = ROOT.parent / "shared" / "data" / "assist2009"
TARGET = 0.82
PUBLISHED = {"DKT (DKVMN paper)": 0.8053, "DKVMN (DKVMN paper)": 0.8157}
console = Console(stderr=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seeds", type=int, default=1, help="SAKT seeds (and validation splits)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--config", default="{}", help="JSON object overriding SAKTConfig")
    parser.add_argument("--report", default="kt_assist")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    args = parser.parse_args()
    train_file = args.data / "assist2009_updated_train.csv"
    if not train_file.exists():
        raise SystemExit(f"{train_file} is missing: see README.md, 'Data you may add'")

    import torch

    from recommender.learner.bkt import BKT
    from recommender.learner.sakt import SAKT, SAKTConfig
    from recommender.learner.sequences import answer_auc, load_assist, n_skills, split_learners

    torch.set_num_threads(args.threads)
    train = load_assist(train_file)
    test = load_assist(args.data / "assist2009_updated_test.csv")
    skills = max(n_skills(train), n_skills(test))
    rows: dict[str, Any] = {}

    started = time.perf_counter()
    bkt = BKT().fit(train, skills)
    fitted = round(time.perf_counter() - started, 1)
    rows["BKT"] = {"test_auc": [round(answer_auc(bkt.predict(test), test), 4)], "fit_s": fitted}
    console.print(f"BKT: test AUC {rows['BKT']['test_auc'][0]}")

    config = SAKTConfig(**json.loads(args.config))
    sakt_rows: dict[str, list[Any]] = {"test_auc": [], "valid_auc": [], "fit_s": [], "epochs": []}
    predictions = []
    for seed in range(args.seeds):
        fit, valid = split_learners(train, 0.1, seed)
        started = time.perf_counter()
        def show(epoch: int, loss: float, valid_auc: float, seed: int = seed) -> None:
            console.print(f"SAKT seed {seed} epoch {epoch}: loss {loss:.4f}, validation AUC {valid_auc:.4f}")

        model = SAKT(SAKTConfig(**{**asdict(config), "seed": seed}), device=args.device).fit(
            fit, valid, skills, progress=show)
        sakt_rows["fit_s"].append(round(time.perf_counter() - started, 1))
        sakt_rows["valid_auc"].append(max(h["valid_auc"] for h in model.history))
        sakt_rows["epochs"].append(len(model.history))
        predictions.append(model.predict(test))
        sakt_rows["test_auc"].append(round(answer_auc(predictions[-1], test), 4))
        console.print(f"SAKT seed {seed}: test AUC {sakt_rows['test_auc'][-1]}")
    rows["SAKT (AKT-style difficulty)"] = sakt_rows
    if args.seeds > 1:  # the seeds' models together: each answer's chance averaged over them
        mean = [sum(parts) / len(parts) for parts in zip(*predictions, strict=True)]
        rows[f"SAKT, {args.seeds} seeds averaged"] = {
            "test_auc": [round(answer_auc(mean, test), 4)], "fit_s": float(sum(sakt_rows["fit_s"]))}
        console.print(f"SAKT ensemble of {args.seeds}: test AUC {rows[f'SAKT, {args.seeds} seeds averaged']}")

    report = {
        "machine": machine_info(),
        "command": "bench/kt_assist.py " + " ".join(sys.argv[1:]),
        "data": {"train_learners": len(train), "test_learners": len(test), "skills": skills,
                 "train_answers": sum(map(len, train)), "test_answers": sum(map(len, test))},
        "sakt_config": asdict(config),
        "torch_threads": args.threads,
        "device": args.device if args.device == "cpu" else torch.cuda.get_device_name(),
        "results": rows,
        "published": PUBLISHED,
        "target": TARGET,
    }
    table = Table(title="ASSISTments 2009 (DKVMN files): next-answer AUC on the test learners")
    for column in ("model", "test AUC", "fit"):
        table.add_column(column)
    lines = [
        "# Knowledge tracing on ASSISTments 2009",
        "",
        f"Machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, Python "
        f"{report['machine']['python']}; SAKT on {report['device']}; torch threads {args.threads}; "
        "1-min load average at start "
        f"{report['machine']['load_average_1min']}. Command: `{report['command']}`.",
        "",
        f"Data: {len(train)} training learners ({report['data']['train_answers']} answers; 10% held out "
        f"for early stopping), {len(test)} test learners ({report['data']['test_answers']} answers), "
        f"{skills} skills. Every test answer is predicted from the learner's answers before it.",
        "",
        "| model | test AUC | fit time |",
        "|---|---|---|",
    ]
    for name, r in rows.items():
        values = r["test_auc"]
        shown = f"{values[0]:.4f}" if len(values) == 1 else (
            f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f} ({len(values)} seeds)")
        fit = r["fit_s"] if isinstance(r["fit_s"], float) else statistics.mean(r["fit_s"])
        table.add_row(name, shown, f"{fit:.0f} s")
        lines.append(f"| {name} | {shown} | {fit:.0f} s |")
    for name, value in PUBLISHED.items():
        table.add_row(name, f"{value:.4f}", "published")
        lines.append(f"| {name} | {value:.4f} | published |")
    best = max(statistics.mean(r["test_auc"]) for name, r in rows.items() if name.startswith("SAKT"))
    verdict = "met" if best >= TARGET else "not met"
    lines += ["", f"Target: the attention model's test AUC ≥ {TARGET}: **{verdict}** ({best:.4f}).",
              "", f"SAKT settings: `{json.dumps(asdict(config))}`."]
    Console().print(table)
    save_report(REPORTS, args.report, report, lines)
    console.print(f"wrote {REPORTS / args.report}.md and .json")


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
