"""Which browser origins are trusted with cookies.

Console sessions count only in requests from the service's own pages. The learner cookie also
counts from the origins listed in `ETUDE_CORS_ORIGINS` (pages elsewhere that embed the widget).
Any other page may still call the public API (CORS answers it with `*`, without credentials), but
the service ignores and never sets cookies for it: it cannot act as, or read the data of, a learner
or a console user.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection


def normalise_origin(origin: str) -> str:
    """`scheme://host[:port]` in lower case, or ValueError saying what is wrong with `origin`."""
    text = origin.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"origin {origin!r} must look like https://host or http://host:port")
    if parts.path or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"origin {origin!r} must be only a scheme and host (and port), with no path")
    return f"{parts.scheme}://{parts.netloc}".lower()


def own_origin(scheme: str, headers: Mapping[str, str]) -> str | None:
    host = headers.get("host")
    return f"{scheme}://{host}".lower() if host else None


class Origins:
    def __init__(self, allowed: Iterable[str] = ()) -> None:
        listed = list(allowed)
        if "*" in (entry.strip() for entry in listed):
            raise ValueError(
                "'*' cannot be a trusted origin: any site could then act as your learners; "
                "list the sites that embed the widget instead"
            )
        self.allowed = frozenset(normalise_origin(entry) for entry in listed)

    def listed(self, origin: str | None) -> bool:
        return origin is not None and origin.lower() in self.allowed

    def same_origin(self, connection: HTTPConnection) -> bool:
        """Whether the request may use the console's session: no Origin (not a cross-origin browser
        call) or its own origin. An embedding site, even a listed one, never acts as a console user."""
        origin = connection.headers.get("origin")
        return origin is None or origin.lower() == self.own(connection)

    def trusted(self, connection: HTTPConnection) -> bool:
        """Whether the request may use the learner cookie: same origin, or a listed one."""
        return self.same_origin(connection) or self.listed(connection.headers.get("origin"))

    def cross_site_listed(self, connection: HTTPConnection) -> bool:
        """A listed origin other than the request's own: its cookies must be SameSite=None."""
        origin = connection.headers.get("origin")
        return self.listed(origin) and origin is not None and origin.lower() != self.own(connection)

    @staticmethod
    def own(connection: HTTPConnection) -> str | None:
        return own_origin(connection.url.scheme, connection.headers)
