"""Response security headers and the request body cap: two plain ASGI middlewares, like `RequestCounter`.

Headers, by route family (everything is computed once, when the app is built):

- every response: `X-Content-Type-Options: nosniff`, `Referrer-Policy: strict-origin-when-cross-origin`,
  and `Strict-Transport-Security` when the request came over HTTPS (its own scheme, or
  `X-Forwarded-Proto: https` when the service trusts its proxy, `ETUDE_TRUST_PROXY`);
- console pages (`/console/…`): `X-Frame-Options: DENY` and a strict Content-Security-Policy: only
  the service's own resources, no scripts at all, the templates' inline `<style>` blocks allowed by
  their SHA-256 and nothing else inline, never framed;
- the demo page (`/`): a CSP allowing the widget script from the service itself and the page's own
  inline style by hash; the widget styles its shadow root through a constructed stylesheet, which
  style-src does not govern, so the widget needs no 'unsafe-inline' on any page that embeds it;
- `/widget.js` and the APIs: nothing that would stop another site from loading the script.

Bodies: every request body is capped while it streams in (413 past the cap, chunked bodies without
Content-Length included): `DEFAULT_MAX_BODY` for all routes, more for the routes listed in
`body_limits` (the recording upload). Routes may read with a tighter limit of their own (the REST
channel, the console's forms).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY = 64 * 1024
HSTS = "max-age=31536000; includeSubDomains"
_STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.DOTALL)
_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


def style_hashes(files: Iterable[Path]) -> list[str]:
    """CSP sources ('sha256-…') for the static inline `<style>` blocks of `files` (HTML or templates;
    a block with template syntax inside is skipped: its rendered text cannot be known here)."""
    found: set[str] = set()
    for path in files:
        for block in _STYLE_BLOCK.findall(path.read_text(encoding="utf-8")):
            if "{{" in block or "{%" in block:
                continue
            digest = base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode("ascii")
            found.add(f"'sha256-{digest}'")
    return sorted(found)


def console_policy(style_sources: Iterable[str]) -> str:
    styles = " ".join(["'self'", *style_sources])
    return (
        "default-src 'self'; script-src 'none'; "
        f"style-src {styles}; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


def demo_policy(style_sources: Iterable[str]) -> str:
    styles = " ".join(["'self'", *style_sources])
    return (
        "default-src 'self'; script-src 'self'; "
        f"style-src {styles}; img-src 'self' data:; media-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    )


def _pairs(headers: Mapping[str, str]) -> tuple[tuple[bytes, bytes], ...]:
    return tuple((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items())


class SecurityHeaders:
    def __init__(
        self, app: ASGIApp, *, console_csp: str, demo_csp: str, trust_proxy: bool = False
    ) -> None:
        self.app = app
        self.trust_proxy = trust_proxy
        common = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin"}
        self.common = _pairs(common)
        self.console = _pairs({**common, "X-Frame-Options": "DENY", "Content-Security-Policy": console_csp})
        self.demo = _pairs({**common, "Content-Security-Policy": demo_csp})
        self.hsts = _pairs({"Strict-Transport-Security": HSTS})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path.startswith("/console/") or path == "/console":
            extra = self.console
        elif path == "/":
            extra = self.demo
        else:
            extra = self.common
        if self._https(scope):
            extra = extra + self.hsts

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)

    def _https(self, scope: Scope) -> bool:
        if scope.get("scheme") == "https":
            return True
        if not self.trust_proxy:
            return False
        for name, value in scope["headers"]:
            if name == b"x-forwarded-proto":
                return value.split(b",")[0].strip().lower() == b"https"
        return False


class BodyTooLarge(HTTPException):
    """A request body past its cap; an HTTPException so FastAPI's body parsing passes it on as is."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than {limit} bytes")


def too_large(exc: BodyTooLarge) -> JSONResponse:
    return JSONResponse({"error": exc.detail}, status_code=413)


class BodyLimit:
    def __init__(
        self, app: ASGIApp, *, default: int = DEFAULT_MAX_BODY, limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.default = default
        self.limits = dict(limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _NO_BODY:
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default)
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > limit:
                    await too_large(BodyTooLarge(limit))(scope, receive, send)
                    return
                break
        received = 0
        started = False

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited, sending)
        except BodyTooLarge as exc:  # raised where no exception handler answers it (a middleware)
            if started:
                raise
            await too_large(exc)(scope, receive, send)
