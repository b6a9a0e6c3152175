"""The instructor's Review pages: the queue of turns to review, the review form, and the export of the
corrections as Rasa-format training data (`bot.console.review` has the rules and the storage).

For instructors and admins (`require_page_role(Role.INSTRUCTOR)`). The form posts back to its own
address with the session's CSRF token (a script with an API token needs none); a correction that
cannot be saved re-renders the form with the reasons (422), never an error page. The export is
declared before the form's `{turn_id}` routes so that its name is not read as a turn id.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from bot.auth.deps import get_auth, require_page_role
from bot.auth.gate import Principal
from bot.auth.roles import Role
from bot.console.conversations import InvalidFilter, page_number
from bot.console.forms import checked_form
from bot.console.render import NO_STORE, frame, page, pager
from bot.console.review import (
    PAGE_SIZE,
    REASONS,
    EntityRow,
    QueueQuery,
    Review,
    check_correction,
    export_training_data,
    intent_choices,
    latest_corrections,
    load_review,
    occurrence_of,
    occurrences,
    review_queue,
    save_correction,
    skip_turn,
)
from bot.store import ConversationStore
from nlu.data import ENTITY_TYPES

QUEUE = "/console/review"
EMPTY_ROWS = 3  # blank entity rows offered to add entities
MAX_ROWS = 20
MAX_FORM_FIELDS = 3 * MAX_ROWS + 4  # words, type and occurrence a row; token, intent, action, spare
Instructor = Annotated[Principal, Depends(require_page_role(Role.INSTRUCTOR))]


def review_router() -> APIRouter:
    router = APIRouter(prefix="/review")

    @router.get("")
    def queue(request: Request, principal: Instructor) -> Response:
        params = request.query_params
        try:
            query = QueueQuery.from_query(params)
            number = page_number(params.get("page", "1"))
        except InvalidFilter as exc:
            return _queue_page(principal, QueueQuery(), None, error=str(exc), form=dict(params))
        listing = review_queue(_store(request), query, number)
        reviewed = params.get("reviewed", "")
        return _queue_page(principal, query, listing, form=query.query(),
                           reviewed=int(reviewed) if reviewed.isdigit() and len(reviewed) < 19 else None)

    @router.get("/export.yml")
    def export(request: Request, principal: Instructor) -> Response:
        body = export_training_data(latest_corrections(_store(request))).encode("utf-8")
        stamp = get_auth(request).clock().strftime("%Y%m%dT%H%M%SZ")
        headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="etude-corrections-{stamp}.yml"'}
        return Response(body, media_type="application/yaml; charset=utf-8", headers=headers)

    @router.get("/{turn_id}")
    def review_form(request: Request, principal: Instructor, turn_id: str) -> Response:
        review = _review(request, turn_id)
        if review is None:
            return _not_found(principal, turn_id)
        if review.correction is not None:
            intent, entities = review.correction["intent"], review.correction["entities"]
        else:
            intent, entities = review.intent or "", review.entities
        text = review.text
        rows = [_row(text, text[e["start"]:e["end"]], e["entity"], e["start"]) for e in entities]
        rows = rows[:MAX_ROWS - EMPTY_ROWS] + [_row(review.text, "", "")] * EMPTY_ROWS
        return _form_page(principal, review, intent, rows)

    @router.post("/{turn_id}")
    async def review_post(request: Request, principal: Instructor, turn_id: str) -> Response:
        form, refusal = await checked_form(request, principal, partial(_refused, principal),
                                           max_fields=MAX_FORM_FIELDS)
        if refusal is not None:
            return refusal
        review = _review(request, turn_id)
        if review is None:
            return _not_found(principal, turn_id)
        store, now, reviewer = _store(request), get_auth(request).clock(), principal.user.id
        if form.get("action") == "skip":
            skip_turn(store, review.turn_id, reviewer, now)
            return _done(review.turn_id)
        intent = form.get("intent", "").strip()
        rows = [
            EntityRow(form.get(f"words-{n}", ""), form.get(f"type-{n}", ""), form.get(f"occurrence-{n}", ""))
            for n in range(1, MAX_ROWS + 1)
            if f"words-{n}" in form
        ]
        entities, problems = check_correction(review.text, intent, rows)
        if problems:
            shown = [{"words": r.words, "entity": r.entity, "occurrence": r.occurrence,
                      "count": len(occurrences(review.text, r.words.strip()))} for r in rows]
            return _form_page(principal, review, intent, shown, problems=problems, status_code=422)
        save_correction(store, review.turn_id, review.text, intent, entities, reviewer, now)
        return _done(review.turn_id)

    return router


def _store(request: Request) -> ConversationStore:
    accounts = get_auth(request).accounts
    assert accounts is not None  # the console is mounted only with accounts
    return accounts.store


def _review(request: Request, turn_id: str) -> Review | None:
    if not turn_id.isdigit() or len(turn_id) > 18:
        return None
    return load_review(_store(request), int(turn_id))


def _row(text: str, words: str, entity: str, start: int | None = None) -> dict[str, Any]:
    count = len(occurrences(text, words))
    occurrence = str(occurrence_of(text, start, words)) if words and count > 1 and start is not None else ""
    return {"words": words, "entity": entity, "occurrence": occurrence, "count": count}


def _queue_page(principal: Principal, query: QueueQuery, listing: Any, *, form: dict[str, str],
                error: str | None = None, reviewed: int | None = None) -> Response:
    params = query.query()

    pages = None if listing is None else pager(QUEUE, params, listing.page, listing.pages, PAGE_SIZE)
    return page(
        "review.html",
        422 if error else 200,
        **frame(principal, "Review"),
        form=form,
        listing=listing,
        pages=pages,
        error=error,
        reasons=REASONS,
        threshold=query.threshold,
        reviewed=reviewed,
        quote=lambda sender: quote(sender, safe=""),
    )


def _form_page(principal: Principal, review: Review, intent: str, rows: list[dict[str, Any]], *,
               problems: list[tuple[int, str]] | None = None, status_code: int = 200) -> Response:
    problems = problems or []
    return page(
        "review_form.html",
        status_code,
        **frame(principal, f"Review turn {review.turn_id}"),
        review=review,
        intent=intent,
        rows=rows,
        intents=intent_choices(),
        entity_types=ENTITY_TYPES,
        problems=[message for _, message in problems],
        bad_rows={row for row, _ in problems},
        transcript=f"/console/conversations/{quote(review.sender, safe='')}",
    )


def _done(turn_id: int) -> RedirectResponse:
    return RedirectResponse(f"{QUEUE}?reviewed={turn_id}", status_code=303, headers=NO_STORE)




def _not_found(principal: Principal, turn_id: str) -> Response:
    return page("refused.html", 404, **frame(principal, "No such turn"), heading="No such turn",
                message=f"There is no saved turn {turn_id[:40]!r}.", link=QUEUE,
                link_text="Back to the review queue")


def _refused(principal: Principal, status: int, heading: str, message: str) -> Response:
    return page("refused.html", status, **frame(principal, heading), heading=heading, message=message,
                link=QUEUE, link_text="Back to the review queue")

