"""RippleNet: a user's preferences spread outwards from their items over the KG (Wang et al., CIKM 2018)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from recommender.base import Batch, Recommender, TrainingSet
from recommender.data import RecData


class RippleNet(Recommender):
    """Each user has `hops` ripple sets of `memory` KG triples sampled in `prepare`: hop 1 starts at
    the entities of the user's training items, hop h+1 at the tails of hop h (edges as stored, head
    to tail; a hop that finds no triple repeats the one before, as the paper's code does).

    For item v, hop h attends over its triples with softmax(vᵀ R h) and reads o_h = Σ p · t; v is
    updated to W(v + o_h) between hops ("plus transform") and the logit is (Σ_h o_h) · v. The
    loss adds the KG term -λ·mean σ(hᵀ R t) over the batch users' ripple sets and L2 on them.
    """

    name = "ripplenet"
    # the paper code's shape (dim 16, 2 hops, 32 memories, λ_kge 0.01); tuned on Last.FM validation
    defaults = {"dim": 16, "hops": 2, "memory": 32, "kge_weight": 0.01, "l2": 1e-7, "epochs": 30,
                "lr": 5e-3, "batch_size": 1024, "patience": 6, "extra_negatives": 1}

    def __init__(self, data: RecData, config=None) -> None:
        super().__init__(data, config)
        dim, hops, memory = int(self.config["dim"]), int(self.config["hops"]), int(self.config["memory"])
        self.dim, self.hops = dim, hops
        self.n_entities, self.n_relations = data.n_entities, data.n_relations
        self.triples = data.triples
        self.entity = nn.Embedding(data.n_entities + 1, dim, padding_idx=data.n_entities)  # last: none
        self.relation = nn.Embedding(data.n_relations + 1, dim * dim)  # last: "no triple"
        nn.init.xavier_uniform_(self.entity.weight)
        nn.init.xavier_uniform_(self.relation.weight)
        with torch.no_grad():
            self.entity.weight[data.n_entities].zero_()
        self.transform = nn.Linear(dim, dim, bias=False)
        self.register_buffer("item_entity", torch.as_tensor(data.item_entity, dtype=torch.long))
        shape = (data.n_users, hops, memory)
        self.register_buffer("memory_head", torch.full(shape, data.n_entities))
        self.register_buffer("memory_relation", torch.full(shape, data.n_relations))
        self.register_buffer("memory_tail", torch.full(shape, data.n_entities))

    def prepare(self, train: TrainingSet) -> None:
        """Sample every user's ripple sets from their training positives (torch's seeded generator)."""
        rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, ()).item()))
        out_edges: dict[int, list[tuple[int, int]]] = {}
        for h, r, t in self.triples.tolist():
            out_edges.setdefault(h, []).append((r, t))
        memory = self.memory_head.shape[2]
        heads, rels, tails = (b.cpu().numpy().copy() for b in
                              (self.memory_head, self.memory_relation, self.memory_tail))
        item_entity = self.item_entity.cpu().numpy()
        for user, items in enumerate(train.history()):
            seeds = sorted(set(item_entity[items].tolist()))
            for hop in range(self.hops):
                found = [(e, r, t) for e in seeds for r, t in out_edges.get(e, ())]
                if not found:
                    if hop:
                        heads[user, hop], rels[user, hop], tails[user, hop] = (
                            heads[user, hop - 1], rels[user, hop - 1], tails[user, hop - 1])
                    continue  # hop 0 without triples: the padding ("no triple") stays
                pick = rng.choice(len(found), size=memory, replace=len(found) < memory)
                chosen = np.array(found, dtype=np.int64)[pick]
                heads[user, hop], rels[user, hop], tails[user, hop] = chosen.T
                seeds = sorted(set(chosen[:, 2].tolist()))
        device = self.memory_head.device
        self.memory_head = torch.as_tensor(heads).to(device)
        self.memory_relation = torch.as_tensor(rels).to(device)
        self.memory_tail = torch.as_tensor(tails).to(device)

    def _memories(self, users: torch.Tensor, hop: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(h, R, t) of the users' hop: [B, M, d], [B, M, d, d], [B, M, d]."""
        h = self.entity(self.memory_head[users, hop])
        r = self.relation(self.memory_relation[users, hop]).view(*h.shape, self.dim)
        t = self.entity(self.memory_tail[users, hop])
        return h, r, t

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        v = self.entity(self.item_entity[items])  # [B, d]
        total = torch.zeros_like(v)
        for hop in range(self.hops):
            h, r, t = self._memories(users, hop)
            rh = (r @ h.unsqueeze(-1)).squeeze(-1)  # [B, M, d]
            p = torch.softmax((rh * v[:, None, :]).sum(-1), -1)
            o = (p.unsqueeze(-1) * t).sum(1)
            v = self.transform(v + o)
            total = total + o
        return (total * v).sum(-1)

    def score_items(self, users: torch.Tensor, max_rows: int = 1 << 22) -> torch.Tensor:
        step = max(1, max_rows // (self.n_items * self.memory_head.shape[2]))
        return torch.cat([self._score_chunk(users[s:s + step]) for s in range(0, len(users), step)])

    def _score_chunk(self, users: torch.Tensor) -> torch.Tensor:
        v = self.entity(self.item_entity).expand(len(users), -1, -1)  # [B, N, d]
        total = torch.zeros_like(v)
        for hop in range(self.hops):
            h, r, t = self._memories(users, hop)
            rh = (r @ h.unsqueeze(-1)).squeeze(-1)  # [B, M, d]
            p = torch.softmax(torch.einsum("bnd,bmd->bnm", v, rh), -1)
            o = torch.einsum("bnm,bmd->bnd", p, t)
            v = self.transform(v + o)
            total = total + o
        return (total * v).sum(-1)

    def loss(self, batch: Batch) -> torch.Tensor:
        kge, reg = 0.0, 0.0
        for hop in range(self.hops):
            h, r, t = self._memories(batch.users, hop)
            hrt = ((r @ t.unsqueeze(-1)).squeeze(-1) * h).sum(-1)
            kge = kge - torch.sigmoid(hrt).mean()
            reg = reg + (h.pow(2).sum() + t.pow(2).sum() + r.pow(2).sum()) / len(batch.users)
        weights = float(self.config["kge_weight"]), float(self.config["l2"])
        return self.rec_loss(batch) + weights[0] * kge + weights[1] * reg + self.aux_loss()
