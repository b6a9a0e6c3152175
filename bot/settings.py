"""Settings from the environment or a `.env` file (names and defaults in ../shared/CONTRACTS.md)."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    log_format: Literal["text", "json"] = "text"  # json: one JSON object a line (for log collectors)
    access_log: bool = True  # one INFO record a request (method, path, route, status, client, ms)
    # hardening (bot/security.py)
    trust_proxy: bool = False  # behind a reverse proxy: trust X-Forwarded-For/-Proto (client address, HTTPS)
    max_body_kb: int = Field(default=64, ge=1)  # request bodies past this are refused (413); uploads: 10 MB
    # accounts and access (bot/auth)
    secret_key: SecretStr | None = None  # signs cookies; unset: generated once into $ETUDE_HOME/secret_key
    session_hours: float = Field(default=12.0, gt=0)  # a console login lasts this long
    login_max_failures: int = Field(default=5, ge=1)  # failed logins in a row that lock an account ...
    login_lockout_minutes: float = Field(default=15.0, gt=0)  # ... for this long
    login_attempts_per_minute: int = Field(default=10, ge=0)  # login attempts per client address; 0: no cap
    # Other sites whose pages embed the widget (comma-separated or a JSON list of https://host[:port]):
    # they get the learner cookie. The service's own pages always do; others only reach the public API.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origin_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _valid_origins(cls, value: list[str]) -> list[str]:
        from bot.auth.origins import Origins

        return sorted(Origins(value).allowed)

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

    def secret(self) -> bytes:
        """The key that signs cookies: ETUDE_SECRET_KEY, else the one kept in ETUDE_HOME."""
        from bot.auth.secret import load_secret_key

        configured = self.secret_key.get_secret_value() if self.secret_key is not None else None
        return load_secret_key(configured, self.home)

    def open_graph(self):  # -> kg.graph.KnowledgeGraph (kept lazy: importing kg costs time)
        from kg.stores import open_graph

        return open_graph(self.home, self.neo4j_uri, self.neo4j_user, self.neo4j_password,
                          self.neo4j_database, cache_dir=self.cache_dir)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
