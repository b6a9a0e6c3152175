"""`/me/…`: a learner's own conversation and progress, and an export of both.

Whose data is decided by the request alone (`current_learner`): a console account's session or
API token, else the web learner's cookie. There is no parameter naming a learner, so no request can
reach anyone else's data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from bot.auth.deps import CurrentLearner
from bot.learner_data import LearnerData, export

PRIVATE = {"Cache-Control": "no-store"}


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

    return router
