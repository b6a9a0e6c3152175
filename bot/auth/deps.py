"""FastAPI dependencies: the account or learner behind a request, and role checks.

`current_user` / `require_role(role)` guard JSON routes; `page_user` / `require_page_role(role)`
guard console pages (the same checks, refused with HTML); `current_learner` gives the sender id
whose own data a `/me` route may show. Each raises `NotAuthenticated` (401) or `Forbidden` (403).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from bot.auth.errors import AuthFailure, Forbidden, NotAuthenticated
from bot.auth.gate import Auth, Principal
from bot.auth.roles import Role

CSRF_HEADER = "x-csrf-token"  # how a console session's script posts to the JSON API send its token
LOGIN_NEEDED = "log in, or send 'Authorization: Bearer <token>'"
NO_LEARNER = "no learner here: chat with the tutor first (it remembers you by a cookie), or log in"


def get_auth(request: Request) -> Auth:
    return request.app.state.auth


def current_user(request: Request) -> Principal:
    principal = get_auth(request).principal(request)
    if principal is None:
        raise NotAuthenticated(LOGIN_NEEDED)
    return principal


def require_role(role: Role | str) -> Callable[..., Principal]:
    needed = Role(role)

    def has_role(principal: Annotated[Principal, Depends(current_user)]) -> Principal:
        _check(principal, needed)
        return principal

    return has_role


def page_user(request: Request) -> Principal:
    try:
        return current_user(request)
    except AuthFailure as exc:
        raise exc.for_page() from None


def require_page_role(role: Role | str) -> Callable[..., Principal]:
    needed = Role(role)

    def has_role(principal: Annotated[Principal, Depends(page_user)]) -> Principal:
        try:
            _check(principal, needed)
        except AuthFailure as exc:
            raise exc.for_page() from None
        return principal

    return has_role


def current_learner(request: Request) -> str:
    learner = get_auth(request).learner(request)
    if learner is None:
        raise NotAuthenticated(NO_LEARNER)
    return learner


def _check(principal: Principal, needed: Role) -> None:
    if not principal.user.role.covers(needed):
        user = principal.user
        raise Forbidden(f"this needs the role {needed}; {user.name} has the role {user.role}")


CurrentUser = Annotated[Principal, Depends(current_user)]
CurrentLearner = Annotated[str, Depends(current_learner)]


def csrf_header_refusal(request: Request, principal: Principal | None) -> JSONResponse | None:
    """The 403 for a JSON post made with a console session but without its CSRF token in
    `X-CSRF-Token`, else None (bearer tokens and web learners need none)."""
    session = principal.session if principal is not None else None
    if session is None or session.csrf_matches(request.headers.get(CSRF_HEADER)):
        return None
    return JSONResponse({"error": "a console session must send its CSRF token in X-CSRF-Token"},
                        status_code=403)
