"""What the admins' background-job pages share (the knowledge graph ingest, the NLU, the recommender):
reading a posted form after its CSRF check, refusals, the JSON API's guard and job answers, and an
`AdminArea` that binds them to one page, its JSON twins and the app part they work on.

The service has one job runner, so a page may find a job of another kind running (an NLU
retraining while an admin starts an ingest): the Busy answer (409) names that job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from bot.api_docs import refusals
from bot.auth.deps import csrf_header_refusal, require_page_role, require_role
from bot.auth.gate import Principal
from bot.auth.roles import Role
from bot.console.forms import MAX_FORM_BYTES, checked_form
from bot.console.render import NO_STORE, frame, page
from bot.jobs import Busy, Job, JobRunner

REFRESH_SECONDS = 2
JOB_SUMMARY = "A background job: state, progress, log and result (admins only)"
AdminPage = Annotated[Principal, Depends(require_page_role(Role.ADMIN))]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]


def part(request: Request, name: str) -> Any:
    """The app's `name` (e.g. `kg_admin`), or None when this app has none."""
    return getattr(request.app.state, name, None)


def refused_page(principal: Principal, status: int, heading: str, message: str, link: str,
                 link_text: str) -> Response:
    return page("refused.html", status, **frame(principal, heading), heading=heading, message=message,
                link=link, link_text=link_text)


def busy_message(job: Job) -> str:
    """Why a new job cannot start: which job is running, and who started it."""
    by = f", started by {job.requested_by}" if job.requested_by else ""
    return f"A {job.kind} (job {job.id}{by}) is still {job.state}: wait for it to end, then try again."


def latest_of(runner: JobRunner, kind: str, wanted: str = "") -> Job | None:
    """The job named `wanted` if it is of `kind`, else the newest job of `kind`."""
    job = runner.get(wanted) if wanted else None
    if job is not None and job.kind == kind:
        return job
    return next((j for j in runner.jobs() if j.kind == kind), None)


def back(path: str, params: dict[str, str]) -> RedirectResponse:
    from urllib.parse import urlencode

    return RedirectResponse(f"{path}?{urlencode(params)}", status_code=303, headers=NO_STORE)


# --- the JSON API ---------------------------------------------------------------------------------


def api_part(request: Request, principal: Principal, name: str, unavailable: str,
             posting: bool) -> Any:
    """The app's `name`, or the JSON refusal: a session's post without its CSRF header, or no part."""
    refusal = csrf_header_refusal(request, principal) if posting else None
    if refusal is not None:
        return refusal
    found = part(request, name)
    if found is None:
        return JSONResponse({"error": unavailable}, status_code=503)
    return found


def job_answer(runner: JobRunner, job_id: str) -> JSONResponse:
    """A job of the service's runner (any kind: a Busy answer names jobs of other kinds too)."""
    job = runner.get(job_id)
    if job is None:
        return JSONResponse({"error": f"no job {job_id[:40]!r} (jobs are kept in memory only)"},
                            status_code=404)
    return JSONResponse(job.to_json())


def busy_answer(exc: Busy) -> JSONResponse:
    return JSONResponse({"error": busy_message(exc.job), "job": exc.job.to_json()}, status_code=409)


def started_answer(job: Job, path: str) -> JSONResponse:
    return JSONResponse({"job": job.to_json()}, status_code=202, headers={"Location": f"{path}/{job.id}"})


# --- one admin page and its JSON twins ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AdminArea:
    """An admin page, its JSON twins and the app part they work on (refused with 503 when missing)."""

    page: str  # the console page, e.g. "/console/kg"
    api: str  # the JSON twins' prefix, e.g. "/api/kg"
    state: str  # the app's part, e.g. "kg_admin"
    back_text: str  # a refusal's link back to the page
    unavailable: str  # why the app has no such part

    def part(self, request: Request) -> Any:
        return part(request, self.state)

    def refused(self, principal: Principal, status: int, heading: str, message: str) -> Response:
        return refused_page(principal, status, heading, message, self.page, self.back_text)

    def missing(self, principal: Principal) -> Response:
        return self.refused(principal, 503, "Not available", self.unavailable)

    async def checked(self, request: Request, principal: Principal,
                      limit: int = MAX_FORM_BYTES) -> tuple[Any, dict[str, str], Response | None]:
        """The part, the posted fields and None; or the refusal (unreadable form, bad CSRF, no part)."""
        form, refusal = await checked_form(request, principal, lambda *a: self.refused(principal, *a), limit)
        if refusal is not None:
            return None, {}, refusal
        found = self.part(request)
        if found is None:
            return None, {}, self.missing(principal)
        return found, form, None

    def api_part(self, request: Request, principal: Principal, posting: bool) -> Any:
        """The part, or the JSON refusal (a session's post without its CSRF header, no part)."""
        return api_part(request, principal, self.state, self.unavailable, posting)

    def started(self, job: Job) -> JSONResponse:
        return started_answer(job, f"{self.api}/jobs")

    def add_job_route(self, router: APIRouter) -> None:
        """`GET {prefix}/jobs/{job_id}`: any job of the service's runner (a Busy answer names them)."""

        @router.get("/jobs/{job_id}", summary=JOB_SUMMARY, responses=refusals(404, 503))
        def api_job(request: Request, principal: Admin, job_id: str) -> Any:
            found = self.api_part(request, principal, posting=False)
            if isinstance(found, JSONResponse):
                return found
            return job_answer(found.runner, job_id)
