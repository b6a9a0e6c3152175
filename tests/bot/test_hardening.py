"""Hardening: security headers per route family, body caps, the per-address login limit, log
redaction and JSON lines, and the NLU metrics of turns."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.auth.gate import Auth
from bot.logs import MASK, JsonFormatter, Redactor, configured_secrets
from bot.security import HSTS
from bot.settings import Settings
from bot.store import ConversationStore
from tests.bot.accounts import PASSWORDS, Clock, add_users, csrf_of, echo, make_auth
from tests.bot.test_app import counter
from tests.bot.tutor import ScriptedNLU, make_engine

LOGIN = "/console/login"
WEBHOOK = "/webhooks/rest/webhook"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(tmp_path: Path, clock: Clock) -> Iterator[Auth]:
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        auth = make_auth(store, clock, login_attempts_per_minute=3)
        add_users(auth, clock)
        yield auth


def app_client(auth: Auth, tmp_path: Path, **options: object) -> TestClient:
    return TestClient(create_app(echo, media_dir=tmp_path / "media", recordings_dir=tmp_path / "rec",
                                 auth=auth, **options))  # type: ignore[arg-type]


@pytest.fixture
def client(auth: Auth, tmp_path: Path) -> Iterator[TestClient]:
    with app_client(auth, tmp_path) as client:
        yield client


# -- headers -------------------------------------------------------------------------------------
def test_every_response_says_nosniff_and_a_referrer_policy(client: TestClient) -> None:
    for response in (client.get("/health"), client.get("/widget.js"), client.get("/metrics"),
                     client.post(WEBHOOK, json={"sender": "ada", "message": "hi"}), client.get("/nowhere")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_console_pages_may_not_be_framed_and_run_no_scripts(client: TestClient) -> None:
    page = client.get(LOGIN)
    csp = page.headers["content-security-policy"]

    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "script-src 'none'" in csp
    assert "unsafe-inline" not in csp and "'sha256-" in csp
    assert client.get("/console/").headers["x-frame-options"] == "DENY"  # the 401 login page too


def test_the_demo_page_allows_the_widget_from_itself_and_the_widget_stays_embeddable(
    client: TestClient,
) -> None:
    demo = client.get("/")
    script = client.get("/widget.js")

    assert "script-src 'self'" in demo.headers["content-security-policy"]
    assert "unsafe-inline" not in demo.headers["content-security-policy"]
    assert "x-frame-options" not in script.headers and "content-security-policy" not in script.headers
    assert "cross-origin-resource-policy" not in script.headers
    assert "content-security-policy" not in client.post(WEBHOOK, json={"sender": "a", "message": "b"}).headers


def test_hsts_only_over_https_or_from_a_trusted_proxy(auth: Auth, tmp_path: Path) -> None:
    forwarded = {"X-Forwarded-Proto": "https"}
    with app_client(auth, tmp_path) as plain:
        assert "strict-transport-security" not in plain.get("/health").headers
        assert "strict-transport-security" not in plain.get("/health", headers=forwarded).headers
    with TestClient(create_app(echo, media_dir=tmp_path / "media", auth=auth),
                    base_url="https://etude.example") as secure:
        assert secure.get("/health").headers["strict-transport-security"] == HSTS
    with app_client(auth, tmp_path, trust_proxy=True) as proxied:
        assert proxied.get("/", headers=forwarded).headers["strict-transport-security"] == HSTS
        plain_http = proxied.get("/", headers={"X-Forwarded-Proto": "http"})
        assert "strict-transport-security" not in plain_http.headers


# -- body caps -----------------------------------------------------------------------------------
def test_bodies_past_the_global_cap_are_refused_with_413_even_when_chunked(
    auth: Auth, tmp_path: Path
) -> None:
    async def parse(text: str) -> dict[str, object]:
        return {"text": text, "intent": {"name": "greet", "confidence": 1.0}}

    with app_client(auth, tmp_path, max_body_bytes=1000, parse=parse) as client:
        declared = client.post("/metrics", content=b"x" * 1001)
        streamed = client.post("/model/parse", content=iter([b'{"text": "' + b"x" * 600, b"x" * 600 + b'"}']))
        within = client.post("/model/parse", content=iter([b'{"text": "', b"x" * 600, b'"}']))
        small = client.post(WEBHOOK, json={"sender": "ada", "message": "hi"})
        recording = client.post("/webhooks/rest/recording?sender=ada", content=iter([b"\0" * 800] * 3))

    assert declared.status_code == 413
    assert declared.json() == {"error": "request body is larger than 1000 bytes"}
    assert streamed.status_code == 413 and streamed.json() == declared.json()  # no Content-Length
    assert within.status_code == 200
    assert small.status_code == 200
    assert recording.status_code == 200  # past the global cap but within the upload's own


def test_the_console_login_form_keeps_its_own_smaller_limit(client: TestClient) -> None:
    client.get(LOGIN)
    response = client.post(LOGIN, content=b"name=" + b"a" * 20_000,
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


# -- login attempts per address ------------------------------------------------------------------
def login(client: TestClient, name: str, password: str) -> object:
    token = csrf_of(client.get(LOGIN).text)
    return client.post(LOGIN, data={"name": name, "password": password, "csrf_token": token},
                       follow_redirects=False)


def test_one_address_gets_few_login_attempts_a_minute_whatever_the_account(
    client: TestClient, auth: Auth, clock: Clock
) -> None:
    for name in ("lea", "ian", "ada"):
        assert login(client, name, "a guess").status_code == 401
    refused = login(client, "lea", PASSWORDS["lea"])

    assert refused.status_code == 429 and refused.headers["retry-after"] == "20"
    assert "Too many login attempts" in refused.text
    assert auth.accounts.user("ian").failed_logins == 1  # type: ignore[union-attr]  # not counted
    clock.advance(seconds=20)
    assert login(client, "lea", PASSWORDS["lea"]).status_code == 303


def test_the_per_address_limit_can_be_turned_off(tmp_path: Path, clock: Clock) -> None:
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        auth = make_auth(store, clock, login_attempts_per_minute=0, max_failures=100)
        add_users(auth, clock)
        with app_client(auth, tmp_path) as client:
            assert all(login(client, "lea", "guess").status_code == 401 for _ in range(12))


# -- logs ----------------------------------------------------------------------------------------
TOKEN = "etude_" + "A1b2C3d4" * 5 + "xyz"
TELEGRAM = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRETS = [TOKEN, TELEGRAM, "cookie-value-123", "hunter2-password", "the-configured-secret-key",
           "dbpass99", "learner-cookie-789"]


def capture(fmt: str, secrets: list[str]) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter("%(message)s"))
    handler.addFilter(Redactor(secrets))
    logger = logging.getLogger(f"tests.hardening.{fmt}")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.DEBUG)
    return logger, stream


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secrets_never_reach_the_log(fmt: str) -> None:
    logger, stream = capture(fmt, ["the-configured-secret-key"])
    cookie = "etude_session=cookie-value-123"
    logger.info("headers %s", {"authorization": f"Bearer {TOKEN}", "cookie": cookie})
    logger.info("Authorization: Basic dXNlcjpodW50ZXIy")
    logger.warning("token %s used", TOKEN)
    logger.info("GET https://api.telegram.org/bot%s/getUpdates", TELEGRAM)
    logger.info("form name=lea&password=hunter2-password&next=/console/")
    logger.info('json {"password": "hunter2-password"}')
    logger.info("key is %s", "the-configured-secret-key")
    logger.info("cookies %r", {"etude_learner": "learner-cookie-789"})
    logger.info("connecting to postgresql://etude:dbpass99@db:5432/etude")
    try:
        raise RuntimeError(f"could not log in with Bearer {TOKEN}")
    except RuntimeError:
        logger.exception("failed")
    logger.info("a plain line", extra={"path": f"/x?token={TOKEN}", "status": 200})

    output = stream.getvalue()
    for secret in [*SECRETS, "dXNlcjpodW50ZXIy"]:
        assert secret not in output
    assert output.count(MASK) >= 11
    assert "postgresql://etude:" in output and "api.telegram.org/bot" in output  # the rest stays readable
    if fmt == "json":
        lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
        assert {"time", "level", "logger", "message"} <= set(lines[0])
        assert lines[-1]["status"] == 200 and lines[-1]["path"].startswith("/x?token=")
        assert any("exception" in line for line in lines)


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "etude.access"]


def test_every_request_leaves_one_access_record_with_its_fields_and_no_query_string(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="etude.access")
    client.post(WEBHOOK, json={"sender": "ada", "message": "hi"})
    client.get(f"/console/?token={TOKEN}")

    chat, console = access_records(caplog)
    assert (chat.method, chat.path, chat.route, chat.status) == ("POST", WEBHOOK, WEBHOOK, 200)
    assert chat.client == "testclient" and chat.duration_ms >= 0
    assert (console.path, console.status) == ("/console/", 401)
    assert TOKEN not in console.getMessage() and "token" not in console.path
    line = json.loads(JsonFormatter().format(chat))
    assert {"method", "path", "route", "status", "client", "duration_ms"} <= set(line)


def test_the_access_log_can_be_turned_off(
    auth: Auth, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="etude.access")
    with app_client(auth, tmp_path, access_log=False) as client:
        assert client.get("/health").status_code == 200
    assert access_records(caplog) == []


def test_a_turn_is_logged_at_debug_with_its_channel_sender_and_duration(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="etude.turns")
    client.post(WEBHOOK, json={"sender": "ada", "message": "hi"})
    (turn,) = [r for r in caplog.records if r.name == "etude.turns"]
    assert (turn.channel, turn.sender, turn.levelno) == ("rest", "ada", logging.DEBUG)
    assert turn.duration_ms >= 0


def test_the_configured_secrets_are_collected_from_the_settings() -> None:
    settings = Settings(secret_key="the-configured-secret-key", telegram_token=TELEGRAM, _env_file=None)
    assert {"the-configured-secret-key", TELEGRAM} <= set(filter(None, configured_secrets(settings)))


# -- metrics -------------------------------------------------------------------------------------
def test_metrics_count_turns_nlu_confidence_fallbacks_and_errors(tutor_home: Path) -> None:
    nlu = ScriptedNLU().says("hello", "greet", confidence=0.9).says("blorp", "nlu_fallback", confidence=0.2)
    app = create_app(make_engine(nlu).handle, media_dir=tutor_home / "media")
    with TestClient(app, raise_server_exceptions=False) as client:
        for text in ("hello", "blorp", "hello"):
            assert client.post(WEBHOOK, json={"sender": "ada", "message": text}).status_code == 200
        client.post(WEBHOOK, content=b"{", headers={"content-type": "application/json"})

        assert counter(client, "etude_turns_total", channel="rest") == 3
        assert counter(client, "etude_nlu_confidence_count", source="turn") == 3
        assert counter(client, "etude_nlu_confidence_sum", source="turn") == pytest.approx(2.0)
        assert counter(client, "etude_nlu_confidence_bucket", source="turn", le="0.2") == 1
        assert counter(client, "etude_nlu_fallbacks_total", source="turn") == 1
        assert counter(client, "etude_http_requests_total", route=WEBHOOK, status="200") == 3
        assert counter(client, "etude_http_requests_total", route=WEBHOOK, status="400") == 1
