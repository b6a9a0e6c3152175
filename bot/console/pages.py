"""The console's login, logout and landing pages, and how a refused console page is answered.

Every form carries the session's CSRF token and every POST checks it first. A page that needs a
login answers 401 with the login form itself (and returns there after logging in); one that needs a
higher role answers 403 saying which. Redirects after a form post are 303, so a reload never posts
the form again.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.auth.deps import get_auth, page_user
from bot.auth.errors import AuthFailure, NotAuthenticated
from bot.auth.gate import Auth, Principal
from bot.auth.login import LoginFailed
from bot.auth.sessions import CSRF_FIELD, Session
from bot.channels.rest import BadRequest
from bot.console.conversation_pages import conversations_router
from bot.console.forms import STALE_FORM, read_form
from bot.console.graph_pages import graph_router
from bot.console.kg_pages import kg_console_router
from bot.console.learner_pages import learners_router
from bot.console.nlu_pages import nlu_console_router
from bot.console.rec_pages import rec_console_router
from bot.console.render import NO_STORE, page
from bot.console.review_pages import review_router

CONSOLE = "/console/"
LOGIN = "/console/login"


def console_router() -> APIRouter:
    router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)

    @router.get("/login")
    def login_page(request: Request, next: str = CONSOLE) -> Response:
        auth = get_auth(request)
        principal = _principal_or_none(auth, request)
        if principal is not None and principal.via == "session":
            return _redirect(safe_next(next))
        return login_form(request, next=safe_next(next))

    @router.post("/login")
    async def login(request: Request) -> Response:
        auth = get_auth(request)
        try:
            form = await read_form(request)
        except BadRequest as exc:
            return _refused(request, exc.status, "The form could not be read", exc.detail)
        session = auth.session(request)
        if session is None or not session.csrf_matches(form.get(CSRF_FIELD)):
            return _refused(request, 403, "Form expired", STALE_FORM, link=LOGIN, link_text="Log in")
        target = safe_next(form.get("next", CONSOLE))
        name, password = form.get("name", "").strip(), form.get("password", "")
        if not name or not password:
            return login_form(request, 422, next=target, name=name, error="Enter your name and password.")
        assert auth.authenticator is not None  # the router is mounted only with accounts
        wait = auth.login_wait(request.client.host if request.client else "unknown")
        if wait:
            response = login_form(request, 429, next=target, name=name,
                                  error=f"Too many login attempts from your address. Try again in {wait} s.")
            response.headers["Retry-After"] = str(wait)
            return response
        try:
            user = await run_in_threadpool(auth.authenticator.login, name, password)
        except LoginFailed as exc:
            return login_form(request, 401, next=target, name=name, error=str(exc))
        response = _redirect(target)
        auth.sessions.write(response, auth.sessions.new(user), request)  # a new session: new CSRF token
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        auth = get_auth(request)
        try:
            form = await read_form(request)
        except BadRequest as exc:
            return _refused(request, exc.status, "The form could not be read", exc.detail)
        principal = _principal_or_none(auth, request)
        if principal is None or principal.session is None:
            raise NotAuthenticated("You are not logged in.", page=True)
        if not principal.session.csrf_matches(form.get(CSRF_FIELD)):
            return _refused(request, 403, "Form expired", STALE_FORM)
        response = _redirect(LOGIN)
        auth.sessions.clear(response, request)
        return response

    @router.get("/")
    def home(request: Request, principal: Annotated[Principal, Depends(page_user)]) -> Response:
        return page("home.html", **_frame(request, principal, "Home"))

    router.include_router(conversations_router())
    router.include_router(review_router())
    router.include_router(learners_router())
    router.include_router(nlu_console_router())
    router.include_router(kg_console_router())
    router.include_router(rec_console_router())
    router.include_router(graph_router())
    return router


def page_refusal(request: Request, exc: AuthFailure) -> Response:
    """The answer to a console page refused by a dependency: the login form (401) or why not (403)."""
    if isinstance(exc, NotAuthenticated):
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return login_form(request, 401, next=safe_next(wanted), notice="Log in to see this page.")
    principal = _principal_or_none(get_auth(request), request)
    return page(
        "refused.html",
        403,
        **_frame(request, principal, "Not allowed"),
        heading="Not allowed",
        message=exc.message,
        link=CONSOLE,
        link_text="Back to the console",
    )


def login_form(request: Request, status_code: int = 200, **fields: Any) -> Response:
    """The login page, with an anonymous session (and its CSRF token) unless the visitor has one."""
    auth = get_auth(request)
    session = auth.session(request)
    fresh = session is None or session.user_id is not None
    if fresh:
        session = auth.sessions.new()
    context = {"next": CONSOLE, "name": "", "error": None, "notice": None, **fields}
    response = page("login.html", status_code, title="Log in", user=None, csrf=session.csrf, **context)
    if fresh:
        auth.sessions.write(response, session, request)
    return response


def safe_next(target: str) -> str:
    """Where to go after logging in: a console path on this site, never another site."""
    if (
        not isinstance(target, str)
        or not target.startswith(CONSOLE)
        or "//" in target
        or "\\" in target
        or any(ord(ch) < 32 for ch in target)
        or len(target) > 512
    ):
        return CONSOLE
    return target


def _frame(request: Request, principal: Principal | None, title: str) -> dict[str, Any]:
    session: Session | None = principal.session if principal else None
    return {"title": title, "user": principal.user if principal else None,
            "csrf": session.csrf if session else ""}


def _principal_or_none(auth: Auth, request: Request) -> Principal | None:
    try:
        return auth.principal(request)
    except AuthFailure:
        return None


def _refused(request: Request, status: int, heading: str, message: str, *, link: str = CONSOLE,
             link_text: str = "Back to the console") -> Response:
    principal = _principal_or_none(get_auth(request), request)
    return page("refused.html", status, **_frame(request, principal, heading), heading=heading,
                message=message, link=link, link_text=link_text)


def _redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303, headers=NO_STORE)
