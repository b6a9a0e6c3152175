"""KGCN: an item is its KG neighbourhood under user-specific relation attention (Wang et al., WWW 2019)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from recommender.base import Batch, Recommender, TrainingSet
from recommender.data import RecData
from recommender.models.common import l2


class KGCN(Recommender):
    """Each entity has `neighbours` KG neighbours sampled once (with replacement, edges read both ways).

    For user u an entity's neighbours are weighted by softmax over them of π(u, r) = mean(u ⊙ r), r
    the relation leading to the neighbour, and aggregated into the entity's vector `hops` times
    ("sum": act(W(e + n) + b); "concat": act(W[e; n] + b)); ReLU inside, tanh at the last layer.
    The logit is u · v(item). Entities without a neighbour get themselves through a "self" relation.

    `forward` expands each item's receptive field as in the paper; `score_items` computes the same
    layers for every entity at once per user (the tree and the graph view give equal vectors), so
    ranking all items costs one pass per layer instead of one per item.
    """

    name = "kgcn"
    # the paper's Last.FM shape (dim 16, one hop, 8 neighbours, sum); l2 is per example here, not
    # summed over the batch as in the paper's code, hence larger; tuned on Last.FM validation
    defaults = {"dim": 16, "hops": 1, "neighbours": 8, "aggregator": "sum", "l2": 1e-2, "epochs": 40,
                "lr": 5e-3, "batch_size": 256, "patience": 6, "extra_negatives": 1}

    def __init__(self, data: RecData, config=None) -> None:
        super().__init__(data, config)
        if self.config["aggregator"] not in ("sum", "concat"):
            raise ValueError(f"kgcn: aggregator must be 'sum' or 'concat', not {self.config['aggregator']!r}")
        dim, k = int(self.config["dim"]), int(self.config["neighbours"])
        self.hops, self.k, self.dim = int(self.config["hops"]), k, dim
        self.n_entities, self.n_relations = data.n_entities, data.n_relations
        self.triples = data.triples
        self.user = nn.Embedding(data.n_users, dim)
        self.entity = nn.Embedding(data.n_entities, dim)
        self.relation = nn.Embedding(data.n_relations + 1, dim)  # the last one is "self"
        for emb in (self.user, self.entity, self.relation):
            nn.init.xavier_uniform_(emb.weight)
        width = 2 * dim if self.config["aggregator"] == "concat" else dim
        self.aggregators = nn.ModuleList(nn.Linear(width, dim) for _ in range(self.hops))
        for lin in self.aggregators:  # as the paper's code: a bias would swamp the small embeddings
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)
        self.register_buffer("item_entity", torch.as_tensor(data.item_entity, dtype=torch.long))
        self.register_buffer("adj_entity", torch.arange(data.n_entities)[:, None].repeat(1, k))
        self.register_buffer("adj_relation", torch.full((data.n_entities, k), data.n_relations))

    def prepare(self, train: TrainingSet) -> None:
        """Sample the fixed neighbours (the trainer has seeded torch's generator)."""
        t = torch.as_tensor(self.triples, dtype=torch.long).reshape(-1, 3)
        if not len(t):
            return  # every entity keeps its self-loop
        heads = torch.cat([t[:, 0], t[:, 2]])
        order = torch.argsort(heads, stable=True)
        heads = heads[order]
        tails = torch.cat([t[:, 2], t[:, 0]])[order]
        rels = torch.cat([t[:, 1], t[:, 1]])[order]
        degree = torch.bincount(heads, minlength=self.n_entities)
        start = torch.cumsum(degree, 0) - degree
        pick = (torch.rand(self.n_entities, self.k) * degree[:, None]).long()  # in [0, degree)
        edge = (start[:, None] + pick).clamp(max=len(heads) - 1)
        has = degree[:, None] > 0
        device = self.adj_entity.device
        self.adj_entity = torch.where(has, tails[edge], self.adj_entity.cpu()).to(device)
        self.adj_relation = torch.where(has, rels[edge], self.adj_relation.cpu()).to(device)

    def _aggregate(self, layer: int, own: torch.Tensor, neigh: torch.Tensor) -> torch.Tensor:
        lin = self.aggregators[layer]
        x = torch.cat([own, neigh], -1) if self.config["aggregator"] == "concat" else own + neigh
        out = lin(x)
        return torch.tanh(out) if layer == self.hops - 1 else F.relu(out)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        b = len(users)
        u = self.user(users)
        entities = [self.item_entity[items][:, None]]
        relations = []
        for _ in range(self.hops):
            relations.append(self.adj_relation[entities[-1]].reshape(b, -1))
            entities.append(self.adj_entity[entities[-1]].reshape(b, -1))
        vectors = [self.entity(e) for e in entities]
        for layer in range(self.hops):
            nxt = []
            for hop in range(self.hops - layer):
                neigh = vectors[hop + 1].reshape(b, -1, self.k, self.dim)
                rel = self.relation(relations[hop]).reshape(b, -1, self.k, self.dim)
                att = torch.softmax((u[:, None, None, :] * rel).mean(-1), -1)
                nxt.append(self._aggregate(layer, vectors[hop], (att.unsqueeze(-1) * neigh).sum(2)))
            vectors = nxt
        return (u * vectors[0][:, 0]).sum(1)

    def score_items(self, users: torch.Tensor, max_rows: int = 1 << 22) -> torch.Tensor:
        # layer 0 is the same for every user; later layers hold [users, entities, K, dim] at once
        per_user = (self.n_entities if self.hops > 1 else self.n_items) * self.k * self.dim
        step = max(1, max_rows // per_user) if self.hops > 1 else max(1, (max_rows * 4) // per_user)
        return torch.cat([self._score_chunk(users[s:s + step]) for s in range(0, len(users), step)])

    def _score_chunk(self, users: torch.Tensor) -> torch.Tensor:
        u = self.user(users)  # [B, d]
        pi = u @ self.relation.weight.T / self.dim  # [B, R+1]: π(u, r) for every relation
        h = self.entity.weight  # layer 0: [E, d], shared by all users; later [B, E, d]
        for layer in range(self.hops):
            # the last layer is needed only at items, earlier ones at every entity
            last = layer == self.hops - 1
            ent = self.adj_entity[self.item_entity] if last else self.adj_entity
            rel = self.adj_relation[self.item_entity] if last else self.adj_relation
            att = torch.softmax(pi[:, rel], -1)  # [B, E', K]
            if h.dim() == 2:
                neigh = torch.einsum("bek,ekd->bed", att, h[ent])
                own = (h[self.item_entity] if last else h).expand(len(users), -1, -1)
            else:
                neigh = torch.einsum("bek,bekd->bed", att, h[:, ent])
                own = h[:, self.item_entity] if last else h
            h = self._aggregate(layer, own, neigh)
        return (u[:, None, :] * h).sum(-1)

    def loss(self, batch: Batch) -> torch.Tensor:
        used = [self.user(batch.users), self.entity(self.item_entity[batch.items])]
        if batch.negatives is not None:
            used.append(self.entity(self.item_entity[batch.negatives]))
        reg = l2(*used) + sum(lin.weight.pow(2).sum() / 2 for lin in self.aggregators)
        return self.rec_loss(batch) + float(self.config["l2"]) * reg + self.aux_loss()
