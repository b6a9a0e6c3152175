"""The admin's knowledge graph page (`/console/kg`) and its JSON twins (`/api/kg/…`): ingest a text
in the background (`bot.kg_admin` does the work), watch the job, see the triples it added with
their provenance, and the history of ingests.

The page takes the text in a textarea (the console's forms are URL-encoded; file uploads would
need multipart, which they refuse). `POST /api/kg/ingest` takes either a JSON object
`{"name": "liner_notes.txt", "text": "…", "threshold": 0.8}` or the file itself as a
`text/plain` (UTF-8) body with `?name=liner_notes.txt&threshold=0.8`; it answers 202 with the
job and its address (`/api/kg/jobs/{id}`). Texts up to 200 KB; the threshold is 0..1 (0.8 when
left out). Admins only; a console session's API post sends its CSRF token in `X-CSRF-Token`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from bot.api_docs import refusals
from bot.auth.gate import Principal
from bot.channels.rest import BadRequest, error, read_body, read_json
from bot.console.admin_pages import (
    REFRESH_SECONDS,
    Admin,
    AdminArea,
    AdminPage,
    back,
    busy_answer,
    busy_message,
    latest_of,
)
from bot.console.render import frame, page
from bot.jobs import Busy, Job
from bot.kg_admin import DEFAULT_THRESHOLD, INGEST, INGEST_BODY_LIMIT, MAX_TEXT_BYTES, BadIngest, KGAdmin

# The body is read by hand (JSON or plain text), so /openapi.json is told what it may be.
INGEST_REQUEST: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {
                "type": "object",
                "required": ["text"],
                "properties": {
                    "name": {"type": "string", "description": "the source file's name (kept, sanitized)"},
                    "text": {"type": "string", "description": f"UTF-8 text, up to {MAX_TEXT_BYTES} bytes"},
                    "threshold": {"type": "number", "minimum": 0, "maximum": 1, "default": DEFAULT_THRESHOLD},
                },
            }},
            "text/plain": {"schema": {"type": "string",
                                      "description": "the text; ?name=&threshold= say the rest"}},
        },
    },
    "parameters": [
        {"name": "name", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "with a text/plain body: the source file's name"},
        {"name": "threshold", "in": "query", "required": False,
         "schema": {"type": "number", "minimum": 0, "maximum": 1}, "description": "with a text/plain body"},
    ],
}
AREA = AdminArea(
    page="/console/kg",
    api="/api/kg",
    state="kg_admin",
    back_text="Back to the knowledge graph",
    unavailable=("Knowledge graph administration is not available in this app (it needs the running "
                 "tutor service)."),
)


def kg_console_router() -> APIRouter:
    router = APIRouter(prefix="/kg")

    @router.get("")
    def kg_page(request: Request, principal: AdminPage) -> Response:
        admin: KGAdmin | None = AREA.part(request)
        if admin is None:
            return AREA.missing(principal)
        job = latest_of(admin.runner, INGEST, request.query_params.get("job", ""))
        notice = "Ingest started." if job is not None and request.query_params.get("job") == job.id else None
        return _page(principal, admin, job, notice=notice)

    @router.post("/ingest")
    async def ingest(request: Request, principal: AdminPage) -> Response:
        admin, form, refusal = await AREA.checked(request, principal, limit=INGEST_BODY_LIMIT)
        if refusal is not None:
            return refusal
        filled = {"name": form.get("name", ""), "text": form.get("text", ""),
                  "threshold": form.get("threshold", "")}
        try:
            job = admin.ingest(filled["name"], filled["text"], filled["threshold"], by=principal.user.name)
        except BadIngest as exc:
            return _page(principal, admin, latest_of(admin.runner, INGEST), error=str(exc), filled=filled,
                         status_code=422)
        except Busy as exc:
            return _page(principal, admin, latest_of(admin.runner, INGEST), error=busy_message(exc.job),
                         filled=filled, status_code=409)
        return back(AREA.page, {"job": job.id})

    return router


def _page(principal: Principal, admin: KGAdmin, job: Job | None, *, notice: str | None = None,
          error: str | None = None, filled: dict[str, str] | None = None, status_code: int = 200) -> Response:
    running = job is not None and job.active
    return page(
        "kg.html",
        status_code,
        **frame(principal, "Knowledge graph"),
        job=job.to_json() if job is not None else None,
        running=running,
        refresh=REFRESH_SECONDS if running else None,
        history=admin.history(),
        filled=filled or {"name": "", "text": "", "threshold": str(DEFAULT_THRESHOLD)},
        max_kb=MAX_TEXT_BYTES // 1024,
        notice=notice,
        error=error,
    )


# --- the JSON API -------------------------------------------------------------------------------


async def _ingest_request(request: Request) -> tuple[Any, Any, Any]:
    """(name, text, threshold) from a JSON object or a text/plain body; BadRequest otherwise."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        data = await read_json(request, limit=INGEST_BODY_LIMIT)
        unknown = set(data) - {"name", "text", "threshold"}
        if unknown:
            raise BadRequest(422, f"unknown field(s): {', '.join(sorted(unknown))[:200]}")
        return data.get("name"), data.get("text"), data.get("threshold", DEFAULT_THRESHOLD)
    if kind == "text/plain":
        body = await read_body(request, INGEST_BODY_LIMIT)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest(400, f"the text is not UTF-8: {exc}") from exc
        params = request.query_params
        return params.get("name"), text, params.get("threshold", DEFAULT_THRESHOLD)
    raise BadRequest(415, "send the text as application/json ({\"name\", \"text\", \"threshold\"}) "
                          "or as text/plain with ?name=&threshold=")


def kg_api_router() -> APIRouter:
    router = APIRouter(prefix="/kg", tags=["knowledge graph admin"])

    @router.post("/ingest", summary="Add the facts of a text to the graph, in the background (admins only)",
                 status_code=202, openapi_extra=INGEST_REQUEST,
                 responses=refusals(400, 409, 413, 415, 422, 503))
    async def api_ingest(request: Request, principal: Admin) -> Any:
        admin = AREA.api_part(request, principal, posting=True)
        if isinstance(admin, JSONResponse):
            return admin
        try:
            name, text, threshold = await _ingest_request(request)
            job = admin.ingest(name, text, threshold, by=principal.user.name)
        except BadRequest as exc:
            return error(exc)
        except BadIngest as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        except Busy as exc:
            return busy_answer(exc)
        return AREA.started(job)

    AREA.add_job_route(router)

    @router.get("/ingests", summary="The past ingests: who, when, what was added (admins only)",
                responses=refusals(503))
    def api_ingests(request: Request, principal: Admin) -> Any:
        admin = AREA.api_part(request, principal, posting=False)
        if isinstance(admin, JSONResponse):
            return admin
        return JSONResponse({"ingests": admin.history()})

    return router
