"""The service's HTTP surface over the real tutor: REST channel, parse API, health, metrics, docs, widget.

Requests go through Starlette's TestClient to `bot.app.create_app` mounted on the real dialogue
engine (the project's domain, rules, stories and rasa_sdk actions over the authored graph) with a
scripted NLU and a real conversation store on SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.app import create_app
from bot.channels.rest import MAX_BODY_BYTES
from bot.engine import Engine
from bot.ratelimit import RateLimiter
from bot.store import ConversationStore, StoreError, Turn
from tests.bot.tutor import ScriptedNLU, make_engine

WEBHOOK = "/webhooks/rest/webhook"
RECORDING = "/webhooks/rest/recording"
OGG = {"Content-Type": "audio/ogg"}
QUESTION = "what is a perfect fifth?"
QUIZ_PAYLOAD = '/start_quiz{"concept": "concept:perfect_fifth"}'


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FlakyStore:
    """A real store whose `save_turn` can be told to fail the next n times, as a database outage would."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store
        self.failures = 0

    def save_turn(self, turn: Turn) -> int:
        if self.failures:
            self.failures -= 1
            raise StoreError("could not save a turn: database is locked")
        return self.store.save_turn(turn)

    def events(self, sender_id: str) -> list[dict[str, Any]]:
        return self.store.events(sender_id)


@pytest.fixture
def nlu(nlu: ScriptedNLU) -> ScriptedNLU:
    return nlu.says(QUESTION, "explain_concept", ("concept", "perfect fifth")).says("hello", "greet")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        yield store


@pytest.fixture
def flaky(store: ConversationStore) -> FlakyStore:
    return FlakyStore(store)


@pytest.fixture
def engine(nlu: ScriptedNLU, flaky: FlakyStore) -> Engine:
    return make_engine(nlu, flaky)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(engine: Engine, nlu: ScriptedNLU, tutor_home: Path, clock: Clock) -> Iterator[TestClient]:
    app = create_app(
        engine.handle,
        media_dir=tutor_home / "media",
        recordings_dir=tutor_home / "recordings",
        parse=nlu,
        health=lambda: {"status": "ok", "nlu": "scripted"},
        rate_limit=RateLimiter(rate=0.5, burst=3, clock=clock),
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def send(client: TestClient, text: str, sender: str = "ada", **fields: Any) -> Any:
    return client.post(WEBHOOK, json={"sender": sender, "message": text, **fields})


def counter(client: TestClient, sample: str, **labels: str) -> float:
    """The value of one sample on `/metrics` (0 when it is not there yet)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.text):
        for found in family.samples:
            if found.name == sample and all(found.labels.get(k) == v for k, v in labels.items()):
                return found.value
    return 0.0


# -- the REST channel ----------------------------------------------------------------------------
def test_a_question_gets_the_factual_answer_in_rasas_reply_format(client: TestClient) -> None:
    response = send(client, QUESTION)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    (reply,) = response.json()
    assert set(reply) <= {"recipient_id", "text", "buttons", "image", "attachment", "custom"}
    assert reply["recipient_id"] == "ada"
    assert reply["text"].startswith("**Perfect fifth**")
    assert "seven semitones" in reply["text"]
    assert {"title": "Quiz me on this", "payload": QUIZ_PAYLOAD} in reply["buttons"]
    assert all(set(button) == {"title", "payload"} for button in reply["buttons"])
    attachment = reply["attachment"]
    assert attachment["type"] == "audio"
    assert attachment["payload"]["title"] == "perfect fifth"
    src = attachment["payload"]["src"]
    assert src.startswith("/media/") and src.endswith(".wav")

    audio = client.get(src)

    assert audio.status_code == 200
    assert audio.headers["content-type"] in ("audio/x-wav", "audio/wav", "audio/wave")
    assert len(audio.content) > 1000
    assert audio.content[:4] == b"RIFF" and audio.content[8:12] == b"WAVE"


def test_a_button_payload_continues_the_conversation(client: TestClient) -> None:
    send(client, QUESTION)

    replies = send(client, QUIZ_PAYLOAD).json()

    texts = [r["text"] for r in replies]
    assert texts[0].startswith("Quiz time: 5 questions on perfect fifth.")
    assert texts[-1].startswith("Question 1/5:")


def test_each_turn_is_stored_before_its_reply_is_sent(client: TestClient, store: ConversationStore) -> None:
    for count, text in enumerate(["hello", QUESTION, QUIZ_PAYLOAD], start=1):
        response = send(client, text)

        assert response.status_code == 200
        assert store.count_turns("ada") == count
        assert store.turns("ada")[-1].replies == response.json()
    assert [t.text for t in store.turns("ada")] == ["hello", QUESTION, QUIZ_PAYLOAD]
    assert {t.channel for t in store.turns("ada")} == {"rest"}


def test_the_widget_metadata_marks_turns_as_coming_from_the_web(
    client: TestClient, store: ConversationStore
) -> None:
    response = send(client, "hello", sender="web-1", metadata={"channel": "web"})

    assert response.status_code == 200
    (sender,) = store.senders()
    assert sender.startswith("web:")  # the server names web learners (by their cookie), not the body
    assert response.json()[0]["recipient_id"] == sender
    (turn,) = store.turns(sender)
    assert turn.channel == "web"


def test_a_body_over_the_size_limit_is_refused_with_413(client: TestClient, store: ConversationStore) -> None:
    padding = "x" * (MAX_BODY_BYTES - len('{"sender": "ada", "message": ""}') + 1)
    body = json.dumps({"sender": "ada", "message": padding}).encode()
    assert len(body) == MAX_BODY_BYTES + 1

    response = client.post(WEBHOOK, content=body, headers={"content-type": "application/json"})

    assert response.status_code == 413
    assert response.json() == {"error": f"request body is larger than {MAX_BODY_BYTES} bytes"}
    assert store.count_turns() == 0


def test_the_size_limit_holds_for_a_chunked_body_without_content_length(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"sender": "ada", "message": "'
        for _ in range(10):
            yield b"y" * 1000
        yield b'"}'

    response = client.post(WEBHOOK, content=chunks(), headers={"content-type": "application/json"})

    assert response.status_code == 413


def test_a_body_at_the_size_limit_is_accepted(client: TestClient) -> None:
    padding = "x" * (MAX_BODY_BYTES - len('{"sender": "ada", "message": ""}'))
    body = json.dumps({"sender": "ada", "message": padding}).encode()
    assert len(body) == MAX_BODY_BYTES

    response = client.post(WEBHOOK, content=body, headers={"content-type": "application/json"})

    assert response.status_code == 200


def test_malformed_json_is_refused_with_400(client: TestClient) -> None:
    response = client.post(
        WEBHOOK, content=b'{"sender": "ada", "message": ', headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["error"].startswith("body is not valid JSON")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"message": "hi"}, "field 'sender' is required"),
        ({"sender": "", "message": "hi"}, "field 'sender' must be a non-empty string"),
        ({"sender": 7, "message": "hi"}, "field 'sender' must be a non-empty string"),
        ({"sender": "s" * 129, "message": "hi"}, "field 'sender' is longer than 128 characters"),
        ({"sender": "ada"}, "field 'message' is required"),
        ({"sender": "ada", "message": 42}, "field 'message' must be a string"),
        ({"sender": "ada", "message": ["hi"]}, "field 'message' must be a string"),
        ({"sender": "ada", "message": "hi", "metadata": [1]}, "field 'metadata' must be an object"),
        ({"sender": "ada", "message": "hi", "metadata": "web"}, "field 'metadata' must be an object"),
        (["ada", "hi"], "body must be a JSON object"),
    ],
    ids=[
        "no sender",
        "empty sender",
        "numeric sender",
        "long sender",
        "no message",
        "numeric message",
        "list message",
        "list metadata",
        "string metadata",
        "list body",
    ],
)
def test_missing_or_mistyped_fields_are_refused_with_422_naming_the_field(
    client: TestClient, store: ConversationStore, body: Any, error: str
) -> None:
    response = client.post(WEBHOOK, json=body)

    assert response.status_code == 422
    assert response.json() == {"error": error}
    assert store.count_turns() == 0


NASTY_BODIES = {
    "empty": b"",
    "null": b"null",
    "empty list": b"[]",
    "empty object": b"{}",
    "a string": b'"hello"',
    "NUL byte": b"\x00",
    "invalid UTF-8": b"\xff\xfe{}",
    "deeply nested": b"[" * 5000 + b"]" * 5000,
    "deeply nested metadata": b'{"sender": "ada", "message": "hi", "metadata": '
    + b'{"a": ' * 400
    + b"1"
    + b"}" * 400
    + b"}",
    "NaN": b'{"sender": "ada", "message": "hi", "metadata": {"x": NaN}}',
    "Infinity": b'{"sender": "ada", "message": "hi", "metadata": {"x": -Infinity}}',
    "float overflow": b'{"sender": "ada", "message": "hi", "metadata": {"x": 1e999}}',
    "lone surrogate message": b'{"sender": "ada", "message": "\\ud800"}',
    "lone surrogate sender": b'{"sender": "\\udfff", "message": "hi"}',
    "lone surrogate metadata key": b'{"sender": "ada", "message": "hi", "metadata": {"\\ud800": 1}}',
    "NUL in message": json.dumps({"sender": "ada", "message": "a\u0000b"}).encode(),
    "NUL in sender": json.dumps({"sender": "a\u0000", "message": "hi"}).encode(),
    "NUL in metadata": json.dumps({"sender": "ada", "message": "hi", "metadata": {"k": ["\u0000"]}}).encode(),
    "emoji": json.dumps({"sender": "🎻", "message": "🎹🎺🥁" * 100}, ensure_ascii=False).encode(),
    "huge unicode": json.dumps({"sender": "ada", "message": "é" * 2000}, ensure_ascii=False).encode(),
    "astral escapes": json.dumps({"sender": "ada", "message": "𝄞" * 150}).encode(),
    "markup": json.dumps({"sender": "<b>", "message": "<script>alert(1)</script>"}).encode(),
    "empty message": json.dumps({"sender": "ada", "message": ""}).encode(),
    "whitespace message": json.dumps({"sender": "ada", "message": " \n\t "}).encode(),
    "intent literal with object entity": json.dumps(
        {"sender": "ada", "message": '/explain_concept{"concept": {"id": 1}}'}
    ).encode(),
    "intent literal with broken entities": json.dumps(
        {"sender": "ada", "message": '/explain_concept{"concept": '}
    ).encode(),
    "unknown intent literal": json.dumps({"sender": "ada", "message": "/drop_tables"}).encode(),
    "null metadata": b'{"sender": "ada", "message": "hi", "metadata": null}',
    "duplicate keys": b'{"sender": "ada", "sender": 5, "message": "hi"}',
    "huge integer": b'{"sender": "ada", "message": "hi", "metadata": {"n": ' + b"9" * 4000 + b"}}",
}


@pytest.mark.parametrize("body", NASTY_BODIES.values(), ids=NASTY_BODIES.keys())
def test_no_request_body_makes_the_service_fail(client: TestClient, body: bytes) -> None:
    response = client.post(WEBHOOK, content=body, headers={"content-type": "application/json"})

    assert response.status_code < 500, response.text
    data = response.json()
    if response.status_code == 200:
        assert all(reply["recipient_id"] for reply in data)
        assert not any("something went wrong" in reply.get("text", "") for reply in data)
    else:
        assert response.status_code in (400, 413, 422)
        assert data["error"]
    assert send(client, QUESTION, sender="after").status_code == 200


# -- rate limiting -------------------------------------------------------------------------------
def test_a_sender_over_the_rate_limit_gets_429_with_retry_after_and_others_are_unaffected(
    client: TestClient, store: ConversationStore, nlu: ScriptedNLU, clock: Clock
) -> None:
    for _ in range(3):  # the burst
        assert send(client, "hello").status_code == 200

    refused = send(client, "one too many")

    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "2"  # one message per two seconds
    assert refused.json() == {"error": "too many messages from ada; retry in 2 s"}
    assert "one too many" not in nlu.calls
    assert store.count_turns("ada") == 3
    assert send(client, "hello", sender="grace").status_code == 200

    clock.now += 2

    assert send(client, "one too many").status_code == 200
    assert send(client, "and another").status_code == 429


# -- storage failures ----------------------------------------------------------------------------
def test_a_turn_the_store_refuses_gets_503_and_is_not_remembered(
    client: TestClient, store: ConversationStore, flaky: FlakyStore, engine: Engine
) -> None:
    assert send(client, QUESTION).status_code == 200
    flaky.failures = 1

    failed = send(client, QUIZ_PAYLOAD)

    assert failed.status_code == 503
    assert failed.headers["retry-after"] == "1"
    error = failed.json()["error"]
    assert error.startswith("the message could not be stored, please resend it")
    assert "database is locked" in error
    assert counter(client, "etude_errors_total", kind="not_stored") == 1
    assert store.count_turns("ada") == 1

    resent = send(client, QUIZ_PAYLOAD)

    assert resent.status_code == 200
    assert resent.json()[-1]["text"].startswith("Question 1/5:")  # the lost turn never started a quiz
    assert [t.text for t in store.turns("ada")] == [QUESTION, QUIZ_PAYLOAD]
    assert engine.trackers["ada"].events == store.events("ada")
    assert engine.trackers["ada"].slots["concept"] == "concept:perfect_fifth"


# -- the parse API -------------------------------------------------------------------------------
# -- recordings ----------------------------------------------------------------------------------
def test_a_recording_is_kept_and_judged_against_the_practice_target(
    client: TestClient, store: ConversationStore, tutor_home: Path
) -> None:
    from tests.bot.takes import SCALE, played

    audio = played(SCALE, 60)
    response = client.post(RECORDING, params={"channel": "web"}, content=audio, headers=OGG)  # as the widget

    assert response.status_code == 200
    replies = response.json()
    assert "compare it with the C major scale" in replies[0]["text"]  # no target was set first
    assert [n["verdict"] for n in replies[-1]["custom"]["practice"]["notes"]] == ["ok"] * 8
    [sender] = store.senders()
    assert sender.startswith("web:")
    [turn] = store.turns(sender)
    assert (turn.text, turn.channel) == ("/practice_feedback", "web")
    kept = list((tutor_home / "recordings").glob("*.ogg"))
    assert audio in [path.read_bytes() for path in kept]


def test_an_empty_recording_is_refused_with_422(client: TestClient, store: ConversationStore) -> None:
    response = client.post(RECORDING, params={"sender": "bo"}, content=b"", headers=OGG)

    assert response.status_code == 422 and "empty" in response.json()["error"]
    assert store.turns("bo") == []


def test_a_recording_over_the_size_limit_is_refused_with_413(client: TestClient) -> None:
    from bot.recordings import MAX_RECORDING_BYTES

    big = b"\0" * (MAX_RECORDING_BYTES + 1)
    response = client.post(RECORDING, params={"sender": "bo"}, content=big, headers=OGG)

    assert response.status_code == 413


def test_a_recording_needs_a_sender(client: TestClient) -> None:
    assert client.post(RECORDING, content=b"RIFF").status_code == 422
    assert "sender" in client.post(RECORDING, params={"sender": " "}, content=b"RIFF").json()["error"]


def test_a_file_that_is_not_audio_gets_a_clear_reply_not_an_error(client: TestClient) -> None:
    response = client.post(RECORDING, params={"sender": "cy"}, content=b"just some text, not sound",
                           headers={"Content-Type": "text/plain"})

    assert response.status_code == 200
    assert "audio" in response.json()[-1]["text"].lower()


def test_model_parse_returns_rasas_parse_format(client: TestClient) -> None:
    response = client.post("/model/parse", json={"text": QUESTION})

    assert response.status_code == 200
    parse = response.json()
    assert parse["text"] == QUESTION
    assert parse["intent"] == {"name": "explain_concept", "confidence": 0.95}
    assert parse["intent_ranking"][0] == parse["intent"]
    (entity,) = parse["entities"]
    assert entity["entity"] == "concept" and entity["value"] == "perfect fifth"
    assert QUESTION[entity["start"] : entity["end"]] == "perfect fifth"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b'{"text": ', 400, "body is not valid JSON"),
        (b"[]", 422, "body must be a JSON object"),
        (b"{}", 422, "field 'text' is required and must be a string"),
        (b'{"text": 3}', 422, "field 'text' is required and must be a string"),
        (json.dumps({"text": "a" * 4097}).encode(), 413, "field 'text' is longer than 4096 characters"),
        (json.dumps({"text": "a" * 20000}).encode(), 413, "request body is larger than"),
    ],
    ids=["malformed", "list", "no text", "numeric text", "long text", "huge body"],
)
def test_model_parse_validates_its_body(
    client: TestClient, nlu: ScriptedNLU, body: bytes, status: int, error: str
) -> None:
    response = client.post("/model/parse", content=body, headers={"content-type": "application/json"})

    assert response.status_code == status
    assert response.json()["error"].startswith(error)
    assert nlu.calls == []


def test_model_parse_is_absent_without_a_parser(engine: Engine, tutor_home: Path) -> None:
    client = TestClient(create_app(engine.handle, media_dir=tutor_home / "media"))

    assert client.post("/model/parse", json={"text": "hi"}).status_code == 404


# -- health, metrics, docs ----------------------------------------------------------------------
def test_health_is_ok_with_what_the_service_reports(client: TestClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "nlu": "scripted"}


def test_health_is_503_until_the_service_is_ready(engine: Engine, tutor_home: Path) -> None:
    app = create_app(engine.handle, media_dir=tutor_home / "media", health=lambda: {"status": "loading"})

    response = TestClient(app).get("/health")

    assert response.status_code == 503
    assert response.json() == {"status": "loading"}


def test_metrics_are_prometheus_text_and_count_turns(client: TestClient) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert {"etude_turns", "etude_http_requests", "etude_turn_seconds", "etude_nlu_confidence"} <= names
    assert counter(client, "etude_turns_total", channel="rest") == 0

    send(client, "hello")
    assert counter(client, "etude_turns_total", channel="rest") == 1
    send(client, QUESTION)
    assert counter(client, "etude_turns_total", channel="rest") == 2
    assert counter(client, "etude_turn_seconds_count") == 2
    client.post(WEBHOOK, content=b"{", headers={"content-type": "application/json"})
    assert counter(client, "etude_turns_total", channel="rest") == 2
    assert counter(client, "etude_http_requests_total", route=WEBHOOK, status="200") == 2
    assert counter(client, "etude_http_requests_total", route=WEBHOOK, status="400") == 1
    assert counter(client, "etude_nlu_confidence_count", source="turn") == 2  # each turn's parse
    client.post("/model/parse", json={"text": QUESTION})
    assert counter(client, "etude_nlu_confidence_count", source="parse") == 1
    assert counter(client, "etude_nlu_confidence_count", source="turn") == 2


def test_openapi_lists_the_public_routes(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()

    assert schema["info"]["title"] == "Etude"
    assert {WEBHOOK, RECORDING, "/model/parse", "/health"} <= set(schema["paths"])
    assert "post" in schema["paths"][WEBHOOK] and "post" in schema["paths"]["/model/parse"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


# -- the widget ----------------------------------------------------------------------------------
def test_the_demo_page_embeds_the_widget_script(client: TestClient) -> None:
    page = client.get("/")
    script = client.get("/widget.js")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script src="/widget.js"></script>' in page.text
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("application/javascript")
    assert WEBHOOK in script.text


def test_another_origin_may_call_the_rest_channel(client: TestClient) -> None:
    origin = "https://teacher.example"
    preflight = client.options(
        WEBHOOK,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", origin)
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    response = client.post(WEBHOOK, json={"sender": "ada", "message": "hello"}, headers={"Origin": origin})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", origin)
