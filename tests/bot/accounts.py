"""What the account and access tests share: cheap password hashing, a clock the test moves, an app
with accounts, and logging in the way a browser does (the form, its CSRF token, the cookie)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from httpx import Response

from bot.auth.accounts import AccountStore, User
from bot.auth.gate import Auth, AuthSettings
from bot.auth.passwords import Passwords
from bot.auth.roles import Role
from bot.messages import BotMessage, UserMessage
from bot.store import ConversationStore

if TYPE_CHECKING:
    from playwright.sync_api import Page

SECRET = b"a test secret of at least thirty-two bytes"
PASSWORDS = {"lea": "lea's long password", "ian": "ian's long password", "ada": "ada's long password"}
ROLES = {"lea": Role.LEARNER, "ian": Role.INSTRUCTOR, "ada": Role.ADMIN}


def fast_passwords(time_cost: int = 1) -> Passwords:
    """argon2id at its cheapest: the same code path as production, microseconds instead of ~50 ms."""
    return Passwords(PasswordHasher(time_cost=time_cost, memory_cost=8, parallelism=1))


class Clock:
    """UTC time that moves only when the test says so."""

    def __init__(self, now: datetime = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_auth(store: ConversationStore, clock: Clock, passwords: Passwords | None = None,
              **settings: object) -> Auth:
    # Tests log in many times a minute from one address: the per-address cap is tested on its own.
    settings.setdefault("login_attempts_per_minute", 0)
    return Auth(SECRET, AccountStore(store), passwords=passwords or fast_passwords(),
                settings=AuthSettings(**settings), clock=clock)  # type: ignore[arg-type]


def add_users(auth: Auth, clock: Clock) -> dict[str, User]:
    """lea (learner), ian (instructor) and ada (admin)."""
    assert auth.accounts is not None
    return {name: auth.accounts.add_user(name, ROLES[name], auth.passwords.hash(PASSWORDS[name]), clock())
            for name in PASSWORDS}


def users_on(store: ConversationStore, clock: Clock | None = None) -> Auth:
    """Accounts on `store` with lea, ian and ada (`add_users`), on `clock` (one that stays still if None)."""
    clock = clock or Clock()
    auth = make_auth(store, clock)
    add_users(auth, clock)
    return auth


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def log_in(client: TestClient, name: str, password: str | None = None, next: str | None = None) -> Response:
    """Open the login page and submit it, as a browser would; returns the form's answer (not followed)."""
    page = client.get("/console/login")
    fields = {"csrf_token": csrf_of(page.text), "name": name, "password": password or PASSWORDS[name]}
    if next is not None:
        fields["next"] = next
    return client.post("/console/login", data=fields, follow_redirects=False)



async def echo(message: UserMessage) -> list[BotMessage]:
    """A dialogue handler that says back what it was told: for tests about everything but the tutor."""
    return [{"recipient_id": message.sender_id, "text": message.text}]


def browser_log_in(page: Page, name: str) -> None:
    """Log `name` in on the console's login page, in a browser (Playwright)."""
    page.goto("/console/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORDS[name])
    page.get_by_role("button", name="Log in").click()
