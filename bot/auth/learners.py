"""Web learners' identity, and which sender ids each way in may use.

A web learner is a random id in a signed, HTTP-only cookie (`etude_learner`), issued by the server
on the learner's first message; their sender id is `web:<id>`. The browser never names itself, so
it cannot pose as another learner, and a forged or tampered cookie is replaced by a new identity.

Sender ids with a reserved prefix belong to identities the server establishes: `web:` (this cookie),
`tg:` (Telegram's user ids, from Telegram) and `user:` (console accounts, from their session or API
token). The plain REST channel, whose callers name their sender freely (Rasa's contract), may use
any other sender id.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from starlette.requests import HTTPConnection
from starlette.responses import Response

from bot.auth.signing import BadSignature, Signer

LEARNER_COOKIE = "etude_learner"
LEARNER_TTL = timedelta(days=365)  # renewed by every message, so it lapses only after a year away
WEB_PREFIX = "web:"
RESERVED_PREFIXES = (WEB_PREFIX, "tg:", "user:")


def reserved_prefix(sender: str) -> str | None:
    """The reserved prefix `sender` starts with (case-insensitively), if any."""
    lowered = sender.strip().lower()
    return next((prefix for prefix in RESERVED_PREFIXES if lowered.startswith(prefix)), None)


class LearnerCookies:
    def __init__(self, secret: bytes, clock: Callable[[], float]) -> None:
        self._signer = Signer(secret, "web-learner", clock)

    @staticmethod
    def new_id() -> str:
        return secrets.token_urlsafe(16)

    def read(self, connection: HTTPConnection) -> str | None:
        """The learner id in the request's cookie, when the cookie is ours and not expired."""
        token = connection.cookies.get(LEARNER_COOKIE)
        if not token:
            return None
        try:
            value = self._signer.unsign(token, LEARNER_TTL.total_seconds())
        except BadSignature:
            return None
        return value if isinstance(value, str) and 16 <= len(value) <= 64 else None

    def write(
        self, response: Response, learner_id: str, connection: HTTPConnection, *, cross_site: bool
    ) -> None:
        """Set (or renew) the cookie. A page on another site that embeds the widget over https needs
        SameSite=None to get it back, partitioned per embedding site (CHIPS) so browsers that block
        third-party cookies still keep it."""
        https = connection.url.scheme == "https"
        third_party = cross_site and https
        response.set_cookie(
            LEARNER_COOKIE,
            self._signer.sign(learner_id),
            max_age=int(LEARNER_TTL.total_seconds()),
            httponly=True,
            samesite="none" if third_party else "lax",
            secure=https,
        )
        if third_party:
            _partitioned(response, LEARNER_COOKIE)


def _partitioned(response: Response, name: str) -> None:
    """Add the `Partitioned` attribute to the cookie just set (Python's http.cookies, which Starlette
    uses, learns it only in 3.14)."""
    key = f"{name}=".encode("latin-1")
    for index in range(len(response.raw_headers) - 1, -1, -1):
        header, value = response.raw_headers[index]
        if header == b"set-cookie" and value.startswith(key):
            response.raw_headers[index] = (header, value + b"; Partitioned")
            return
