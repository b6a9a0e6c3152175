"""Every registered recommender keeps the one model contract, on a tiny learnable data set.

For each model in `MODELS` and both protocols: a few optimiser steps lower its loss, the trained
model beats chance on the tiny test split, `score_items` says what `forward` says for the same
pairs, and the model moves to a device and comes back from a `state_dict` into a fresh model
without `prepare`. Then what is particular to single baselines (ItemKNN's calibration, the
content model's lack of ids and its text fallback, the graphs LightGCN and KGCN build).
"""

from __future__ import annotations

import io
from functools import cache

import numpy as np
import pytest
import torch

from recommender.base import Batch, Recommender, TrainingSet
from recommender.data import RecData
from recommender.evaluate import evaluate, predict
from recommender.models import MODELS, create
from recommender.splits import Protocol, Split, make_split
from recommender.train import epoch_batches, fit
from tests.recommender.tiny import tiny_data

NAMES = sorted(MODELS)
PROTOCOLS: tuple[Protocol, ...] = ("ctr", "topk")
TINY = {"epochs": 20, "batch_size": 64, "lr": 1e-2, "patience": 5}  # enough for tiny_data, < 1 s a fit
NOT_PERSONAL = {"pop"}  # tiny_data's two halves are equally popular: nothing there for popularity


def config(name: str) -> dict:
    return TINY if MODELS[name].trainable else {}


@cache
def data(protocol: Protocol = "ctr") -> RecData:
    """tiny_data for CTR; for top-K 60 items, not 30: top-K validation early-stops on recall@20,
    which about 21 candidates per user would saturate from the first epoch."""
    return tiny_data() if protocol == "ctr" else tiny_data(n_items=60)


@cache
def split(protocol: Protocol) -> Split:
    return make_split(data(protocol), protocol, seed=0)


def training_set(protocol: Protocol) -> TrainingSet:
    s = split(protocol)
    return TrainingSet(protocol, s.train, data(protocol).n_users, data(protocol).n_items)


@cache
def trained(name: str, protocol: Protocol) -> Recommender:
    """One fit per (model, protocol), shared by the tests that read a trained model."""
    torch.manual_seed(0)  # the initial weights too, not only what `fit` seeds
    model = create(name, data(protocol), config(name))
    fit(model, data(protocol), split(protocol), seed=0)
    return model.eval()


def all_pairs_forward(model: Recommender, users: torch.Tensor) -> torch.Tensor:
    items = torch.arange(model.n_items, device=users.device)
    return torch.stack([model(u.repeat(model.n_items), items) for u in users])


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("name", NAMES)
def test_training_steps_lower_the_loss(name: str, protocol: Protocol) -> None:
    if not MODELS[name].trainable:
        pytest.skip("closed form: fitted in prepare, nothing to step")
    torch.manual_seed(0)
    model = create(name, data(protocol), config(name))
    train = training_set(protocol)
    model.prepare(train)
    known = [set(h.tolist()) for h in train.history()]
    cfg = {**model.config, "batch_size": len(train.rows)}
    batch = epoch_batches(train, cfg, np.random.default_rng(0), known)[0]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    before = float(model.loss(batch).detach())
    for _ in range(10):
        optimizer.zero_grad()
        model.loss(batch).backward()
        optimizer.step()
    assert float(model.loss(batch).detach()) < before


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("name", NAMES)
def test_trained_model_beats_chance(name: str, protocol: Protocol) -> None:
    if name in NOT_PERSONAL:
        pytest.skip("not personalised; tiny_data has no popularity signal by construction")
    scores = evaluate(trained(name, protocol), split(protocol), part="test")
    if protocol == "ctr":
        assert scores["auc"] > 0.7  # chance is 0.5
    else:
        # one test item per user among ~52 unseen ones: chance recall@20 is about 0.38
        assert scores["recall@20"] > 0.6


def unseen(protocol: Protocol, users: torch.Tensor) -> torch.Tensor:
    """[len(users), n_items] True where the item is not among the user's training positives."""
    mask = torch.ones(len(users), data(protocol).n_items, dtype=torch.bool)
    for u, i in training_set(protocol).positives.tolist():
        if u < len(users):
            mask[u, i] = False
    return mask


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("name", NAMES)
def test_score_items_agrees_with_forward(name: str, protocol: Protocol) -> None:
    """On the pairs ranking reads: a user's training positives are never ranked, and a model may
    score them leave-one-out in `forward` (as it saw them in training) but not in `score_items`."""
    model = trained(name, protocol)
    users = torch.arange(8)
    with torch.no_grad():
        ranked = model.score_items(users)
        pairwise = all_pairs_forward(model, users)
    assert ranked.shape == (8, model.n_items)
    keep = unseen(protocol, users)
    torch.testing.assert_close(ranked.float()[keep], pairwise.float()[keep], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("name", NAMES)
def test_moves_to_a_device_and_reloads_from_state_dict(name: str, protocol: Protocol) -> None:
    model = trained(name, protocol)
    users = torch.arange(6)
    with torch.no_grad():
        expected = model.score_items(users)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    fresh = create(name, data(protocol), config(name))  # no prepare: everything it needs is in the state
    fresh.load_state_dict(torch.load(buffer, map_location="cpu"))
    fresh.to(device).eval()
    for tensor in [*fresh.parameters(), *fresh.buffers()]:
        assert tensor.device.type == device.type
    with torch.no_grad():
        moved = fresh.score_items(users.to(device)).cpu()
        pairs = all_pairs_forward(fresh, users.to(device)).cpu()
    torch.testing.assert_close(moved, expected, rtol=1e-4, atol=1e-4)
    keep = unseen(protocol, users)
    torch.testing.assert_close(pairs[keep], expected[keep], rtol=1e-4, atol=1e-4)


def test_itemknn_ctr_probabilities_are_calibrated() -> None:
    """sigmoid ≥ 0.5 decides: neither (almost) everything nor (almost) nothing is called positive."""
    model = trained("itemknn", "ctr")
    rows = split("ctr").test
    p = predict(model, rows)
    assert 0.25 < (p >= 0.5).mean() < 0.75
    assert evaluate(model, split("ctr"))["f1"] > 0.6


def test_itemknn_leaves_an_item_out_of_its_own_score() -> None:
    model = trained("itemknn", "topk")
    index, weight = model.neighbour_index, model.neighbour_weight
    own = index == torch.arange(model.n_items)[:, None]
    assert not (own & (weight > 0)).any()


def test_content_model_has_no_id_embeddings() -> None:
    model = create("cbr", data())
    for p in model.parameters():
        assert p.shape[0] not in (data().n_users, data().n_items)


def test_content_model_embeds_item_text_without_a_text_modality(monkeypatch: pytest.MonkeyPatch) -> None:
    from recommender.models import cbr

    seen: list[list[str]] = []

    def fake_text_features(texts: list[str]) -> np.ndarray:
        seen.append(list(texts))
        return np.array([[1.0, 0.0] if "genre A" in t else [0.0, 1.0] for t in texts], dtype=np.float32)

    monkeypatch.setattr(cbr, "text_features", fake_text_features)  # the real one loads MiniLM
    base = data()
    plain = RecData(**{**{f: getattr(base, f) for f in RecData.__dataclass_fields__}, "modalities": {}})
    model = create("cbr", plain)
    assert seen == [list(plain.item_text)]
    assert model.text.shape == (plain.n_items, 2) and bool(model.text_present.all())


def test_lightgcn_graph_is_the_training_positives() -> None:
    model = trained("lightgcn", "topk")
    adj = model.adjacency().coalesce()
    rows, cols = adj.indices()
    n_users = model.n_users
    edges = {(int(u), int(i) - n_users) for u, i in zip(rows, cols, strict=True) if u < n_users}
    assert edges == {tuple(p) for p in split("topk").train.tolist()}


def test_kgcn_samples_neighbours_from_the_graph_once() -> None:
    model = trained("kgcn", "ctr")
    t = data().triples
    allowed = {(h, r, x) for h, r, x in t.tolist()} | {(x, r, h) for h, r, x in t.tolist()}
    for e in range(data().n_entities):
        for n, r in zip(model.adj_entity[e].tolist(), model.adj_relation[e].tolist(), strict=True):
            assert (e, r, n) in allowed or (n == e and r == data().n_relations)
    before = model.adj_entity.clone()
    model.loss(Batch(torch.tensor([0]), torch.tensor([0]), labels=torch.tensor([1])))
    assert torch.equal(model.adj_entity, before)
