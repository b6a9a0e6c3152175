"""Running under torchrun: join the process group the launcher describes, on this rank's device.

`torchrun --nproc_per_node N etude rec eval ...` starts N copies of a command. Each must join one
process group before training, so that `recommender.train.fit` splits every epoch's batches
among them and DistributedDataParallel averages the gradients; and only one of them may print the
result or save a model. Outside torchrun (no WORLD_SIZE above 1 in the environment) nothing
changes: one process, the device asked for, and it reports.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist


@dataclass(frozen=True, slots=True)
class Launch:
    device: str  # what this rank trains on
    rank: int
    world: int

    @property
    def reports(self) -> bool:
        """Whether this rank prints results and writes files (rank 0 alone)."""
        return self.rank == 0


def launched_world() -> int:
    """How many processes the launcher started (1 outside torchrun)."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 1


def backend_for(device: str, local_world: int) -> str:
    """NCCL when every rank on this machine has a GPU of its own; gloo otherwise (CPU, or ranks
    sharing a GPU, which NCCL refuses)."""
    if device.startswith("cuda") and dist.is_nccl_available() and torch.cuda.device_count() >= local_world:
        return "nccl"
    return "gloo"


@contextmanager
def launch(device: str = "cpu", timeout_s: float = 600.0) -> Iterator[Launch]:
    """This process's part in a torchrun launch (or the whole job outside one).

    With a CUDA device each rank takes GPU LOCAL_RANK (modulo the GPUs there are). The group is
    torn down on the way out, also after an error, so no rank waits for one that has gone.
    """
    world = launched_world()
    if world <= 1 or (dist.is_available() and dist.is_initialized()):
        yield Launch(device, dist.get_rank() if dist.is_initialized() else 0,
                     dist.get_world_size() if dist.is_initialized() else 1)
        return
    if not dist.is_available():
        raise RuntimeError("torch.distributed is not available in this build of torch")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise RuntimeError("--device cuda was asked for but no GPU is visible")
        local = int(os.environ.get("LOCAL_RANK", "0")) % torch.cuda.device_count()
        device = f"cuda:{local}"
        torch.cuda.set_device(local)
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
    backend = backend_for(device, local_world)
    dist.init_process_group(backend, timeout=timedelta(seconds=timeout_s))
    try:
        yield Launch(device, dist.get_rank(), dist.get_world_size())
        # Ranks finish at different times (rank 0 alone saves); one that tears its group down while
        # another still holds the connection can abort in gloo's teardown, so they leave together.
        dist.barrier(device_ids=[torch.cuda.current_device()] if backend == "nccl" else None)
    finally:
        dist.destroy_process_group()
