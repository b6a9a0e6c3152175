"""Explanations served from a cache (many pairs over an unchanged graph) equal the uncached ones."""

from __future__ import annotations

from itertools import permutations

from kg.build import build_graph
from kg.embedded import EmbeddedStore
from kg.paths import PathCache, explain


def test_cached_explanations_equal_fresh_ones_for_every_pair(data_dir) -> None:
    with EmbeddedStore() as store:
        build_graph(store, data_dir=data_dir, corpus=False)
        ids = sorted(n.id for n in store.nodes())
        cache = PathCache(store, size=4)  # small: entries are dropped and computed again
        for a, b in permutations(ids, 2):
            for k, max_len in ((3, 4), (1, 2)):
                expected = [e.to_dict() for e in explain(store, a, b, k, max_len)]
                assert [e.to_dict() for e in cache.explain(a, b, k, max_len)] == expected
        found = cache.explain("work:dido_and_aeneas", "person:johann_pachelbel")
        assert found and found[0].sentence.startswith("Dido and Aeneas")
