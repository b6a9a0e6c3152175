"""The instructor's Learners pages: the list of learners with their progress counted, one learner's
progress over the prerequisite graph with their history and the tutor's next recommendation, and
its JSON export; admins also erase a learner's data there (`bot.privacy`), confirming by typing
the learner's id, after which the learner is gone from every list.

For instructors and admins (`require_page_role(Role.INSTRUCTOR)`), like the Conversations pages.
Progress is read through the app's `StoredLearnerData` (`create_app(learner_data=...)`, as the
service mounts it); without it the pages say so (503). Sender ids may contain slashes, so a
learner's routes take the rest of the path, the export declared first.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import partial
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.auth.deps import require_page_role
from bot.auth.gate import Principal
from bot.auth.roles import Role
from bot.console.conversation_pages import LIST as CONVERSATIONS
from bot.console.conversations import MAX_TEXT, InvalidFilter, page_number
from bot.console.forms import checked_form
from bot.console.learners import (
    HISTORY_LIMIT,
    PAGE_SIZE,
    export_document,
    has_conversation,
    learner_report,
    list_learners,
)
from bot.console.prerequisite_graph import NODE_HEIGHT, NODE_WIDTH
from bot.console.render import NO_STORE, download, file_part, frame, page, pager, stamp
from bot.learner_data import StoredLearnerData
from bot.store import UnknownLearner

LEARNERS = "/console/learners"
Instructor = Annotated[Principal, Depends(require_page_role(Role.INSTRUCTOR))]
AdminPage = Annotated[Principal, Depends(require_page_role(Role.ADMIN))]


def learners_router() -> APIRouter:
    router = APIRouter(prefix="/learners")

    @router.get("")
    def learner_list(request: Request, principal: Instructor) -> Response:
        data = _data(request)
        if data is None:
            return _unavailable(principal)
        search = request.query_params.get("q", "").strip()
        raw_page = request.query_params.get("page", "1")
        error = None
        if len(search) > MAX_TEXT or any(ord(ch) < 32 for ch in search):
            error = f"the search must be at most {MAX_TEXT} printable characters"
        else:
            try:
                number = page_number(raw_page)
            except InvalidFilter as exc:
                error = str(exc)
        if error:
            return page("learners.html", 422, **frame(principal, "Learners"), search=search[:MAX_TEXT],
                        listing=None, pages=None, error=error, quote=_quote)
        listing = list_learners(data, search, number)

        params = {"q": search} if search else {}
        pages = pager(LEARNERS, params, listing.page, listing.pages, PAGE_SIZE)
        return page("learners.html", **frame(principal, "Learners"), search=search, listing=listing,
                    pages=pages, error=None, quote=_quote)

    @router.get("/{sender:path}/export.json")
    def export_learner(request: Request, principal: Instructor, sender: str) -> Response:
        data = _data(request)
        if data is None:
            return _unavailable(principal)
        if not has_conversation(data, sender):
            return _not_found(principal, sender)
        now = datetime.now(UTC)
        body = json.dumps(export_document(learner_report(data, sender), now), ensure_ascii=False, indent=2)
        return download(body.encode("utf-8"), "application/json",
                         f"etude-progress-{file_part(sender)}-{stamp(now)}.json")

    @router.post("/{sender:path}/delete")
    async def delete_learner(request: Request, principal: AdminPage, sender: str) -> Response:
        form, refusal = await checked_form(request, principal, partial(_refused, principal, sender=sender))
        if refusal is not None:
            return refusal
        eraser = getattr(request.app.state, "eraser", None)
        if eraser is None:
            return _refused(principal, 503, "Erasing not available",
                            "This console runs without the tutor's store, so it cannot erase data.", sender)
        if form.get("confirm", "").strip() != sender:
            return _refused(principal, 422, "Not confirmed", f"Nothing was deleted: type the learner's id "
                            f"({sender}) exactly to confirm.", sender)
        try:
            await run_in_threadpool(eraser, sender, via="console", by=principal.user.id)
        except (UnknownLearner, ValueError):  # ValueError: an id no learner can have
            return _not_found(principal, sender)
        return RedirectResponse(LEARNERS, status_code=303, headers=NO_STORE)

    @router.get("/{sender:path}")
    def learner(request: Request, principal: Instructor, sender: str) -> Response:
        data = _data(request)
        if data is None:
            return _unavailable(principal)
        if not has_conversation(data, sender):
            return _not_found(principal, sender)
        report = learner_report(data, sender)
        history = report.history[-HISTORY_LIMIT:][::-1]  # the most recent first
        return page(
            "learner.html",
            **frame(principal, f"Progress of {sender}"),
            report=report,
            history=history,
            history_total=len(report.history),
            by_id={row["concept"]: row for row in report.concepts},
            node_width=NODE_WIDTH,
            node_height=NODE_HEIGHT,
            transcript=f"{CONVERSATIONS}/{_quote(sender)}",
            export_json=f"{LEARNERS}/{_quote(sender)}/export.json",
            erase=f"{LEARNERS}/{_quote(sender)}/delete" if principal.user.role is Role.ADMIN else None,
        )

    return router


def _data(request: Request) -> StoredLearnerData | None:
    found = getattr(request.app.state, "learner_data", None)
    return found if isinstance(found, StoredLearnerData) else None


def _quote(sender: str) -> str:
    return quote(sender, safe="")


def _unavailable(principal: Principal) -> Response:
    return page("refused.html", 503, **frame(principal, "Progress not available"),
                heading="Progress not available",
                message="This console runs without the tutor's learner model, so it cannot show progress.",
                link="/console/", link_text="Back to the console")


def _refused(principal: Principal, status: int, heading: str, message: str, sender: str) -> Response:
    return page("refused.html", status, **frame(principal, heading), heading=heading, message=message,
                link=f"{LEARNERS}/{_quote(sender)}", link_text="Back to the learner")


def _not_found(principal: Principal, sender: str) -> Response:
    return page("refused.html", 404, **frame(principal, "No such learner"), heading="No such learner",
                message=f"There is no saved conversation of {sender!r}.", link=LEARNERS,
                link_text="Back to the learners")
