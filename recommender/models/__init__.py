"""Every recommender, by name: the project's model and the baselines, all on one contract."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recommender.base import Recommender
from recommender.data import RecData
from recommender.models.mf import BPRMF
from recommender.models.popularity import Popularity

MODELS: dict[str, type[Recommender]] = {cls.name: cls for cls in (Popularity, BPRMF)}


def create(name: str, data: RecData, config: Mapping[str, Any] | None = None) -> Recommender:
    """The model called `name`, built for `data`; unknown names list the known ones."""
    try:
        cls = MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}") from None
    return cls(data, config)
