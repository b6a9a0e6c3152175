"""MKGAT's scores of every item for one learner, computed the way serving can afford.

`MKGAT.score_items` builds a [candidates, 5d] input per item and runs every layer on it: ~70 ms
for the platform's 4,600 items on one core. The same numbers cost ~2.5 ms once the work that
depends only on the item is done once per model version and the rest is reordered:

- the item's content vectors (`cache_content`), their fusion keys, the item-half of the scoring
  MLP's first layer, the history-pooling queries, the graph output of the item's own entity and
  of each sampled neighbour are per-item constants;
- the user vector of candidate n is u_n = c + A_n·T (c from the behaviour MLP, A_n the
  candidate's attention over the valid history positions, T the history states through
  `user_out`), so every linear map of u_n is one small [N, L]×[L, d] product;
- an item with one modality (most works) fuses the same whatever the user, and so does the
  graph vector of an item whose neighbours all share one relation (the user scores neighbours
  by relation only): their parts of the first layer are folded into one constant per item, and
  only the other items (~400 fused, ~1,400 attended of 4,600) are corrected per request;
- softmaxes and weighted sums run down short axes laid out first ([L, N], [M, F], [R', A]):
  along N-many short rows the same kernels are several times slower on a CPU.

The neighbourhood evidence is the model's own (`evidence.signals`), scaled only for the items
that have some. The result equals `MKGAT.score_items` up to float rounding: the tests and every
training run check it, and serving checks it again when a version loads, scoring with the model
itself if they ever differ.
"""

from __future__ import annotations

import math
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
        self.subset = items is not None
        self._levels: tuple[int, torch.Tensor, torch.Tensor] | None = None  # see neighbourhood
        self.attend = bool(c["use_attention"])
        self.sequence = bool(getattr(model, "use_sequence", c["use_sequence"]))
        self.graph = model.use_graph
        items = self.items
        self.pool_query_t = (model.pool_query(model.item(items)) / d ** 0.5).T.contiguous()  # [d, N]
        vectors, present = model.item_modalities(items)  # [N, M, d], [N, M]
        first = model.predict[0]
        blocks = first.weight.split(d, dim=1)  # user, item, user*item[, graph, user*graph][, evidence]
        self.w_user = blocks[0]
        item_part = vectors @ blocks[1].T  # [N, M, d]
        # Fusion weighs an item's present modalities; with one (most works: only their id) the
        # weight is 1 whatever the user, so only items with several are fused per request.
        fixed = _masked_softmax(torch.zeros(present.shape), present)  # weights of the others
        self.fused = (present.sum(1) > 1).nonzero().flatten() if self.attend else torch.zeros(0).long()
        self.item_fixed = (fixed.unsqueeze(-1) * vectors).sum(1)  # [N, d]
        self.item_part_fixed = (fixed.unsqueeze(-1) * item_part).sum(1)
        # The fused items laid out modality-major, [M, F, ...], so the softmax and the weighted
        # sums run down the short modality axis (along it, per item, they are several times
        # slower): their fusion keys, their modality vectors beside their first-layer parts
        # (one weighted sum makes both) and -inf where a modality is absent.
        fused_present = present[self.fused].T
        self.fusion_key = (model.fusion_key(vectors[self.fused]).transpose(0, 1).contiguous()
                           if self.attend else None)
        both = torch.cat([vectors[self.fused], item_part[self.fused]], -1)  # [F, M, 2d]
        self.fused_both = both.transpose(0, 1).contiguous()
        self.fused_absent = torch.zeros(fused_present.shape).masked_fill_(~fused_present, -torch.inf)
        self.fusion_query_t = model.fusion_query.weight.T.contiguous()
        pair_blocks = 3 if self.graph else 1
        self.w_user_t = self.w_user.T.contiguous()
        # [d, d] transposed weights of the pair blocks: user*item[, graph, user*graph]
        self.pair_blocks = [b.T.contiguous() for b in blocks[2:2 + pair_blocks]]
        # neighbourhood evidence (user-KNN votes, item similarity): the model computes it per user
        self.evidence = bool(getattr(model, "use_neighbours", False))
        if self.evidence:
            self.w_evidence_t = blocks[2 + pair_blocks].T.contiguous()
            # the towers' first layers read standardised features, (x - mean) / std: folded into
            # their weights and biases, so the raw features go in as they are
            features = model.evidence_in.in_features
            mean = getattr(model, "evidence_mean", torch.zeros(features))
            std = getattr(model, "evidence_std", torch.ones(features))
            for name, layer in (("evidence_in", model.evidence_in), ("evidence_out", model.evidence_out[0])):
                weight = layer.weight / std  # [h, features]
                setattr(self, f"{name}_t", weight.T.contiguous())
                setattr(self, f"{name}_bias", layer.bias - weight @ mean)
            self.evidence_last = model.evidence_out[-1]  # after the ReLU: [h] -> the logit
        self.b_first = first.bias
        self.last = model.predict[-1]
        self.bias = model.bias.weight[items, 0]
        self.direct = self.bias + self.last.bias  # the logit's per-item constant
        self.attended = torch.zeros(0, dtype=torch.long)  # items whose neighbours the user weighs
        if self.graph:
            w_graph = model.graph_out.weight  # [d, 2d]: own entity, pooled neighbours
            entity = model.graph.entity(model.item_entity[items])
            self.graph_own = entity @ w_graph[:, :d].T + model.graph_out.bias  # [N, d]
            neighbours = model.graph.entity(model.nb_ent[items]) @ w_graph[:, d:].T  # [N, K, d]
            nb_mask, nb_rel = model.nb_mask[items], model.nb_rel[items]
            # Uniform attention over the valid neighbours: what every item gets without attention,
            # and with it every item whose neighbours all share one relation (most works have a
            # single neighbour), since the user then scores them alike: a constant per item.
            uniform = _masked_softmax(torch.zeros(nb_mask.shape), nb_mask)
            self.graph_const = F.leaky_relu(self.graph_own + torch.einsum("nk,nkd->nd", uniform, neighbours))
            if self.attend:
                first_rel = nb_rel.gather(1, nb_mask.long().argmax(1, keepdim=True))
                self.attended = ((nb_rel != first_rel) & nb_mask).any(1).nonzero().flatten()
                # The user scores a neighbour by its relation only, so the neighbours sharing one
                # weigh alike: softmax_k(s_k)·v_k = softmax_r(s_r + log n_r)·mean_r(v). Per item
                # its distinct relations (at most ~5, against up to K neighbours), as [R', A]
                # columns for a softmax down them, several times faster than along short rows.
                groups = []
                for a in self.attended.tolist():
                    valid = nb_mask[a]
                    rels = nb_rel[a][valid]
                    groups.append([(r, neighbours[a][valid][rels == r]) for r in rels.unique().tolist()])
                width = max(len(g) for g in groups)
                self.group_rel_t = torch.zeros(width, len(groups), dtype=torch.long)  # [R', A]
                self.group_bias_t = torch.full((width, len(groups)), -torch.inf)  # log n_r; -inf: none
                self.group_mean = torch.zeros(width, len(groups), d)  # [R', A, d]
                for a, group in enumerate(groups):
                    for j, (r, vectors) in enumerate(group):
                        self.group_rel_t[j, a] = r
                        self.group_bias_t[j, a] = math.log(len(vectors))
                        self.group_mean[j, a] = vectors.mean(0)
                self.graph_own_attended = self.graph_own[self.attended]
                # (relation_query(u)) · r = u · (W_q^T r): the user's score for every relation
                self.relation_keys = model.graph.relation.weight @ model.relation_query.weight
        # Folded per-item constants: the first layer's bias, the item part and the graph part of
        # the fixed (unfused, unattended) items. Fused and attended items are corrected per request.
        self.static = self.item_part_fixed + self.b_first
        if self.graph:
            self.static = self.static + self.graph_const @ self.pair_blocks[1]
            self.attended_const = self.graph_const[self.attended]
        self.fused_fixed = torch.cat([self.item_fixed[self.fused], self.item_part_fixed[self.fused]], -1)

    def __len__(self) -> int:
        return len(self.items)

    @torch.no_grad()
    def score(self, row: int) -> Scored:
        """Scores of the items for the history in the model's `history_items[row]`."""
        model = self.model
        n, d = len(self.items), self.dim
        behaviour, states, mask = model.user_state(torch.tensor([row], device=self.bias.device))
        valid = mask[0].nonzero().flatten()
        positions = valid.tolist()
        history = states[0].index_select(0, valid)  # [L, d], the valid slots only: the rest weigh 0
        pooling = self.sequence and bool(positions)
        if self.sequence:
            w_out = model.user_out.weight
            base = behaviour[0] @ w_out[:, :d].T + model.user_out.bias  # [d]
            through = history @ w_out[:, d:].T  # [L, d]
            # [L, N] and a softmax down the columns: along N-many short rows it is ~6x slower
            attention = (torch.softmax(history @ self.pool_query_t, dim=0).T if pooling
                         else history.new_zeros(n, 0))
        else:  # the behaviour MLP reads the mean of the history: every item weighs the same
            base, through = behaviour[0], None
            attention = history.new_full((n, len(positions)), 1.0 / max(1, len(positions)))

        # u_n = base + A_n·T for every candidate n; every linear map of it is one product
        if pooling:
            user = torch.addmm(base, attention, through)
            hidden = torch.addmm(self.static, user, self.w_user_t)
        else:
            user = base.expand(n, -1)
            hidden = self.static + base @ self.w_user_t
        # the first layer, accumulated in place block by block (no [N, 5d] input is built)
        hidden.addmm_(user * self.item_fixed, self.pair_blocks[0])
        if self.graph:
            hidden.addmm_(user * self.graph_const, self.pair_blocks[2])
        if len(self.fused):  # their modalities weighed for this user: the change from fixed weights
            fused = self.fused
            query = base @ self.fusion_query_t
            if pooling:
                query = torch.addmm(query, attention[fused], through @ self.fusion_query_t)
            keys = torch.tanh(self.fusion_key + query)  # [M, F, d]
            weights = torch.softmax(model.fusion_score(keys).squeeze(-1) + self.fused_absent, dim=0)
            # a few modalities: weighted sums beat batched products of 1×M matrices
            change = (weights.unsqueeze(-1) * self.fused_both).sum(0).sub_(self.fused_fixed)
            part = torch.addmm(change[:, d:], user[fused] * change[:, :d], self.pair_blocks[0])
            hidden.index_add_(0, fused, part)
        if len(self.attended):  # neighbours weighed for this user: the change
            attended = self.attended
            mine = user[attended]
            change = self._attended_graph(mine) - self.attended_const
            part = change @ self.pair_blocks[1]
            hidden.index_add_(0, attended, part.addmm_(mine * change, self.pair_blocks[2]))
        direct = self.direct
        if self.evidence:
            part, logit = self.neighbourhood(row)
            hidden += part
            direct = direct + logit
        logits = torch.addmv(direct, hidden.relu_(), self.last.weight[0])
        return Scored(logits, attention, positions)

    def neighbourhood(self, row: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The neighbourhood evidence's share of the first layer [N, d] and of the logit [N].

        An item no neighbour chose and nothing in the history resembles (most items, for most
        learners) has evidence (0, 0, popularity, history size), and the history size is the
        learner's: such items differ only by popularity, which takes few values. The towers run
        once per distinct popularity for them, and per item only for the rest: the same numbers.
        The popularity levels change only with the statistics, so they are kept until then.
        """
        evidence = self.model.evidence
        users = torch.tensor([row])
        votes, similarity = (x[0] for x in evidence.signals(users))
        counts = evidence.counts
        if self.subset:
            votes, similarity, counts = votes[self.items], similarity[self.items], counts[self.items]
        if self._levels is None or self._levels[0] != evidence.version:
            self._levels = (evidence.version, *torch.unique(counts, return_inverse=True))
        _, levels, level_of = self._levels
        some = ((votes != 0) | (similarity > 0)).nonzero().flatten()
        size = evidence.history_sizes(users)
        rows = evidence.features(
            torch.cat([votes[some], levels.new_zeros(len(levels))]),
            torch.cat([similarity[some], levels.new_zeros(len(levels))]),
            torch.cat([counts[some], levels]), size.expand(len(some) + len(levels)))
        parts = torch.tanh(torch.addmm(self.evidence_in_bias, rows, self.evidence_in_t)) @ self.w_evidence_t
        hidden = torch.addmm(self.evidence_out_bias, rows, self.evidence_out_t).relu_()
        logits = torch.addmv(self.evidence_last.bias, hidden, self.evidence_last.weight[0])
        k = len(some)
        part = parts[k:].index_select(0, level_of).index_copy_(0, some, parts[:k])
        logit = logits[k:].index_select(0, level_of).index_copy_(0, some, logits[:k])
        return part, logit

    def _attended_graph(self, user: torch.Tensor) -> torch.Tensor:
        """The graph vectors [A, d] of the items whose neighbours the user weighs (`attended`)."""
        relation_scores = self.relation_keys @ user.T  # [R, A]
        scores = relation_scores.gather(0, self.group_rel_t).add_(self.group_bias_t)
        weights = torch.softmax(scores, dim=0)  # [R', A]; each column has two relations or more
        pooled = (weights.unsqueeze(-1) * self.group_mean).sum(0)  # beats bmm of A tiny products
        return F.leaky_relu(pooled.add_(self.graph_own_attended))


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
