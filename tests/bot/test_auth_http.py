"""Logging in to the console, sessions, CSRF and API tokens, over HTTP as browsers and scripts use them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.auth.gate import Auth
from bot.auth.sessions import SESSION_COOKIE
from bot.auth.signing import Signer
from bot.auth.tokens import new_token
from bot.store import ConversationStore
from tests.bot.accounts import PASSWORDS, SECRET, Clock, add_users, csrf_of, echo, log_in, make_auth

LOGIN, HOME, LOGOUT, WHOAMI = "/console/login", "/console/", "/console/logout", "/api/whoami"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(tmp_path: Path, clock: Clock) -> Iterator[Auth]:
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        auth = make_auth(store, clock)
        add_users(auth, clock)
        yield auth


@pytest.fixture
def client(auth: Auth, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(echo, media_dir=tmp_path / "media", auth=auth)) as client:
        yield client


def session_cookie(client: TestClient) -> str | None:
    return client.cookies.get(SESSION_COOKIE)


def logged_in_as(client: TestClient) -> str | None:
    response = client.get(WHOAMI)
    return response.json()["name"] if response.status_code == 200 else None


# -- the login page ----------------------------------------------------------------------------------


def test_the_login_page_is_an_accessible_form_with_a_csrf_token_in_an_http_only_cookie(
    client: TestClient,
) -> None:
    page = client.get(LOGIN)

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "<h1>Log in</h1>" in page.text
    assert '<label for="name">Name</label>' in page.text and 'id="name"' in page.text
    assert '<label for="password">Password</label>' in page.text and 'type="password"' in page.text
    assert csrf_of(page.text)
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here; see the https test


def test_logging_in_opens_a_new_session_and_lands_on_the_console_naming_the_role(client: TestClient) -> None:
    client.get(LOGIN)
    before = session_cookie(client)

    response = log_in(client, "ian")

    assert response.status_code == 303 and response.headers["location"] == HOME
    assert session_cookie(client) not in (None, before)  # a session fixed before login is worthless
    home = client.get(HOME)
    assert home.status_code == 200
    assert "You are logged in as <strong>ian</strong> with the role <strong>instructor</strong>" in home.text
    assert logged_in_as(client) == "ian"
    assert client.get(LOGIN, follow_redirects=False).headers["location"] == HOME


@pytest.mark.parametrize(
    ("name", "pages"),
    [
        ("lea", []),
        ("ian", ["conversations", "review", "learners", "graph"]),
        ("ada", ["conversations", "review", "learners", "graph", "nlu", "kg", "recommender"]),
    ],
)
def test_the_console_home_links_exactly_the_pages_the_role_may_open(
    client: TestClient, name: str, pages: list[str]
) -> None:
    log_in(client, name)
    home = client.get(HOME).text
    main = home[home.index("<main>"):]
    linked = re.findall(r'<li><a href="/console/([a-z]+)">', main)
    assert linked == pages


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(client: TestClient, auth: Auth) -> None:
    wrong = log_in(client, "ian", "not ian's password")
    unknown = log_in(client, "nobody", "not anyone's password")

    assert wrong.status_code == unknown.status_code == 401
    assert auth.authenticator is not None
    message = auth.authenticator.failure_message
    assert message in wrong.text and message in unknown.text
    assert wrong.text.replace("ian", "NAME") == unknown.text.replace("nobody", "NAME").replace(
        csrf_of(unknown.text), csrf_of(wrong.text)
    )
    assert 'value="ian"' in wrong.text and 'aria-invalid="true"' in wrong.text
    assert logged_in_as(client) is None


def test_a_login_form_without_the_sessions_csrf_token_is_refused_before_the_password_is_checked(
    client: TestClient, auth: Auth
) -> None:
    client.get(LOGIN)
    for token in (None, "", "forged-token"):
        fields = {"name": "lea", "password": "a guess at lea's password"}
        if token is not None:
            fields["csrf_token"] = token
        response = client.post(LOGIN, data=fields, follow_redirects=False)

        assert response.status_code == 403 and "This form has expired" in response.text
    lea = auth.accounts.user("lea")  # type: ignore[union-attr]
    assert lea is not None and lea.failed_logins == 0  # refused forms count for nothing

    stranger = TestClient(client.app)  # another browser, with its own session, posting our token
    forged = {"csrf_token": csrf_of(client.get(LOGIN).text), "name": "lea", "password": PASSWORDS["lea"]}
    assert stranger.post(LOGIN, data=forged, follow_redirects=False).status_code == 403


def test_an_empty_name_or_password_is_asked_for_again(client: TestClient) -> None:
    page = client.get(LOGIN)
    response = client.post(LOGIN, data={"csrf_token": csrf_of(page.text), "name": " ", "password": ""})

    assert response.status_code == 422 and "Enter your name and password." in response.text


def test_markup_in_a_submitted_name_comes_back_escaped(client: TestClient) -> None:
    response = log_in(client, '"><script>alert(1)</script>', "whatever it is")

    assert response.status_code == 401
    assert "<script>alert(1)</script>" not in response.text
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


@pytest.mark.parametrize(
    ("wanted", "landing"),
    [("/console/", "/console/"), ("/console/learners?page=2", "/console/learners?page=2"),
     ("https://evil.example/console/", "/console/"), ("//evil.example/console/", "/console/"),
     ("/console//evil.example", "/console/"), ("/console/\\evil", "/console/"), ("/docs", "/console/")],
)
def test_after_logging_in_the_browser_goes_only_to_a_console_page(
    client: TestClient, wanted: str, landing: str
) -> None:
    assert log_in(client, "ada", next=wanted).headers["location"] == landing


def test_a_console_page_asks_anonymous_visitors_to_log_in_and_returns_there_after(client: TestClient) -> None:
    page = client.get(HOME + "?tab=1")

    assert page.status_code == 401
    assert "Log in to see this page." in page.text and 'name="next" value="/console/?tab=1"' in page.text
    fields = {"csrf_token": csrf_of(page.text), "name": "lea", "password": PASSWORDS["lea"],
              "next": "/console/?tab=1"}
    assert client.post(LOGIN, data=fields, follow_redirects=False).headers["location"] == "/console/?tab=1"


def test_the_login_form_takes_only_small_url_encoded_bodies(client: TestClient) -> None:
    client.get(LOGIN)
    multipart = client.post(LOGIN, files={"name": ("name.txt", b"lea")})
    huge = client.post(LOGIN, content=b"name=" + b"x" * 20_000,
                       headers={"content-type": "application/x-www-form-urlencoded"})

    assert multipart.status_code == 415 and "application/x-www-form-urlencoded" in multipart.text
    assert huge.status_code == 413


# -- sessions ----------------------------------------------------------------------------------------


def test_logging_out_needs_the_forms_csrf_token_and_ends_the_session(client: TestClient) -> None:
    log_in(client, "lea")
    home = client.get(HOME)

    refused = client.post(LOGOUT, data={"csrf_token": "forged-token"}, follow_redirects=False)
    assert refused.status_code == 403 and logged_in_as(client) == "lea"

    response = client.post(LOGOUT, data={"csrf_token": csrf_of(home.text)}, follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"] == LOGIN
    cleared = response.headers["set-cookie"]
    assert cleared.startswith(f'{SESSION_COOKIE}="";') and "Max-Age=0" in cleared
    assert logged_in_as(client) is None and client.get(HOME).status_code == 401


def test_logging_out_without_a_session_is_401(client: TestClient) -> None:
    assert client.post(LOGOUT, data={"csrf_token": "x"}).status_code == 401


def test_a_session_cookie_that_was_tampered_with_or_signed_elsewhere_logs_nobody_in(
    client: TestClient, auth: Auth, clock: Clock
) -> None:
    log_in(client, "lea")
    genuine = session_cookie(client)
    assert genuine is not None
    ada = auth.accounts.user("ada")  # type: ignore[union-attr]
    assert ada is not None
    as_ada = {"c": "x", "u": ada.id, "p": auth.sessions.password_tag(ada)}
    body, mac = genuine.split(".")

    def signed(secret: bytes, purpose: str, value: object) -> str:
        return Signer(secret, purpose, lambda: clock().timestamp()).sign(value)

    forgeries = {
        "signature changed": f"{body}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}",
        "someone else's key": signed(b"not the service's secret, 32 bytes+", "session", as_ada),
        "a learner cookie": signed(SECRET, "web-learner", as_ada),
        "no password tag": signed(SECRET, "session", {"c": "x", "u": ada.id}),
    }
    for name, forged in forgeries.items():
        client.cookies.clear()
        client.cookies.set(SESSION_COOKIE, forged)
        assert logged_in_as(client) is None, name
        assert client.get(HOME).status_code == 401, name


def test_a_session_ends_when_it_expires(client: TestClient, clock: Clock) -> None:
    log_in(client, "lea")
    clock.advance(hours=11, minutes=59)
    assert logged_in_as(client) == "lea"

    clock.advance(minutes=2)

    assert logged_in_as(client) is None and client.get(HOME).status_code == 401


def test_a_new_password_ends_the_accounts_sessions(client: TestClient, auth: Auth) -> None:
    log_in(client, "lea")

    auth.accounts.set_password("lea", auth.passwords.hash("a brand new passphrase"))  # type: ignore[union-attr]

    assert logged_in_as(client) is None


def test_the_lockout_holds_over_http_and_ends_with_time(client: TestClient, clock: Clock) -> None:
    for _ in range(5):
        assert log_in(client, "lea", "a wrong guess, again").status_code == 401

    assert log_in(client, "lea").status_code == 401
    clock.advance(minutes=15)
    assert log_in(client, "lea").status_code == 303


def test_over_https_the_cookies_are_secure(auth: Auth, tmp_path: Path) -> None:
    client = TestClient(create_app(echo, media_dir=tmp_path / "media", auth=auth), base_url="https://etude.test")

    response = log_in(client, "lea")

    assert "Secure" in response.headers["set-cookie"] and "HttpOnly" in response.headers["set-cookie"]
    assert logged_in_as(client) == "lea"


def test_a_session_does_not_count_in_requests_from_another_site(client: TestClient) -> None:
    log_in(client, "ada")

    response = client.get(WHOAMI, headers={"Origin": "https://evil.example"})

    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


# -- API tokens --------------------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_script_is_its_account_with_a_valid_token_until_the_token_is_revoked(
    client: TestClient, auth: Auth, clock: Clock
) -> None:
    fresh = new_token()
    assert auth.accounts is not None
    auth.accounts.add_token("ian", fresh, "grading script", clock())

    response = client.get(WHOAMI, headers=bearer(fresh.token))

    assert response.status_code == 200
    assert response.json() | {"created_at": None} == {"name": "ian", "role": "instructor", "via": "token",
                                                       "created_at": None, "locked_until": None}
    assert auth.accounts.tokens("ian")[0].last_used_at == clock()
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")

    auth.accounts.revoke_token(fresh.prefix, clock())

    refused = client.get(WHOAMI, headers=bearer(fresh.token))
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    assert refused.json() == {"error": "the API token is not valid (unknown, malformed or revoked)"}


@pytest.mark.parametrize(
    ("header", "error"),
    [("Bearer " + new_token().token, "the API token is not valid (unknown, malformed or revoked)"),
     ("Bearer not-a-token", "the API token is not valid (unknown, malformed or revoked)"),
     ("Bearer ", "the Authorization header must be 'Bearer <token>'"),
     ("Basic YWRhOnNlY3JldA==", "the Authorization header must be 'Bearer <token>'")],
    ids=["unknown", "garbage", "empty", "basic"],
)
def test_a_bad_token_is_refused_even_alongside_a_valid_session(
    client: TestClient, header: str, error: str
) -> None:
    log_in(client, "ada")

    response = client.get(WHOAMI, headers={"Authorization": header})

    assert response.status_code == 401 and response.json() == {"error": error}


def test_a_token_is_recorded_as_used_at_most_once_a_minute(
    client: TestClient, auth: Auth, clock: Clock
) -> None:
    fresh = new_token()
    assert auth.accounts is not None
    auth.accounts.add_token("lea", fresh, None, clock())
    client.get(WHOAMI, headers=bearer(fresh.token))
    first = clock()

    clock.advance(seconds=30)
    client.get(WHOAMI, headers=bearer(fresh.token))
    assert auth.accounts.tokens("lea")[0].last_used_at == first
    clock.advance(seconds=30)
    client.get(WHOAMI, headers=bearer(fresh.token))
    assert auth.accounts.tokens("lea")[0].last_used_at == clock()
