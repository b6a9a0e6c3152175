"""A tiny recommendation data set with structure a model can learn, for fast training-step tests.

Two taste groups of users; each group likes one half of the items, and the graph links every
item to its half's genre entity, so graph, behaviour and content all carry the signal.
"""

from __future__ import annotations

import numpy as np

from recommender.data import Modality, RecData


def tiny_data(n_users: int = 40, n_items: int = 30, seed: int = 0, text_dim: int = 8) -> RecData:
    rng = np.random.default_rng(seed)
    half = n_items // 2
    positives = []
    for u in range(n_users):
        group = range(0, half) if u % 2 == 0 else range(half, n_items)
        for i in rng.choice(list(group), size=10, replace=False):
            positives.append((u, int(i)))
    genre_a, genre_b, era = n_items, n_items + 1, n_items + 2
    triples = [(i, 0, genre_a if i < half else genre_b) for i in range(n_items)]
    triples += [(i, 1, era) for i in range(0, n_items, 3)]
    text = np.zeros((n_items, text_dim), dtype=np.float32)
    text[:half, 0] = 1.0
    text[half:, 1] = 1.0
    text += rng.normal(0, 0.1, text.shape).astype(np.float32)
    present = np.ones(n_items, dtype=bool)
    present[::5] = False  # some items have no text: models must mask, not read zeros
    text[~present] = 0.0
    # behaviour outside the catalogue: each group listens to its own five "other artists"
    context = [np.sort(rng.choice(5, size=3, replace=False) + (0 if u % 2 == 0 else 5))
               for u in range(n_users)]
    data = RecData(
        name="tiny",
        positives=np.array(positives, dtype=np.int64),
        triples=np.array(triples, dtype=np.int64),
        item_entity=np.arange(n_items, dtype=np.int64),
        user_ids=list(range(n_users)),
        item_ids=list(range(n_items)),
        item_names=[f"item {i}" for i in range(n_items)],
        relation_names=["genre", "era"],
        n_entities=n_items + 3,
        entity_names={genre_a: "genre A", genre_b: "genre B", era: "an era"},
        item_text=[f"item {i} of genre {'A' if i < half else 'B'}" for i in range(n_items)],
        modalities={"text": Modality(text, present)},
        user_context=[c.astype(np.int64) for c in context],
        n_context=10,
    )
    data.check()
    return data
