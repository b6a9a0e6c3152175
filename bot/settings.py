"""Settings from the environment or a `.env` file (names and defaults in ../shared/CONTRACTS.md)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _default_lastfm() -> Path | None:
    candidate = REPO_ROOT.parent / "shared" / "data" / "lastfm"
    return candidate if candidate.exists() else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ETUDE_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path("./var"))
    data_dir: Path = REPO_ROOT / "data"  # authored data (curriculum, catalog)
    database_url: str | None = None
    neo4j_uri: str | None = None
    neo4j_user: str | None = None
    neo4j_password: str | None = None
    neo4j_database: str | None = None
    telegram_token: str | None = None
    telegram_secret: str | None = None
    telegram_webhook_url: str | None = None  # set: webhook mode (needs the secret); unset: long polling
    action_endpoint: str | None = None  # an `etude actions` server; unset: actions run in-process
    rate_per_second: float = 10.0  # messages a sender may send per second ...
    rate_burst: int = 20  # ... in bursts of this many
    nlu_cache_size: int = Field(default=4096, ge=0)  # distinct texts whose parse is kept; 0: none
    lastfm_dir: Path | None = Field(default_factory=_default_lastfm)
    log_level: str = "INFO"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'etude.db'}"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def media_dir(self) -> Path:
        return self.home / "media"

    @property
    def recordings_dir(self) -> Path:
        """Learners' recordings: kept apart from the public media folder."""
        return self.home / "recordings"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    def open_graph(self):  # -> kg.graph.KnowledgeGraph (kept lazy: importing kg costs time)
        from kg.graph import KnowledgeGraph
        from kg.stores import open_store

        store = open_store(
            self.home, self.neo4j_uri, self.neo4j_user, self.neo4j_password, self.neo4j_database
        )
        return KnowledgeGraph(store, cache_dir=self.cache_dir)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
