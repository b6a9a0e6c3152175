"""The admin's NLU page (`/console/nlu`) and its JSON twins (`/api/nlu/…`): retrain in the background,
the model history with metrics, activate a version, roll back (`bot.nlu_admin` does the work).

Admins only. Forms post with the session's CSRF token and answer with a 303 back to the page; the
page refreshes itself every few seconds while a retraining runs. API calls with a bearer token need
no CSRF token; one made with a console session must send it in the `X-CSRF-Token` header.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.auth.deps import require_page_role, require_role
from bot.auth.gate import Principal
from bot.auth.roles import Role
from bot.auth.sessions import CSRF_FIELD
from bot.channels.rest import BadRequest
from bot.console.forms import read_form
from bot.console.render import NO_STORE, frame, page
from bot.jobs import Busy, Job
from bot.nlu_admin import NLUAdmin, UnknownVersion

PAGE = "/console/nlu"
REFRESH_SECONDS = 2
CSRF_HEADER = "x-csrf-token"
STALE_FORM = "This form has expired or did not come from this site. Reload the page and try again."
UNAVAILABLE = "NLU administration is not available in this app (it needs the running tutor service)."
AdminPage = Annotated[Principal, Depends(require_page_role(Role.ADMIN))]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]


def _admin(request: Request) -> NLUAdmin | None:
    return getattr(request.app.state, "nlu_admin", None)


def nlu_console_router() -> APIRouter:
    router = APIRouter(prefix="/nlu")

    @router.get("")
    def nlu_page(request: Request, principal: AdminPage) -> Response:
        admin = _admin(request)
        if admin is None:
            return _refused(principal, 503, "Not available", UNAVAILABLE)
        params = request.query_params
        job = admin.runner.get(params.get("job", "")) or admin.runner.latest()
        return _page(principal, admin, job, notice=_notice(admin, params))

    @router.post("/train")
    async def train(request: Request, principal: AdminPage) -> Response:
        admin, refusal = await _checked_form(request, principal)
        if refusal is not None:
            return refusal
        try:
            job = admin.train(principal.user.name)
        except Busy as exc:
            return _page(principal, admin, exc.job, status_code=409,
                         error="A retraining is already running: wait for it to end.")
        return _back({"job": job.id})

    @router.post("/activate/{version}")
    async def activate(request: Request, principal: AdminPage, version: str) -> Response:
        admin, refusal = await _checked_form(request, principal)
        if refusal is not None:
            return refusal
        try:
            await run_in_threadpool(admin.activate, version, principal.user.name)
        except UnknownVersion as exc:
            return _page(principal, admin, admin.runner.latest(), error=str(exc), status_code=404)
        return _back({"activated": version})

    @router.post("/rollback")
    async def rollback(request: Request, principal: AdminPage) -> Response:
        admin, refusal = await _checked_form(request, principal)
        if refusal is not None:
            return refusal
        try:
            from starlette.concurrency import run_in_threadpool

            result = await run_in_threadpool(admin.rollback, principal.user.name)
        except ValueError as exc:
            return _page(principal, admin, admin.runner.latest(), error=str(exc), status_code=409)
        return _back({"rolled_back": result["active"]})

    return router


async def _checked_form(request: Request, principal: Principal) -> tuple[Any, Response | None]:
    """The admin object and None, or None and the refusal (unreadable form, bad CSRF, no admin)."""
    try:
        form = await read_form(request)
    except BadRequest as exc:
        return None, _refused(principal, exc.status, "The form could not be read", exc.detail)
    if principal.session is not None and not principal.session.csrf_matches(form.get(CSRF_FIELD)):
        return None, _refused(principal, 403, "Form expired", STALE_FORM)
    admin = _admin(request)
    if admin is None:
        return None, _refused(principal, 503, "Not available", UNAVAILABLE)
    return admin, None


def _notice(admin: NLUAdmin, params: Any) -> str | None:
    """What the last form did, from the redirect's parameters (only names of real versions)."""
    for key, words in (("activated", "Version {} is active now: the service parses with it."),
                       ("rolled_back", "Rolled back: version {} is active now.")):
        version = params.get(key, "")
        if version and admin.exists(version):
            return words.format(version)
    if params.get("job") and admin.runner.get(params["job"]) is not None:
        return "Retraining started."
    return None


def _page(principal: Principal, admin: NLUAdmin, job: Job | None, *, notice: str | None = None,
          error: str | None = None, status_code: int = 200) -> Response:
    history = admin.versions()
    current = job.to_json() if job is not None else None
    return page(
        "nlu.html",
        status_code,
        **frame(principal, "NLU models"),
        history=history,
        job=current,
        running=job is not None and job.active,
        refresh=REFRESH_SECONDS if job is not None and job.active else None,
        notice=notice,
        error=error,
    )


def _back(params: dict[str, str]) -> RedirectResponse:
    return RedirectResponse(f"{PAGE}?{urlencode(params)}", status_code=303, headers=NO_STORE)


def _refused(principal: Principal, status: int, heading: str, message: str) -> Response:
    return page("refused.html", status, **frame(principal, heading), heading=heading, message=message,
                link=PAGE, link_text="Back to the NLU models")


# --- the JSON API -------------------------------------------------------------------------------


def _api_admin(request: Request, principal: Principal, posting: bool) -> NLUAdmin | JSONResponse:
    if posting and principal.session is not None and not principal.session.csrf_matches(
        request.headers.get(CSRF_HEADER)
    ):
        return JSONResponse({"error": "a console session must send its CSRF token in X-CSRF-Token"},
                            status_code=403)
    admin = _admin(request)
    if admin is None:
        return JSONResponse({"error": UNAVAILABLE}, status_code=503)
    return admin


def nlu_api_router() -> APIRouter:
    router = APIRouter(prefix="/nlu", tags=["nlu admin"])

    @router.post("/train", summary="Retrain the NLU in the background (admins only)", status_code=202)
    def api_train(request: Request, principal: Admin) -> Any:
        admin = _api_admin(request, principal, posting=True)
        if isinstance(admin, JSONResponse):
            return admin
        try:
            job = admin.train(principal.user.name)
        except Busy as exc:
            return JSONResponse({"error": "a retraining is already running", "job": exc.job.to_json()},
                                status_code=409)
        return JSONResponse({"job": job.to_json()}, status_code=202,
                            headers={"Location": f"/api/nlu/jobs/{job.id}"})

    @router.get("/jobs/{job_id}", summary="A retraining job: state, progress, log and result (admins only)")
    def api_job(request: Request, principal: Admin, job_id: str) -> Any:
        admin = _api_admin(request, principal, posting=False)
        if isinstance(admin, JSONResponse):
            return admin
        job = admin.runner.get(job_id)
        if job is None:
            return JSONResponse({"error": f"no job {job_id[:40]!r} (jobs are kept in memory only)"},
                                status_code=404)
        return JSONResponse(job.to_json())

    @router.get("/versions", summary="Every NLU model version with its metrics (admins only)")
    def api_versions(request: Request, principal: Admin) -> Any:
        admin = _api_admin(request, principal, posting=False)
        if isinstance(admin, JSONResponse):
            return admin
        return JSONResponse(admin.versions())

    @router.post("/activate/{version}", summary="Serve a model version now, without the gate (admins only)")
    def api_activate(request: Request, principal: Admin, version: str) -> Any:
        admin = _api_admin(request, principal, posting=True)
        if isinstance(admin, JSONResponse):
            return admin
        try:
            return JSONResponse(admin.activate(version, principal.user.name))
        except UnknownVersion as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)

    @router.post("/rollback", summary="Serve the previously active model version (admins only)")
    def api_rollback(request: Request, principal: Admin) -> Any:
        admin = _api_admin(request, principal, posting=True)
        if isinstance(admin, JSONResponse):
            return admin
        try:
            return JSONResponse(admin.rollback(principal.user.name))
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)

    return router
