"""Learners' identities and their own data: the web learner's cookie, sender ids the REST channel may
not claim, which pages may use the cookie (CORS), and `/me/…`, over the real tutor and store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from actions.services import services
from bot.app import create_app
from bot.auth.gate import Auth
from bot.auth.learners import LEARNER_COOKIE
from bot.auth.signing import Signer
from bot.auth.tokens import new_token
from bot.learner_data import StoredLearnerData
from bot.store import ConversationStore
from tests.bot.accounts import SECRET, Clock, add_users, log_in, make_auth
from tests.bot.tutor import ScriptedNLU, make_engine

WEBHOOK, RECORDING = "/webhooks/rest/webhook", "/webhooks/rest/recording"
LISTED = "https://teacher.example"
WEB = {"channel": "web"}


@pytest.fixture
def nlu(nlu: ScriptedNLU) -> ScriptedNLU:
    nlu.says("hello", "greet").says("what is a triad?", "explain_concept", ("concept", "triad"))
    return nlu.says("too easy", "too_easy")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        yield store


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(store: ConversationStore, clock: Clock) -> Auth:
    auth = make_auth(store, clock, allowed_origins=(LISTED,))
    add_users(auth, clock)
    return auth


@pytest.fixture
def app(store: ConversationStore, nlu: ScriptedNLU, auth: Auth, tutor_home: Path) -> FastAPI:
    engine = make_engine(nlu, store)
    data = StoredLearnerData(store, engine.domain, services().graph)
    return create_app(engine.handle, media_dir=tutor_home / "media", recordings_dir=tutor_home / "recordings",
                      parse=nlu, auth=auth, learner_data=data)


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    """A browser on the demo page: it keeps cookies, like the widget's fetches with credentials."""
    with TestClient(app) as client:
        yield client


def chat(client: TestClient, text: str, **body: object) -> object:
    return client.post(WEBHOOK, json={"message": text, "metadata": WEB, **body})


# -- the web learner's cookie ------------------------------------------------------------------------


def test_a_first_web_message_gets_a_signed_http_only_learner_cookie_and_a_sender_id_from_it(
    browser: TestClient, store: ConversationStore
) -> None:
    response = chat(browser, "hello", sender="whoever-i-claim-to-be")

    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{LEARNER_COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/" in cookie and f"Max-Age={365 * 24 * 3600}" in cookie
    sender = response.json()[0]["recipient_id"]
    assert sender.startswith("web:") and len(sender) > 20
    assert store.senders() == [sender]  # the claimed sender is ignored
    assert store.turns(sender)[0].channel == "web"


def test_the_cookie_keeps_the_learner_across_messages_and_is_renewed(browser: TestClient) -> None:
    first = chat(browser, "hello").json()[0]["recipient_id"]

    again = chat(browser, "what is a triad?")

    assert {r["recipient_id"] for r in again.json()} == {first}
    assert again.headers["set-cookie"].startswith(f"{LEARNER_COOKIE}=")


@pytest.mark.parametrize("forgery", ["tampered", "other key", "session cookie", "garbage"])
def test_a_forged_learner_cookie_is_replaced_by_a_new_learner(
    browser: TestClient, auth: Auth, clock: Clock, forgery: str
) -> None:
    victim = chat(TestClient(browser.app), "hello").json()[0]["recipient_id"]
    victim_id = victim.removeprefix("web:")
    def signed(secret: bytes, purpose: str) -> str:
        return Signer(secret, purpose, lambda: clock().timestamp()).sign(victim_id)

    genuine = signed(SECRET, "web-learner")
    value = {
        "tampered": genuine[:-1] + ("A" if genuine[-1] != "A" else "B"),
        "other key": signed(b"somebody else's secret, 32 bytes long", "web-learner"),
        "session cookie": signed(SECRET, "session"),
        "garbage": "not-a-cookie",
    }[forgery]
    browser.cookies.set(LEARNER_COOKIE, value)

    response = chat(browser, "hello")

    sender = response.json()[0]["recipient_id"]
    assert sender.startswith("web:") and sender != victim
    assert response.headers["set-cookie"].startswith(f"{LEARNER_COOKIE}=")


def test_a_request_carrying_the_learner_cookie_is_a_web_request_whatever_its_body_says(
    browser: TestClient, store: ConversationStore
) -> None:
    learner = chat(browser, "hello").json()[0]["recipient_id"]

    response = browser.post(WEBHOOK, json={"sender": "bob", "message": "hello"})

    assert response.json()[0]["recipient_id"] == learner
    assert store.turns("bob") == []


def test_a_logged_in_account_chats_as_itself_on_the_web(
    browser: TestClient, store: ConversationStore
) -> None:
    log_in(browser, "lea")

    response = chat(browser, "hello")

    assert response.json()[0]["recipient_id"] == "user:lea"
    assert LEARNER_COOKIE not in response.headers.get("set-cookie", "")
    assert [t.channel for t in store.turns("user:lea")] == ["web"]


# -- what the REST channel may claim -----------------------------------------------------------------


def test_the_rest_channel_still_lets_scripts_name_their_sender(
    app: FastAPI, store: ConversationStore
) -> None:
    script = TestClient(app)

    response = script.post(WEBHOOK, json={"sender": "grading-bot-7", "message": "hello"})

    assert response.status_code == 200 and response.json()[0]["recipient_id"] == "grading-bot-7"
    assert "set-cookie" not in response.headers
    assert [t.channel for t in store.turns("grading-bot-7")] == ["rest"]


@pytest.mark.parametrize("claimed", ["web:{victim}", "WEB:{victim}", "tg:42", "user:lea", " user:ada"])
def test_the_rest_channel_cannot_claim_a_sender_id_the_server_establishes(
    app: FastAPI, browser: TestClient, store: ConversationStore, claimed: str
) -> None:
    victim = chat(browser, "hello").json()[0]["recipient_id"].removeprefix("web:")
    before = store.count_turns()

    body = {"sender": claimed.format(victim=victim), "message": "hello"}
    response = TestClient(app).post(WEBHOOK, json=body)

    assert response.status_code == 403
    assert response.json()["error"].startswith("sender ids starting with")
    assert store.count_turns() == before


def test_recordings_follow_the_same_rules(
    app: FastAPI, browser: TestClient, store: ConversationStore
) -> None:
    learner = chat(browser, "hello").json()[0]["recipient_id"]
    script = TestClient(app)

    from_widget = browser.post(RECORDING, params={"channel": "web"}, content=b"not audio",
                               headers={"Content-Type": "audio/ogg"})
    impersonating = script.post(RECORDING, params={"sender": learner}, content=b"not audio",
                                headers={"Content-Type": "audio/ogg"})
    anonymous = script.post(RECORDING, content=b"not audio", headers={"Content-Type": "audio/ogg"})

    assert from_widget.status_code == 200 and from_widget.json()[0]["recipient_id"] == learner
    assert impersonating.status_code == 403
    assert anonymous.status_code == 422
    assert "query parameter 'sender' is required" in anonymous.json()["error"]
    assert [t.text for t in store.turns(learner)] == ["hello", "/practice_feedback"]


# -- which pages may use the cookie (CORS) -----------------------------------------------------------


def preflight(client: TestClient, origin: str) -> object:
    return client.options(WEBHOOK, headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                            "Access-Control-Request-Headers": "content-type"})


def test_a_listed_site_may_embed_the_widget_with_credentials(app: FastAPI) -> None:
    embedded = TestClient(app, base_url="https://etude.example")

    allowed = preflight(embedded, LISTED)
    response = embedded.post(WEBHOOK, json={"message": "hello", "metadata": WEB}, headers={"Origin": LISTED})

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == LISTED
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "Origin" in allowed.headers["vary"]
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == LISTED
    cookie = response.headers["set-cookie"]  # a third-party cookie: it must say so to be kept
    assert "SameSite=none" in cookie and "Secure" in cookie and "Partitioned" in cookie


def test_other_sites_may_call_the_public_api_but_get_no_cookies(
    app: FastAPI, store: ConversationStore
) -> None:
    stranger = TestClient(app)
    elsewhere = {"Origin": "https://evil.example"}

    assert preflight(stranger, "https://evil.example").headers["access-control-allow-origin"] == "*"
    script = stranger.post(WEBHOOK, json={"sender": "ada", "message": "hello"}, headers=elsewhere)
    widget = stranger.post(WEBHOOK, json={"message": "hello", "metadata": WEB}, headers=elsewhere)

    assert script.status_code == 200 and script.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in script.headers
    assert widget.status_code == 403 and "ETUDE_CORS_ORIGINS" in widget.json()["error"]
    assert "set-cookie" not in widget.headers
    assert store.senders() == ["ada"]


def test_the_services_own_pages_need_no_cors_at_all(browser: TestClient) -> None:
    response = browser.post(WEBHOOK, json={"message": "hello", "metadata": WEB},
                            headers={"Origin": "http://testserver"})

    assert response.status_code == 200 and "access-control-allow-origin" not in response.headers
    assert response.headers["set-cookie"].startswith(f"{LEARNER_COOKIE}=")


# -- /me: one's own data, never anyone else's --------------------------------------------------------


@pytest.mark.parametrize("route", ["/me/conversation", "/me/progress", "/me/export"])
def test_without_a_learner_cookie_or_a_login_there_is_no_me(app: FastAPI, route: str) -> None:
    response = TestClient(app).get(route)

    assert response.status_code == 401
    assert response.json()["error"].startswith("no learner here")


def test_a_web_learner_reads_only_their_own_conversation(app: FastAPI, browser: TestClient) -> None:
    other = TestClient(app)
    chat(other, "what is a triad?")
    TestClient(app).post(WEBHOOK, json={"sender": "rest-user", "message": "hello"})
    learner = chat(browser, "hello").json()[0]["recipient_id"]

    mine = browser.get("/me/conversation", params={"sender": "rest-user", "learner": "rest-user"})

    assert mine.status_code == 200 and mine.headers["cache-control"] == "no-store"
    data = mine.json()
    assert data["learner"] == learner
    [turn] = data["turns"]
    assert (turn["seq"], turn["text"], turn["channel"]) == (1, "hello", "web")
    assert turn["replies"][0]["recipient_id"] == learner and turn["at"].endswith("+00:00")
    theirs = other.get("/me/conversation").json()
    assert [t["text"] for t in theirs["turns"]] == ["what is a triad?"]


def test_a_web_learner_reads_their_progress_and_exports_everything(
    app: FastAPI, browser: TestClient
) -> None:
    chat(browser, "what is a triad?")
    chat(browser, "too easy")
    chat(TestClient(app), "hello")  # somebody else, with no progress

    progress = browser.get("/me/progress").json()
    export = browser.get("/me/export")

    groups = ("mastered", "due", "in_progress")
    concepts = {row["concept"]: row for group in groups for row in progress[group]}
    assert concepts["concept:triad"]["name"] == "triad" and concepts["concept:triad"]["p"] > 0.15
    assert progress["learner"].startswith("web:") and "level" in progress
    assert export.status_code == 200
    assert export.headers["content-disposition"].startswith('attachment; filename="etude-export-')
    document = export.json()
    assert document["learner"] == progress["learner"]
    assert [t["text"] for t in document["conversation"]] == ["what is a triad?", "too easy"]
    assert document["progress"] == {key: value for key, value in progress.items() if key != "learner"}
    assert document["exported_at"]


def test_an_account_reads_its_own_data_by_session_or_token_and_not_the_browsers_web_learner(
    app: FastAPI, browser: TestClient, auth: Auth, clock: Clock
) -> None:
    chat(browser, "hello")  # as a web learner first
    log_in(browser, "lea")
    chat(browser, "what is a triad?")  # now as lea

    by_session = browser.get("/me/conversation").json()
    fresh = new_token()
    auth.accounts.add_token("lea", fresh, None, clock())  # type: ignore[union-attr]
    script = TestClient(app, headers={"Authorization": f"Bearer {fresh.token}"})
    by_token = script.get("/me/conversation").json()

    assert by_session["learner"] == by_token["learner"] == "user:lea"
    assert [t["text"] for t in by_session["turns"]] == ["what is a triad?"]
    assert by_token == by_session


def test_a_learner_cookie_from_another_site_reads_nothing(app: FastAPI, browser: TestClient) -> None:
    chat(browser, "hello")

    response = browser.get("/me/conversation", headers={"Origin": "https://evil.example"})

    assert response.status_code == 401


def test_an_expired_learner_cookie_is_a_new_learner(browser: TestClient, clock: Clock) -> None:
    first = chat(browser, "hello").json()[0]["recipient_id"]
    clock.advance(days=366)

    assert browser.get("/me/conversation").status_code == 401
    assert chat(browser, "hello").json()[0]["recipient_id"] != first


def test_a_listed_site_gets_the_learner_cookie_but_never_a_console_session(browser: TestClient) -> None:
    chat(browser, "hello")
    learner = browser.get("/me/conversation").json()["learner"]
    log_in(browser, "ada")
    from_listed = {"Origin": LISTED}

    assert browser.get("/api/whoami").json()["name"] == "ada"
    assert browser.get("/api/whoami", headers=from_listed).status_code == 401
    assert browser.get("/me/conversation", headers=from_listed).json()["learner"] == learner
