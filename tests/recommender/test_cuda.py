"""Every recommender trains and ranks on CUDA with AMP, and agrees with itself on the CPU.

Skipped without a GPU (CI has none); run on a machine with one. The trainer uses bfloat16 autocast
there, so a model's loss, its stored evidence and its rankings must all live on the GPU.
"""

from __future__ import annotations

import copy

import pytest
import torch

from recommender.evaluate import evaluate
from recommender.models import MODELS, create
from recommender.splits import make_split
from recommender.train import fit
from tests.recommender.tiny import tiny_data

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
TINY = {"epochs": 3, "batch_size": 64, "lr": 1e-2, "patience": 3}


@pytest.mark.parametrize("protocol", ["ctr", "topk"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_trains_with_amp_on_cuda_and_ranks_there(name, protocol):
    data = tiny_data(n_items=60 if protocol == "topk" else 30)
    split = make_split(data, protocol, 0)
    torch.manual_seed(0)
    extra = {"negatives": 3} if protocol == "topk" and name in ("mkgat", "bprmf", "lightgcn") else {}
    model = create(name, data, {**TINY, **extra} if MODELS[name].trainable else {})
    result = fit(model, data, split, device="cuda", amp=True)
    assert all(t.device.type == "cuda" for t in model.state_dict().values())
    metrics = evaluate(model, split, "test", device="cuda")
    headline = metrics["auc"] if protocol == "ctr" else metrics["recall@20"]
    assert headline == headline and result.best_epoch >= 0  # not NaN


@pytest.mark.parametrize("protocol", ["ctr", "topk"])
def test_mkgat_scores_the_same_on_cuda_and_cpu(protocol):
    data = tiny_data(n_items=60 if protocol == "topk" else 30)
    split = make_split(data, protocol, 0)
    torch.manual_seed(0)
    model = create("mkgat", data, TINY)
    fit(model, data, split, device="cuda", amp=True)
    users = torch.arange(data.n_users)
    model.eval()
    with torch.no_grad():
        on_gpu = model.score_items(users.cuda()).cpu()
        cpu = copy.deepcopy(model).cpu()
        on_cpu = cpu.score_items(users)
    assert torch.allclose(on_gpu, on_cpu, atol=1e-3, rtol=1e-3)
