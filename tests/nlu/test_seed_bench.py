"""The seed benchmark compares variants on what they share.

Variants that differ in their data hold different validation and held-out examples (an added
example lands in one of the parts by its hash); their accuracies on their own parts are not on the
same messages. The report also scores every run on the messages that every run's part holds.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.bench_scripts import load_bench


@pytest.fixture(scope="module")
def seeds_bench():
    return load_bench("nlu_seeds")


def run(variant: str, seed: int, val: list[str], wrong_val: list[str], test: list[str],
        wrong_test: list[str]) -> dict[str, Any]:
    return {
        "variant": variant, "seed": seed, "device": "cpu", "seconds": 1.0,
        "validation": {"intent_accuracy": round(1 - len(wrong_val) / len(val), 4), "entity_f1": 0.9,
                       "examples": len(val)},
        "held_out": {"intent_accuracy": round(1 - len(wrong_test) / len(test), 4), "entity_f1": 0.8,
                     "examples": len(test)},
        "texts": {"validation": val, "held_out": test},
        "wrong": {"validation": wrong_val, "held_out": wrong_test},
        "validation_errors": [],
    }


def test_runs_are_also_scored_on_the_examples_all_of_them_hold(seeds_bench):
    old = run("old", 13, ["a", "b", "c", "d"], ["d"], ["p", "q"], [])
    new = run("new", 13, ["a", "b", "c", "d", "added"], ["added"], ["p", "q", "new one"], ["q"])

    summary = {row["variant"]: row for row in seeds_bench.summarise([old, new])}

    assert new["validation"]["intent_accuracy"] == 0.8  # on its own five
    assert new["shared"]["validation"] == {"intent_accuracy": 1.0, "examples": 4}
    assert old["shared"]["validation"] == {"intent_accuracy": 0.75, "examples": 4}
    assert summary["new"]["shared_held_out_intent_accuracy"]["mean"] == 0.5
    assert summary["old"]["shared_held_out_intent_accuracy"]["mean"] == 1.0


def test_a_variant_reports_the_mean_and_spread_over_its_seeds(seeds_bench):
    runs = [run("v", seed, ["a", "b", "c", "d"], wrong, ["p"], []) for seed, wrong in
            ((13, []), (7, ["a"]), (21, ["a", "b"]))]

    (row,) = seeds_bench.summarise(runs)

    assert row["seeds"] == [13, 7, 21]
    assert row["validation_intent_accuracy"]["mean"] == 0.75
    assert row["validation_intent_accuracy"]["sd"] == 0.25
    assert row["validation_intent_accuracy"]["runs"] == [1.0, 0.75, 0.5]


def test_the_runs_of_a_cut_short_sweep_can_be_reported(seeds_bench, tmp_path):
    log = tmp_path / "nlu_seeds.jsonl"
    log.write_text("\n".join(json.dumps(run("v", s, ["a", "b"], [], ["p"], ["p"])) for s in (1, 2)) + "\n")

    status = seeds_bench.main(["--home", str(tmp_path), "--from-runs", str(log), "--report", str(tmp_path)])

    assert status == 0
    report = json.loads((tmp_path / "nlu_seeds.json").read_text())
    assert [r["seed"] for r in report["runs"]] == [1, 2]
    assert report["summary"][0]["held_out_intent_accuracy"]["mean"] == 0.0
    assert "| v | 1 2 |" in (tmp_path / "nlu_seeds.md").read_text()


def test_a_variant_must_name_files_that_exist(seeds_bench, tmp_path):
    with pytest.raises(SystemExit):
        seeds_bench.main(["--home", str(tmp_path), "--variant", f"x={tmp_path / 'missing.yml'}"])


def test_a_report_of_earlier_runs_names_where_they_ran_and_their_never_trained_score(seeds_bench, tmp_path):
    ran = run("v", 1, ["a"], [], ["p"], [])
    ran["machine"] = {"cpu": "Far Away CPU", "cores": 16, "python": "3.12.3", "system": "Linux 6",
                      "load_average_1min": 0.0}
    ran["device"] = "NVIDIA H200"
    ran["unseen"] = {"intent_accuracy": 0.97, "entity_f1": 0.9, "examples": 100}
    log = tmp_path / "nlu_seeds.jsonl"
    log.write_text(json.dumps(ran) + "\n")

    seeds_bench.main(["--home", str(tmp_path), "--from-runs", str(log), "--report", str(tmp_path)])

    text = (tmp_path / "nlu_seeds.md").read_text()
    assert "Far Away CPU, 16 cores" in text and "Device: NVIDIA H200" in text
    assert "never-trained test file intent" in text and "0.9700 ± 0.0000" in text
