"""Reading an HTML form post (application/x-www-form-urlencoded) with a size limit.

The console's forms are small and URL-encoded; multipart bodies (file uploads) are refused rather
than parsed, which also keeps python-multipart out of the dependencies.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import Response

from bot.auth.gate import Principal
from bot.auth.sessions import CSRF_FIELD
from bot.channels.rest import BadRequest, read_body

MAX_FORM_BYTES = 16 * 1024
MAX_FIELDS = 32
FORM_TYPE = "application/x-www-form-urlencoded"
STALE_FORM = "This form has expired or did not come from this site. Reload the page and try again."
Refuse = Callable[[int, str, str], Response]  # (status, heading, message) -> the page


async def read_form(
    request: Request, limit: int = MAX_FORM_BYTES, max_fields: int = MAX_FIELDS
) -> dict[str, str]:
    """The posted fields (the last value of a repeated name wins); BadRequest (400/413/415) otherwise."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        raise BadRequest(415, f"the form must be posted as {FORM_TYPE}")
    body = await read_body(request, limit)
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=max_fields,
                          errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(400, f"the form is not valid: {exc}") from exc
    fields = dict(pairs)
    if any("\x00" in key or "\x00" in value for key, value in fields.items()):
        raise BadRequest(400, "the form contains a NUL character")
    return fields


async def checked_form(request: Request, principal: Principal, refuse: Refuse, limit: int = MAX_FORM_BYTES,
                       max_fields: int = MAX_FIELDS) -> tuple[dict[str, str], Response | None]:
    """The posted fields and None, or no fields and the refusal (unreadable form, or a session's post
    without its CSRF token): what every console form post checks first."""
    try:
        form = await read_form(request, limit=limit, max_fields=max_fields)
    except BadRequest as exc:
        return {}, refuse(exc.status, "The form could not be read", exc.detail)
    if principal.session is not None and not principal.session.csrf_matches(form.get(CSRF_FIELD)):
        return {}, refuse(403, "Form expired", STALE_FORM)
    return form, None
