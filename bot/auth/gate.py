"""`Auth`: everything that decides who a request is, assembled once for the app.

A request is an account when it carries a valid API token (`Authorization: Bearer …`) or session
cookie, and a web learner when it carries a valid learner cookie. The session counts only from the
service's own pages, the learner cookie also from the listed embedding sites (`origins`); a bearer
token counts from anywhere, since a page cannot make a browser send one.
A malformed, unknown or revoked bearer token is refused outright rather than ignored, so a script
with a bad token learns so instead of being served as anonymous.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from starlette.requests import HTTPConnection
from starlette.responses import Response

from bot.auth.accounts import AccountStore, User
from bot.auth.errors import Forbidden, NotAuthenticated
from bot.auth.learners import WEB_PREFIX, LearnerCookies
from bot.auth.login import Authenticator, utc_now
from bot.auth.origins import Origins
from bot.auth.passwords import Passwords
from bot.auth.sessions import Session, SessionCookies
from bot.auth.tokens import digest, looks_like_token
from bot.ratelimit import RateLimiter

_PRINCIPAL = "etude_principal"  # request.state attribute caching the account behind a request


@dataclass(frozen=True)
class AuthSettings:
    session_ttl: timedelta = timedelta(hours=12)
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    allowed_origins: tuple[str, ...] = ()
    token_touch_every: timedelta = timedelta(minutes=1)  # how stale a token's last_used_at may get
    login_attempts_per_minute: int = 10  # per client address, whatever the account; 0: no cap


@dataclass(frozen=True)
class Principal:
    """An account making a request, and how it proved it."""

    user: User
    via: Literal["session", "token"]
    session: Session | None = None


@dataclass(frozen=True)
class WebSender:
    """Who a web-channel message is from: an account's learner id, or a web learner's."""

    sender: str
    learner_id: str | None  # a web learner: the id whose cookie the response sets (or renews)


class Auth:
    def __init__(
        self,
        secret: bytes,
        accounts: AccountStore | None = None,
        *,
        passwords: Passwords | None = None,
        settings: AuthSettings = AuthSettings(),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.accounts = accounts
        self.settings = settings
        self.clock = clock
        self.passwords = passwords or Passwords()
        self.origins = Origins(settings.allowed_origins)
        def seconds() -> float:  # the signers' clock is the same clock
            return clock().timestamp()

        self.sessions = SessionCookies(secret, settings.session_ttl, seconds)
        self.learners = LearnerCookies(secret, seconds)
        # Besides each account's lockout: one address cannot try many passwords, nor lock many accounts.
        per_minute = settings.login_attempts_per_minute
        self.login_attempts = (
            RateLimiter(per_minute / 60, per_minute, clock=seconds) if per_minute > 0 else None
        )
        self.authenticator = (
            Authenticator(accounts, self.passwords, max_failures=settings.max_failures,
                          lockout=settings.lockout, clock=clock)
            if accounts is not None
            else None
        )

    @classmethod
    def ephemeral(cls, **kwargs) -> Auth:
        """Auth without accounts and with a key that lives as long as the process (an app built
        for a test or an embedding that needs only web learners)."""
        return cls(secrets.token_bytes(32), **kwargs)

    # accounts

    def login_wait(self, address: str) -> int:
        """0 when `address` may try to log in now (and the try is counted), else the seconds to wait."""
        if self.login_attempts is None or self.login_attempts.allow(address):
            return 0
        return max(1, math.ceil(self.login_attempts.retry_after(address)))

    def principal(self, connection: HTTPConnection) -> Principal | None:
        """The account behind the request, or None; NotAuthenticated for a bad bearer token."""
        cached = getattr(connection.state, _PRINCIPAL, False)
        if cached is not False:
            return cached
        header = connection.headers.get("authorization")
        found = self._by_token(header) if header is not None else self._by_session(connection)
        setattr(connection.state, _PRINCIPAL, found)
        return found

    def _by_token(self, header: str) -> Principal:
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated("the Authorization header must be 'Bearer <token>'")
        found = None
        if self.accounts is not None and looks_like_token(token):
            found = self.accounts.user_by_token(digest(token))
        if found is None:
            raise NotAuthenticated("the API token is not valid (unknown, malformed or revoked)")
        user, token_row = found
        now = self.clock()
        if token_row.last_used_at is None or now - token_row.last_used_at >= self.settings.token_touch_every:
            self.accounts.touch_token(token_row.id, now)
        return Principal(user, "token")

    def _by_session(self, connection: HTTPConnection) -> Principal | None:
        if self.accounts is None or not self.origins.same_origin(connection):
            return None
        session = self.sessions.read(connection)
        if session is None or session.user_id is None:
            return None
        user = self.accounts.user_by_id(session.user_id)
        if user is None or not self.sessions.belongs_to(session, user):
            return None  # the account is gone, or its password changed since
        return Principal(user, "session", session)

    def session(self, connection: HTTPConnection) -> Session | None:
        """The request's session, with or without an account (for CSRF checks)."""
        return self.sessions.read(connection) if self.origins.same_origin(connection) else None

    # learners

    def web_sender(self, connection: HTTPConnection) -> WebSender:
        """The sender of a web-channel message: the logged-in account's learner id, else the web
        learner of the cookie, else a new web learner. Forbidden from an untrusted origin."""
        if not self.origins.trusted(connection):
            raise Forbidden(
                f"pages on {connection.headers.get('origin')} may not use the chat: "
                "the service must list their origin in ETUDE_CORS_ORIGINS"
            )
        principal = self.principal(connection)
        if principal is not None:
            return WebSender(principal.user.learner_id, None)
        learner = self.learners.read(connection) or self.learners.new_id()
        return WebSender(WEB_PREFIX + learner, learner)

    def remember(self, response: Response, connection: HTTPConnection, web: WebSender) -> None:
        """Set or renew the web learner's cookie on the response to their message."""
        if web.learner_id is not None:
            cross_site = self.origins.cross_site_listed(connection)
            self.learners.write(response, web.learner_id, connection, cross_site=cross_site)

    def learner(self, connection: HTTPConnection) -> str | None:
        """Whose learner data the request may read: its account's, else its web learner's."""
        principal = self.principal(connection)
        if principal is not None:
            return principal.user.learner_id
        if not self.origins.trusted(connection):
            return None
        learner = self.learners.read(connection)
        return WEB_PREFIX + learner if learner else None
