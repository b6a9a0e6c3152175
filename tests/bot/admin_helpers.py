"""What the admin console's tests share (the NLU, recommender and knowledge graph pages, the graph
browser): accounts in a fresh store, API tokens for scripts, an app without the service's parts, and
the check that an admin API takes admins only and a console session's posts only with the CSRF header."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.auth.gate import Auth
from bot.auth.tokens import new_token
from bot.store import ConversationStore
from tests.bot.accounts import csrf_of, echo, log_in, users_on

Headers = dict[str, str]


@contextmanager
def accounts_in(tmp_path: Path) -> Iterator[Auth]:
    """lea (learner), ian (instructor) and ada (admin) in a fresh SQLite store under `tmp_path`."""
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        yield users_on(store)


def bearer_tokens(auth: Auth, names: tuple[str, ...] = ("ada", "ian")) -> dict[str, Headers]:
    """A new API token for each of `names`, as the Authorization header a script sends."""
    assert auth.accounts is not None
    tokens = {}
    for name in names:
        fresh = new_token()
        auth.accounts.add_token(name, fresh, "script", auth.clock())
        tokens[name] = {"Authorization": f"Bearer {fresh.token}"}
    return tokens


@contextmanager
def logged_in_without_parts(tmp_path: Path, name: str) -> Iterator[TestClient]:
    """`name` logged in to an app with accounts and none of the service's parts (no graph, no admins)."""
    with accounts_in(tmp_path) as auth:
        client = TestClient(create_app(echo, media_dir=tmp_path / "media", auth=auth))
        assert log_in(client, name).status_code == 303
        yield client


def assert_admins_only_and_sessions_send_the_csrf_header(app: FastAPI, tokens: dict[str, Headers], api: str,
                                                         page: str) -> None:
    """`{api}/train` and `{api}/versions` refuse an instructor's token (403) and no login (401); a
    logged-in admin's `{api}/rollback` needs the session's CSRF token (from `page`) in X-CSRF-Token."""
    client = TestClient(app)
    assert client.post(f"{api}/train", headers=tokens["ian"]).status_code == 403
    assert client.get(f"{api}/versions", headers=tokens["ian"]).status_code == 403
    assert client.get(f"{api}/versions").status_code == 401
    assert log_in(client, "ada").status_code == 303
    assert client.post(f"{api}/rollback").status_code == 403  # no X-CSRF-Token
    token = csrf_of(client.get(page).text)
    assert client.post(f"{api}/rollback", headers={"X-CSRF-Token": token}).status_code == 200
