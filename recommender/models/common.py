"""Pieces several baselines share: training positives as a fixed-shape buffer, items' KG features,
batch L2 regularisation and MLP scoring of every item without building every (user, item) pair.

Buffers that `prepare` fills keep the shape they were given in `__init__`, so a freshly built model
loads a trained model's `state_dict` without calling `prepare` again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
import torch

from recommender.base import TrainingSet
from recommender.data import RecData


def interactions(train: TrainingSet) -> torch.Tensor:
    """[n_users, n_items] bool: the training positives (7 MB for Last.FM, a fixed shape)."""
    seen = torch.zeros(train.n_users, train.n_items, dtype=torch.bool)
    pos = torch.as_tensor(train.positives, dtype=torch.long)
    if len(pos):
        seen[pos[:, 0], pos[:, 1]] = True
    return seen


def item_neighbours(data: RecData) -> list[set[tuple[int, int]]]:
    """Per item, its one-hop (relation, entity) neighbours in the KG, edges read both ways."""
    item_of = np.full(data.n_entities, -1, dtype=np.int64)
    item_of[data.item_entity] = np.arange(data.n_items)
    out: list[set[tuple[int, int]]] = [set() for _ in range(data.n_items)]
    for h, r, t in data.triples.tolist():
        if item_of[h] >= 0:
            out[item_of[h]].add((r, t))
        if item_of[t] >= 0:
            out[item_of[t]].add((r, h))
    return out


def item_kg_features(data: RecData, max_per_item: int = 16, min_items: int = 2) -> tuple[np.ndarray, int]:
    """Each item's KG features as padded ids ([n_items, K], pad = n_features) and n_features.

    A feature is a relation the item takes part in (ids 0..n_relations-1) or a neighbour entity
    shared by at least `min_items` items (a genre, a country): an entity only one item links to
    says nothing another item could share. Per item the commonest features are kept first.
    """
    neighbours = item_neighbours(data)
    shared = Counter(e for nb in neighbours for e in {e for _, e in nb})
    entities = sorted(e for e, c in shared.items() if c >= min_items)
    entity_id = {e: data.n_relations + k for k, e in enumerate(entities)}
    n_features = data.n_relations + len(entities)
    relation_count = Counter(r for nb in neighbours for r in {r for r, _ in nb})
    rows: list[list[int]] = []
    for nb in neighbours:
        feats = [(relation_count[r], r) for r in {r for r, _ in nb}]
        feats += [(shared[e], entity_id[e]) for e in {e for _, e in nb} if e in entity_id]
        rows.append([f for _, f in sorted(feats, key=lambda cf: (-cf[0], cf[1]))][:max_per_item])
    width = max(1, max((len(r) for r in rows), default=1))
    out = np.full((data.n_items, width), n_features, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out, n_features


def l2(*tensors: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of the rows' squared norms: L2 on what a batch uses, not on every row."""
    return sum(t.pow(2).sum() for t in tensors) / (2 * len(tensors[0]))


def pair_mlp_scores(user_part: torch.Tensor, item_part: torch.Tensor,
                    tail: Callable[[torch.Tensor], torch.Tensor], max_pairs: int = 1 << 20) -> torch.Tensor:
    """[B, N] `tail(user_part[b] + item_part[n])` for every pair, a few users at a time.

    An MLP over concat(user, item) has a first layer that splits into a user half and an item half,
    so ranking all items needs only the later layers per pair; chunks bound the memory.
    """
    step = max(1, max_pairs // max(1, len(item_part)))
    out = [tail(user_part[s:s + step, None, :] + item_part[None, :, :])
           for s in range(0, len(user_part), step)]
    return torch.cat(out) if out else user_part.new_zeros(0, len(item_part))
