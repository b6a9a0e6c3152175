"""The one trainer and evaluator: seeding, early stopping, checkpoints, exclusions, CTR negatives."""

from __future__ import annotations

import math
from collections import Counter
from typing import ClassVar

import numpy as np
import pytest
import torch

import recommender.train as train_module
from recommender.base import Recommender, TrainingSet
from recommender.data import RecData
from recommender.evaluate import evaluate, rank
from recommender.models import create
from recommender.splits import Split, ctr_split, topk_split
from recommender.train import epoch_batches, fit
from tests.recommender.tiny import tiny_data

SMALL = {"dim": 8, "batch_size": 64, "lr": 0.05}


@pytest.fixture(scope="module")
def data() -> RecData:
    return tiny_data()


@pytest.fixture(scope="module")
def ctr(data) -> Split:
    return ctr_split(data, seed=0)


@pytest.fixture(scope="module")
def topk(data) -> Split:
    return topk_split(data, seed=0)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same sums in the same order: runs compare bit for bit
    yield
    torch.set_num_threads(threads)


def bprmf(data: RecData, init_seed: int = 0, **config) -> Recommender:
    torch.manual_seed(init_seed)
    return create("bprmf", data, {**SMALL, **config})


def state(model: Recommender) -> dict[str, torch.Tensor]:
    """The trained weights (the CTR decision rule is fitted on validation after training)."""
    return {k: v.detach().clone() for k, v in model.state_dict().items() if k != "decision"}


def same_state(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def script_validation(monkeypatch, values: list[float], metric: str = "auc") -> list[dict]:
    """Make fit's validation return `values` in turn; returns the model state seen at each epoch."""
    seen: list[dict] = []
    scripted = iter(values)

    def fake_evaluate(model, split, part="test", **kwargs):
        assert part == "valid"
        seen.append(state(model))
        return {metric: next(scripted)}

    monkeypatch.setattr(train_module, "evaluate", fake_evaluate)
    return seen


# -- seeding --------------------------------------------------------------------------------------


def test_fit_with_the_same_seed_gives_the_same_weights(data, ctr):
    first, second = bprmf(data, epochs=3), bprmf(data, epochs=3)
    a, b = fit(first, data, ctr, seed=7, amp=False), fit(second, data, ctr, seed=7, amp=False)
    assert same_state(state(first), state(second))
    assert a.history == b.history


def test_the_fit_seed_draws_the_batches(data, topk):
    first, second = bprmf(data, epochs=2), bprmf(data, epochs=2)  # the same initial weights
    fit(first, data, topk, seed=1, amp=False)
    fit(second, data, topk, seed=2, amp=False)
    assert not same_state(state(first), state(second))


# -- early stopping -------------------------------------------------------------------------------


def test_training_stops_after_patience_epochs_without_improvement(data, ctr, monkeypatch):
    seen = script_validation(monkeypatch, [0.5, 0.7, 0.6, 0.65, 0.7, 0.9, 0.95])
    model = bprmf(data, epochs=7, patience=3)
    result = fit(model, data, ctr, amp=False)
    # epochs 3, 4 and 5 do not beat 0.7 (an equal score is no improvement): stop after epoch 5
    assert [h["epoch"] for h in result.history] == [1, 2, 3, 4, 5]
    assert (result.best_epoch, result.best_valid, result.metric) == (2, 0.7, "auc")
    assert same_state(state(model), seen[1])  # the weights of epoch 2, not of the last epoch
    assert not same_state(seen[1], seen[4])


def test_training_runs_every_epoch_while_the_metric_improves(data, ctr, monkeypatch):
    script_validation(monkeypatch, [0.1, 0.2, 0.3, 0.4])
    result = fit(bprmf(data, epochs=4, patience=1), data, ctr, amp=False)
    assert len(result.history) == 4 and result.best_epoch == 4


def test_a_metric_that_never_improves_still_gets_patience_epochs(data, ctr, monkeypatch):
    seen = script_validation(monkeypatch, [math.nan] * 5)
    model = bprmf(data, epochs=5, patience=3)
    result = fit(model, data, ctr, amp=False)
    assert len(result.history) == 3
    assert math.isinf(result.best_valid)
    assert same_state(state(model), seen[-1])  # no best state to restore: the weights stay


def test_the_restored_model_scores_best_valid_on_validation(data, ctr):
    model = bprmf(data, epochs=15, patience=3)
    result = fit(model, data, ctr, amp=False)
    assert result.best_epoch < len(result.history), "this run should stop past its best epoch"
    assert result.history[-1]["auc"] < result.best_valid
    assert evaluate(model, ctr, part="valid")["auc"] == result.best_valid
    assert result.best_valid > 0.8  # and the tiny data set was learnt


def test_each_epoch_is_reported_with_its_scores_and_loss(data, topk):
    reported = []
    result = fit(bprmf(data, epochs=2), data, topk, amp=False, on_epoch=lambda e, s: reported.append(e))
    assert reported == [1, 2]
    assert result.metric == "recall@20"
    assert all({"epoch", "loss", "recall@20", "ndcg@20"} <= set(h) for h in result.history)
    assert result.history[1]["loss"] < result.history[0]["loss"]


# -- checkpoints ----------------------------------------------------------------------------------


def test_the_best_state_is_checkpointed_with_model_name_config_and_epoch(data, ctr, tmp_path):
    path = tmp_path / "runs" / "bprmf.pt"  # the folder does not exist yet
    model = bprmf(data, epochs=15, patience=3)
    result = fit(model, data, ctr, amp=False, checkpoint=path)
    saved = torch.load(path, weights_only=False)
    assert saved["model"] == "bprmf"
    assert saved["config"] == model.config and saved["config"]["dim"] == 8
    assert saved["epoch"] == result.best_epoch
    assert same_state(saved["state"], dict(model.state_dict()))  # the fitted decision rule too
    assert saved["state"]["decision"].tolist() != [1.0, 0.0]


# -- models without training ----------------------------------------------------------------------


def test_an_untrainable_model_is_scored_once_without_a_training_loop(data, topk, monkeypatch):
    def no_batches(*args, **kwargs):
        raise AssertionError("an untrainable model must not be given batches")

    monkeypatch.setattr(train_module, "epoch_batches", no_batches)
    epochs = []
    model = create("pop", data)
    result = fit(model, data, topk, on_epoch=lambda e, s: epochs.append(e))
    assert epochs == []
    assert result.best_epoch == 0 and len(result.history) == 1
    assert result.best_valid == evaluate(model, topk, part="valid")["recall@20"]
    assert model.logits.sum() == len(topk.train)  # fitted in prepare: the training counts


# -- configuration --------------------------------------------------------------------------------


def test_unknown_config_keys_are_rejected(data):
    with pytest.raises(ValueError, match=r"bprmf: unknown config keys \['epoch', 'size'\]"):
        create("bprmf", data, {"epoch": 3, "size": 8})


class WithDefaults(Recommender):
    name = "with-defaults"
    defaults: ClassVar[dict] = {"epochs": 5, "dim": 3}


def test_a_config_overrides_model_defaults_which_override_training_defaults(data):
    model = WithDefaults(data, {"dim": 4, "patience": 1})
    assert model.config["dim"] == 4 and model.config["patience"] == 1
    assert model.config["epochs"] == 5  # the model's own default, not the trainer's
    assert model.config["batch_size"] == train_module.TRAIN_DEFAULTS["batch_size"]


# -- evaluation leaves known interactions out of the rankings ---------------------------------------


class Scripted(Recommender):
    """Scores fixed in advance: [n_users, n_items]."""

    name = "scripted"
    trainable = False

    def __init__(self, data: RecData, scores: np.ndarray) -> None:
        super().__init__(data)
        self.register_buffer("scores", torch.as_tensor(scores, dtype=torch.float32))

    def forward(self, users, items):
        return self.scores[users, items]

    def score_items(self, users):
        return self.scores[users]


def scores_by_part(data: RecData, split: Split) -> np.ndarray:
    """Training items score 3, validation items 2, test items 1, the rest 0."""
    scores = np.zeros((data.n_users, data.n_items))
    for rows, value in ((split.train, 3), (split.valid, 2), (split.test, 1)):
        scores[rows[:, 0], rows[:, 1]] = value
    return scores


def test_top_k_validation_never_ranks_training_items(data, topk):
    model = Scripted(data, scores_by_part(data, topk))
    m = evaluate(model, topk, part="valid")
    # each user's one validation item is first once the eight (higher) training items are left out
    assert m["hit@1"] == 1.0 and m["recall@1"] == 1.0 and m["ndcg@10"] == 1.0


def test_top_k_test_also_leaves_out_validation_items(data, topk):
    model = Scripted(data, scores_by_part(data, topk))
    m = evaluate(model, topk, part="test")
    assert m["hit@1"] == 1.0 and m["mrr@20"] == 1.0


def test_rank_returns_the_best_items_not_left_out(data):
    scores = np.tile(np.arange(data.n_items, 0, -1), (data.n_users, 1))  # item 0 best, then 1, ...
    model = Scripted(data, scores)
    exclude = [{0, 2}, set()] + [set()] * (data.n_users - 2)
    ranked = rank(model, np.array([0, 1]), exclude, k=3)
    assert ranked.tolist() == [[1, 3, 4], [0, 1, 2]]


def test_ctr_evaluation_scores_the_labelled_rows_of_the_part(data, ctr):
    scores = np.zeros((data.n_users, data.n_items))
    scores[ctr.test[:, 0], ctr.test[:, 1]] = np.where(ctr.test[:, 2] == 1, 4.0, -4.0)
    m = evaluate(Scripted(data, scores), ctr, part="test")
    assert m == {"auc": 1.0, "f1": 1.0, "accuracy": 1.0}


# -- batches --------------------------------------------------------------------------------------


def known_items(train: TrainingSet) -> list[set[int]]:
    return [set(h.tolist()) for h in train.history()]


def test_ctr_extra_negatives_are_never_training_positives(data, ctr):
    train = TrainingSet("ctr", ctr.train, data.n_users, data.n_items)
    known = known_items(train)
    config = {"batch_size": 50, "extra_negatives": 3}
    batches = epoch_batches(train, config, np.random.default_rng(0), known)
    rows = torch.cat([torch.stack([b.users, b.items, b.labels], 1) for b in batches]).numpy()
    n_pos = int((ctr.train[:, 2] == 1).sum())
    assert len(rows) == len(ctr.train) + 3 * n_pos
    assert int((rows[:, 2] == 1).sum()) == n_pos
    assert all(i not in known[u] for u, i, label in rows.tolist() if label == 0)
    added = Counter(map(tuple, rows.tolist())) - Counter(map(tuple, ctr.train.tolist()))
    assert sum(added.values()) == 3 * n_pos  # the original rows are all still there, once


def test_ctr_batches_without_extra_negatives_are_the_training_rows_shuffled(data, ctr):
    train = TrainingSet("ctr", ctr.train, data.n_users, data.n_items)
    batches = epoch_batches(train, {"batch_size": 100}, np.random.default_rng(0), known_items(train))
    rows = torch.cat([torch.stack([b.users, b.items, b.labels], 1) for b in batches]).numpy()
    assert [len(b.users) for b in batches] == [100, 100, 100, 100, 80]
    assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, ctr.train.tolist()))
    assert not np.array_equal(rows, ctr.train)


def test_top_k_batches_pair_every_positive_with_a_sampled_non_positive(data, topk):
    train = TrainingSet("topk", topk.train, data.n_users, data.n_items)
    known = known_items(train)
    batches = epoch_batches(train, {"batch_size": 64}, np.random.default_rng(0), known)
    users = torch.cat([b.users for b in batches]).tolist()
    items = torch.cat([b.items for b in batches]).tolist()
    negatives = torch.cat([b.negatives for b in batches]).tolist()
    assert sorted(zip(users, items, strict=True)) == sorted(map(tuple, topk.train.tolist()))
    assert all(n not in known[u] for u, n in zip(users, negatives, strict=True))


def test_top_k_batches_can_pair_every_positive_with_several_negatives(data, topk):
    train = TrainingSet("topk", topk.train, data.n_users, data.n_items)
    known = known_items(train)
    batches = epoch_batches(train, {"batch_size": 64, "negatives": 4}, np.random.default_rng(0), known)
    assert all(b.negatives.shape == (len(b.users), 4) for b in batches)
    users = torch.cat([b.users for b in batches]).tolist()
    negatives = torch.cat([b.negatives for b in batches]).tolist()
    assert sum(len(b.users) for b in batches) == len(topk.train)
    assert all(n not in known[u] for u, row in zip(users, negatives, strict=True) for n in row)


@pytest.mark.parametrize("loss", ["bpr", "softmax"])
@pytest.mark.parametrize("name", ["bprmf", "lightgcn", "mkgat"])
def test_top_k_training_with_several_negatives_lowers_the_loss(data, topk, name, loss):
    torch.manual_seed(0)
    model = create(name, data, {"dim": 8, "batch_size": 64, "lr": 0.01, "negatives": 4, "topk_loss": loss,
                                "epochs": 3, "patience": 3})
    result = fit(model, data, topk, amp=False)
    losses = [h["loss"] for h in result.history]
    assert len(losses) == 3 and losses[-1] < losses[0]


def test_the_ctr_decision_rule_is_fitted_on_validation_only(data, ctr, monkeypatch):
    calls = []
    real = train_module.decision_rule

    def spy(logits, labels, mode="f1"):
        calls.append(labels.copy())
        return real(logits, labels, mode)

    monkeypatch.setattr(train_module, "decision_rule", spy)
    model = bprmf(data, epochs=2)
    fit(model, data, ctr, amp=False)
    assert len(calls) == 1 and np.array_equal(calls[0], ctr.valid[:, 2])
    a, b = model.decision.tolist()
    assert a > 0 and (a, b) != (1.0, 0.0)


def test_the_decision_rule_moves_f1_at_one_half_but_not_auc(data, ctr):
    plain = bprmf(data, epochs=3, calibrate="none")
    fit(plain, data, ctr, amp=False)
    tuned = bprmf(data, epochs=3)
    fit(tuned, data, ctr, amp=False)
    assert plain.decision.tolist() == [1.0, 0.0]
    before = evaluate(plain, ctr, "valid")
    after = evaluate(tuned, ctr, "valid")
    assert after["auc"] == pytest.approx(before["auc"], abs=1e-9)  # same weights, same order
    assert after["f1"] >= before["f1"]


def test_top_k_fitting_keeps_the_identity_decision_rule(data, topk):
    model = bprmf(data, epochs=1)
    fit(model, data, topk, amp=False)
    assert model.decision.tolist() == [1.0, 0.0]
