"""The serving fast path scores every item exactly as MKGAT does, in every configuration."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from recommender.fastscore import FastScorer, max_difference
from recommender.models import create
from recommender.splits import make_split
from recommender.train import fit
from tests.recommender.tiny import tiny_data

VARIANTS = {
    "full": {},
    "sequence": {"use_sequence": True},
    "no graph": {"use_graph": False},
    "no attention": {"use_attention": False, "use_sequence": True},
    "no evidence": {"use_neighbours": False},
    "id only": {"modalities": ["id"]},
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_fast_path_equals_the_model(variant):
    data = dataclasses.replace(tiny_data(), ordered=True)
    torch.manual_seed(0)
    model = create("mkgat", data, {"dim": 8, "epochs": 2, "batch_size": 64, **VARIANTS[variant]})
    fit(model, data, make_split(data, "topk", 0), amp=False)
    scorer = FastScorer(model)
    assert max_difference(scorer, list(range(data.n_users))) < 1e-5
    subset = FastScorer(model, torch.tensor([4, 0, 17]))
    assert max_difference(subset, [1, 2]) < 1e-5


def test_a_learner_with_no_history_is_scored_like_the_model():
    data = tiny_data()
    torch.manual_seed(0)
    model = create("mkgat", data, {"dim": 8, "epochs": 1, "batch_size": 64})
    fit(model, data, make_split(data, "ctr", 0), amp=False)
    model.set_history(3, [])
    assert max_difference(FastScorer(model), [3]) < 1e-5


def test_neighbours_sharing_a_relation_are_weighed_as_the_model_weighs_them():
    data = tiny_data()
    torch.manual_seed(0)
    model = create("mkgat", data, {"dim": 8, "epochs": 1, "batch_size": 64})
    fit(model, data, make_split(data, "topk", 0), amp=False)
    assert model.nb_rel.shape[1] >= 3 and model._n_relations >= 2
    with torch.no_grad():
        model.nb_mask[:3] = False
        # item 0: two neighbours by one relation and one by another; item 1: two by one relation
        model.nb_mask[0, :3] = True
        model.nb_rel[0, :3] = torch.tensor([0, 0, 1])
        model.nb_ent[0, :3] = torch.tensor([1, 2, 3])
        model.nb_mask[1, :2] = True
        model.nb_rel[1, :2] = 1
        model.nb_ent[1, :2] = torch.tensor([4, 5])
    scorer = FastScorer(model)
    attended = set(scorer.attended.tolist())
    assert 0 in attended and 1 not in attended and 2 not in attended  # 1 and 2 weigh no relation
    assert max_difference(scorer, list(range(data.n_users))) < 1e-5
