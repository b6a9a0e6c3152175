"""MKGAT, the main recommender: what it reads, what it masks, and that it learns."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recommender.base import Batch, TrainingSet
from recommender.data import Modality
from recommender.evaluate import evaluate
from recommender.models import MAIN, create
from recommender.splits import make_split
from recommender.train import fit, seed_everything
from tests.recommender.tiny import tiny_data

SMALL = {"use_sequence": True, "dim": 16, "batch_size": 64, "epochs": 30, "lr": 1e-2, "patience": 30,
         "neighbours": 4, "history": 12}


def prepared(config: dict | None = None, protocol: str = "ctr", data=None):
    data = data or tiny_data()
    split = make_split(data, protocol, 0)
    model = create("mkgat", data, {**SMALL, **(config or {})})
    model.prepare(TrainingSet(protocol, split.train, data.n_users, data.n_items))
    model.eval()
    return model, data, split


def test_mkgat_is_the_main_model():
    assert MAIN == "mkgat"


def test_the_candidate_is_masked_out_of_its_users_history():
    model, _data, _split = prepared()
    user = 0
    history = [i for i in model.history_items[user].tolist() if i != model.pad]
    target, others = history[-1], history[:-1]  # the latest, so no other item changes position
    with torch.no_grad():
        with_target = model(torch.tensor([user]), torch.tensor([target]))
        model.set_history(user, others)
        without_target = model(torch.tensor([user]), torch.tensor([target]))
    assert torch.allclose(with_target, without_target, atol=1e-5)


def test_an_absent_modality_is_masked_not_read_as_zeros():
    data = tiny_data()
    model, _, _ = prepared(data=data)
    absent = int(np.flatnonzero(~data.modalities["text"].present)[0])
    users, items = torch.tensor([1, 2]), torch.tensor([absent, absent])
    with torch.no_grad():
        before = model(users, items)
        model.text_values[absent] = 100.0  # garbage where the item has no text
        after = model(users, items)
    assert torch.allclose(before, after)


def test_a_present_modality_changes_the_score():
    data = tiny_data()
    model, _, _ = prepared(data=data)
    present = int(np.flatnonzero(data.modalities["text"].present)[0])
    users, items = torch.tensor([1]), torch.tensor([present])
    with torch.no_grad():
        before = model(users, items)
        model.text_values[present] = -model.text_values[present] + 3.0
        after = model(users, items)
    assert not torch.allclose(before, after)


def test_score_items_agrees_with_forward_for_items_outside_the_history():
    model, data, _ = prepared()
    users = torch.tensor([0, 3, 5])
    scores = model.score_items(users)
    assert scores.shape == (3, data.n_items)
    for row, u in enumerate(users.tolist()):
        outside = [i for i in range(data.n_items) if i not in set(model.history_items[u].tolist())][:3]
        with torch.no_grad():
            direct = model(torch.tensor([u] * len(outside)), torch.tensor(outside))
        assert torch.allclose(scores[row, outside], direct, atol=1e-5)


@pytest.mark.parametrize("interaction", ["transe", "complex", "rotate"])
def test_every_pykeen_interaction_trains_the_graph_jointly(interaction):
    model, _, split = prepared({"kg_interaction": interaction})
    model.train()
    rows = torch.as_tensor(split.train[:32])
    loss = model.loss(Batch(rows[:, 0], rows[:, 1], labels=rows[:, 2]))
    assert model.aux_loss() != 0.0
    loss.backward()
    assert model.graph.entity.weight.grad is not None
    assert model.graph.entity.weight.grad.abs().sum() > 0


def test_lambda_zero_or_no_graph_turns_the_kg_loss_off():
    assert prepared({"kg_lambda": 0.0})[0].aux_loss() == 0.0
    assert prepared({"use_graph": False})[0].aux_loss() == 0.0


def test_unknown_modalities_and_interactions_are_refused():
    with pytest.raises(ValueError, match="modalities"):
        create("mkgat", tiny_data(), {"modalities": ["smell"]})
    with pytest.raises(ValueError, match="interaction"):
        create("mkgat", tiny_data(), {"kg_interaction": "distmult-ish"})


ABLATIONS = [{"use_graph": False}, {"use_attention": False}, {"use_sequence": False},
             {"use_neighbours": False},
             {"use_context": False}, {"modalities": ["id"]}]


def trained(protocol: str):
    """MKGAT fitted on the tiny data's `protocol` split, seeded weights and batches; with the split."""
    data = tiny_data()
    split = make_split(data, protocol, 0)
    seed_everything(0)
    model = create("mkgat", data, SMALL)
    fit(model, data, split, seed=0)
    return model, split


def test_it_learns_the_tiny_tastes():
    model, split = trained("ctr")
    assert evaluate(model, split, "test")["auc"] > 0.75


@pytest.mark.parametrize("ablation", ABLATIONS, ids=lambda a: next(iter(a)))
def test_every_ablation_trains_and_scores(ablation):
    model, _, split = prepared(ablation)
    model.train()
    rows = torch.as_tensor(split.train[:64])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(5):
        optimizer.zero_grad()
        loss = model.loss(Batch(rows[:, 0], rows[:, 1], labels=rows[:, 2]))
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    assert losses[-1] < losses[0]
    model.eval()
    assert torch.isfinite(model.score_items(torch.tensor([0, 1]))).all()


def test_it_ranks_for_top_k():
    model, split = trained("topk")
    # each user's test item is one of the few unseen items of their half: random gets about 0.5
    assert evaluate(model, split, "test")["recall@10"] > 0.8


def test_content_only_items_get_a_representation_for_cold_items():
    data = tiny_data()
    data.modalities["text"] = Modality(data.modalities["text"].values, np.ones(data.n_items, dtype=bool))
    model, _, _ = prepared({"modalities": ["text"]}, data=data)
    vectors, present = model.item_modalities(torch.arange(data.n_items))
    assert present.all()
    assert vectors.shape == (data.n_items, 1, SMALL["dim"])


def test_a_top_k_training_grid_reads_each_pair_the_evidence_it_would_alone():
    model, data, split = prepared(protocol="topk")
    train = TrainingSet("topk", split.train, data.n_users, data.n_items)
    known = [set(h.tolist()) for h in train.history()]
    positives = torch.as_tensor(split.train[:20], dtype=torch.long)
    users, items = positives[:, 0], positives[:, 1]
    unseen = [[i for i in range(data.n_items) if i not in known[u]] for u in users.tolist()]
    negatives = torch.tensor([row[:3] for row in unseen])
    grid = torch.cat([items.unsqueeze(1), negatives], 1)
    with torch.no_grad():
        fast = model._evidence(users, grid, exclude=items).view(20, 4, -1)
        for column in range(grid.shape[1]):
            alone = model.evidence._pairs(users, grid[:, column])
            assert torch.allclose(fast[:, column], alone, atol=1e-5)
