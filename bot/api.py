"""The JSON API for scripts, authenticated by an API token (`Authorization: Bearer …`) or a
console session: who am I, and (admins) the accounts and the NLU models (`bot.console.nlu_pages`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from bot.auth.accounts import User
from bot.auth.deps import CurrentUser, get_auth, require_role
from bot.auth.gate import Principal
from bot.auth.roles import Role
from bot.console.nlu_pages import nlu_api_router


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

    @router.get("/users", summary="Every account (admins only)")
    def list_users(request: Request, _: Annotated[Principal, Depends(require_role(Role.ADMIN))]) -> Any:
        accounts = get_auth(request).accounts
        assert accounts is not None  # the router is mounted only with accounts
        return JSONResponse({"users": [account_json(user) for user in accounts.users()]})

    router.include_router(nlu_api_router())
    return router
