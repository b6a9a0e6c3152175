"""MKGAT: the multimodal knowledge-graph attention recommender, Etude's main model.

Item side: an ID embedding and whatever content the item has (text vectors, audio spectrogram
segments, video frames), each encoded to one vector and fused by attention that the user's
representation queries, with absent modalities masked out of the softmax (never read as zeros).
Graph side: the item's entity with attention over its sampled graph neighbours, where the
attention is the user's affinity to each relation (KGCN-style), over entity and relation tables
that a PyKEEN interaction trains at the same time (L = L_rec + λ·L_kg).
User side: the behaviour MLP of the seed paper, f = W2·σ(W1·U + b1) + b2 over the normalised
history vector U, and self-attention over the user's latest interactions pooled by attention to
the candidate item, so what a user liked recently and what resembles the candidate count most.
Prediction: an MLP over [f_user, f_item, f_graph] and their element-wise products, plus an item
bias. The candidate itself is always masked out of its user's history, so a training positive
cannot be read off the input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from recommender.base import Batch, Recommender, TrainingSet, ranking_loss
from recommender.data import RecData
from recommender.encoders.graph import GraphEmbedding
from recommender.neighbourhood import FEATURES, NeighbourhoodEvidence

MODALITIES = ("id", "text", "audio", "video")


def _sample_neighbours(triples: np.ndarray, entities: np.ndarray, k: int, n_relations: int,
                       seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Up to `k` (relation, entity) neighbours per entity, both edge directions; fixed by `seed`.

    Inverse edges get relation id + n_relations, so "X is the genre of A" and "A has genre X"
    stay distinguishable.
    """
    adjacency: dict[int, list[tuple[int, int]]] = {}
    for h, r, t in triples.tolist():
        adjacency.setdefault(h, []).append((r, t))
        adjacency.setdefault(t, []).append((r + n_relations, h))
    rng = np.random.default_rng(seed)
    rel = np.zeros((len(entities), k), dtype=np.int64)
    ent = np.zeros((len(entities), k), dtype=np.int64)
    mask = np.zeros((len(entities), k), dtype=bool)
    for row, e in enumerate(entities.tolist()):
        edges = adjacency.get(e, [])
        if not edges:
            continue
        pick = rng.choice(len(edges), size=min(k, len(edges)), replace=False)
        for col, p in enumerate(pick):
            rel[row, col], ent[row, col] = edges[p]
            mask[row, col] = True
    return rel, ent, mask


def _masked_softmax(scores: torch.Tensor, mask: torch.Tensor, dim: int = -1) -> torch.Tensor:
    scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
    weights = torch.softmax(scores, dim=dim) * mask
    return weights / weights.sum(dim, keepdim=True).clamp_min(1e-9)


class MKGAT(Recommender):
    """Multimodal knowledge-graph attention network (see the module docstring)."""

    name = "mkgat"
    defaults = {
        "dim": 64,
        "kg_interaction": "transe",  # transe | complex | rotate (PyKEEN interaction modules)
        "kg_lambda": 0.1,  # λ in L = L_rec + λ·L_kg; 0 turns the joint graph loss off
        "kg_batch": 2048,
        "neighbours": 16,  # sampled graph neighbours per item entity
        "history": 50,  # latest interactions the user side reads
        "heads": 2,
        "dropout": 0.5,
        "history_dropout": 0.1,  # share of history items hidden per training example
        "modalities": list(MODALITIES),  # item modalities to fuse (ablation: drop some)
        "use_graph": True,  # ablation "no graph": no f_graph and no L_kg
        "use_attention": True,  # ablation "no attention": mean fusion, mean neighbour pooling
        # self-attention over the latest interactions: "auto" uses it where the data's histories are
        # in time order (the platform's events), not where they carry no time (Last.FM);
        # false is the ablation "no sequence" (behaviour MLP only on the user side)
        "use_sequence": "auto",
        "use_context": True,  # read the data's user_context (behaviour outside the catalogue)
        "use_neighbours": True,  # neighbourhood evidence (user-KNN votes, item-KNN similarity)
        "knn": 200,  # neighbours whose votes count
        "epochs": 10,  # it peaks within a few epochs on Last.FM and then overfits
        "lr": 1e-3,
        "batch_size": 256,
        "weight_decay": 1e-6,
        "patience": 2,
        "extra_negatives": 0,
        "seed": 0,
    }

    def __init__(self, data: RecData, config: dict[str, Any] | None = None) -> None:
        super().__init__(data, config)
        c = self.config
        d = int(c["dim"])
        self.dim = d
        unknown = set(c["modalities"]) - set(MODALITIES)
        if unknown:
            raise ValueError(f"unknown modalities {sorted(unknown)}; known: {MODALITIES}")
        self.pad = data.n_items  # history padding index
        self.use_sequence = data.ordered if c["use_sequence"] == "auto" else bool(c["use_sequence"])
        self.item = nn.Embedding(data.n_items + 1, d, padding_idx=self.pad)
        self.bias = nn.Embedding(data.n_items, 1)
        nn.init.normal_(self.item.weight, std=d ** -0.5)
        nn.init.zeros_(self.bias.weight)
        with torch.no_grad():
            self.item.weight[self.pad].zero_()

        # content modalities: frozen features or raw signals, each with a presence mask
        self.content = nn.ModuleDict()
        for name in c["modalities"]:
            if name == "id" or name not in data.modalities:
                continue
            modality = data.modalities[name]
            self.register_buffer(f"{name}_values", torch.as_tensor(modality.values, dtype=torch.float32))
            self.register_buffer(f"{name}_present", torch.as_tensor(modality.present, dtype=torch.bool))
            self.content[name] = self._content_encoder(name, modality.values.shape[1:], d)
        self.fusion_key = nn.Linear(d, d)
        self.fusion_query = nn.Linear(d, d, bias=False)
        self.fusion_score = nn.Linear(d, 1, bias=False)

        # graph side
        self.use_graph = bool(c["use_graph"])
        self.graph = GraphEmbedding(data.n_entities, 2 * data.n_relations, d, str(c["kg_interaction"]))
        self.graph_out = nn.Linear(2 * d, d)
        self.relation_query = nn.Linear(d, d, bias=False)
        self.register_buffer("item_entity", torch.as_tensor(data.item_entity, dtype=torch.long))
        self.register_buffer("triples", torch.as_tensor(data.triples, dtype=torch.long).reshape(-1, 3))
        self._n_relations = data.n_relations

        # user side: behaviour MLP f = W2·σ(W1·U + b1) + b2, and self-attention over the history
        # U is the normalised multi-hot history over items (and over the data's user_context where
        # there is one); the embedding tables are W1 factorised per block, so W1·U is a mean.
        self.use_context = bool(c["use_context"]) and data.user_context is not None and data.n_context > 0
        n_blocks = 2 if self.use_context else 1
        self.behaviour = nn.Sequential(nn.Linear(n_blocks * d, d), nn.Sigmoid(), nn.Linear(d, d))
        if self.use_context:
            self.context = nn.Embedding(data.n_context + 1, d, padding_idx=data.n_context)
            nn.init.normal_(self.context.weight, std=d ** -0.5)
            width = max(1, max(len(ctx) for ctx in data.user_context))
            rows = np.full((data.n_users, width), data.n_context, dtype=np.int64)
            for u, ctx in enumerate(data.user_context):
                rows[u, : len(ctx)] = ctx
            self.register_buffer("context_items", torch.as_tensor(rows))
        self.position = nn.Embedding(int(c["history"]), d)
        self.sequence = nn.TransformerEncoderLayer(d, int(c["heads"]), dim_feedforward=2 * d,
                                                   dropout=float(c["dropout"]), batch_first=True)
        self.pool_query = nn.Linear(d, d, bias=False)
        self.user_out = nn.Linear(2 * d, d)

        self.use_neighbours = bool(c["use_neighbours"])
        if self.use_neighbours:
            self.evidence = NeighbourhoodEvidence(data.n_users, data.n_items, int(c["knn"]))
            # counts on very different scales: standardised with the training rows' statistics
            self.register_buffer("evidence_mean", torch.zeros(FEATURES))
            self.register_buffer("evidence_std", torch.ones(FEATURES))
            self.evidence_in = nn.Linear(FEATURES, d)
            # its own small tower to the logit: the evidence is strong but not linear in its parts
            self.evidence_out = nn.Sequential(nn.Linear(FEATURES, d), nn.ReLU(), nn.Linear(d, 1))
            self._context = ([torch.as_tensor(x) for x in data.user_context]
                             if self.use_context and data.user_context is not None else None)
            self.register_load_state_dict_post_hook(lambda module, _keys: module.refresh_evidence())
        n_in = (5 * d if self.use_graph else 3 * d) + (d if self.use_neighbours else 0)
        self.predict = nn.Sequential(nn.Linear(n_in, d), nn.ReLU(), nn.Dropout(float(c["dropout"])),
                                     nn.Linear(d, 1))
        self.drop = nn.Dropout(float(c["dropout"]))
        k = int(c["neighbours"])
        self.register_buffer("history_items", torch.full((data.n_users, int(c["history"])), self.pad))
        self.register_buffer("nb_rel", torch.zeros((data.n_items, k), dtype=torch.long))
        self.register_buffer("nb_ent", torch.zeros((data.n_items, k), dtype=torch.long))
        self.register_buffer("nb_mask", torch.zeros((data.n_items, k), dtype=torch.bool))

    # ------------------------------------------------------------------ building blocks

    @staticmethod
    def _content_encoder(name: str, shape: tuple[int, ...], dim: int) -> nn.Module:
        if len(shape) == 1:  # a frozen feature vector (text embedding)
            return nn.Sequential(nn.Linear(shape[0], dim), nn.Tanh())
        if name == "audio":
            from recommender.encoders.audio import AudioEncoder

            return AudioEncoder(dim=dim, n_mels=shape[1])
        if name == "video":
            from recommender.encoders.video import VideoEncoder

            return VideoEncoder(dim=dim, channels=shape[1])
        raise ValueError(f"no encoder for modality {name!r} of shape {shape}")

    def prepare(self, train: TrainingSet) -> None:
        length = self.history_items.shape[1]
        rows = np.full((self.n_users, length), self.pad, dtype=np.int64)
        for u, items in enumerate(train.history()):
            latest = items[-length:]  # the given order is the time order; keep the latest
            rows[u, : len(latest)] = latest
        self.history_items = torch.as_tensor(rows, device=self.item.weight.device)
        rel, ent, mask = _sample_neighbours(self.triples.cpu().numpy(), self.item_entity.cpu().numpy(),
                                            self.nb_rel.shape[1], self._n_relations,
                                            int(self.config["seed"]))
        device = self.item.weight.device
        if self.use_neighbours:
            matrix = torch.zeros(self.n_users, self.n_items)
            pos = torch.as_tensor(train.positives, dtype=torch.long)
            if len(pos):
                matrix[pos[:, 0], pos[:, 1]] = 1.0
            self.evidence.fit(matrix, self._context)
            rows = torch.as_tensor(train.rows[:, :2], dtype=torch.long)
            features = self.evidence.remember(rows[:, 0], rows[:, 1])
            if len(features) > 1:
                self.evidence_mean = features.mean(0).to(device)
                spread = features.std(0)
                # a feature constant over the training rows carries nothing: centre it, don't blow it up
                self.evidence_std = torch.where(spread < 1e-3, torch.ones_like(spread), spread).to(device)
        self.nb_rel = torch.as_tensor(rel, device=device)
        self.nb_ent = torch.as_tensor(ent, device=device)
        self.nb_mask = torch.as_tensor(mask, device=device)

    def set_history(self, user: int, items: list[int]) -> None:
        """Replace one user's history (online updates and cold start in serving)."""
        length = self.history_items.shape[1]
        latest = list(items)[-length:]
        row = torch.full((length,), self.pad, dtype=torch.long, device=self.history_items.device)
        if latest:
            row[: len(latest)] = torch.as_tensor(latest, dtype=torch.long)
        self.history_items[user] = row
        if self.use_neighbours:
            full = torch.zeros(self.n_items, device=row.device)
            if items:
                full[torch.as_tensor(list(items), dtype=torch.long, device=row.device)] = 1.0
            self.evidence.update_user(user, full)

    def refresh_evidence(self) -> None:
        """Rebuild the neighbourhood statistics from the saved histories (after loading weights)."""
        if not self.use_neighbours:
            return
        matrix = torch.zeros(self.n_users, self.n_items, device=self.history_items.device)
        users, slots = torch.nonzero(self.history_items != self.pad, as_tuple=True)
        matrix[users, self.history_items[users, slots]] = 1.0
        self.evidence.fit(matrix, self._context)

    def cache_content(self, vectors: torch.Tensor | None, present: torch.Tensor | None = None) -> None:
        """Serve `item_modalities` of every item from `vectors` [n_items, M, d] and `present`
        [n_items, M] (what it returned in eval mode), so serving runs no content encoder and
        needs no raw audio or video; None computes them again. Training never reads the cache."""
        self._content = None if vectors is None else (vectors, present)

    def item_modalities(self, items: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """[B, M, d] modality vectors and [B, M] presence of `items` (id always present)."""
        cached = getattr(self, "_content", None)
        if cached is not None and not self.training:
            return cached[0][items], cached[1][items]
        vectors = [self.item(items)] if "id" in self.config["modalities"] else []
        present = [torch.ones_like(items, dtype=torch.bool)] if vectors else []
        for name, encoder in self.content.items():
            mask = getattr(self, f"{name}_present")[items]
            out = torch.zeros(len(items), self.dim, device=items.device)
            if mask.any():
                out[mask] = encoder(getattr(self, f"{name}_values")[items[mask]]).to(out.dtype)
            vectors.append(out)
            present.append(mask)
        if not vectors:
            raise ValueError("MKGAT needs at least one item modality")
        return torch.stack(vectors, 1), torch.stack(present, 1)

    def fuse(self, vectors: torch.Tensor, present: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
        """Attention over present modalities, queried by the user: [B, M, d] -> [B, d]."""
        if not self.config["use_attention"]:
            weights = present.float() / present.float().sum(1, keepdim=True).clamp_min(1)
        else:
            scores = self.fusion_score(torch.tanh(self.fusion_key(vectors)
                                                  + self.fusion_query(query).unsqueeze(1))).squeeze(-1)
            weights = _masked_softmax(scores, present)
        return (weights.unsqueeze(-1) * vectors).sum(1)

    def graph_vector(self, items: torch.Tensor, user: torch.Tensor) -> torch.Tensor:
        """The item's entity with user-weighted attention over its graph neighbours: [B, d]."""
        entity = self.graph.entity(self.item_entity[items])
        rel = self.graph.relation(self.nb_rel[items])  # [B, K, d]
        nb = self.graph.entity(self.nb_ent[items])
        mask = self.nb_mask[items]
        if self.config["use_attention"]:
            scores = (self.relation_query(user).unsqueeze(1) * rel).sum(-1)
        else:
            scores = torch.zeros_like(mask, dtype=entity.dtype)
        weights = _masked_softmax(scores, mask)
        pooled = (weights.unsqueeze(-1) * nb).sum(1)
        return F.leaky_relu(self.graph_out(torch.cat([entity, pooled], -1)))

    def graph_grid(self, items: torch.Tensor, user: torch.Tensor) -> torch.Tensor:
        """`graph_vector` for the same candidates [C] in every row of `user` [B, C, d]: [B, C, d].

        Scores relations once per relation type and pools neighbours with one batched product,
        so ranking every item never builds a [B, C, K, d] tensor.
        """
        entity = self.graph.entity(self.item_entity[items])  # [C, d]
        nb = self.graph.entity(self.nb_ent[items])  # [C, K, d]
        mask = self.nb_mask[items].unsqueeze(0).expand(user.shape[0], -1, -1)  # [B, C, K]
        if self.config["use_attention"]:
            per_relation = self.relation_query(user) @ self.graph.relation.weight.T  # [B, C, R]
            index = self.nb_rel[items].unsqueeze(0).expand(user.shape[0], -1, -1)
            scores = per_relation.gather(2, index)
        else:
            scores = torch.zeros(mask.shape, device=user.device, dtype=entity.dtype)
        weights = _masked_softmax(scores, mask)
        pooled = torch.einsum("bck,ckd->bcd", weights, nb)
        entity = entity.unsqueeze(0).expand(user.shape[0], -1, -1)
        return F.leaky_relu(self.graph_out(torch.cat([entity, pooled], -1)))

    def user_state(self, users: torch.Tensor, exclude: torch.Tensor | None = None
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Behaviour vector [B, d], contextual history states [B, L, d] and history mask [B, L]."""
        history = self.history_items[users]
        mask = history != self.pad
        if exclude is not None:
            mask &= history != exclude.unsqueeze(1)
        if self.training and float(self.config["history_dropout"]) > 0:
            keep = torch.rand(mask.shape, device=mask.device) >= float(self.config["history_dropout"])
            mask &= keep | (mask.sum(1, keepdim=True) <= 1)
        items = self.item(history) * mask.unsqueeze(-1)
        mean = items.sum(1) / mask.sum(1, keepdim=True).clamp_min(1)
        if self.use_context:
            ctx_ids = self.context_items[users]
            ctx_mask = ctx_ids != self.context.padding_idx
            ctx = (self.context(ctx_ids) * ctx_mask.unsqueeze(-1)).sum(1)
            mean = torch.cat([mean, ctx / ctx_mask.sum(1, keepdim=True).clamp_min(1)], -1)
        behaviour = self.behaviour(mean)
        if not self.use_sequence:
            return behaviour, items, mask
        positions = self.position(torch.arange(history.shape[1], device=history.device))
        empty = ~mask.any(1)
        attend = mask.clone()
        attend[empty, 0] = True  # a user with no history attends to one padding slot
        states = self.sequence(items + positions, src_key_padding_mask=~attend)
        return behaviour, states, mask

    def pooled_history(self, states: torch.Tensor, mask: torch.Tensor, candidates: torch.Tensor
                       ) -> torch.Tensor:
        """Candidate-aware attention pooling of history states: [B, L, d] x [B, C, d] -> [B, C, d]."""
        scores = torch.einsum("bld,bcd->bcl", states, self.pool_query(candidates)) / self.dim ** 0.5
        weights = _masked_softmax(scores, mask.unsqueeze(1).expand_as(scores))
        return torch.einsum("bcl,bld->bcd", weights, states)

    # ------------------------------------------------------------------ scoring

    def _score(self, users: torch.Tensor, items: torch.Tensor, exclude: torch.Tensor | None,
               shared: bool = False) -> torch.Tensor:
        """Logits for a [B, C] grid of candidates `items` per user (`shared`: every row alike)."""
        b, n = items.shape
        behaviour, states, mask = self.user_state(users, exclude)
        flat = items.reshape(-1)
        ids = self.item(flat).view(b, n, -1)
        if self.use_sequence:
            pooled = self.pooled_history(states, mask, ids)
            user = self.user_out(torch.cat([behaviour.unsqueeze(1).expand(-1, n, -1), pooled], -1))
        else:
            user = behaviour.unsqueeze(1).expand(-1, n, -1)
        user_flat = user.reshape(b * n, -1)
        unique, inverse = torch.unique(flat, return_inverse=True)  # encode each item's content once
        vectors, present = self.item_modalities(unique)
        item = self.fuse(vectors[inverse], present[inverse], user_flat)
        parts = [user_flat, item, user_flat * item]
        if self.use_graph:
            if shared:
                graph = self.graph_grid(items[0], user).reshape(b * n, -1)
            else:
                graph = self.graph_vector(flat, user_flat)
            parts += [graph, user_flat * graph]
        direct = self.bias(flat).squeeze(-1)
        if self.use_neighbours:
            evidence = (self._evidence(users, items, exclude) - self.evidence_mean) / self.evidence_std
            parts.append(torch.tanh(self.evidence_in(evidence)))
            direct = direct + self.evidence_out(evidence).squeeze(-1)
        logits = self.predict(self.drop(torch.cat(parts, -1))).squeeze(-1) + direct
        return logits.view(b, n)

    def _evidence(self, users: torch.Tensor, items: torch.Tensor, exclude: torch.Tensor | None
                  ) -> torch.Tensor:
        """[B*C, FEATURES] neighbourhood evidence for the candidate grid `items` [B, C].

        With `exclude` (training) a training positive's own interaction is taken out: the pairs of
        one column, or of a top-K grid's first column (the positive, which is what `exclude`
        names); the grid's other columns are sampled negatives, never training positives, for
        which the every-item evidence is exact and much cheaper than pair by pair.
        """
        if exclude is not None:
            own = self.evidence.pairs(users, items[:, 0]).unsqueeze(1)
            if items.shape[1] == 1:
                return own[:, 0]
            every = self.evidence.all_items(users)
            rest = every.gather(1, items[:, 1:].unsqueeze(-1).expand(-1, -1, FEATURES))
            return torch.cat([own, rest], 1).reshape(-1, FEATURES)
        every = self.evidence.all_items(users)  # [B, n_items, FEATURES]
        return every.gather(1, items.unsqueeze(-1).expand(-1, -1, FEATURES)).reshape(-1, FEATURES)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self._score(users, items.unsqueeze(1), exclude=items)[:, 0]

    def rec_loss(self, batch: Batch) -> torch.Tensor:
        """Top-K: the positive and its negatives scored as one candidate grid per user (the user
        side computed once); the positive is what leaves the history. CTR: the base loss."""
        if batch.labels is not None or batch.negatives is None:
            return super().rec_loss(batch)
        candidates = torch.cat([batch.items.unsqueeze(1), batch.negatives.reshape(len(batch.users), -1)], 1)
        logits = self._score(batch.users, candidates, exclude=batch.items)
        return ranking_loss(logits[:, 0], logits[:, 1:], str(self.config["topk_loss"]))

    def score_items(self, users: torch.Tensor, chunk: int | None = None) -> torch.Tensor:
        # a [chunk, n_items, d] grid per step: small on a CPU's caches, large on a GPU
        chunk = chunk or (128 if users.device.type == "cuda" else 16)
        items = torch.arange(self.n_items, device=users.device)
        out = []
        for start in range(0, len(users), chunk):
            part = users[start:start + chunk]
            out.append(self._score(part, items.expand(len(part), -1), exclude=None, shared=True))
        return torch.cat(out)

    def aux_loss(self) -> torch.Tensor | float:
        lam = float(self.config["kg_lambda"])
        if not self.use_graph or lam == 0 or len(self.triples) == 0:
            return 0.0
        return lam * self.graph.kg_loss(self.triples, int(self.config["kg_batch"]))
