"""The admin's recommender page (`/console/recommender`) and its JSON twins (`/api/recommender/…`):
retrain in the background (`bot.rec_admin` does the work), the versions with their metrics,
activate a version, roll back.

`POST /api/recommender/train` takes an optional JSON object `{"epochs": 10, "works": "all"}`
(epochs 1..50; works all, catalog or none) and answers 202 with the job and its address
(`/api/recommender/jobs/{id}`). Admins only; a console session's API post sends its CSRF token in
`X-CSRF-Token`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.auth.gate import Principal
from bot.channels.rest import BadRequest, error, read_body
from bot.console.admin_pages import (
    REFRESH_SECONDS,
    Admin,
    AdminPage,
    api_part,
    back,
    busy_answer,
    busy_message,
    checked_form,
    job_answer,
    latest_of,
    part,
    refused_page,
    started_answer,
)
from bot.console.render import frame, page
from bot.jobs import Busy, Job
from bot.rec_admin import DEFAULT_EPOCHS, MAX_EPOCHS, TRAINING, WORKS, RecAdmin, UnknownVersion

PAGE = "/console/recommender"
STATE = "rec_admin"
# The body is read by hand (optional), so /openapi.json is told what it may be.
TRAIN_REQUEST: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": {
            "type": "object",
            "properties": {
                "epochs": {"type": "integer", "minimum": 1, "maximum": MAX_EPOCHS, "default": DEFAULT_EPOCHS},
                "works": {"type": "string", "enum": list(WORKS), "default": "all"},
            },
        }}},
    },
}
UNAVAILABLE = "Recommender administration is not available in this app (it needs the running tutor service)."


def rec_console_router() -> APIRouter:
    router = APIRouter(prefix="/recommender")

    @router.get("")
    def rec_page(request: Request, principal: AdminPage) -> Response:
        admin: RecAdmin | None = part(request, STATE)
        if admin is None:
            return _refused(principal, 503, "Not available", UNAVAILABLE)
        params = request.query_params
        job = latest_of(admin.runner, TRAINING, params.get("job", ""))
        return _page(principal, admin, job, notice=_notice(admin, params, job))

    @router.post("/train")
    async def train(request: Request, principal: AdminPage) -> Response:
        admin, form, refusal = await _checked(request, principal)
        if refusal is not None:
            return refusal
        try:
            job = admin.train(principal.user.name, form.get("epochs", ""), form.get("works", "all"))
        except ValueError as exc:
            return _page(principal, admin, latest_of(admin.runner, TRAINING), error=str(exc), status_code=422)
        except Busy as exc:
            return _page(principal, admin, latest_of(admin.runner, TRAINING), error=busy_message(exc.job),
                         status_code=409)
        return back(PAGE, {"job": job.id})

    @router.post("/activate/{version}")
    async def activate(request: Request, principal: AdminPage, version: str) -> Response:
        admin, _, refusal = await _checked(request, principal)
        if refusal is not None:
            return refusal
        try:
            await run_in_threadpool(admin.activate, version, principal.user.name)
        except UnknownVersion as exc:
            return _page(principal, admin, latest_of(admin.runner, TRAINING), error=str(exc), status_code=404)
        return back(PAGE, {"activated": version})

    @router.post("/rollback")
    async def rollback(request: Request, principal: AdminPage) -> Response:
        admin, _, refusal = await _checked(request, principal)
        if refusal is not None:
            return refusal
        try:
            result = await run_in_threadpool(admin.rollback, principal.user.name)
        except ValueError as exc:
            return _page(principal, admin, latest_of(admin.runner, TRAINING), error=str(exc), status_code=409)
        return back(PAGE, {"rolled_back": result["active"]})

    return router


async def _checked(request: Request, principal: Principal) -> tuple[Any, dict[str, str], Response | None]:
    form, refusal = await checked_form(request, principal, lambda *a: _refused(principal, *a))
    if refusal is not None:
        return None, {}, refusal
    admin = part(request, STATE)
    if admin is None:
        return None, {}, _refused(principal, 503, "Not available", UNAVAILABLE)
    return admin, form, None


def _notice(admin: RecAdmin, params: Any, job: Job | None) -> str | None:
    """What the last form did, from the redirect's parameters (only names of real versions)."""
    for key, words in (("activated", "Version {} is active now: the tutor recommends with it."),
                       ("rolled_back", "Rolled back: version {} is active now.")):
        version = params.get(key, "")
        if version and admin.exists(version):
            return words.format(version)
    if job is not None and params.get("job") == job.id:
        return "Retraining started."
    return None


def _page(principal: Principal, admin: RecAdmin, job: Job | None, *, notice: str | None = None,
          error: str | None = None, status_code: int = 200) -> Response:
    running = job is not None and job.active
    return page(
        "recommender.html",
        status_code,
        **frame(principal, "Recommender"),
        history=admin.versions(),
        job=job.to_json() if job is not None else None,
        running=running,
        refresh=REFRESH_SECONDS if running else None,
        default_epochs=DEFAULT_EPOCHS,
        max_epochs=MAX_EPOCHS,
        works=WORKS,
        notice=notice,
        error=error,
    )


def _refused(principal: Principal, status: int, heading: str, message: str) -> Response:
    return refused_page(principal, status, heading, message, PAGE, "Back to the recommender")


# --- the JSON API -------------------------------------------------------------------------------


async def _options(request: Request) -> dict[str, Any]:
    """The training options of a post: none (the defaults) or a JSON object; BadRequest otherwise."""
    body = await read_body(request, 4096)
    if not body.strip():
        return {}
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise BadRequest(415, "send the options as a JSON object: {\"epochs\": 10, \"works\": \"all\"}")
    try:
        data = json.loads(body)
    except ValueError as exc:  # UnicodeDecodeError included
        raise BadRequest(400, f"body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadRequest(422, "body must be a JSON object")
    unknown = set(data) - {"epochs", "works"}
    if unknown:
        raise BadRequest(422, f"unknown option(s): {', '.join(sorted(unknown))[:200]}")
    return data


def rec_api_router() -> APIRouter:
    router = APIRouter(prefix="/recommender", tags=["recommender admin"])

    @router.post("/train", summary="Retrain the recommender in the background (admins only)", status_code=202,
                 openapi_extra=TRAIN_REQUEST)
    async def api_train(request: Request, principal: Admin) -> Any:
        admin = api_part(request, principal, STATE, UNAVAILABLE, posting=True)
        if isinstance(admin, JSONResponse):
            return admin
        try:
            options = await _options(request)
            job = admin.train(principal.user.name, options.get("epochs", DEFAULT_EPOCHS),
                              options.get("works", "all"))
        except BadRequest as exc:
            return error(exc)
        except Busy as exc:
            return busy_answer(exc)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        return started_answer(job, "/api/recommender/jobs")

    @router.get("/jobs/{job_id}", summary="A background job: state, progress, log and result (admins only)")
    def api_job(request: Request, principal: Admin, job_id: str) -> Any:
        admin = api_part(request, principal, STATE, UNAVAILABLE, posting=False)
        if isinstance(admin, JSONResponse):
            return admin
        return job_answer(admin.runner, job_id)

    @router.get("/versions", summary="Every recommender version with its metrics (admins only)")
    def api_versions(request: Request, principal: Admin) -> Any:
        admin = api_part(request, principal, STATE, UNAVAILABLE, posting=False)
        if isinstance(admin, JSONResponse):
            return admin
        return JSONResponse(admin.versions())

    @router.post("/activate/{version}",
                 summary="Serve a recommender version now, without the gate (admins only)")
    def api_activate(request: Request, principal: Admin, version: str) -> Any:
        admin = api_part(request, principal, STATE, UNAVAILABLE, posting=True)
        if isinstance(admin, JSONResponse):
            return admin
        try:
            return JSONResponse(admin.activate(version, principal.user.name))
        except UnknownVersion as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)

    @router.post("/rollback", summary="Serve the previously active recommender version (admins only)")
    def api_rollback(request: Request, principal: Admin) -> Any:
        admin = api_part(request, principal, STATE, UNAVAILABLE, posting=True)
        if isinstance(admin, JSONResponse):
            return admin
        try:
            return JSONResponse(admin.rollback(principal.user.name))
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)

    return router
