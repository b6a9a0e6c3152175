"""The admin's recommender page (`/console/recommender`) and its JSON twins (`/api/recommender/…`):
retrain in the background (`bot.rec_admin` does the work), the versions with their metrics,
activate a version, roll back (the routes are `bot.console.model_pages`', shared with the NLU).

`POST /api/recommender/train` takes an optional JSON object `{"epochs": 10, "works": "all"}`
(epochs 1..50; works all, catalog or none) and answers 202 with the job and its address
(`/api/recommender/jobs/{id}`). Admins only; a console session's API post sends its CSRF token in
`X-CSRF-Token`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

from bot.channels.rest import BadRequest, read_body
from bot.console.model_pages import ModelArea, model_api_router, model_console_router
from bot.jobs import Job
from bot.rec_admin import DEFAULT_EPOCHS, MAX_EPOCHS, TRAINING, WORKS, RecAdmin

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
AREA = ModelArea(
    page="/console/recommender",
    api="/api/recommender",
    state="rec_admin",
    back_text="Back to the recommender",
    unavailable=("Recommender administration is not available in this app (it needs the running tutor "
                 "service)."),
    training=TRAINING,
    template="recommender.html",
    title="Recommender",
    activated="Version {} is active now: the tutor recommends with it.",
    what="recommender",
    context={"default_epochs": DEFAULT_EPOCHS, "max_epochs": MAX_EPOCHS, "works": WORKS},
)


def rec_console_router() -> APIRouter:
    return model_console_router(AREA, "/recommender", _start_from_form)


def _start_from_form(admin: RecAdmin, by: str, form: dict[str, str]) -> Job:
    return admin.train(by, form.get("epochs", ""), form.get("works", "all"))


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


async def _start_from_api(admin: RecAdmin, by: str, request: Request) -> Job:
    options = await _options(request)
    return admin.train(by, options.get("epochs", DEFAULT_EPOCHS), options.get("works", "all"))


def rec_api_router() -> APIRouter:
    return model_api_router(AREA, "/recommender", ["recommender admin"], _start_from_api,
                            train_summary="Retrain the recommender in the background (admins only)",
                            train_request=TRAIN_REQUEST)
