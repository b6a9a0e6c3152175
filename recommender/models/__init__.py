"""Every recommender, by name: the project's model (`MAIN`) and the baselines, all on one contract."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recommender.base import Recommender
from recommender.data import RecData
from recommender.models.cbr import ContentBased
from recommender.models.itemknn import ItemKNN
from recommender.models.kgcn import KGCN
from recommender.models.lightgcn import LightGCN
from recommender.models.mf import BPRMF
from recommender.models.mkgat import MKGAT
from recommender.models.neumf import NeuMF
from recommender.models.popularity import Popularity
from recommender.models.ripplenet import RippleNet
from recommender.models.widedeep import WideDeep

MAIN = "mkgat"
MODELS: dict[str, type[Recommender]] = {cls.name: cls for cls in (
    MKGAT, Popularity, BPRMF, ItemKNN, NeuMF, WideDeep, ContentBased, LightGCN, KGCN, RippleNet)}


def create(name: str, data: RecData, config: Mapping[str, Any] | None = None) -> Recommender:
    """The model called `name`, built for `data`; unknown names list the known ones."""
    try:
        cls = MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}") from None
    return cls(data, config)
