"""Knowledge-graph embeddings scored by PyKEEN interaction modules, and the L_kg they train with.

Entities and relations are real vectors; ComplEx and RotatE read them as complex vectors of half
the size, so one table serves every interaction and the rest of the model sees plain real
vectors. `kg_loss` is the margin-free softplus loss over a true triple and a corrupted one (tail
or head replaced by a random entity), the usual self-adversarial-free baseline of KGE training.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pykeen.nn.modules import ComplExInteraction, RotatEInteraction, TransEInteraction
from torch import nn

INTERACTIONS = ("transe", "complex", "rotate")


class GraphEmbedding(nn.Module):
    """Entity and relation tables plus a selectable PyKEEN interaction (TransE, ComplEx, RotatE)."""

    def __init__(self, n_entities: int, n_relations: int, dim: int, interaction: str = "transe") -> None:
        super().__init__()
        if interaction not in INTERACTIONS:
            raise ValueError(f"unknown KG interaction {interaction!r}; use one of {INTERACTIONS}")
        if interaction != "transe" and dim % 2:
            raise ValueError(f"{interaction} needs an even dimension, got {dim}")
        self.kind = interaction
        self.entity = nn.Embedding(n_entities, dim)
        self.relation = nn.Embedding(max(1, n_relations), dim)
        nn.init.xavier_uniform_(self.entity.weight)
        nn.init.xavier_uniform_(self.relation.weight)
        self.interaction: nn.Module = {
            "transe": lambda: TransEInteraction(p=2),
            "complex": ComplExInteraction,
            "rotate": RotatEInteraction,
        }[interaction]()

    def _complex(self, x: torch.Tensor) -> torch.Tensor:
        return torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2).contiguous())

    def score(self, heads: torch.Tensor, relations: torch.Tensor, tails: torch.Tensor) -> torch.Tensor:
        """Plausibility of each (head, relation, tail) id triple; higher is more plausible."""
        h, r, t = self.entity(heads), self.relation(relations), self.entity(tails)
        if self.kind == "transe":
            return self.interaction(h, r, t)
        h, t = self._complex(h), self._complex(t)
        if self.kind == "rotate":
            phase = r.float().reshape(*r.shape[:-1], -1, 2)[..., 0]
            return self.interaction(h, torch.polar(torch.ones_like(phase), phase), t)
        return self.interaction(h, self._complex(r), t)

    def kg_loss(self, triples: torch.Tensor, batch_size: int = 2048) -> torch.Tensor:
        """Softplus loss of a random batch of triples against corrupted ones (head or tail)."""
        if len(triples) == 0:
            return self.entity.weight.sum() * 0.0
        pick = torch.randint(0, len(triples), (min(batch_size, len(triples)),), device=triples.device)
        h, r, t = triples[pick].unbind(1)
        corrupt = torch.randint(0, self.entity.num_embeddings, h.shape, device=h.device)
        swap_head = torch.rand(h.shape, device=h.device) < 0.5
        h_neg = torch.where(swap_head, corrupt, h)
        t_neg = torch.where(swap_head, t, corrupt)
        pos = self.score(h, r, t)
        neg = self.score(h_neg, r, t_neg)
        return F.softplus(-pos).mean() + F.softplus(neg).mean()
