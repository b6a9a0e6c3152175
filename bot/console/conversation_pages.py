"""The instructor's Conversations pages: the filtered list, a learner's transcript, and their exports.

For instructors and admins (`require_page_role(Role.INSTRUCTOR)`); learners are refused (403) and
visitors without an account get the login form (401). The filters are GET parameters
(`bot.console.conversations.Filters`), so a filtered list is a link that can be kept or shared; the
exports take the same parameters. Sender ids may contain slashes, so the transcript's routes take
the rest of the path and are declared after the list's own exports.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from bot.auth.deps import get_auth, require_page_role
from bot.auth.gate import Principal
from bot.auth.roles import Role
from bot.console.conversations import (
    CHANNELS,
    LOW_CONFIDENCE,
    NEGATIVE_INTENTS,
    PAGE_SIZE,
    Filters,
    InvalidFilter,
    Listing,
    export_csv,
    export_json,
    filters_document,
    known_intents,
    list_conversations,
    matching_turns,
    page_number,
    turn_view,
)
from bot.console.render import download, file_part, frame, page, pager, stamp
from bot.store import ConversationStore

LIST = "/console/conversations"
Instructor = Annotated[Principal, Depends(require_page_role(Role.INSTRUCTOR))]


def conversations_router() -> APIRouter:
    router = APIRouter(prefix="/conversations")

    @router.get("")
    def conversation_list(request: Request, principal: Instructor) -> Response:
        store = _store(request)
        try:
            filters = Filters.from_query(request.query_params)
            number = page_number(request.query_params.get("page", "1"))
        except InvalidFilter as exc:
            return _list_page(request, principal, store, Filters(), None, error=str(exc),
                              form=dict(request.query_params))
        listing = list_conversations(store, filters, number)
        return _list_page(request, principal, store, filters, listing)

    def export_list(request: Request, principal: Any, fmt: str) -> Response:
        try:
            filters = Filters.from_query(request.query_params)
        except InvalidFilter as exc:
            return _invalid(principal, str(exc))
        views = [turn_view(t) for t in matching_turns(_store(request), filters)]
        now = datetime.now(UTC)
        name = f"etude-conversations-{stamp(now)}.{fmt}"
        if fmt == "json":
            body = export_json(views, now, filters=filters_document(filters))
            return download(body, "application/json", name)
        return download(export_csv(views), "text/csv; charset=utf-8", name)

    @router.get("/export.json")
    def export_list_json(request: Request, principal: Instructor) -> Response:
        return export_list(request, principal, "json")

    @router.get("/export.csv")
    def export_list_csv(request: Request, principal: Instructor) -> Response:
        return export_list(request, principal, "csv")

    def export_transcript(request: Request, principal: Any, sender: str, fmt: str) -> Response:
        views = _transcript(request, sender)
        if views is None:
            return _not_found(request, principal, sender)
        now = datetime.now(UTC)
        name = f"etude-{file_part(sender)}-{stamp(now)}.{fmt}"
        if fmt == "json":
            return download(export_json(views, now, sender=sender), "application/json", name)
        return download(export_csv(views), "text/csv; charset=utf-8", name)

    @router.get("/{sender:path}/export.json")
    def export_transcript_json(request: Request, principal: Instructor, sender: str) -> Response:
        return export_transcript(request, principal, sender, "json")

    @router.get("/{sender:path}/export.csv")
    def export_transcript_csv(request: Request, principal: Instructor, sender: str) -> Response:
        return export_transcript(request, principal, sender, "csv")

    @router.get("/{sender:path}")
    def transcript(request: Request, principal: Instructor, sender: str) -> Response:
        views = _transcript(request, sender)
        if views is None:
            return _not_found(request, principal, sender)
        base = f"{LIST}/{quote(sender, safe='')}"
        return page(
            "transcript.html",
            **frame(principal, f"Conversation of {sender}"),
            sender=sender,
            turns=views,
            low_confidence=LOW_CONFIDENCE,
            export_json=f"{base}/export.json",
            export_csv=f"{base}/export.csv",
            learner_page=f"/console/learners/{quote(sender, safe='')}",
        )

    return router


def _store(request: Request) -> ConversationStore:
    accounts = get_auth(request).accounts
    assert accounts is not None  # the console is mounted only with accounts
    return accounts.store


def _transcript(request: Request, sender: str) -> list[dict[str, Any]] | None:
    found = _store(request).turns(sender)
    return [turn_view(t) for t in found] if found else None


def _list_page(request: Request, principal: Principal, store: ConversationStore, filters: Filters,
               listing: Listing | None, *, error: str | None = None,
               form: dict[str, str] | None = None) -> Response:
    query = filters.query()

    pages = None if listing is None else pager(LIST, query, listing.page, listing.pages, PAGE_SIZE)
    suffix = f"?{urlencode(query)}" if query else ""
    return page(
        "conversations.html",
        422 if error else 200,
        **frame(principal, "Conversations"),
        form=form if form is not None else query,
        filters=filters,
        listing=listing,
        pages=pages,
        error=error,
        channels=CHANNELS,
        intents=known_intents(store),
        negative_intents=NEGATIVE_INTENTS,
        export_json=f"{LIST}/export.json{suffix}",
        export_csv=f"{LIST}/export.csv{suffix}",
        quote=lambda sender: quote(sender, safe=""),
    )




def _invalid(principal: Principal, message: str) -> Response:
    return page("refused.html", 422, **frame(principal, "Filters not valid"), heading="Filters not valid",
                message=message, link=LIST, link_text="Back to the conversations")


def _not_found(request: Request, principal: Principal, sender: str) -> Response:
    return page("refused.html", 404, **frame(principal, "No such conversation"),
                heading="No such conversation", message=f"There is no saved turn of {sender!r}.",
                link=LIST, link_text="Back to the conversations")







