"""MKGAT's scores of every item for one learner, computed the way serving can afford.

`MKGAT.score_items` builds a [candidates, 5d] input per item and runs every layer on it: ~70 ms
for the platform's 4,600 items on one core. The same numbers cost a few milliseconds once the
work that depends only on the item is done once per model version and the rest is reordered:

- the item's content vectors (`cache_content`), their fusion keys, the item-half of the scoring
  MLP's first layer, the history-pooling queries, the graph output of the item's own entity and
  of each sampled neighbour are per-item constants;
- the user vector of candidate n is u_n = c + A_n·T (c from the behaviour MLP, A_n the
  candidate's attention over the valid history positions, T the history states through
  `user_out`), so every linear map of u_n is one small [N, L]×[L, d] product;
- the graph attention reads the user only through the relation of each neighbour, so it is a
  gather from u_n's score against each relation.

The neighbourhood evidence is the model's own (`evidence.all_items`). The result equals
`MKGAT.score_items` up to float rounding: the tests and every training run check it, and serving
checks it again when a version loads, scoring with the model itself if they ever differ.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from recommender.models.mkgat import MKGAT, _masked_softmax


@dataclass(frozen=True, slots=True)
class Scored:
    """Logits of the scored items, and each item's attention over the learner's history."""

    logits: torch.Tensor  # [n]
    attention: torch.Tensor  # [n, len(positions)]: how much each history item shaped the score
    positions: list[int]  # the history slots those columns are (index into the history row)


def supports(model: object) -> bool:
    """Whether the fast path knows this model (serving checks it matches before using it)."""
    return isinstance(model, MKGAT)


class FastScorer:
    """MKGAT scores for `items` (default: every item) of a history row, from per-item constants."""

    @torch.no_grad()
    def __init__(self, model: MKGAT, items: torch.Tensor | None = None) -> None:
        if not supports(model):
            raise ValueError(f"the fast path scores MKGAT, not {type(model).__name__}")
        model.eval()
        self.model = model
        c = model.config
        d = self.dim = model.dim
        self.items = torch.arange(model.n_items) if items is None else items.long()
        self.attend = bool(c["use_attention"])
        self.sequence = bool(getattr(model, "use_sequence", c["use_sequence"]))
        self.graph = model.use_graph
        items = self.items
        self.pool_query = model.pool_query(model.item(items))  # [N, d]
        self.vectors, self.present = model.item_modalities(items)  # [N, M, d], [N, M]
        first = model.predict[0]
        blocks = first.weight.split(d, dim=1)  # user, item, user*item[, graph, user*graph][, evidence]
        self.w_user = blocks[0]
        self.item_part = self.vectors @ blocks[1].T  # [N, M, d]
        # Fusion weighs an item's present modalities; with one (most works: only their id) the
        # weight is 1 whatever the user, so only items with several are fused per request.
        fixed = _masked_softmax(torch.zeros(self.present.shape), self.present)  # weights of the others
        self.fused = (self.present.sum(1) > 1).nonzero().flatten() if self.attend else torch.zeros(0).long()
        self.item_fixed = (fixed.unsqueeze(-1) * self.vectors).sum(1)  # [N, d]
        self.item_part_fixed = (fixed.unsqueeze(-1) * self.item_part).sum(1)
        self.fusion_key = model.fusion_key(self.vectors[self.fused]) if self.attend else None
        pair_blocks = 3 if self.graph else 1
        self.w_user_t = self.w_user.T.contiguous()
        # [d, d] transposed weights of the pair blocks: user*item[, graph, user*graph]
        self.pair_blocks = [b.T.contiguous() for b in blocks[2:2 + pair_blocks]]
        # neighbourhood evidence (user-KNN votes, item similarity): the model computes it per user
        self.evidence = bool(getattr(model, "use_neighbours", False))
        self.w_evidence = blocks[2 + pair_blocks] if self.evidence else None
        self.b_first = first.bias
        self.last = model.predict[-1]
        self.bias = model.bias.weight[items, 0]
        if self.graph:
            w_graph = model.graph_out.weight  # [d, 2d]: own entity, pooled neighbours
            entity = model.graph.entity(model.item_entity[items])
            self.graph_own = entity @ w_graph[:, :d].T + model.graph_out.bias  # [N, d]
            neighbours = model.graph.entity(model.nb_ent[items]) @ w_graph[:, d:].T  # [N, K, d]
            nb_mask = model.nb_mask[items]
            if self.attend:
                # the sampled neighbours are padded to K per item but most items have two or three:
                # keep the real ones as a flat list of (item, relation, vector)
                real = nb_mask.nonzero()
                self.edge_item, slot = real[:, 0], real[:, 1]
                self.edge_rel = model.nb_rel[items][self.edge_item, slot]
                self.edge_vector = neighbours[self.edge_item, slot]  # [E, d]
                # (relation_query(u)) · r = u · (W_q^T r): the user's score for every relation
                self.relation_keys = model.graph.relation.weight @ model.relation_query.weight
            else:  # uniform attention over the valid neighbours: the graph vector is a constant
                weights = _masked_softmax(torch.zeros(nb_mask.shape), nb_mask)
                self.graph_const = F.leaky_relu(
                    self.graph_own + torch.einsum("nk,nkd->nd", weights, neighbours))

    def __len__(self) -> int:
        return len(self.items)

    @torch.no_grad()
    def score(self, row: int) -> Scored:
        """Scores of the items for the history in the model's `history_items[row]`."""
        model = self.model
        n, d = len(self.items), self.dim
        behaviour, states, mask = model.user_state(torch.tensor([row], device=self.pool_query.device))
        positions = mask[0].nonzero().flatten().tolist()
        history = states[0, positions]  # [L, d], the valid slots only: the rest weigh exactly 0
        pooling = self.sequence and bool(positions)
        if self.sequence:
            w_out = model.user_out.weight
            base = behaviour[0] @ w_out[:, :d].T + model.user_out.bias  # [d]
            through = history @ w_out[:, d:].T  # [L, d]
            attention = (torch.softmax(self.pool_query @ history.T / d ** 0.5, dim=1) if pooling
                         else history.new_zeros(n, 0))
        else:  # the behaviour MLP reads the mean of the history: every item weighs the same
            base, through = behaviour[0], None
            attention = history.new_full((n, len(positions)), 1.0 / max(1, len(positions)))

        # u_n = base + A_n·T for every candidate n; every linear map of it is one product
        user = torch.addmm(base, attention, through) if pooling else base.expand(n, -1)
        item, item_part = self.item_fixed, self.item_part_fixed
        if len(self.fused):
            fused = self.fused
            query = (base @ model.fusion_query.weight.T).expand(len(fused), -1)
            if pooling:
                query = query + attention[fused] @ (through @ model.fusion_query.weight.T)
            keys = torch.tanh(self.fusion_key + query.unsqueeze(1))
            weights = _masked_softmax(model.fusion_score(keys).squeeze(-1), self.present[fused])
            # a few modalities: weighted sums beat batched products of 1×M matrices
            item = item.index_copy(0, fused, (weights.unsqueeze(-1) * self.vectors[fused]).sum(1))
            item_part = item_part.index_copy(0, fused, (weights.unsqueeze(-1) * self.item_part[fused]).sum(1))
        # the first layer, accumulated in place block by block (no [N, 5d] input is built)
        hidden = torch.addmm(item_part, user, self.w_user_t) if pooling else item_part + base @ self.w_user_t
        hidden += self.b_first
        hidden.addmm_(user * item, self.pair_blocks[0])
        if self.graph:
            if self.attend:
                relation_scores = user @ self.relation_keys.T
                graph = self._pooled_neighbours(relation_scores)
                graph += self.graph_own
                F.leaky_relu(graph, inplace=True)
            else:
                graph = self.graph_const
            hidden.addmm_(graph, self.pair_blocks[1])
            hidden.addmm_(user * graph, self.pair_blocks[2])
        direct = self.bias + self.last.bias
        if self.evidence:
            raw = model.evidence.all_items(torch.tensor([row]))[0, self.items]  # [N, features]
            part, logit = self._evidence_towers(raw)
            hidden += part
            direct = direct + logit
        logits = torch.addmv(direct, hidden.relu_(), self.last.weight[0])
        return Scored(logits, attention, positions)

    def _evidence_towers(self, raw: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The evidence's share of the first layer [N, d] and of the logit [N].

        An item no neighbour chose and nothing in the history resembles (most items, for most
        learners) has evidence (0, 0, popularity, history size), and the history size is the
        learner's: such items differ only by popularity, which takes few values. The towers run
        once per distinct popularity for them, and per item only for the rest: the same numbers.
        """
        model = self.model
        zero = (raw[:, 0] == 0) & (raw[:, 1] == 0)
        some = (~zero).nonzero().flatten()
        levels, inverse = torch.unique(raw[zero, 2], return_inverse=True)
        grouped = raw.new_zeros(len(levels), raw.shape[1])
        grouped[:, 2] = levels
        grouped[:, 3] = raw[0, 3]
        rows = torch.cat([raw[some], grouped])
        if hasattr(model, "evidence_mean"):  # standardised with the training rows' statistics
            rows = (rows - model.evidence_mean) / model.evidence_std
        parts = torch.tanh(model.evidence_in(rows)) @ self.w_evidence.T
        logits = model.evidence_out(rows).squeeze(-1)
        k = len(some)
        part = parts.new_empty(len(raw), parts.shape[1])
        logit = logits.new_empty(len(raw))
        part[some], logit[some] = parts[:k], logits[:k]
        part[zero], logit[zero] = parts[k:][inverse], logits[k:][inverse]
        return part, logit

    def _pooled_neighbours(self, relation_scores: torch.Tensor) -> torch.Tensor:
        """Each item's neighbours averaged with a softmax over the user's relation scores [N, R]."""
        n = len(relation_scores)
        scores = relation_scores[self.edge_item, self.edge_rel]  # [E]
        top = scores.new_full((n,), -torch.inf).scatter_reduce(0, self.edge_item, scores, "amax")
        weights = torch.exp(scores - top[self.edge_item])
        total = scores.new_zeros(n).index_add_(0, self.edge_item, weights)
        pooled = self.edge_vector.new_zeros(n, self.dim).index_add_(
            0, self.edge_item, weights.unsqueeze(1) * self.edge_vector)
        return pooled / total.clamp_min(1e-30).unsqueeze(1)  # no neighbours: 0, as the model has it


@torch.no_grad()
def max_difference(scorer: FastScorer, rows: list[int]) -> float:
    """Largest difference between the fast path and `MKGAT.score_items` over `rows`, relative
    where logits are large (|a − b| / max(1, |b|)): float rounding grows with the logit."""
    model = scorer.model
    model.eval()
    if not rows:
        return 0.0
    reference = model.score_items(torch.tensor(rows))[:, scorer.items]
    fast = torch.stack([scorer.score(r).logits for r in rows])
    return float(((fast - reference).abs() / reference.abs().clamp_min(1.0)).max())
