"""The JSON API for scripts, authenticated by an API token (`Authorization: Bearer …`) or a
console session: who am I, and (admins) the accounts, the NLU models (`bot.console.nlu_pages`) and
erasing a learner's data (`bot.privacy`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.api_docs import refusals
from bot.auth.accounts import User
from bot.auth.deps import CurrentUser, csrf_header_refusal, get_auth, require_role
from bot.auth.gate import Principal
from bot.auth.roles import Role
from bot.console.graph_pages import graph_api_router
from bot.console.kg_pages import kg_api_router
from bot.console.nlu_pages import nlu_api_router
from bot.console.rec_pages import rec_api_router


def account_json(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "role": user.role.value,
        "created_at": user.created_at.isoformat(),
        "locked_until": user.locked_until.isoformat() if user.locked_until else None,
    }


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api", tags=["accounts"])

    @router.get("/whoami", summary="The account this request is authenticated as")
    def whoami(principal: CurrentUser) -> Any:
        return JSONResponse({**account_json(principal.user), "via": principal.via})

    @router.get("/users", summary="Every account (admins only)", responses=refusals())
    def list_users(request: Request, _: Annotated[Principal, Depends(require_role(Role.ADMIN))]) -> Any:
        accounts = get_auth(request).accounts
        assert accounts is not None  # the router is mounted only with accounts
        return JSONResponse({"users": [account_json(user) for user in accounts.users()]})

    @router.delete("/learners/{sender:path}", summary="Erase a learner's data, for good (admins only)",
                   responses=refusals(404, 422, 503))
    async def erase_learner(
        request: Request, sender: str, principal: Annotated[Principal, Depends(require_role(Role.ADMIN))]
    ) -> Any:
        from bot.store import UnknownLearner

        refusal = csrf_header_refusal(request, principal)
        if refusal is not None:
            return refusal
        eraser = getattr(request.app.state, "eraser", None)
        if eraser is None:
            return JSONResponse({"error": "erasing is not available in this app"}, status_code=503)
        try:
            report = await run_in_threadpool(eraser, sender, via="api", by=principal.user.id)
        except UnknownLearner:
            return JSONResponse({"error": f"no learner {sender[:80]!r}: the store holds nothing of them"},
                                status_code=404)
        except ValueError as exc:  # an id the store cannot hold (too long, NUL): nobody has it
            return JSONResponse({"error": str(exc)}, status_code=422)
        return JSONResponse(report.to_json())

    router.include_router(nlu_api_router())
    router.include_router(graph_api_router())
    router.include_router(kg_api_router())  # ingesting texts into the graph
    router.include_router(rec_api_router())  # retraining the recommender
    return router
