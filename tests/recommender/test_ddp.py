"""Distributed training: two gloo processes on the CPU train BPR-MF through `recommender.train.fit`.

The ranks start from different weights (DistributedDataParallel takes rank 0's), train on their
shares of the same batches and must stay in lock-step: the same steps, the same early-stopping
decision, the same restored best state.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(180),
    pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="needs gloo"),
]

WORLD = 2
CONFIG = {"dim": 8, "epochs": 8, "batch_size": 64, "lr": 0.05, "patience": 2}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def skew_validation(train_module) -> None:
    """Make this rank's own validation say "worse every epoch", as nondeterministic kernels or a
    rank-local evaluation could; left to itself the rank would stop after `patience` epochs."""
    real = train_module.evaluate
    calls = []

    def skewed(*args, **kwargs):
        calls.append(1)
        return {**real(*args, **kwargs), "recall@20": 1.0 - len(calls)}

    train_module.evaluate = skewed


def worker(rank: int, port: int, out: str) -> None:
    """One rank: fit BPR-MF on the tiny data's top-K split twice (as is, then with rank 1's
    validation skewed) and save what each run ended with."""
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    # a rank that falls out of step fails its next collective within seconds instead of hanging
    dist.init_process_group("gloo", rank=rank, world_size=WORLD, timeout=timedelta(seconds=20))
    try:
        import recommender.train as train_module
        from recommender.models import create
        from recommender.splits import topk_split
        from tests.recommender.tiny import tiny_data

        data = tiny_data()
        split = topk_split(data, seed=0)
        for run in ("plain", "skewed"):
            if run == "skewed" and rank == 1:
                skew_validation(train_module)
            torch.manual_seed(100 + rank)  # different initial weights on each rank
            model = create("bprmf", data, CONFIG)
            initial = {k: v.clone() for k, v in model.state_dict().items()}
            result = train_module.fit(model, data, split, seed=0, amp=False)
            torch.save({"initial": initial, "state": model.state_dict(), "best_epoch": result.best_epoch,
                        "best_valid": result.best_valid, "history": result.history},
                       Path(out) / f"{run}-{rank}.pt")
        dist.barrier()  # neither rank tears the group down while the other is still in a collective
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope="module")
def ranks(tmp_path_factory) -> dict[str, list[dict]]:
    """What each rank ended with, per run: {"plain": [rank 0, rank 1], "skewed": [...]}."""
    out = tmp_path_factory.mktemp("ddp")
    mp.spawn(worker, args=(free_port(), str(out)), nprocs=WORLD, join=True)
    return {run: [torch.load(out / f"{run}-{rank}.pt", weights_only=False) for rank in range(WORLD)]
            for run in ("plain", "skewed")}


def same_state(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_two_ranks_end_with_identical_trained_weights(ranks):
    rank0, rank1 = ranks["plain"]
    assert not same_state(rank0["initial"], rank1["initial"])
    assert same_state(rank0["state"], rank1["state"])
    assert not same_state(rank0["state"], rank0["initial"])  # it did train
    assert rank0["best_epoch"] == rank1["best_epoch"] and rank0["best_valid"] == rank1["best_valid"]
    assert rank0["history"] == rank1["history"]
    assert rank0["best_valid"] > rank0["history"][0]["recall@20"]


def test_ranks_follow_one_early_stopping_decision_even_when_their_own_validations_differ(ranks):
    rank0, rank1 = ranks["skewed"]
    assert rank0["history"] == rank1["history"]  # rank 0's validation decided for both
    assert len(rank0["history"]) > 1 + CONFIG["patience"]  # rank 1 alone would have stopped at 3
    assert same_state(rank0["state"], rank1["state"])
