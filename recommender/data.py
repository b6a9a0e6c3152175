"""Recommendation data sets in dense integer ids, the form every model and protocol reads.

A `RecData` knows its users, items, the knowledge graph (items are entities of it) and, per item,
whatever content it has (text embedding, audio, video), each modality with a presence mask so a
model can leave out what an item lacks instead of reading zeros as content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True, slots=True)
class Modality:
    """One kind of item content: `values[i]` is item i's content, meaningful only where `present[i]`."""

    values: np.ndarray  # [n_items, ...] float32
    present: np.ndarray  # [n_items] bool

    def __post_init__(self) -> None:
        if len(self.values) != len(self.present):
            raise ValueError(f"modality has {len(self.values)} rows but {len(self.present)} flags")


@dataclass(slots=True)
class RecData:
    """Users 0..n_users-1, items 0..n_items-1, entities 0..n_entities-1; item i is entity item_entity[i]."""

    name: str
    positives: np.ndarray  # [P, 2] int64 (user, item), each pair once
    triples: np.ndarray  # [T, 3] int64 (head entity, relation, tail entity)
    item_entity: np.ndarray  # [n_items] int64
    user_ids: list  # raw id of each dense user
    item_ids: list  # raw id of each dense item
    item_names: list[str]
    relation_names: list[str]
    n_entities: int
    entity_names: dict[int, str] = field(default_factory=dict)  # entity -> readable name, where known
    item_text: list[str] | None = None  # a description per item (input of the text encoder)
    modalities: dict[str, Modality] = field(default_factory=dict)
    weights: np.ndarray | None = None  # [P] interaction strength (listening counts), if known
    # Behaviour outside the item catalogue: per user, ids 0..n_context-1 of other things they used
    # (Last.FM: artists not linked to the graph, so never an item and never a label of any split).
    user_context: list[np.ndarray] | None = None
    n_context: int = 0
    # Whether each user's positives are in time order (oldest first): only then does "the latest
    # interactions" mean anything. Last.FM's listening counts carry no time.
    ordered: bool = False

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_relations(self) -> int:
        return len(self.relation_names)

    def user_index(self) -> dict:
        return {raw: k for k, raw in enumerate(self.user_ids)}

    def item_index(self) -> dict:
        return {raw: k for k, raw in enumerate(self.item_ids)}

    def stats(self) -> dict[str, int]:
        return {
            "users": self.n_users,
            "items": self.n_items,
            "positives": len(self.positives),
            "entities": self.n_entities,
            "relations": self.n_relations,
            "triples": len(self.triples),
        }

    def check(self) -> None:
        """Raise ValueError if ids fall outside their ranges (a broken loader, not bad luck)."""
        p, t = self.positives, self.triples
        if len(p) and (p[:, 0].min() < 0 or p[:, 0].max() >= self.n_users):
            raise ValueError("user id out of range")
        if len(p) and (p[:, 1].min() < 0 or p[:, 1].max() >= self.n_items):
            raise ValueError("item id out of range")
        if len(t) and (t[:, [0, 2]].min() < 0 or t[:, [0, 2]].max() >= self.n_entities):
            raise ValueError("entity id out of range")
        if len(t) and (t[:, 1].min() < 0 or t[:, 1].max() >= self.n_relations):
            raise ValueError("relation id out of range")
        if len(self.item_entity) != self.n_items or self.item_entity.max(initial=-1) >= self.n_entities:
            raise ValueError("item_entity must give an entity for every item")
        if self.user_context is not None:
            if len(self.user_context) != self.n_users:
                raise ValueError("user_context must have one row per user")
            if any(len(c) and (c.min() < 0 or c.max() >= self.n_context) for c in self.user_context):
                raise ValueError("user_context id out of range")
        for name, modality in self.modalities.items():
            if len(modality.values) != self.n_items:
                raise ValueError(f"modality {name!r} must have one row per item")


def labelled_pairs(data: RecData, seed: int) -> np.ndarray:
    """[N, 3] (user, item, label): every positive, and per user as many unobserved items as negatives.

    The KGCN preprocessing: negatives are drawn once, uniformly from the items the user never
    interacted with, so the labelled set is twice the positives (42,346 for Last.FM).
    """
    rng = np.random.default_rng(seed)
    by_user: dict[int, list[int]] = {}
    for u, i in data.positives.tolist():
        by_user.setdefault(u, []).append(i)
    rows: list[np.ndarray] = []
    for u in sorted(by_user):
        items = np.array(sorted(by_user[u]), dtype=np.int64)
        unobserved = np.setdiff1d(np.arange(data.n_items), items, assume_unique=True)
        if len(unobserved) < len(items):
            raise ValueError(f"user {u} has too few unobserved items for 1:1 negatives")
        negatives = rng.choice(unobserved, size=len(items), replace=False)
        user = np.full(len(items), u, dtype=np.int64)
        rows.append(np.stack([user, items, np.ones_like(items)], 1))
        rows.append(np.stack([user, negatives, np.zeros_like(negatives)], 1))
    return np.concatenate(rows) if rows else np.zeros((0, 3), dtype=np.int64)


def lastfm_data(path: Path | str | None = None, context: bool = True, text: bool = True) -> RecData:
    """Last.FM with its KG after the standard preprocessing; raises `LastFMDataError` on wrong counts.

    Dense ids follow sorted raw ids. With `context`, each user's listening to the artists that
    are *not* items (not linked to the graph; about 38 per user) is kept as `user_context`:
    behaviour side information that is disjoint from every (user, item) label, which the
    published KG recommenders do not read (the benchmark reports results with and without it).
    An item's text is the artist's name: the graph's other entities are bare Freebase ids
    without names, so the graph, not the text, says the rest. With `text` the names' sentence
    vectors are the "text" modality (computed once, cached under ETUDE_HOME/cache/rec).
    """
    from kg.lastfm import load_lastfm

    raw = load_lastfm(path)
    user_ids = raw.users
    item_ids = sorted(raw.items)
    users = {u: k for k, u in enumerate(user_ids)}
    items = {a: k for k, a in enumerate(item_ids)}
    entity_ids = sorted(raw.entities)
    if entity_ids != list(range(len(entity_ids))):
        raise ValueError("Last.FM entity ids are expected to be dense 0..n-1")
    relations = raw.relations
    rel_index = {r: k for k, r in enumerate(relations)}
    positives = np.array([(users[u], items[a]) for u, a in raw.positives], dtype=np.int64)
    weights = np.array([raw.weights[pair] for pair in raw.positives], dtype=np.float32)
    triples = np.array([(h, rel_index[r], t) for h, r, t in raw.triples], dtype=np.int64)
    names = [raw.artist_names.get(a, f"artist {a}") for a in item_ids]
    item_entity = np.array([raw.items[a] for a in item_ids], dtype=np.int64)
    data = RecData(
        name="lastfm",
        positives=positives,
        triples=triples,
        item_entity=item_entity,
        user_ids=user_ids,
        item_ids=item_ids,
        item_names=names,
        relation_names=relations,
        n_entities=len(entity_ids),
        entity_names={int(e): n for e, n in zip(item_entity.tolist(), names, strict=True)},
        item_text=names,
        weights=weights,
    )
    if context:
        data.user_context, data.n_context = _other_artists(path, users, set(items))
    if text:
        from recommender.encoders.text import text_features

        data.modalities["text"] = Modality(text_features(names), np.array([bool(n.strip()) for n in names]))
    data.check()
    return data


def _other_artists(path: Path | str | None, users: dict[int, int], items: set[int]
                   ) -> tuple[list[np.ndarray], int]:
    """Per dense user, dense ids of the listened artists that are not items."""
    from kg.lastfm import default_lastfm_dir, listening_rows

    directory = Path(path) if path is not None else default_lastfm_dir()
    others: dict[int, int] = {}
    per_user: list[set[int]] = [set() for _ in users]
    for user, artist in listening_rows(directory):
        if artist in items or user not in users:
            continue
        per_user[users[user]].add(others.setdefault(artist, len(others)))
    return [np.array(sorted(c), dtype=np.int64) for c in per_user], len(others)
