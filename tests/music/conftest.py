"""The curriculum, read once per session: parsing the YAML takes seconds on a shared machine."""

from __future__ import annotations

import pytest

from kg.curriculum import Concept, load_curriculum


@pytest.fixture(scope="session")
def concepts() -> dict[str, Concept]:
    return {c.id: c for c in load_curriculum()}
