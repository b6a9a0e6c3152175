"""Neighbourhood evidence: a pair is never evidence for itself, and online updates stay exact."""

from __future__ import annotations

import torch

from recommender.neighbourhood import NeighbourhoodEvidence


def histories() -> tuple[torch.Tensor, list[torch.Tensor]]:
    generator = torch.Generator().manual_seed(0)
    matrix = (torch.rand(12, 9, generator=generator) < 0.4).float()
    context = [torch.randint(0, 6, (3,), generator=generator).unique() for _ in range(12)]
    return matrix, context


def fitted(matrix: torch.Tensor, context: list[torch.Tensor] | None = None) -> NeighbourhoodEvidence:
    evidence = NeighbourhoodEvidence(*matrix.shape, neighbours=4)
    evidence.fit(matrix, context)
    return evidence


def test_pair_evidence_matches_the_full_grid_for_items_outside_the_history():
    matrix, context = histories()
    evidence = fitted(matrix, context)
    grid = evidence.all_items(torch.arange(12))
    for user in range(12):
        outside = torch.nonzero(matrix[user] == 0).flatten()
        pairs = evidence.pairs(torch.full_like(outside, user), outside)
        assert torch.allclose(pairs, grid[user, outside], atol=1e-5)


def test_a_training_positive_is_scored_as_if_the_user_had_not_chosen_it():
    matrix, context = histories()
    evidence = fitted(matrix, context)
    user = 0
    chosen = torch.nonzero(matrix[user]).flatten()
    for item in chosen.tolist():
        with_it = evidence.pairs(torch.tensor([user]), torch.tensor([item]))
        without = matrix.clone()
        without[user, item] = 0
        reference = fitted(without, context).pairs(torch.tensor([user]), torch.tensor([item]))
        assert torch.allclose(with_it, reference, atol=1e-5)


def test_a_user_is_not_their_own_neighbour():
    matrix = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # two users with nothing in common
    evidence = fitted(matrix)
    votes = evidence.all_items(torch.tensor([0]))[0, :, 0]
    assert votes[0] == 0  # nobody else chose item 0
    assert votes[1] == 0  # the other user is no neighbour (cosine 0)


def test_similar_users_vote_for_what_they_chose():
    matrix = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    votes = fitted(matrix).all_items(torch.tensor([0]))[0, :, 0]
    assert votes[2] > 0  # user 1 shares two items with user 0 and also chose item 2


def test_online_updates_equal_a_rebuild():
    matrix, context = histories()
    evidence = fitted(matrix, context)
    row = torch.zeros(9)
    row[[1, 4, 7]] = 1.0
    evidence.update_user(3, row)
    changed = matrix.clone()
    changed[3] = row
    rebuilt = fitted(changed, context)
    users = torch.arange(12)
    assert torch.allclose(evidence.all_items(users), rebuilt.all_items(users), atol=1e-5)
    assert torch.allclose(evidence.user_dots, rebuilt.user_dots)


def test_a_series_of_online_updates_equals_a_rebuild_for_every_statistic():
    generator = torch.Generator().manual_seed(5)
    matrix = (torch.rand(20, 15, generator=generator) < 0.3).float()
    evidence = fitted(matrix)
    for user, items in ((2, [0, 3, 14]), (2, []), (7, [1, 2, 3, 4, 5]), (0, [9])):
        row = torch.zeros(15)
        row[items] = 1.0
        evidence.update_user(user, row)
        matrix[user] = row
    rebuilt = fitted(matrix)
    for name in ("cooccurrence", "counts", "inv_sqrt", "own_similarity", "sizes", "user_dots"):
        assert torch.allclose(getattr(evidence, name), getattr(rebuilt, name), atol=1e-5), name
    for user in range(20):  # one learner at a time, as serving asks: their affinity made on demand
        one = torch.tensor([user])
        assert torch.allclose(evidence.all_items(one), rebuilt.all_items(one), atol=1e-5), user
    users = torch.arange(20)
    items = torch.randint(0, 15, (20,), generator=generator)
    # several users at once read the affinity of everyone: rebuilt first, then equal
    assert torch.allclose(evidence.pairs(users, items), rebuilt.pairs(users, items), atol=1e-5)
    for name in ("affinity", "weight_sums"):
        assert torch.allclose(getattr(evidence, name), getattr(rebuilt, name), atol=1e-5), name
