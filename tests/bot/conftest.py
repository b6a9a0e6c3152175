"""Database fixtures for the bot's tests: SQLite always, PostgreSQL when one is configured.

`ETUDE_TEST_POSTGRES_URL` (e.g. `postgresql+psycopg://postgres@127.0.0.1:5432/test`) names the
server. Unset, the PostgreSQL cases skip on a laptop and fail in CI (`CI` set), where the server is
part of the test environment. Every test gets a schema of its own (dropped afterwards) through the
URL's `search_path`, so runs and other test suites sharing the database do not see each other.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

POSTGRES_ENV = "ETUDE_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")


def postgres_base_url() -> str:
    """The configured server, or a skip (laptop) / failure (CI) saying it is not configured."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"{POSTGRES_ENV} is not set, and CI runs the PostgreSQL tests", pytrace=False)
    pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}")


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[Callable[[], str]]:
    """A factory of URLs, each for a new empty schema on the test server; all dropped at the end."""
    base = postgres_base_url()
    admin = create_engine(base, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    created: list[str] = []

    def new_schema() -> str:
        schema = f"etude_test_{uuid.uuid4().hex[:16]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        created.append(schema)
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # the server was named, so not reaching it is a failure everywhere
        admin.dispose()
        pytest.fail(f"cannot reach {POSTGRES_ENV}: {exc}", pytrace=False)
    yield new_schema
    with admin.connect() as conn:
        for schema in created:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database, once per backend: a fresh SQLite file, a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'etude.db'}"
    return request.getfixturevalue("postgres_schema_url")()


# -- the tutor -----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def tutor_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ETUDE_HOME of the session's tutor: the full authored graph, built once."""
    from tests.bot.tutor import build_test_graph, configure_actions

    home = tmp_path_factory.mktemp("tutor-home")
    configure_actions(build_test_graph(home), home)
    return home


@pytest.fixture
def nlu(tutor_home: Path):
    from tests.bot.tutor import ScriptedNLU

    return ScriptedNLU()


@pytest.fixture
def engine(nlu, tutor_home: Path):
    from tests.bot.tutor import make_engine

    return make_engine(nlu)


@pytest.fixture
def chat(engine):
    from tests.bot.tutor import Chat

    return Chat(engine)
