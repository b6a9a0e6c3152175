"""Choosing a store: Neo4j when a URI is configured, the embedded store otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kg.store import GraphStore

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph


def embedded_path(home: Path) -> Path:
    return Path(home) / "kg" / "graph.db"


def open_store(
    home: Path,
    neo4j_uri: str | None = None,
    neo4j_user: str | None = None,
    neo4j_password: str | None = None,
    neo4j_database: str | None = None,
) -> GraphStore:
    if neo4j_uri:
        from kg.neo4j_store import Neo4jStore

        return Neo4jStore(neo4j_uri, neo4j_user, neo4j_password, neo4j_database)
    from kg.embedded import EmbeddedStore

    return EmbeddedStore(embedded_path(home))


def open_graph(
    home: Path,
    neo4j_uri: str | None = None,
    neo4j_user: str | None = None,
    neo4j_password: str | None = None,
    neo4j_database: str | None = None,
    cache_dir: Path | None = None,
) -> KnowledgeGraph:
    """The knowledge graph over `home`'s store (as `open_store` chooses it), its derived indexes
    (link embeddings) cached in `cache_dir`, by default `home`/cache."""
    from kg.graph import KnowledgeGraph

    store = open_store(home, neo4j_uri, neo4j_user, neo4j_password, neo4j_database)
    return KnowledgeGraph(store, cache_dir=cache_dir if cache_dir is not None else Path(home) / "cache")
