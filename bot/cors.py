"""CORS for a service whose public API anyone may call but whose cookies only some pages may use.

Starlette's CORSMiddleware cannot say both: with credentials allowed it would reflect every origin,
letting any site read a learner's data through their cookie. Here, origins listed in
`ETUDE_CORS_ORIGINS` get their own origin back with `Access-Control-Allow-Credentials: true`
(the embedded widget sends its learner cookie); every other origin gets `*`, with which browsers send
no cookies and the service (`bot.auth.origins`) would ignore them anyway. Same-origin requests need
no CORS headers and pass untouched.

A plain ASGI middleware, like `RequestCounter`, to stay off Starlette's BaseHTTPMiddleware.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.auth.origins import Origins, own_origin

ALLOWED_METHODS = "GET, POST"
ALLOWED_HEADERS = "Accept, Authorization, Content-Type, X-Filename"
PREFLIGHT_MAX_AGE = "600"


class CORS:
    def __init__(self, app: ASGIApp, origins: Origins) -> None:
        self.app = app
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None or origin.lower() == own_origin(scope["scheme"], headers):
            await self.app(scope, receive, send)
            return
        allow = self._allow(origin)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            preflight = PlainTextResponse("OK", headers={
                **allow,
                "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
            })
            await preflight(scope, receive, send)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in allow.items():
                    if name == "Vary":
                        response_headers.add_vary_header(value)
                    else:
                        response_headers[name] = value
            await send(message)

        await self.app(scope, receive, with_cors)

    def _allow(self, origin: str) -> dict[str, str]:
        if self.origins.listed(origin):
            return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
                    "Vary": "Origin"}
        return {"Access-Control-Allow-Origin": "*", "Vary": "Origin"}
