"""The console page and the JSON twins of a versioned model (the NLU, the recommender): retrain in
the background, the versions with their metrics, activate a version, roll back
(`bot.model_admin.VersionedModelAdmin` does the work).

What differs between the kinds is the training request (`start`), the template and its extra
values, and the words: a `ModelArea` says them. Forms post with the session's CSRF token and answer
with a 303 back to the page, which refreshes itself while a retraining runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.api_docs import refusals
from bot.auth.gate import Principal
from bot.channels.rest import BadRequest, error
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
from bot.model_admin import UnknownVersion

StartFromForm = Callable[[Any, str, dict[str, str]], Job]  # (admin, by, fields) -> job; ValueError: bad ones
StartFromApi = Callable[[Any, str, Request], Awaitable[Job]]  # the same from a request (BadRequest too)
ROLLED_BACK = "Rolled back: version {} is active now."


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelArea(AdminArea):
    """An `AdminArea` of a versioned model: its training jobs' kind, its template and its words."""

    training: str  # the kind of its training jobs
    template: str  # e.g. "nlu.html"
    title: str  # the page's title
    activated: str  # the notice after an activation, e.g. "Version {} is active now: …"
    what: str  # how the API's summaries name the kind, e.g. "NLU model"
    context: dict[str, Any] = field(default_factory=dict)  # the template's own extra values


def model_console_router(area: ModelArea, prefix: str, start: StartFromForm) -> APIRouter:
    """The page (`GET ""`) and its forms: `/train`, `/activate/{version}`, `/rollback`."""
    router = APIRouter(prefix=prefix)

    @router.get("")
    def model_page(request: Request, principal: AdminPage) -> Response:
        admin = area.part(request)
        if admin is None:
            return area.missing(principal)
        params = request.query_params
        job = latest_of(admin.runner, area.training, params.get("job", ""))
        return _page(area, principal, admin, job, notice=_notice(area, admin, params, job))

    @router.post("/train")
    async def train(request: Request, principal: AdminPage) -> Response:
        admin, form, refusal = await area.checked(request, principal)
        if refusal is not None:
            return refusal
        try:
            job = start(admin, principal.user.name, form)
        except Busy as exc:
            return _again(area, principal, admin, busy_message(exc.job), 409)
        except ValueError as exc:
            return _again(area, principal, admin, str(exc), 422)
        return back(area.page, {"job": job.id})

    @router.post("/activate/{version}")
    async def activate(request: Request, principal: AdminPage, version: str) -> Response:
        admin, _, refusal = await area.checked(request, principal)
        if refusal is not None:
            return refusal
        try:
            await run_in_threadpool(admin.activate, version, principal.user.name)
        except UnknownVersion as exc:
            return _again(area, principal, admin, str(exc), 404)
        return back(area.page, {"activated": version})

    @router.post("/rollback")
    async def rollback(request: Request, principal: AdminPage) -> Response:
        admin, _, refusal = await area.checked(request, principal)
        if refusal is not None:
            return refusal
        try:
            result = await run_in_threadpool(admin.rollback, principal.user.name)
        except ValueError as exc:
            return _again(area, principal, admin, str(exc), 409)
        return back(area.page, {"rolled_back": result["active"]})

    return router


def _notice(area: ModelArea, admin: Any, params: Any, job: Job | None) -> str | None:
    """What the last form did, from the redirect's parameters (only names of real versions)."""
    for key, words in (("activated", area.activated), ("rolled_back", ROLLED_BACK)):
        version = params.get(key, "")
        if version and admin.exists(version):
            return words.format(version)
    if job is not None and params.get("job") == job.id:
        return "Retraining started."
    return None


def _again(area: ModelArea, principal: Principal, admin: Any, error: str, status_code: int) -> Response:
    """The page again, saying why the form was refused, with the latest training job."""
    return _page(area, principal, admin, latest_of(admin.runner, area.training), error=error,
                 status_code=status_code)


def _page(area: ModelArea, principal: Principal, admin: Any, job: Job | None, *, notice: str | None = None,
          error: str | None = None, status_code: int = 200) -> Response:
    running = job is not None and job.active
    return page(
        area.template,
        status_code,
        **frame(principal, area.title),
        history=admin.versions(),
        job=job.to_json() if job is not None else None,
        running=running,
        refresh=REFRESH_SECONDS if running else None,
        notice=notice,
        error=error,
        **area.context,
    )


def model_api_router(area: ModelArea, prefix: str, tags: list[str], start: StartFromApi, *,
                     train_summary: str, train_request: dict[str, Any] | None = None) -> APIRouter:
    """`POST /train` (202 and the job), `GET /jobs/{id}`, `GET /versions`, `POST /activate/{version}`,
    `POST /rollback`; a console session's posts send the CSRF token in `X-CSRF-Token`."""
    router = APIRouter(prefix=prefix, tags=tags)

    @router.post("/train", summary=train_summary, status_code=202, openapi_extra=train_request,
                 responses=refusals(400, 409, 413, 415, 422, 503))
    async def api_train(request: Request, principal: Admin) -> Any:
        admin = area.api_part(request, principal, posting=True)
        if isinstance(admin, JSONResponse):
            return admin
        try:
            job = await start(admin, principal.user.name, request)
        except BadRequest as exc:
            return error(exc)
        except Busy as exc:
            return busy_answer(exc)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        return area.started(job)

    area.add_job_route(router)

    @router.get("/versions", summary=f"Every {area.what} version with its metrics (admins only)",
                responses=refusals(503))
    def api_versions(request: Request, principal: Admin) -> Any:
        admin = area.api_part(request, principal, posting=False)
        if isinstance(admin, JSONResponse):
            return admin
        return JSONResponse(admin.versions())

    @router.post("/activate/{version}",
                 summary=f"Serve a {area.what} version now, without the gate (admins only)",
                 responses=refusals(404, 503))
    def api_activate(request: Request, principal: Admin, version: str) -> Any:
        admin = area.api_part(request, principal, posting=True)
        if isinstance(admin, JSONResponse):
            return admin
        try:
            return JSONResponse(admin.activate(version, principal.user.name))
        except UnknownVersion as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)

    @router.post("/rollback", summary=f"Serve the previously active {area.what} version (admins only)",
                 responses=refusals(409, 503))
    def api_rollback(request: Request, principal: Admin) -> Any:
        admin = area.api_part(request, principal, posting=True)
        if isinstance(admin, JSONResponse):
            return admin
        try:
            return JSONResponse(admin.rollback(principal.user.name))
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)

    return router
