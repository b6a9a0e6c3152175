"""One rank of a torchrun job (run by tests/recommender/test_torchrun.py, not collected itself):
join the launch, fit BPR-MF on the tiny data through `recommender.train.fit`, save what it ended with;
or (`publish`) train the platform's model version in a home of its own through `train_version`.

    python -m torch.distributed.run --standalone --nproc_per_node 2 torchrun_job.py OUT [DEVICE] [publish]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from recommender.distributed import launch
from recommender.models import create
from recommender.splits import topk_split
from recommender.train import fit
from tests.recommender.tiny import tiny_data


def publish(out: Path, device: str) -> None:
    from recommender.platform import platform_data
    from recommender.publish import histories, train_version
    from tests.recommender.learners import TINY, behaviour, build_home

    with launch(device) as job:
        home = out / f"home-{job.rank}"
        graph = build_home(home)
        data = platform_data(graph, behaviour(), cache_dir=home / "cache" / "rec", media=False)
        result = train_version(data, home, histories(data, behaviour()), config=TINY, device=job.device)
        (out / f"rank-{job.rank}.json").write_text(json.dumps({"rank": job.rank, **result}, default=str))
        graph.store.close()


def main(out: Path, device: str) -> None:
    torch.set_num_threads(1)
    with launch(device) as job:
        data = tiny_data()
        split = topk_split(data, seed=0)
        torch.manual_seed(100 + job.rank)  # different initial weights on each rank
        model = create("bprmf", data, {"dim": 8, "epochs": 4, "batch_size": 64, "lr": 0.05})
        result = fit(model, data, split, seed=0, device=job.device)
        state = {k: v.cpu() for k, v in model.state_dict().items()}
        torch.save(state, out / f"state-{job.rank}.pt")
        (out / f"rank-{job.rank}.json").write_text(json.dumps({
            "rank": job.rank, "world": job.world, "device": job.device, "reports": job.reports,
            "backend": torch.distributed.get_backend() if job.world > 1 else None,
            "history": result.history}))


if __name__ == "__main__":
    job = publish if sys.argv[3:] == ["publish"] else main
    job(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "cpu")
