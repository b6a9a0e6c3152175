"""The FastAPI application: channels, parse endpoint, widget, media and health on one server.

`create_app` takes the pieces it serves instead of building them, so tests can mount any
`Handler` (a scripted fake or the real dialogue engine) behind the same routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from bot.channels.rest import rest_router
from bot.messages import Handler

STATIC_DIR = Path(__file__).resolve().parent / "static"

Parse = Callable[[str], Awaitable[dict[str, Any]]]


def create_app(
    handler: Handler,
    *,
    media_dir: Path,
    health: Callable[[], dict[str, Any]] | None = None,
    routers: Iterable[APIRouter] = (),
    lifespan: Any = None,
) -> FastAPI:
    app = FastAPI(title="Etude", description="The Etude music tutor's channels and APIs.", lifespan=lifespan)
    app.include_router(rest_router(handler))
    for router in routers:
        app.include_router(router)

    @app.get("/health", tags=["service"])
    async def get_health() -> JSONResponse:
        status = health() if health else {"status": "ok"}
        return JSONResponse(status, status_code=200 if status.get("status") == "ok" else 503)

    @app.get("/", include_in_schema=False)
    async def demo_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    @app.get("/widget.js", include_in_schema=False)
    async def widget_script() -> FileResponse:
        return FileResponse(STATIC_DIR / "widget.js", media_type="application/javascript")

    media_dir.mkdir(parents=True, exist_ok=True)
    app.mount("/media", StaticFiles(directory=media_dir), name="media")
    return app
