"""CTR decision rules: Platt scaling and the F1-best threshold, fitted on validation pairs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recommender.base import ranking_loss
from recommender.calibration import best_f1_cut, decision_rule, platt
from recommender.metrics import ctr_metrics


def test_platt_recovers_the_scale_and_bias_that_generated_the_labels():
    rng = np.random.default_rng(0)
    x = rng.normal(size=20000)
    y = (rng.random(20000) < 1 / (1 + np.exp(-(2.0 * x - 0.5)))).astype(float)
    a, b = platt(x, y)
    assert a == pytest.approx(2.0, abs=0.1) and b == pytest.approx(-0.5, abs=0.1)


def test_the_best_f1_cut_on_a_hand_worked_example():
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    labels = np.array([1, 1, 0, 1, 0, 0])
    # cuts after 1, 2, 3, 4 items give F1 2/4, 4/5, 4/6, 6/7: the best takes the top four
    assert best_f1_cut(scores, labels) == pytest.approx(0.55)


def test_a_cut_never_splits_tied_scores():
    scores = np.array([0.9, 0.5, 0.5, 0.1])
    labels = np.array([1, 1, 0, 0])
    cut = best_f1_cut(scores, labels)
    assert cut not in (0.5,) and (cut > 0.5 or cut < 0.5)


def test_the_f1_rule_predicts_yes_exactly_from_the_validation_best_cut():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=500)
    labels = (logits + rng.normal(scale=1.0, size=500) > -0.6).astype(int)
    a, b = decision_rule(logits, labels, "f1")
    probs = 1 / (1 + np.exp(-(a * logits + b)))
    cut = best_f1_cut(logits, labels)  # F1 depends only on the order, so the same cut in logits
    assert np.array_equal(probs >= 0.5, logits >= cut)
    plain = ctr_metrics(labels, 1 / (1 + np.exp(-logits)))
    tuned = ctr_metrics(labels, probs)
    assert tuned["auc"] == pytest.approx(plain["auc"]) and tuned["f1"] >= plain["f1"]


def test_platt_mode_only_rescales_and_none_is_the_identity():
    logits = np.array([-2.0, -1.0, 0.5, 1.0, 3.0])
    labels = np.array([0, 0, 1, 0, 1])
    a, b = decision_rule(logits, labels, "platt")
    assert (a, b) == pytest.approx(platt(logits, labels))
    assert decision_rule(logits, labels, "none") == (1.0, 0.0)


def test_one_class_or_a_model_worse_than_chance_keeps_the_identity():
    assert decision_rule(np.array([0.1, 0.2]), np.array([1, 1])) == (1.0, 0.0)
    assert decision_rule(np.array([3.0, 2.0, -2.0, -3.0]), np.array([0, 0, 1, 1])) == (1.0, 0.0)


def test_an_unknown_mode_is_an_error():
    with pytest.raises(ValueError, match="unknown calibration"):
        decision_rule(np.zeros(2), np.array([0, 1]), "median")


def test_bpr_with_one_negative_is_the_classic_formula():
    pos, neg = torch.tensor([2.0, 0.0]), torch.tensor([1.0, 1.0])
    expected = -torch.nn.functional.logsigmoid(pos - neg).mean()
    assert torch.allclose(ranking_loss(pos, neg, "bpr"), expected)


def test_sampled_softmax_is_the_positive_against_its_negatives():
    pos, neg = torch.tensor([1.0]), torch.tensor([[0.0, 2.0]])
    expected = -(1.0 - torch.log(torch.exp(torch.tensor(1.0)) + 1 + torch.exp(torch.tensor(2.0))))
    assert torch.allclose(ranking_loss(pos, neg, "softmax"), expected)
    with pytest.raises(ValueError, match="unknown top-K loss"):
        ranking_loss(pos, neg, "hinge")
