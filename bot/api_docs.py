"""OpenAPI descriptions of the routes that read their body by hand (`bot.channels.rest`, `/model/parse`).

Those routes validate the raw body themselves (size first, then JSON, then fields: see
`bot.channels.rest`), so FastAPI cannot infer their request or reply schemas; these dictionaries
document them for `/docs` and for API fuzzers (bench/fuzz_api.sh), which generate requests from
`/openapi.json` and check the replies against it. They describe, they do not validate.
"""

from __future__ import annotations

from typing import Any

from bot.channels.rest import MAX_BODY_BYTES, MAX_SENDER_CHARS
from bot.recordings import MAX_RECORDING_BYTES

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string", "description": "what was wrong, in words"}},
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


# What the routes behind an account may answer besides success (`refusals(...)` picks some).
REFUSALS: dict[int, str] = {
    400: "the body could not be read (not JSON, not UTF-8, or a NUL character)",
    401: "no valid session or API token",
    403: "the account's role may not do this, or a console session did not send X-CSRF-Token",
    404: "nothing with that id (a job is remembered in memory only)",
    409: "another background job is still running (the answer names it), or nothing to roll back to",
    413: "the body is over the size limit",
    415: "the body has a content type this route does not read",
    422: "a field is missing, out of range or of the wrong type (the error says which)",
    503: "this part of the service is not running in this app",
}


def refusals(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented refusals `codes` (plus 401 and 403, which every such route may answer)."""
    return {code: _error(REFUSALS[code]) for code in sorted({401, 403, *codes})}


BOT_MESSAGE: dict[str, Any] = {
    "type": "object",
    "required": ["recipient_id"],
    "properties": {
        "recipient_id": {"type": "string"},
        "text": {"type": "string"},
        "buttons": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["title", "payload"],
                "properties": {"title": {"type": "string"}, "payload": {"type": "string"}},
            },
        },
        "image": {"type": "string"},
        "attachment": {"type": "object"},
        "custom": {"type": "object"},
    },
}

_TURN_REFUSALS: dict[int | str, dict[str, Any]] = {
    403: _error("the sender id is reserved for learners the server identifies (`web:`, `tg:`, `user:`)"),
    413: _error("the body is over the size limit"),
    422: _error("a field is missing or has the wrong type"),
    429: _error("this sender sent too many messages; see Retry-After"),
    503: _error("the turn could not be stored; nothing was remembered, resend it (see Retry-After)"),
}

MESSAGE_TEXT: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "description": "the learner's text"},
        {
            "type": "string",
            "pattern": r"^/[a-z_]+(\{.*\})?$",
            "description": 'a button\'s payload: `/intent` or `/intent{"entity": "value"}`',
        },
    ],
    "examples": ["what is a perfect fifth?", '/start_quiz{"concept": "concept:perfect_fifth"}'],
}

MESSAGE_REQUEST: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": f"At most {MAX_BODY_BYTES} bytes of JSON.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["sender", "message"],
                    "properties": {
                        "sender": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": MAX_SENDER_CHARS,
                            "pattern": r"\S",
                            "description": "the conversation id (ignored for web learners: their cookie "
                            "names them)",
                        },
                        "message": MESSAGE_TEXT,
                        "metadata": {
                            "type": ["object", "null"],
                            "description": "anything the client wants kept with the turn; the widget "
                            'sends `{"channel": "web"}`',
                        },
                    },
                }
            }
        },
    }
}

MESSAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the tutor's replies, in Rasa's REST format (sent after the turn is stored)",
        "content": {"application/json": {"schema": {"type": "array", "items": BOT_MESSAGE}}},
    },
    400: _error("the body is not valid JSON"),
    **_TURN_REFUSALS,
}

RECORDING_REQUEST: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": f"The recording itself, at most {MAX_RECORDING_BYTES // 2**20} MB; a file of "
        "another type gets a reply saying it could not be read.",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in (
                "audio/ogg",
                "audio/wav",
                "audio/webm",
                "audio/mpeg",
                "audio/mp4",
                "application/octet-stream",
            )
        },
    }
}

RECORDING_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: MESSAGE_RESPONSES[200],
    **_TURN_REFUSALS,
    422: _error("no sender, an empty body, or a field of the wrong type"),
}

PARSE_REQUEST: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {"text": {"type": "string", "description": "the message to parse"}},
                }
            }
        },
    }
}

_SCORED_NAME = {
    "type": "object",
    "required": ["name", "confidence"],
    "properties": {"name": {"type": "string"}, "confidence": {"type": "number"}},
}

PARSE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the parse, in Rasa's format",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["text", "intent", "intent_ranking", "entities"],
                    "properties": {
                        "text": {"type": "string"},
                        "intent": _SCORED_NAME,
                        "intent_ranking": {"type": "array", "items": _SCORED_NAME},
                        "entities": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["entity", "value", "start", "end"],
                                "properties": {
                                    "entity": {"type": "string"},
                                    "value": {"type": "string"},
                                    "start": {"type": "integer"},
                                    "end": {"type": "integer"},
                                    "confidence": {"type": "number"},
                                    "id": {"type": ["string", "null"]},
                                },
                            },
                        },
                    },
                }
            }
        },
    },
    400: _error("the body is not valid JSON"),
    413: _error("the body or the text is over the size limit"),
    422: _error("field 'text' is missing or not a string"),
}

HEALTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the service is ready",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": {"type": "string", "const": "ok"}},
                }
            }
        },
    },
    503: {
        "description": "the service is not ready yet",
        "content": {"application/json": {"schema": {"type": "object", "required": ["status"]}}},
    },
}
