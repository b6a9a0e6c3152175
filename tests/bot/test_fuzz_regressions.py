"""What the API fuzzer (bench/fuzz_api.sh, schemathesis over /openapi.json) found, kept fixed.

- A falsy `metadata` that is not an object (`false`, `0`, `""`, `[]`) was taken for "no metadata"
  and the turn was run; the documented contract is an object (or null), so these are now a 422
  like any other mistyped field.
- The routes that read their body by hand documented neither their request body nor their replies,
  so a fuzzer driven by /openapi.json could only send them empty requests. They are described now
  (`bot.api_docs`), and the replies the service really sends match those descriptions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.store import ConversationStore
from tests.bot.tutor import ScriptedNLU, make_engine

WEBHOOK = "/webhooks/rest/webhook"
RECORDING = "/webhooks/rest/recording"
PARSE = "/model/parse"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        yield store


@pytest.fixture
def client(nlu: ScriptedNLU, store: ConversationStore, tutor_home: Path) -> Iterator[TestClient]:
    nlu.says("hello", "greet")
    app = create_app(
        make_engine(nlu, store).handle,
        media_dir=tutor_home / "media",
        recordings_dir=tutor_home / "recordings",
        parse=nlu,
        health=lambda: {"status": "ok", "nlu": "scripted"},
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def openapi(client: TestClient) -> dict[str, Any]:
    return client.get("/openapi.json").json()


# -- metadata that is falsy but not an object -----------------------------------------------------
@pytest.mark.parametrize(
    "metadata", [False, 0, 0.0, "", []], ids=["false", "zero", "zero float", "empty", "list"]
)
def test_falsy_metadata_that_is_not_an_object_is_refused(
    client: TestClient, store: ConversationStore, metadata: Any
) -> None:
    response = client.post(WEBHOOK, json={"sender": "ada", "message": "hello", "metadata": metadata})

    assert response.status_code == 422
    assert response.json() == {"error": "field 'metadata' must be an object"}
    assert store.count_turns() == 0


@pytest.mark.parametrize("body", [{}, {"metadata": None}, {"metadata": {}}], ids=["absent", "null", "empty"])
def test_absent_null_or_empty_metadata_is_still_no_metadata(
    client: TestClient, store: ConversationStore, body: dict[str, Any]
) -> None:
    response = client.post(WEBHOOK, json={"sender": "ada", "message": "hello", **body})

    assert response.status_code == 200
    assert store.count_turns("ada") == 1


# -- the OpenAPI descriptions the fuzzer works from ----------------------------------------------
def conforms(value: Any, schema: dict[str, Any]) -> bool:
    """`value` against the JSON Schema subset bot.api_docs uses (type, const, required, properties,
    items, anyOf)."""
    if "anyOf" in schema and not any(conforms(value, option) for option in schema["anyOf"]):
        return False
    if "const" in schema and value != schema["const"]:
        return False
    kinds = schema.get("type")
    if kinds is not None:
        python = {
            "object": dict,
            "array": list,
            "string": str,
            "integer": int,
            "number": (int, float),
            "boolean": bool,
            "null": type(None),
        }
        allowed = tuple(python[k] for k in ([kinds] if isinstance(kinds, str) else kinds))
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            return False
    if isinstance(value, dict):
        if any(name not in value for name in schema.get("required", [])):
            return False
        properties = schema.get("properties", {})
        if not all(conforms(v, properties[k]) for k, v in value.items() if k in properties):
            return False
    if isinstance(value, list) and "items" in schema:
        return all(conforms(item, schema["items"]) for item in value)
    return True


def documented(openapi: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    """The JSON schema /openapi.json gives for a reply (fails the test when the status is undocumented)."""
    responses = openapi["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} does not document {status}"
    return responses[str(status)]["content"]["application/json"]["schema"]


def test_the_hand_read_bodies_are_described(openapi: dict[str, Any]) -> None:
    message = openapi["paths"][WEBHOOK]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(message["required"]) == {"sender", "message"}
    assert set(message["properties"]) == {"sender", "message", "metadata"}
    parse = openapi["paths"][PARSE]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert parse["required"] == ["text"]
    recording = openapi["paths"][RECORDING]["post"]["requestBody"]["content"]
    assert "audio/ogg" in recording and recording["audio/ogg"]["schema"]["format"] == "binary"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"sender": "ada", "message": "hello"}, 200),
        ({"sender": "ada", "message": '/start_quiz{"concept": "concept:perfect_fifth"}'}, 200),
        (b'{"sender": ', 400),
        ({"sender": "web:someone", "message": "hello"}, 403),
        ({"sender": "ada", "message": "x" * 5000}, 413),
        ({"sender": "ada"}, 422),
    ],
    ids=["text", "payload", "malformed", "reserved sender", "too large", "no message"],
)
def test_the_webhooks_replies_match_what_it_documents(
    client: TestClient, openapi: dict[str, Any], body: Any, status: int
) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.post(WEBHOOK, content=content, headers={"content-type": "application/json"})

    assert response.status_code == status
    assert conforms(response.json(), documented(openapi, WEBHOOK, "post", status)), response.text


@pytest.mark.parametrize(
    ("body", "status"),
    [({"text": "hello"}, 200), (b"{", 400), ({"text": "a" * 5000}, 413), ({"text": None}, 422)],
    ids=["text", "malformed", "too long", "null text"],
)
def test_the_parse_replies_match_what_it_documents(
    client: TestClient, openapi: dict[str, Any], body: Any, status: int
) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.post(PARSE, content=content, headers={"content-type": "application/json"})

    assert response.status_code == status
    assert conforms(response.json(), documented(openapi, PARSE, "post", status)), response.text


def test_the_recording_and_health_replies_match_what_they_document(
    client: TestClient, openapi: dict[str, Any]
) -> None:
    not_audio = client.post(
        RECORDING,
        params={"sender": "cy"},
        content=b"\x00\x01 not sound",
        headers={"Content-Type": "application/octet-stream"},
    )
    no_sender = client.post(RECORDING, content=b"RIFF", headers={"Content-Type": "audio/wav"})
    health = client.get("/health")

    assert not_audio.status_code == 200
    assert conforms(not_audio.json(), documented(openapi, RECORDING, "post", 200))
    assert no_sender.status_code == 422
    assert conforms(no_sender.json(), documented(openapi, RECORDING, "post", 422))
    assert conforms(health.json(), documented(openapi, "/health", "get", 200))


def test_the_schema_check_itself_tells_a_bad_reply_apart(openapi: dict[str, Any]) -> None:
    reply = documented(openapi, WEBHOOK, "post", 200)

    assert conforms(
        [{"recipient_id": "ada", "text": "hi", "buttons": [{"title": "t", "payload": "/p"}]}], reply
    )
    assert not conforms([{"text": "hi"}], reply)  # no recipient
    assert not conforms([{"recipient_id": "ada", "buttons": [{"title": "t"}]}], reply)  # no payload
    assert not conforms({"recipient_id": "ada"}, reply)  # not a list
