"""Reading an HTML form post (application/x-www-form-urlencoded) with a size limit.

The console's forms are small and URL-encoded; multipart bodies (file uploads) are refused rather
than parsed, which also keeps python-multipart out of the dependencies.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request

from bot.channels.rest import BadRequest, read_body

MAX_FORM_BYTES = 16 * 1024
MAX_FIELDS = 32
FORM_TYPE = "application/x-www-form-urlencoded"


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
