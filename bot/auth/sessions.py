"""The console's session cookie and the CSRF token it carries.

A session is a signed cookie (`etude_session`: HTTP-only, SameSite=Lax, Secure over https) holding
the account id, a tag of the password hash it was opened with (changing the password ends every
session) and a random CSRF token. Pages put that token in their forms, and a form is accepted only
when the token it sends back equals the cookie's: a page elsewhere can make a browser post a form
but cannot read the token. Visitors who are not logged in get a session without an account, so the
login form is protected the same way; logging in replaces it with a new one (new token), so a
session fixed before login is worthless after.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from starlette.requests import HTTPConnection
from starlette.responses import Response

from bot.auth.accounts import User
from bot.auth.signing import BadSignature, Signer, derive_key

SESSION_COOKIE = "etude_session"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Session:
    csrf: str
    user_id: int | None = None
    password_tag: str | None = None

    def csrf_matches(self, submitted: object) -> bool:
        return isinstance(submitted, str) and bool(submitted) and hmac.compare_digest(
            submitted.encode(), self.csrf.encode()
        )


class SessionCookies:
    def __init__(self, secret: bytes, ttl: timedelta, clock: Callable[[], float]) -> None:
        self.ttl = ttl
        self._signer = Signer(secret, "session", clock)
        self._tag_key = derive_key(secret, "password-tag")

    def new(self, user: User | None = None) -> Session:
        if user is None:
            return Session(csrf=secrets.token_urlsafe(32))
        return Session(secrets.token_urlsafe(32), user.id, self.password_tag(user))

    def read(self, connection: HTTPConnection) -> Session | None:
        """The request's session when its cookie is ours and not expired."""
        token = connection.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        try:
            value = self._signer.unsign(token, self.ttl.total_seconds())
        except BadSignature:
            return None
        if not isinstance(value, dict) or not isinstance(value.get("c"), str):
            return None
        user_id, tag = value.get("u"), value.get("p")
        if user_id is not None and (not isinstance(user_id, int) or not isinstance(tag, str)):
            return None
        return Session(value["c"], user_id, tag)

    def belongs_to(self, session: Session, user: User) -> bool:
        """Whether `session` was opened by `user` with their current password."""
        return (
            session.user_id == user.id
            and session.password_tag is not None
            and hmac.compare_digest(session.password_tag, self.password_tag(user))
        )

    def password_tag(self, user: User) -> str:
        return hmac.new(self._tag_key, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]

    def write(self, response: Response, session: Session, connection: HTTPConnection) -> None:
        value = {"c": session.csrf, "u": session.user_id, "p": session.password_tag}
        response.set_cookie(
            SESSION_COOKIE,
            self._signer.sign(value),
            max_age=int(self.ttl.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=connection.url.scheme == "https",
        )

    def clear(self, response: Response, connection: HTTPConnection) -> None:
        response.delete_cookie(
            SESSION_COOKIE, httponly=True, samesite="lax", secure=connection.url.scheme == "https"
        )
