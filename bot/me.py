"""`/me/…`: a learner's own conversation and progress, an export of both, and erasing them.

Whose data is decided by the request alone (`current_learner`): a console account's session or
API token, else the web learner's cookie. There is no parameter naming a learner, so no request can
reach anyone else's data.

`POST /me/delete` erases the learner's data (`bot.privacy`). It takes a JSON body
`{"confirm": "delete"}`, so a plain HTML form on another site cannot post it; the learner cookie
counts only from trusted origins (`bot.auth.origins`), and a console session must also send its CSRF
token in `X-CSRF-Token`, as on the JSON API. A web learner's cookie is cleared with it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.api_docs import refusals
from bot.auth.deps import CurrentLearner, csrf_header_refusal, get_auth
from bot.auth.learners import LEARNER_COOKIE
from bot.channels.rest import BadRequest, error, read_json
from bot.learner_data import LearnerData, export

PRIVATE = {"Cache-Control": "no-store"}
JSON_TYPE = "application/json"
CONFIRM = {"confirm": "delete"}


def me_router(data: LearnerData) -> APIRouter:
    router = APIRouter(prefix="/me", tags=["learner"])

    @router.get("/conversation", summary="Your conversation with the tutor")
    def conversation(learner: CurrentLearner) -> Any:
        return JSONResponse({"learner": learner, "turns": data.conversation(learner)}, headers=PRIVATE)

    @router.get("/progress", summary="What you have mastered, are learning and should review")
    def progress(learner: CurrentLearner) -> Any:
        return JSONResponse({"learner": learner, **data.progress(learner)}, headers=PRIVATE)

    @router.get("/export", summary="Your conversation and progress as a JSON file")
    def download(learner: CurrentLearner) -> Any:
        now = datetime.now(UTC)
        name = f"etude-export-{now:%Y%m%d}.json"
        return JSONResponse(
            export(learner, data, now),
            headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{name}"'},
        )

    @router.post("/delete", summary="Erase your conversation, progress and recordings, for good",
                 responses=refusals(400, 404, 413, 415, 422, 503))
    async def delete(request: Request, learner: CurrentLearner) -> Any:
        from bot.store import UnknownLearner

        principal = get_auth(request).principal(request)
        refusal = csrf_header_refusal(request, principal)
        if refusal is not None:
            return refusal
        try:
            await _confirmed(request)
        except BadRequest as exc:
            return error(exc)
        eraser = getattr(request.app.state, "eraser", None)
        if eraser is None:
            return JSONResponse({"error": "erasing is not available in this app"}, status_code=503)
        try:
            report = await run_in_threadpool(eraser, learner, via="learner")
        except UnknownLearner:
            return JSONResponse({"error": "nothing is stored about you: there is nothing to erase"},
                                status_code=404, headers=PRIVATE)
        response = JSONResponse(report.to_json(), headers=PRIVATE)
        if principal is None:  # a web learner: the identity goes with the data
            https = request.url.scheme == "https"
            cross_site = https and get_auth(request).origins.cross_site_listed(request)
            response.delete_cookie(LEARNER_COOKIE, secure=https, httponly=True,
                                   samesite="none" if cross_site else "lax")
        return response

    return router


async def _confirmed(request: Request) -> None:
    """BadRequest unless the body is the JSON confirmation (JSON: no cross-site form can send it)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON_TYPE:
        raise BadRequest(415, f'send the JSON body {{"confirm": "delete"}} as {JSON_TYPE}')
    body = await read_json(request, limit=1024)
    if body.get("confirm") != CONFIRM["confirm"]:
        raise BadRequest(422, 'to erase your data for good, send {"confirm": "delete"}')
