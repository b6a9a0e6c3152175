"""Neighbourhood evidence: what similar users chose and what resembles a user's history.

Two classic collaborative signals that a few thousand labelled pairs cannot teach an embedding
model on their own: the votes of a user's nearest neighbours (cosine over their item histories
and, where the data has it, their behaviour outside the catalogue) for an item, and the summed
cosine similarity of an item to the items of the user's history.

A pair is never evidence for itself. When the candidate is in the user's training history (a
training positive) its own interaction is taken out of every count first: out of the user's
profile before neighbours are chosen, and out of the co-occurrences behind the item
similarities. Otherwise a model would learn from training rows that carry a trace of their own
label, which test rows never do.
"""

from __future__ import annotations

import torch
from torch import nn

FEATURES = 4  # neighbour votes, item similarity, item popularity, history size


class NeighbourhoodEvidence(nn.Module):
    """Co-occurrence statistics of the training histories, kept current under online updates."""

    def __init__(self, n_users: int, n_items: int, neighbours: int = 200) -> None:
        super().__init__()
        self.neighbours = neighbours
        # Derived from the histories (and context), rebuilt by `fit`, so not saved with the model.
        self.register_buffer("history", torch.zeros(n_users, n_items), persistent=False)
        self.register_buffer("user_dots", torch.zeros(n_users, n_users), persistent=False)
        self.register_buffer("context_dots", torch.zeros(n_users, n_users), persistent=False)
        self.register_buffer("context_sizes", torch.zeros(n_users), persistent=False)
        self.register_buffer("cooccurrence", torch.zeros(n_items, n_items), persistent=False)
        # A[u, i] = Σ_j h_u[j]·C[i, j]/√n_j and w[u] = Σ_j h_u[j]/√n_j: item similarities in O(1) a pair
        self.register_buffer("affinity", torch.zeros(n_users, n_items), persistent=False)
        self.register_buffer("weight_sums", torch.zeros(n_users), persistent=False)
        # per-item and per-user constants of `all_items` (serving reads them on every request)
        self.register_buffer("counts", torch.zeros(n_items), persistent=False)
        self.register_buffer("inv_sqrt", torch.zeros(n_items), persistent=False)
        self.register_buffer("own_similarity", torch.zeros(n_items), persistent=False)
        self.register_buffer("sizes", torch.zeros(n_users), persistent=False)
        # the histories' non-zero entries as (user, item, value) lists: the neighbours' votes read
        # only these (a few thousand) instead of the whole [n_users, n_items] matrix per request
        self.register_buffer("pair_users", torch.zeros(0, dtype=torch.long), persistent=False)
        self.register_buffer("pair_items", torch.zeros(0, dtype=torch.long), persistent=False)
        self.register_buffer("pair_values", torch.zeros(0), persistent=False)
        self.version = 0  # counts changes of the statistics, for callers that cache what follows
        self.stale = False  # the affinity and weight sums lag behind an update (`update_user`)
        # the remembered pairs (sorted pair keys and their features): buffers, so they move with .to()
        self.register_buffer("remembered_keys", torch.zeros(0, dtype=torch.long), persistent=False)
        self.register_buffer("remembered", torch.zeros(0, FEATURES), persistent=False)

    def fit(self, history: torch.Tensor, context: list[torch.Tensor] | None = None) -> None:
        """`history` [n_users, n_items] 0/1; `context` per user the ids of behaviour outside it."""
        device = self.history.device
        self.history = history.float().to(device)
        n_users = len(history)
        if context is not None:
            n_context = 1 + max((int(c.max()) for c in context if len(c)), default=0)
            index = [(u, int(c)) for u, ids in enumerate(context) for c in ids.tolist()]
            positions = torch.tensor(index, dtype=torch.long, device=device).reshape(-1, 2).T
            matrix = torch.sparse_coo_tensor(positions, torch.ones(positions.shape[1], device=device),
                                             (n_users, n_context)).coalesce()
            self.context_dots = torch.sparse.mm(matrix, matrix.to_dense().T)  # sparse: ~40 per user
            self.context_sizes = torch.sparse.sum(matrix, 1).to_dense() if index else torch.zeros(
                n_users, device=device)
        else:
            self.context_dots = torch.zeros(n_users, n_users, device=device)
            self.context_sizes = torch.zeros(n_users, device=device)
        sparse = self.history.to_sparse()
        self.pair_users, self.pair_items = sparse.indices()
        self.pair_values = sparse.values()
        self.user_dots = torch.sparse.mm(sparse, self.history.T) + self.context_dots
        self.cooccurrence = torch.sparse.mm(sparse.t(), self.history)
        self._refresh_affinity()

    def _item_counts(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Each item's count in the histories and 1/√count (0 for an item nobody has)."""
        counts = self.history.sum(0)
        return counts, torch.where(counts > 0, counts.clamp_min(1e-9).rsqrt(), torch.zeros_like(counts))

    def _keep_constants(self, counts: torch.Tensor, inv_sqrt: torch.Tensor) -> None:
        """Store what follows from the histories and the affinity, and forget remembered pairs."""
        self.weight_sums = self.history @ inv_sqrt
        self.counts, self.inv_sqrt = counts, inv_sqrt
        self.own_similarity = torch.diagonal(self.cooccurrence) * inv_sqrt
        self.sizes = self.history.sum(1) + self.context_sizes
        self.remembered_keys = self.remembered_keys[:0]
        self.remembered = self.remembered[:0]
        self.stale = False
        self.version += 1

    def _refresh_affinity(self) -> None:
        counts, inv_sqrt = self._item_counts()
        scaled = (self.history * inv_sqrt).to_sparse()
        self.affinity = torch.sparse.mm(scaled, self.cooccurrence)  # C is symmetric
        self._keep_constants(counts, inv_sqrt)

    def remember(self, users: torch.Tensor, items: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
        """Compute and keep the evidence of fixed pairs (the training rows), which then costs a lookup
        every epoch instead of a pass over all users; forgotten when the statistics change."""
        with torch.no_grad():
            features = torch.cat([self.pairs(u, i) for u, i in zip(users.split(chunk), items.split(chunk),
                                                                   strict=True)])
        keys, order = torch.sort(users.to(torch.long) * self.history.shape[1] + items)
        self.remembered_keys = keys.to(self.history.device)
        self.remembered = features[order].to(self.history.device)
        return features

    def update_user(self, user: int, row: torch.Tensor) -> None:
        """Replace one user's history row and patch the statistics (no full rebuild).

        Only the touched items (in the old or the new row) change counts, so the work is
        O(users·touched) instead of several passes over the whole [users, items] matrix: a
        cold-start learner's first request pays for their few items, not for everyone's. The
        affinity of everyone holding a touched item moves too (hundreds of users for a popular
        one: ~2 ms); it is left stale here, `signals` for one user computes theirs from the
        current statistics, and anything reading several users' rebuilds it first (`_fresh`).
        """
        old = self.history[user].clone()
        new = row.float().to(self.history.device)
        touched = torch.nonzero((old != 0) | (new != 0)).flatten()  # the items whose counts move
        if not len(touched):
            return
        o, n = old[touched], new[touched]
        self.history[user] = new
        # C changes only inside touched × touched
        self.cooccurrence[touched.unsqueeze(1), touched] += torch.outer(n, n) - torch.outer(o, o)
        columns = self.history.index_select(1, touched)  # [n_users, S], the user's row already new
        dots = columns @ n + self.context_dots[user]
        self.user_dots[user] = dots
        self.user_dots[:, user] = dots
        counts = self.counts[touched] + n - o
        inv_after = torch.where(counts > 0, counts.clamp_min(1e-9).rsqrt(), torch.zeros_like(counts))
        self.counts[touched], self.inv_sqrt[touched] = counts, inv_after
        self.own_similarity[touched] = torch.diagonal(self.cooccurrence)[touched] * inv_after
        self.sizes[user] = new.sum() + self.context_sizes[user]
        mine = torch.nonzero(new).flatten()
        kept = self.pair_users != user
        self.pair_users = torch.cat([self.pair_users[kept], torch.full_like(mine, user)])
        self.pair_items = torch.cat([self.pair_items[kept], mine])
        self.pair_values = torch.cat([self.pair_values[kept], new[mine]])
        self.remembered_keys = self.remembered_keys[:0]
        self.remembered = self.remembered[:0]
        self.stale = True
        self.version += 1

    def _fresh(self) -> None:
        """Rebuild the affinity (and weight sums) if an update left them stale."""
        if self.stale:
            self._refresh_affinity()

    def _votes(self, dots: torch.Tensor, sizes: torch.Tensor, users: torch.Tensor) -> torch.Tensor:
        """Cosine similarities [B, n_users] from dot products, own row zeroed, top-k kept."""
        sims = dots / (sizes.clamp_min(1e-9).sqrt().unsqueeze(1) * self.sizes.clamp_min(1e-9).sqrt())
        sims[torch.arange(len(users), device=users.device), users] = 0.0
        k = min(self.neighbours, max(1, sims.shape[1] - 1))
        top = sims.topk(k, dim=1)
        return torch.zeros_like(sims).scatter_(1, top.indices, top.values.clamp_min(0))

    def pairs(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """[B, FEATURES] log-scaled evidence for (user, item) pairs, own interaction taken out;
        remembered pairs are looked up, the others computed."""
        self._fresh()
        keys = self.remembered_keys
        if not len(keys):
            return self._pairs(users, items)
        wanted = users.to(torch.long) * self.history.shape[1] + items
        at = torch.searchsorted(keys, wanted).clamp_max(len(keys) - 1)
        found = keys[at] == wanted
        if bool(found.all()):
            return self.remembered[at]
        out = self.remembered[at].clone()
        missing = ~found
        out[missing] = self._pairs(users[missing], items[missing])
        return out

    def _pairs(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        own = self.history[users, items]  # 1 for a training positive
        column = self.history[:, items].T  # [B, n_users]: who has the candidate
        dots = self.user_dots[users] - own.unsqueeze(1) * column
        sizes = self.history[users].sum(1) + self.context_sizes[users] - own
        weights = self._votes(dots, sizes, users)
        user_votes = (weights * column).sum(1)
        n_i = self.counts[items]  # kept current with the histories
        inv_i = self.inv_sqrt[items]
        # Σ_{j≠i} h_j·(C_ij − own·h_j)/√n_j, divided by √(n_i − own): the pair's own co-occurrences
        # (one per item of the user's history) and its own count are taken out
        # own = h_u[i]: the candidate is in the history exactly when the pair is a positive
        total = self.affinity[users, items] - own * self.cooccurrence[items, items] * inv_i
        total = total - own * (self.weight_sums[users] - own * inv_i)
        rest = n_i - own
        item_sim = torch.where(rest > 0, total / rest.clamp_min(1e-9).sqrt(), torch.zeros_like(total))
        history_size = self.history[users].sum(1) - own
        return self.features(user_votes, item_sim, n_i - own, history_size)

    def all_items(self, users: torch.Tensor) -> torch.Tensor:
        """[B, n_items, FEATURES] evidence for every item; items already in a history are not
        corrected (rankings leave them out anyway)."""
        votes, similarity = self.signals(users)
        history_size = self.history_sizes(users).unsqueeze(1).expand_as(votes)
        return self.features(votes, similarity, self.counts.expand_as(votes), history_size)

    def signals(self, users: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The neighbours' votes [B, n_items] and the items' similarity to each history [B, n_items]
        before `features` scales them: zero for most items, which serving then skips."""
        weights = self._votes(self.user_dots[users], self.sizes[users], users)
        votes = weights.new_zeros(len(users), self.history.shape[1]).index_add_(
            1, self.pair_items, weights[:, self.pair_users] * self.pair_values)
        if len(users) == 1:  # serving: one learner, whose row may be newer than the others'
            user = int(users[0])
            row = self.history[user]
            mine = torch.nonzero(row).flatten()
            similarity = (row[mine] * self.inv_sqrt[mine]) @ self.cooccurrence.index_select(0, mine)
            similarity.index_add_(0, mine, -row[mine] * self.own_similarity[mine])
            return votes, similarity.mul_(self.inv_sqrt).unsqueeze(0)
        self._fresh()
        similarity = (self.affinity[users] - self.history[users] * self.own_similarity) * self.inv_sqrt
        return votes, similarity

    def history_sizes(self, users: torch.Tensor) -> torch.Tensor:
        """How many items each user's history holds (their behaviour outside it not counted)."""
        return self.sizes[users] - self.context_sizes[users]

    @staticmethod
    def features(votes: torch.Tensor, similarity: torch.Tensor, popularity: torch.Tensor,
                  history_size: torch.Tensor) -> torch.Tensor:
        """Neighbour votes, item similarity, the item's popularity and the user's history size:
        the votes only mean something next to how popular the item is and how much the user did."""
        return torch.stack([torch.log1p(votes), torch.log1p(similarity.clamp_min(0)),
                            torch.log1p(popularity), torch.log1p(history_size)], -1)
