"""Logging to stderr (stdout is reserved for command output such as `--json`).

Every record passes a `Redactor` first, whatever the format: secrets (API tokens, bearer and basic
credentials, session and learner cookies, passwords, the Telegram bot token, passwords in database
URLs, and the configured secret values themselves) are masked in the message, its arguments and any
traceback, so no log line carries them. `ETUDE_LOG_FORMAT=json` writes one JSON object a line
(time, level, logger, message, and the request fields a record carries) for log collectors.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from rich.console import Console
from rich.logging import RichHandler

stderr = Console(stderr=True)

MASK = "[redacted]"
# Record attributes copied into JSON lines when a record carries them (`log.info(..., extra={...})`).
REQUEST_FIELDS = ("method", "path", "route", "status", "client", "channel", "sender", "duration_ms")

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer <token> / Basic <credentials>, in headers, dicts or prose
    (re.compile(r"(?i)\b(bearer|basic)(\s+|%20)[A-Za-z0-9._~+/=-]+"), rf"\1\2{MASK}"),
    # API tokens wherever they stand (bot/auth/tokens.py: etude_ and 43 characters)
    (re.compile(r"etude_[A-Za-z0-9_-]{43}"), MASK),
    # the session and learner cookies: name=value and 'name': 'value'
    (re.compile(r"(etude_session|etude_learner)(=|['\"]?\s*:\s*['\"]?)([^;,\s'\"&}]+)"), rf"\1\2{MASK}"),
    # password=…, "password": "…", secret_key: …, token=… (forms, JSON, repr of dicts, query strings)
    (
        re.compile(
            r"(?i)\b([a-z_]*(?:password|passwd|secret|secret_key|token|api_key|authorization)[a-z_]*)"
            r"(['\"]?\s*[=:]\s*['\"]?)(?!\[redacted\])([^\s'\"&,;}]+)"
        ),
        rf"\1\2{MASK}",
    ),
    # a Telegram bot token, alone or in an API URL (https://api.telegram.org/bot<token>/getUpdates)
    (re.compile(r"(?<!\d)\d{5,12}:[A-Za-z0-9_-]{30,}"), MASK),
    # a password in a URL (postgresql://user:password@host/db, neo4j+s://user:password@host)
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@"), rf"\1{MASK}@"),
)


class Redactor(logging.Filter):
    """Masks secrets in every record it sees (attach it to handlers: a logger's filters miss records
    propagated from its children). Known secret values (`add`) are masked wherever they appear."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self.values: list[str] = []
        for value in secrets:
            self.add(value)

    def add(self, value: str | None) -> None:
        if value and len(value) >= 6 and value not in self.values:
            self.values.append(value)
            self.values.sort(key=len, reverse=True)  # a longer secret first: never half-masked

    def redact(self, text: str) -> str:
        for value in self.values:
            if value in text:
                text = text.replace(value, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: log what there is rather than lose the record
            message = f"{record.msg} {record.args}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for field in REQUEST_FIELDS:
            value = getattr(record, field, None)
            if isinstance(value, str):
                setattr(record, field, self.redact(value))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in REQUEST_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO", format: str = "text", secrets: Iterable[str | None] = ()) -> Redactor:
    """Log to stderr at `level`, as text (for people) or JSON lines; every line redacted."""
    if format == "json":
        handler: logging.Handler = logging.StreamHandler(stderr.file)
        handler.setFormatter(JsonFormatter())
    else:
        handler = RichHandler(console=stderr, show_path=False, rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(message)s", datefmt="[%X]"))
    redactor = Redactor(secrets)
    handler.addFilter(redactor)
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    for noisy in ("neo4j", "sentence_transformers", "transformers", "urllib3", "numba", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return redactor


def configured_secrets(settings: object) -> list[str | None]:
    """The secret values a settings object holds (`bot.settings.Settings`), for `setup_logging`."""
    values: list[str | None] = []
    for name in ("secret_key", "telegram_token", "telegram_secret", "neo4j_password"):
        value = getattr(settings, name, None)
        values.append(value.get_secret_value() if hasattr(value, "get_secret_value") else value)
    return values
