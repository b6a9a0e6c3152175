"""The FastAPI application: channels, parse endpoint, widget, media, health and metrics.

`create_app` takes the pieces it serves instead of building them, so tests can mount any
`Handler` (a scripted fake or the real dialogue engine) behind the same routes.

Access (`bot.auth`): the channels, parse API, health, metrics, widget and media are public; `/me/…`
serves a learner their own data; `/console/…` and `/api/…` need an account (mounted when `auth` has
accounts). Refusals are 401/403, as JSON (`{"error": …}`), or as HTML pages on the console.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import api_docs
from bot.auth.errors import AuthFailure, NotAuthenticated
from bot.auth.gate import Auth
from bot.channels.rest import BadRequest, error, read_json, rest_router
from bot.cors import CORS
from bot.engine import TurnNotStored
from bot.kg_admin import INGEST_BODY_LIMIT, INGEST_PATHS
from bot.learner_data import LearnerData
from bot.messages import Handler, UserMessage
from bot.metrics import CONTENT_TYPE, Metrics
from bot.ratelimit import RateLimiter
from bot.recordings import MAX_RECORDING_BYTES
from bot.security import (
    DEFAULT_MAX_BODY,
    BodyLimit,
    BodyTooLarge,
    SecurityHeaders,
    console_policy,
    demo_policy,
    style_hashes,
    too_large,
)

access = logging.getLogger("etude.access")
turns_log = logging.getLogger("etude.turns")
STATIC_DIR = Path(__file__).resolve().parent / "static"
CONSOLE_TEMPLATES = Path(__file__).resolve().parent / "console" / "templates"
MAX_PARSE_CHARS = 4096

Parse = Callable[[str], Awaitable[dict[str, Any]]]


def create_app(
    handler: Handler,
    *,
    media_dir: Path,
    recordings_dir: Path | None = None,
    parse: Parse | None = None,
    health: Callable[[], dict[str, Any]] | None = None,
    routers: Iterable[APIRouter] = (),
    lifespan: Any = None,
    rate_limit: RateLimiter | None = None,
    metrics: Metrics | None = None,
    auth: Auth | None = None,
    learner_data: LearnerData | None = None,
    trust_proxy: bool = False,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    body_limits: dict[str, int] | None = None,
    nlu_admin: Any = None,
    kg_admin: Any = None,
    rec_admin: Any = None,
    graph: Any = None,
    eraser: Any = None,
    access_log: bool = True,
) -> FastAPI:
    app = FastAPI(title="Etude", description="The Etude music tutor's channels and APIs.", lifespan=lifespan)
    metrics = metrics or Metrics()
    auth = auth or Auth.ephemeral()
    app.state.metrics = metrics
    app.state.auth = auth
    app.state.learner_data = learner_data  # the console's learner pages read progress through it
    app.state.nlu_admin = nlu_admin  # bot.nlu_admin.NLUAdmin: retraining and switching the NLU (admins)
    app.state.kg_admin = kg_admin  # bot.kg_admin.KGAdmin: ingesting texts into the graph (admins)
    app.state.rec_admin = rec_admin  # bot.rec_admin.RecAdmin: retraining the recommender (admins)
    app.state.graph = graph  # kg.graph.KnowledgeGraph: the console's Graph browser (instructors)
    app.state.eraser = eraser  # bot.privacy.Eraser: erasing a learner's data (/me/delete, console, API)
    # Any page may call the public API; only the service's own pages and the listed origins get
    # (and may use) cookies, so only they can act as a learner or a console user.
    app.add_middleware(CORS, origins=auth.origins)

    async def guarded(message: UserMessage) -> Any:
        if rate_limit is not None and not rate_limit.allow(f"{message.channel}:{message.sender_id}"):
            wait = math.ceil(rate_limit.retry_after(f"{message.channel}:{message.sender_id}"))
            return JSONResponse(
                {"error": f"too many messages from {message.sender_id}; retry in {wait} s"},
                status_code=429,
                headers={"Retry-After": str(wait)},
            )
        started = time.perf_counter()
        try:
            replies = await handler(message)
        except TurnNotStored as exc:
            metrics.errors.labels("not_stored").inc()
            return JSONResponse(
                {"error": f"the message could not be stored, please resend it ({exc})"},
                status_code=503,
                headers={"Retry-After": "1"},
            )
        except Exception as exc:
            metrics.errors.labels(type(exc).__name__).inc()
            raise
        seconds = time.perf_counter() - started
        metrics.turn_seconds.observe(seconds)
        metrics.turns.labels(message.channel).inc()
        turns_log.debug("turn of %s on %s", message.sender_id, message.channel, extra={
            "channel": message.channel, "sender": message.sender_id, "duration_ms": round(seconds * 1000, 2)})
        return replies

    # Bodies are capped while they stream in (`bot.security`); the recording upload may be larger,
    # and so may a text posted to the knowledge graph's ingest.
    limits = {"/webhooks/rest/recording": MAX_RECORDING_BYTES, **(body_limits or {})}
    limits.update({path: INGEST_BODY_LIMIT for path in INGEST_PATHS if path not in limits})
    app.add_middleware(BodyLimit, default=max_body_bytes, limits=limits)
    app.add_middleware(RequestCounter, metrics=metrics, access_log=access_log)
    app.add_middleware(
        SecurityHeaders,
        console_csp=console_policy(style_hashes(CONSOLE_TEMPLATES.glob("*.html"))),
        demo_csp=demo_policy(style_hashes([STATIC_DIR / "index.html"])),
        trust_proxy=trust_proxy,
    )
    observers = getattr(getattr(handler, "__self__", None), "parse_observers", None)
    if observers is not None:  # the dialogue engine: each turn's NLU parse feeds the metrics
        observers.append(metrics.observe_turn_parse)
    app.include_router(rest_router(guarded, recordings_dir, auth=auth))
    for router in routers:
        app.include_router(router)
    if learner_data is not None:
        from bot.me import me_router

        app.include_router(me_router(learner_data))
    if auth.accounts is not None:
        from bot.api import api_router
        from bot.console.pages import console_router

        app.include_router(console_router())
        app.include_router(api_router())

    @app.exception_handler(AuthFailure)
    async def refused(request: Request, exc: AuthFailure) -> Response:
        if exc.page:
            from bot.console.pages import page_refusal

            return page_refusal(request, exc)
        headers = {"WWW-Authenticate": 'Bearer realm="etude"'} if isinstance(exc, NotAuthenticated) else None
        return JSONResponse({"error": exc.message}, status_code=exc.status, headers=headers)

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(request: Request, exc: BodyTooLarge) -> Response:
        return too_large(exc)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        return _internal_error()

    @app.get("/health", tags=["service"], responses=api_docs.HEALTH_RESPONSES)
    async def get_health() -> JSONResponse:
        status = health() if health else {"status": "ok"}
        return JSONResponse(status, status_code=200 if status.get("status") == "ok" else 503)

    if parse is not None:

        @app.post(
            "/model/parse",
            tags=["nlu"],
            summary="Parse a message (Rasa's format)",
            openapi_extra=api_docs.PARSE_REQUEST,
            responses=api_docs.PARSE_RESPONSES,
        )
        async def model_parse(request: Request) -> Any:
            try:
                data = await read_json(request, limit=4 * MAX_PARSE_CHARS + 64)
                text = data.get("text")
                if not isinstance(text, str):
                    raise BadRequest(422, "field 'text' is required and must be a string")
                if len(text) > MAX_PARSE_CHARS:
                    raise BadRequest(413, f"field 'text' is longer than {MAX_PARSE_CHARS} characters")
            except BadRequest as exc:
                return error(exc)
            result = await parse(text)
            metrics.observe_parse(result, "parse")
            return result

    @app.get("/metrics", include_in_schema=False)
    async def get_metrics() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    @app.get("/", include_in_schema=False)
    async def demo_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    @app.get("/widget.js", include_in_schema=False)
    async def widget_script() -> FileResponse:
        return FileResponse(
            STATIC_DIR / "widget.js",
            media_type="application/javascript",
            headers={"Cache-Control": "no-cache"},
        )

    media_dir.mkdir(parents=True, exist_ok=True)
    app.mount("/media", StaticFiles(directory=media_dir), name="media")
    return app


class RequestCounter:
    """Counts requests by route and status, logs one structured access record a request, and
    answers 500 (JSON) for an unhandled error.

    The access record (logger `etude.access`, INFO) carries method, path (never the query string,
    where a token could stand), route, status, client and duration_ms as record fields, so
    `ETUDE_LOG_FORMAT=json` writes them as JSON keys; `access_log=False` turns it off.
    A plain ASGI middleware rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware
    runs every request through an extra task group and stream, which cost a noticeable share of a
    turn's CPU under load.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics, access_log: bool = True) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = False
        began = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            self._done(scope, 500, began)
            if started:
                raise
            await _internal_error()(scope, receive, send)
            return
        self._done(scope, status, began)

    def _done(self, scope: Scope, status: int, began: float) -> None:
        """Count the request and log its access record (the route template found once for both)."""
        route = _route(scope)
        self.metrics.requests.labels(route, str(status)).inc()
        if not self.access_log or not access.isEnabledFor(logging.INFO):
            return
        duration = round((time.perf_counter() - began) * 1000, 2)
        client = scope.get("client")
        fields = {
            "method": scope.get("method", ""),
            "path": str(scope.get("path", ""))[:256],
            "route": route,
            "status": status,
            "client": client[0] if client else None,
            "duration_ms": duration,
        }
        access.info("%s %s %d %.1f ms", fields["method"], fields["path"], status, duration, extra=fields)


def _internal_error() -> JSONResponse:
    return JSONResponse({"error": "internal error; the message was not processed"}, status_code=500)


def _route(scope: Scope) -> str:
    path = getattr(scope.get("route"), "path", None)
    if path:
        return str(path)
    return "/media" if str(scope.get("path", "")).startswith("/media/") else "other"
