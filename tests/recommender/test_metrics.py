"""The two protocols' metrics against values worked out by hand on small examples."""

from __future__ import annotations

from math import log2

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from recommender.metrics import KS, TOPK_NAMES, ctr_metrics, ranking_metrics

# -- CTR: AUC over the whole set, F1 and accuracy at a threshold -----------------------------------


def test_ctr_metrics_on_a_small_example():
    labels = np.array([1, 1, 0, 0])
    probabilities = np.array([0.9, 0.4, 0.6, 0.1])
    # pairs (positive, negative): 0.9>0.6, 0.9>0.1, 0.4<0.6, 0.4>0.1 -> 3 of 4 ordered right
    # predicted at 0.5: [1, 0, 1, 0] -> tp 1, fp 1, fn 1: precision = recall = F1 = 1/2
    assert ctr_metrics(labels, probabilities) == pytest.approx({"auc": 0.75, "f1": 0.5, "accuracy": 0.5})


def test_auc_is_computed_over_the_whole_set_not_averaged_per_batch():
    labels = np.array([1, 0, 1, 0])
    probabilities = np.array([0.9, 0.8, 0.3, 0.2])
    per_batch = np.mean([roc_auc_score(labels[s], probabilities[s]) for s in (slice(0, 2), slice(2, 4))])
    assert per_batch == 1.0  # each batch alone is ordered perfectly...
    assert ctr_metrics(labels, probabilities)["auc"] == 0.75  # ...but 0.3 ranks below the 0.8 negative


def test_tied_scores_count_half_in_auc():
    assert ctr_metrics(np.array([1, 0]), np.array([0.7, 0.7]))["auc"] == 0.5
    # one positive above a negative, one tied with it: (1 + 1/2) / 2
    assert ctr_metrics(np.array([1, 1, 0]), np.array([0.9, 0.3, 0.3]))["auc"] == 0.75


def test_a_probability_equal_to_the_threshold_predicts_positive():
    labels = np.array([1, 0])
    assert ctr_metrics(labels, np.array([0.5, 0.2]))["f1"] == 1.0
    assert ctr_metrics(labels, np.array([0.5, 0.2]), threshold=0.6)["f1"] == 0.0
    assert ctr_metrics(labels, np.array([0.5, 0.2]), threshold=0.6)["accuracy"] == 0.5


@pytest.mark.parametrize("labels", [[1, 1, 1], [0, 0], []])
def test_auc_needs_both_classes(labels):
    with pytest.raises(ValueError, match="both positive and negative"):
        ctr_metrics(np.array(labels), np.full(len(labels), 0.5))


# -- top-K: per user, averaged over users with something relevant ----------------------------------

RANKED = np.array([
    [1, 2, 3, 4],  # user 0: relevant {2, 4} -> hits at ranks 2 and 4
    [5, 6, 7, 8],  # user 1: relevant {5} -> hit at rank 1
    [1, 2, 3, 4],  # user 2: nothing relevant -> not measured
    [1, 2, 3, 4],  # user 3: relevant {9} -> never ranked, no hit
])
RELEVANT = [{2, 4}, {5}, set(), {9}]
D2, D4 = 1 / log2(3), 1 / log2(5)  # discounts of ranks 2 and 4 (rank 1 discounts by 1)


def test_ranking_metrics_at_k1():
    m = ranking_metrics(RANKED, RELEVANT, ks=(1,))
    # only user 1 hits, at rank 1: every metric is 1 for it and 0 for users 0 and 3
    assert m == pytest.approx({f"{name}@1": 1 / 3 for name in TOPK_NAMES})


def test_ranking_metrics_at_k2():
    m = ranking_metrics(RANKED, RELEVANT, ks=(2,))
    assert m["precision@2"] == pytest.approx((1 / 2 + 1 / 2 + 0) / 3)
    assert m["recall@2"] == pytest.approx((1 / 2 + 1 + 0) / 3)
    # user 0: one hit at rank 2 against an ideal of two hits at ranks 1-2
    assert m["ndcg@2"] == pytest.approx((D2 / (1 + D2) + 1 + 0) / 3)
    assert m["mrr@2"] == pytest.approx((1 / 2 + 1 + 0) / 3)
    # user 0: precision 1/2 at its hit, divided by min(|relevant|, K) = 2
    assert m["map@2"] == pytest.approx((1 / 4 + 1 + 0) / 3)
    assert m["hit@2"] == pytest.approx(2 / 3)
    # F1 of the averaged precision (1/3) and recall (1/2), as KGCN reports it
    assert m["f1@2"] == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))


def test_ranking_metrics_at_k4():
    m = ranking_metrics(RANKED, RELEVANT, ks=(4,))
    assert m["precision@4"] == pytest.approx((2 / 4 + 1 / 4 + 0) / 3)
    assert m["recall@4"] == pytest.approx((1 + 1 + 0) / 3)
    assert m["ndcg@4"] == pytest.approx(((D2 + D4) / (1 + D2) + 1 + 0) / 3)
    assert m["mrr@4"] == pytest.approx((1 / 2 + 1 + 0) / 3)
    assert m["map@4"] == pytest.approx(((1 / 2 + 2 / 4) / 2 + 1 + 0) / 3)
    assert m["hit@4"] == pytest.approx(2 / 3)
    assert m["f1@4"] == pytest.approx(2 * 0.25 * (2 / 3) / (0.25 + 2 / 3))


def test_every_metric_is_reported_at_every_k():
    ranked = np.tile(np.arange(60), (2, 1))
    m = ranking_metrics(ranked, [{0}, {59}])
    assert set(m) == {f"{name}@{k}" for name in TOPK_NAMES for k in KS}
    assert m["hit@1"] == 0.5 and m["hit@50"] == 0.5  # item 59 sits at rank 60, beyond every K


def test_users_without_relevant_items_are_left_out_of_the_averages():
    measured = [0, 1, 3]
    alone = ranking_metrics(RANKED[measured], [RELEVANT[u] for u in measured], ks=(1, 2, 4))
    assert ranking_metrics(RANKED, RELEVANT, ks=(1, 2, 4)) == pytest.approx(alone)


def test_ideal_dcg_and_map_count_at_most_k_relevant_items():
    # five relevant items, the first two ranked: at K=2 the ranking is as good as it can be
    m = ranking_metrics(np.array([[0, 1, 7, 8]]), [{0, 1, 2, 3, 4}], ks=(2,))
    assert m["ndcg@2"] == pytest.approx(1.0)
    assert m["map@2"] == pytest.approx(1.0)
    assert m["recall@2"] == pytest.approx(2 / 5)


def test_mrr_uses_the_first_hit_only():
    m = ranking_metrics(np.array([[9, 3, 4, 5]]), [{3, 4, 5}], ks=(4,))
    assert m["mrr@4"] == pytest.approx(1 / 2)
    assert m["map@4"] == pytest.approx((1 / 2 + 2 / 3 + 3 / 4) / 3)


def test_no_hits_give_zero_f1_rather_than_a_division_error():
    m = ranking_metrics(np.array([[1, 2]]), [{3}], ks=(2,))
    assert m["f1@2"] == 0.0 and m["ndcg@2"] == 0.0 and m["mrr@2"] == 0.0


def test_a_ranking_shorter_than_the_largest_k_is_an_error():
    with pytest.raises(ValueError, match="shorter than K=5"):
        ranking_metrics(np.array([[1, 2, 3, 4]]), [{1}], ks=(1, 5))


def test_no_user_with_a_relevant_item_is_an_error():
    with pytest.raises(ValueError, match="no user has a relevant item"):
        ranking_metrics(np.array([[1, 2]]), [set()], ks=(1,))
