"""`etude rec eval`: one JSON object with the protocol's metrics, clear errors for bad requests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from kg.lastfm import default_lastfm_dir

runner = CliRunner()


@pytest.fixture(scope="module")
def lastfm_dir() -> Path:
    directory = default_lastfm_dir()
    if directory is None or not (directory / "kg.txt").exists():
        pytest.skip("Last.FM benchmark data not found (optional; set ETUDE_LASTFM_DIR)")
    return directory


def test_eval_prints_one_json_object_with_ctr_metrics_on_the_fixed_split(lastfm_dir):
    result = runner.invoke(app, ["rec", "eval", "--model", "pop", "--protocol", "ctr", "--data",
                                 str(lastfm_dir), "--split-dir", str(lastfm_dir / "splits"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["model"] == "pop" and report["protocol"] == "ctr"
    assert report["split"].startswith("fixed files")
    assert 0.75 < report["test"]["auc"] < 0.82  # popularity on Last.FM: about 0.79
    assert {"cold_start", "long_tail", "fit_seconds"} <= set(report)


def test_eval_over_seeds_reports_mean_and_std_of_top_k_metrics(lastfm_dir):
    result = runner.invoke(app, ["rec", "eval", "--model", "pop", "--protocol", "topk", "--data",
                                 str(lastfm_dir), "--seeds", "2", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["seeds"] == [0, 1]
    recall = report["test"]["recall@20"]
    assert set(recall) == {"mean", "std"} and 0.1 < recall["mean"] < 0.3
    assert len(report["runs"]) == 2


@pytest.mark.parametrize(("args", "message"), [
    (["--model", "nope"], "unknown model"),
    (["--protocol", "rank"], "unknown protocol"),
    (["--config", "{not json"], "not JSON"),
    (["--fraction", "0"], "fraction"),
    (["--data", "/nonexistent/lastfm"], "missing"),
])
def test_bad_requests_fail_with_a_clear_message(args, message):
    result = runner.invoke(app, ["rec", "eval", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_eval_runs_the_settings_tuned_for_the_data_set_under_any_config(lastfm_dir):
    base = ["rec", "eval", "--model", "bprmf", "--protocol", "topk", "--data", str(lastfm_dir),
            "--fraction", "0.1", "--config", '{"epochs": 1}', "--json"]
    tuned = json.loads(runner.invoke(app, base).stdout.strip().splitlines()[-1])
    assert tuned["config"].items() >= {"negatives": 8, "topk_loss": "softmax", "epochs": 1}.items()
    plain = json.loads(runner.invoke(app, [*base, "--defaults"]).stdout.strip().splitlines()[-1])
    assert plain["config"]["negatives"] == 1 and plain["config"]["epochs"] == 1


def test_every_tuned_setting_is_one_its_model_accepts():
    from recommender.models import create
    from recommender.tuned import SETTINGS
    from tests.recommender.tiny import tiny_data

    data = tiny_data()
    for settings in SETTINGS.values():
        for (name, _protocol), config in settings.items():
            assert create(name, data, config).config.items() >= config.items()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_eval_under_torchrun_trains_on_every_rank_and_prints_once(lastfm_dir, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         "-m", "bot.cli", "rec", "eval", "--model", "bprmf", "--protocol", "ctr", "--data", str(lastfm_dir),
         "--split-dir", str(lastfm_dir / "splits"), "--config", '{"epochs": 2}', "--json"],
        env=env, capture_output=True, text=True, timeout=280, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1  # rank 0 alone reports
    report = json.loads(lines[0])
    assert report["ranks"] == 2 and report["model"] == "bprmf"
    assert 0.7 < report["test"]["auc"] < 0.85
