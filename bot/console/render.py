"""Rendering console pages from the Jinja2 templates beside this module, escaping every value."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.responses import HTMLResponse, Response

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,  # every template, whatever its name: nothing reaches a page unescaped
    undefined=StrictUndefined,  # a misspelt variable is an error, not an empty string
    trim_blocks=True,
    lstrip_blocks=True,
)

# Pages hold CSRF tokens and learners' data: never kept by browsers or proxies.
NO_STORE = {"Cache-Control": "no-store"}


def page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = _environment.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=NO_STORE)


def frame(principal: Any, title: str) -> dict[str, object]:
    """What every console page's frame (title, who is logged in, the CSRF token) needs."""
    return {"title": title, "user": principal.user,
            "csrf": principal.session.csrf if principal.session else ""}


def download(body: bytes, media_type: str, filename: str) -> Response:
    """An export, saved by the browser under `filename`, never cached."""
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=media_type, headers=headers)


def stamp(now: datetime) -> str:
    """A timestamp for export file names."""
    return now.strftime("%Y%m%dT%H%M%SZ")


def file_part(sender: str) -> str:
    """The sender as a safe piece of a file name: letters, digits, '-', '_' and '.' only."""
    cleaned = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in sender)
    return cleaned.strip(".")[:80] or "learner"


def pager(base: str, params: dict[str, str], number: int, pages: int, size: int) -> dict[str, Any]:
    """Previous/next links (keeping the other query parameters) and the first row's number."""

    def link(to: int) -> str:
        return f"{base}?{urlencode({**params, 'page': str(to)})}"

    return {
        "previous": link(number - 1) if number > 1 else None,
        "next": link(number + 1) if number < pages else None,
        "first_row": (number - 1) * size + 1,
    }
