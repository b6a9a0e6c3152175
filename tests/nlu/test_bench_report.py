"""The NLU benchmark report says which run measured each section.

A run with `--no-clinc` keeps the CLINC150 section of the previous report; the report's header
names this run's machine, so a kept section must carry its own date and CPU, or a number measured
on another machine reads as this one's.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.bench_scripts import load_bench


@pytest.fixture(scope="module")
def nlu_bench():
    return load_bench("nlu_bench")


def machine(cpu: str) -> dict[str, Any]:
    return {"cpu": cpu, "cores": 2, "python": "3.11.7", "torch": "2.13.0+cpu", "load_average_1m": 0.2}


CLINC = {
    "train_examples": 15100, "subset_per_intent": None, "epochs": 3, "max_length": 32, "pooling": "attention",
    "train_seconds": 1248.3, "temperature": 1.0, "threshold": 0.88, "threshold_rule": "tuned on val",
    "oos_as_class": {"in_scope_accuracy": 96.6, "oos_recall": 44.7},
    "oos_class_and_threshold": {"in_scope_accuracy": 92.8, "oos_recall": 92.6},
}
LATENCY = {"parse_p50_ms": 6.9, "parse_p95_ms": 8.9, "encoder_forward_p50_ms": 7.0,
           "ratio_parse_to_forward_p50": 0.99, "batch_messages_per_second": 250.0,
           "load_average_1m_before": 0.2, "load_average_1m_after": 0.4}


def test_a_section_not_rerun_is_kept_with_the_date_and_cpu_it_was_measured_on(nlu_bench):
    previous = {"date": "2026-11-27 15:13 UTC", "machine": machine("AMD EPYC"),
                "clinc150": copy.deepcopy(CLINC), "latency": {**LATENCY, "parse_p95_ms": 22.1}}
    report = {"date": "2026-11-27 16:39 UTC", "machine": machine("Intel Xeon"), "latency": dict(LATENCY)}

    nlu_bench.keep_earlier(report, previous)

    assert report["clinc150"]["ran"] == {"date": "2026-11-27 15:13 UTC", "cpu": "AMD EPYC"}
    assert report["latency"]["ran"] == {"date": "2026-11-27 16:39 UTC", "cpu": "Intel Xeon"}
    assert report["latency"]["parse_p95_ms"] == 8.9
    text = "\n".join(nlu_bench.render(report))
    assert "oos_test: 1,000) (run 2026-11-27 15:13 UTC on AMD EPYC)" in text
    assert "1248.3 s on AMD EPYC" in text
    assert "Latency measured with load average" in text  # this run's own section: no note


def test_a_stamp_from_an_older_report_is_not_overwritten_by_the_report_that_kept_it(nlu_bench):
    stamped = {**copy.deepcopy(CLINC), "ran": {"date": "2026-11-20 09:00 UTC", "cpu": "AMD EPYC"}}
    previous = {"date": "2026-11-27 15:13 UTC", "machine": machine("Intel Xeon"), "clinc150": stamped}
    report = {"date": "2026-11-27 16:39 UTC", "machine": machine("Intel Xeon")}

    nlu_bench.keep_earlier(report, previous)

    assert report["clinc150"]["ran"] == {"date": "2026-11-20 09:00 UTC", "cpu": "AMD EPYC"}
