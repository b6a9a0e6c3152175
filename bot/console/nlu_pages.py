"""The admin's NLU page (`/console/nlu`) and its JSON twins (`/api/nlu/…`): retrain in the background,
the model history with metrics, activate a version, roll back (`bot.nlu_admin` does the work; the
routes are `bot.console.model_pages`', shared with the recommender).

Admins only. Forms post with the session's CSRF token and answer with a 303 back to the page; the
page refreshes itself every few seconds while a retraining runs. API calls with a bearer token need
no CSRF token; one made with a console session must send it in the `X-CSRF-Token` header.
`POST /api/nlu/train` takes no body.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from bot.console.model_pages import ModelArea, model_api_router, model_console_router
from bot.jobs import Job
from bot.nlu_admin import TRAINING, NLUAdmin

AREA = ModelArea(
    page="/console/nlu",
    api="/api/nlu",
    state="nlu_admin",
    back_text="Back to the NLU models",
    unavailable="NLU administration is not available in this app (it needs the running tutor service).",
    training=TRAINING,
    template="nlu.html",
    title="NLU models",
    activated="Version {} is active now: the service parses with it.",
    what="NLU model",
)


def nlu_console_router() -> APIRouter:
    return model_console_router(AREA, "/nlu", lambda admin, by, form: admin.train(by))


async def _start(admin: NLUAdmin, by: str, request: Request) -> Job:
    return admin.train(by)


def nlu_api_router() -> APIRouter:
    return model_api_router(AREA, "/nlu", ["nlu admin"], _start,
                            train_summary="Retrain the NLU in the background (admins only)")
