"""`torchrun` launches: each rank joins the group the launcher describes and trains its share.

The job script is started the way a user starts multi-GPU training (`python -m
torch.distributed.run`, here with two CPU processes and gloo; with `--device cuda` the same
script runs on GPUs); outside torchrun the launch is a single process that reports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

from recommender.distributed import backend_for, launch

JOB = Path(__file__).with_name("torchrun_job.py")


def run_job(out: Path, device: str = "cpu", ranks: int = 2, *mode: str) -> list[dict]:
    """Run the job under torchrun; a launch that fails is tried once more, since a launch can fail
    for reasons outside the job on a busy machine (the standalone rendezvous chooses a free port
    before binding it, for one). The job itself is deterministic: a real fault fails both tries.
    The first failure's stderr becomes a warning, the second's the test's failure."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc_per_node={ranks}", str(JOB), str(out), device, *mode]
    for attempt in (1, 2):
        done = subprocess.run(command, env=env, timeout=240, capture_output=True, text=True)
        if done.returncode == 0:
            break
        if attempt == 2:
            pytest.fail(f"torchrun exited with {done.returncode}:\n{done.stderr[-4000:]}")
        warnings.warn(f"torchrun launch failed once, trying again:\n{done.stderr[-2000:]}", stacklevel=2)
    return [json.loads((out / f"rank-{r}.json").read_text()) for r in range(ranks)]


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="needs gloo")
def test_two_cpu_ranks_under_torchrun_end_with_the_same_weights(tmp_path):
    ranks = run_job(tmp_path)
    assert [r["rank"] for r in ranks] == [0, 1]
    assert all(r["world"] == 2 and r["backend"] == "gloo" for r in ranks)
    assert [r["reports"] for r in ranks] == [True, False]  # one rank prints and saves
    assert ranks[0]["history"] == ranks[1]["history"]  # one early-stopping decision
    first, second = (torch.load(tmp_path / f"state-{r}.pt") for r in range(2))
    assert all(torch.equal(first[k], second[k]) for k in first)


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="needs gloo")
def test_under_torchrun_only_rank_0_saves_and_gates_the_platform_model(tmp_path):
    first, second = run_job(tmp_path, "cpu", 2, "publish")
    assert first["activated"] and first["version"]
    assert (tmp_path / "home-0" / "models" / "rec").is_dir()
    assert second["version"] is None and not second["activated"]
    assert not (tmp_path / "home-1" / "models" / "rec").exists()  # nothing written twice
    assert first["best_epoch"] == second["best_epoch"]  # one training, one decision


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_ranks_under_torchrun_train_on_the_gpu(tmp_path):
    ranks = run_job(tmp_path, "cuda")
    assert all(r["device"].startswith("cuda:") for r in ranks)
    assert ranks[0]["history"] == ranks[1]["history"]
    first, second = (torch.load(tmp_path / f"state-{r}.pt") for r in range(2))
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_outside_torchrun_the_launch_is_one_process_that_reports(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    with launch("cpu") as job:
        assert (job.device, job.rank, job.world, job.reports) == ("cpu", 0, 1, True)
        assert not (dist.is_available() and dist.is_initialized())


def test_ranks_sharing_one_gpu_use_gloo_and_the_cpu_always_does():
    assert backend_for("cpu", 2) == "gloo"
    assert backend_for("cuda:0", torch.cuda.device_count() + 1) == "gloo"  # NCCL needs a GPU per rank
