"""The authorization matrix: every route of the app, asked by everyone who might ask.

For each route (enumerated from the app itself, so a new route without a row here fails the test)
and each kind of visitor — anonymous, a web learner (the widget's cookie), and a logged-in learner,
instructor and admin — the exact status it answers. Requests are otherwise valid (CSRF tokens
included, bodies well formed), so a status here is the access decision, not a validation error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from starlette.routing import Mount

from actions.services import services
from bot.app import create_app
from bot.auth.gate import Auth
from bot.auth.tokens import new_token
from bot.channels.telegram import SECRET_HEADER, TelegramChannel
from bot.kg_admin import KGAdmin
from bot.learner_data import StoredLearnerData
from bot.privacy import Eraser
from bot.service import load_dialogue
from bot.store import ConversationStore, Turn
from nlu.service import nlu_versions
from tests.bot.accounts import PASSWORDS, Clock, add_users, csrf_of, echo, log_in, make_auth
from tests.bot.kg_fakes import PRICE, CannedExtractor
from tests.bot.nlu_fakes import fake_admin, write_version
from tests.bot.rec_fakes import fake_rec_admin, write_rec_version
from tests.bot.tutor import ScriptedNLU
from tests.kg.test_extract import fixture_graph

VISITORS = ("anonymous", "web learner", "learner", "instructor", "admin")
ACCOUNTS = {"learner": "lea", "instructor": "ian", "admin": "ada"}
TELEGRAM_SECRET = "matrix-secret"


def get(path: str) -> Callable[[TestClient], Response]:
    return lambda client: client.get(path, follow_redirects=False)


def post_json(path: str, body: object, **headers: str) -> Callable[[TestClient], Response]:
    return lambda client: client.post(path, json=body, headers=headers, follow_redirects=False)


def recording(client: TestClient) -> Response:
    return client.post("/webhooks/rest/recording", params={"sender": "matrix-script"}, content=b"not audio",
                       headers={"Content-Type": "audio/ogg"})


def console_form(path: str, **fields: str) -> Callable[[TestClient], Response]:
    """Post a console form with the visitor's own CSRF token, as the page they see would."""

    def post(client: TestClient) -> Response:
        page = client.get("/console/", follow_redirects=False)  # the console, or the login form (401)
        data = {"csrf_token": csrf_of(page.text), **fields}
        return client.post(path, data=data, follow_redirects=False)

    return post


def api_post(path: str) -> Callable[[TestClient], Response]:
    """A JSON API post; a console session sends its CSRF token in a header, as a page's script would."""

    def post(client: TestClient) -> Response:
        page = client.get("/console/", follow_redirects=False)
        headers = {"X-CSRF-Token": csrf_of(page.text)} if page.status_code == 200 else {}
        return client.post(path, headers=headers, follow_redirects=False)

    return post


ERASABLE = "matrix-erasable"  # saved again before each erasure is asked for, so each visitor finds it


def save_turn_of(client: TestClient, sender: str) -> None:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    client.app.state.eraser.store.save_turn(Turn(sender, "rest", "s", "hello", {}, [], [], [], now, now))


def erase_me(client: TestClient) -> Response:
    """Erase one's own data (a turn of one's own saved first); a session sends its CSRF token."""
    mine = client.get("/me/conversation")
    if mine.status_code == 200:
        save_turn_of(client, mine.json()["learner"])
    page = client.get("/console/", follow_redirects=False)
    headers = {"X-CSRF-Token": csrf_of(page.text)} if page.status_code == 200 else {}
    return client.post("/me/delete", json={"confirm": "delete"}, headers=headers, follow_redirects=False)


def erase_on_console(client: TestClient) -> Response:
    save_turn_of(client, ERASABLE)
    return console_form(f"/console/learners/{ERASABLE}/delete", confirm=ERASABLE)(client)


def erase_by_api(client: TestClient) -> Response:
    save_turn_of(client, ERASABLE)
    page = client.get("/console/", follow_redirects=False)
    headers = {"X-CSRF-Token": csrf_of(page.text)} if page.status_code == 200 else {}
    return client.delete(f"/api/learners/{ERASABLE}", headers=headers, follow_redirects=False)


@dataclass(frozen=True)
class Row:
    ask: Callable[[TestClient], Response]
    expect: tuple[int, int, int, int, int]  # in the order of VISITORS


PUBLIC = (200,) * 5
ANY_ACCOUNT_PAGE = (401, 401, 200, 200, 200)
INSTRUCTOR_PAGE = (401, 401, 403, 200, 200)
ADMIN_PAGE = ADMIN_ONLY = (401, 401, 403, 403, 200)
SAVED = "matrix-learner"  # a sender with a saved turn (the app's handler saves none)
OLDER, NEWER = "20250301-100000", "20250301-110000"  # NLU versions: NEWER active, OLDER before it
MATRIX_JOB: list[str] = []  # the id of a finished retraining, set by the app fixture
ADMIN_JOBS: dict[str, str] = {}  # finished jobs of the graph ingest and the recommender, by the fixture
REC_VERSIONS = ("20250302-100000", "20250302-110000", "20250302-120000")  # the last active, two before it


def api_post_json(path: str, body: object) -> Callable[[TestClient], Response]:
    """`api_post` with a JSON body."""

    def post(client: TestClient) -> Response:
        page = client.get("/console/", follow_redirects=False)
        headers = {"X-CSRF-Token": csrf_of(page.text)} if page.status_code == 200 else {}
        return client.post(path, json=body, headers=headers, follow_redirects=False)

    return post


def when_idle(ask: Callable[[TestClient], Response]) -> Callable[[TestClient], Response]:
    """Ask once the graph's and recommender's job runner has finished its jobs (one job at a time)."""

    def asked(client: TestClient) -> Response:
        runner = client.app.state.kg_admin.runner  # type: ignore[attr-defined]
        for job in runner.jobs():
            runner.wait(job.id, 10)
        return ask(client)

    return asked

MATRIX: dict[tuple[str, str], Row] = {
    # the learner-facing service: open to everyone (the widget, scripts, Telegram, monitoring)
    ("GET", "/"): Row(get("/"), PUBLIC),
    ("GET", "/widget.js"): Row(get("/widget.js"), PUBLIC),
    ("GET", "/media/{path}"): Row(get("/media/tone.wav"), PUBLIC),
    ("GET", "/health"): Row(get("/health"), PUBLIC),
    ("GET", "/metrics"): Row(get("/metrics"), PUBLIC),
    ("POST", "/webhooks/rest/webhook"): Row(
        post_json("/webhooks/rest/webhook", {"sender": "matrix-script", "message": "hello"}), PUBLIC
    ),
    ("POST", "/webhooks/rest/recording"): Row(recording, PUBLIC),
    ("POST", "/model/parse"): Row(post_json("/model/parse", {"text": "hello"}), PUBLIC),
    # guarded by Telegram's secret header, not by an account (the body is not an update: nothing runs)
    ("POST", "/webhooks/telegram"): Row(
        post_json("/webhooks/telegram", {}, **{SECRET_HEADER: TELEGRAM_SECRET}), (400,) * 5
    ),
    ("GET", "/openapi.json"): Row(get("/openapi.json"), PUBLIC),
    ("GET", "/docs"): Row(get("/docs"), PUBLIC),
    ("GET", "/docs/oauth2-redirect"): Row(get("/docs/oauth2-redirect"), PUBLIC),
    ("GET", "/redoc"): Row(get("/redoc"), PUBLIC),
    # a learner's own data: a web learner by their cookie, an account by its login
    ("GET", "/me/conversation"): Row(get("/me/conversation"), (401, 200, 200, 200, 200)),
    ("GET", "/me/progress"): Row(get("/me/progress"), (401, 200, 200, 200, 200)),
    ("GET", "/me/export"): Row(get("/me/export"), (401, 200, 200, 200, 200)),
    # the console: logging in is open (logged-in visitors are sent on), the rest needs an account
    ("GET", "/console/login"): Row(get("/console/login"), (200, 200, 303, 303, 303)),
    ("POST", "/console/login"): Row(console_form("/console/login", name="lea", password=PASSWORDS["lea"]),
                                    (303,) * 5),
    ("POST", "/console/logout"): Row(console_form("/console/logout"), (401, 401, 303, 303, 303)),
    ("GET", "/console/"): Row(get("/console/"), ANY_ACCOUNT_PAGE),
    # learners' conversations: instructors and admins only
    ("GET", "/console/conversations"): Row(get("/console/conversations?fallbacks=1"), INSTRUCTOR_PAGE),
    ("GET", "/console/conversations/export.json"): Row(get("/console/conversations/export.json"),
                                                       INSTRUCTOR_PAGE),
    ("GET", "/console/conversations/export.csv"): Row(get("/console/conversations/export.csv"),
                                                      INSTRUCTOR_PAGE),
    ("GET", "/console/conversations/{sender:path}"): Row(get(f"/console/conversations/{SAVED}"),
                                                         INSTRUCTOR_PAGE),
    ("GET", "/console/conversations/{sender:path}/export.json"): Row(
        get(f"/console/conversations/{SAVED}/export.json"), INSTRUCTOR_PAGE
    ),
    ("GET", "/console/conversations/{sender:path}/export.csv"): Row(
        get(f"/console/conversations/{SAVED}/export.csv"), INSTRUCTOR_PAGE
    ),
    # learners' progress: instructors and admins only
    ("GET", "/console/learners"): Row(get("/console/learners?q=matrix"), INSTRUCTOR_PAGE),
    ("GET", "/console/learners/{sender:path}"): Row(get(f"/console/learners/{SAVED}"), INSTRUCTOR_PAGE),
    ("GET", "/console/learners/{sender:path}/export.json"): Row(get(f"/console/learners/{SAVED}/export.json"),
                                                                INSTRUCTOR_PAGE),
    # the review queue and its corrections: instructors and admins only (turn 1 is SAVED's turn)
    ("GET", "/console/review"): Row(get("/console/review?reason=fallback"), INSTRUCTOR_PAGE),
    ("GET", "/console/review/export.yml"): Row(get("/console/review/export.yml"), INSTRUCTOR_PAGE),
    ("GET", "/console/review/{turn_id}"): Row(get("/console/review/1"), INSTRUCTOR_PAGE),
    ("POST", "/console/review/{turn_id}"): Row(console_form("/console/review/1", action="skip"),
                                               (401, 401, 403, 303, 303)),
    # the knowledge graph browser and its JSON twin: instructors and admins only
    ("GET", "/console/graph"): Row(get("/console/graph?q=fifth"), INSTRUCTOR_PAGE),
    ("GET", "/console/graph/node/{node_id:path}"): Row(get("/console/graph/node/concept:perfect_fifth"),
                                                       INSTRUCTOR_PAGE),
    ("GET", "/api/graph/search"): Row(get("/api/graph/search?q=fifth"), INSTRUCTOR_PAGE),
    ("GET", "/api/graph/node/{node_id:path}"): Row(get("/api/graph/node/concept:perfect_fifth"),
                                                   INSTRUCTOR_PAGE),
    # the JSON API for scripts
    ("GET", "/api/whoami"): Row(get("/api/whoami"), ANY_ACCOUNT_PAGE),
    ("GET", "/api/users"): Row(get("/api/users"), (401, 401, 403, 403, 200)),
    # the NLU models: admins only (the app's trainer is a test double; MATRIX_JOB is a finished job)
    ("GET", "/console/nlu"): Row(get("/console/nlu"), ADMIN_PAGE),
    ("POST", "/console/nlu/train"): Row(console_form("/console/nlu/train"), (401, 401, 403, 403, 303)),
    ("POST", "/console/nlu/activate/{version}"): Row(console_form(f"/console/nlu/activate/{OLDER}"),
                                                     (401, 401, 403, 403, 303)),
    ("POST", "/console/nlu/rollback"): Row(console_form("/console/nlu/rollback"), (401, 401, 403, 403, 303)),
    ("POST", "/api/nlu/train"): Row(api_post("/api/nlu/train"), (401, 401, 403, 403, 202)),
    ("GET", "/api/nlu/jobs/{job_id}"): Row(lambda client: client.get(f"/api/nlu/jobs/{MATRIX_JOB[0]}"),
                                           ADMIN_PAGE),
    ("GET", "/api/nlu/versions"): Row(get("/api/nlu/versions"), ADMIN_PAGE),
    ("POST", "/api/nlu/activate/{version}"): Row(api_post(f"/api/nlu/activate/{OLDER}"), ADMIN_ONLY),
    ("POST", "/api/nlu/rollback"): Row(api_post("/api/nlu/rollback"), ADMIN_ONLY),
    # ingesting a text into the knowledge graph: admins only (the extractor reads canned triples)
    ("GET", "/console/kg"): Row(get("/console/kg"), ADMIN_PAGE),
    ("POST", "/console/kg/ingest"): Row(
        when_idle(console_form("/console/kg/ingest", name="m.txt", text=PRICE)), (401, 401, 403, 403, 303)),
    ("POST", "/api/kg/ingest"): Row(when_idle(api_post_json("/api/kg/ingest", {"text": PRICE})),
                                    (401, 401, 403, 403, 202)),
    ("GET", "/api/kg/jobs/{job_id}"): Row(lambda client: client.get(f"/api/kg/jobs/{ADMIN_JOBS['kg']}"),
                                          ADMIN_PAGE),
    ("GET", "/api/kg/ingests"): Row(get("/api/kg/ingests"), ADMIN_PAGE),
    # retraining the recommender: admins only (the trainer is a test double)
    ("GET", "/console/recommender"): Row(get("/console/recommender"), ADMIN_PAGE),
    ("POST", "/console/recommender/train"): Row(
        when_idle(console_form("/console/recommender/train", epochs="1")), (401, 401, 403, 403, 303)),
    ("POST", "/console/recommender/activate/{version}"): Row(
        console_form(f"/console/recommender/activate/{REC_VERSIONS[0]}"), (401, 401, 403, 403, 303)),
    ("POST", "/console/recommender/rollback"): Row(console_form("/console/recommender/rollback"),
                                                   (401, 401, 403, 403, 303)),
    ("POST", "/api/recommender/train"): Row(when_idle(api_post("/api/recommender/train")),
                                            (401, 401, 403, 403, 202)),
    ("GET", "/api/recommender/jobs/{job_id}"): Row(
        lambda client: client.get(f"/api/recommender/jobs/{ADMIN_JOBS['rec']}"), ADMIN_PAGE),
    ("GET", "/api/recommender/versions"): Row(get("/api/recommender/versions"), ADMIN_PAGE),
    ("POST", "/api/recommender/activate/{version}"): Row(
        api_post(f"/api/recommender/activate/{REC_VERSIONS[0]}"), ADMIN_ONLY),
    ("POST", "/api/recommender/rollback"): Row(api_post("/api/recommender/rollback"), ADMIN_ONLY),
    # erasing a learner's data: one's own (the learner, by cookie or login), anyone's (admins)
    ("POST", "/me/delete"): Row(erase_me, (401, 200, 200, 200, 200)),
    ("POST", "/console/learners/{sender:path}/delete"): Row(erase_on_console, (401, 401, 403, 403, 303)),
    ("DELETE", "/api/learners/{sender:path}"): Row(erase_by_api, ADMIN_ONLY),
}


def routes_of(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves; a mount (static files) as GET under its path."""
    try:  # FastAPI keeps included routers whole in app.routes and iterates their routes lazily
        from fastapi.routing import iter_route_contexts

        routes: list[Any] = list(iter_route_contexts(app.routes))
    except ImportError:  # older FastAPI: app.routes is already flat
        routes = list(app.routes)
    found = set()
    for route in routes:
        if route.methods is None:
            assert isinstance(getattr(route, "original_route", route), Mount), route
            found.add(("GET", f"{route.path}/{{path}}"))
        else:
            found.update((method, route.path) for method in route.methods - {"HEAD"})
    return found


@pytest.fixture(scope="module")
def app(tutor_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    home = tmp_path_factory.mktemp("matrix")
    (home / "media").mkdir()
    (home / "media" / "tone.wav").write_bytes(b"RIFF....WAVE")
    clock = Clock()
    with ConversationStore(f"sqlite:///{home / 'etude.db'}") as store:
        auth = make_auth(store, clock)
        add_users(auth, clock)
        store.save_turn(Turn(SAVED, "rest", "s", "hello", {"intent": {"name": "greet", "confidence": 0.9}},
                             [], [], [], clock(), clock()))
        domain, _ = load_dialogue()
        telegram = TelegramChannel(echo, "123456:MATRIX", media_dir=home / "media", secret=TELEGRAM_SECRET)
        for version in (OLDER, NEWER):
            write_version(home, version)
            nlu_versions(home).activate(version)
        nlu_admin = fake_admin(home)
        MATRIX_JOB[:] = [nlu_admin.runner.wait(nlu_admin.train("matrix").id, 10).id]
        for version in REC_VERSIONS:
            write_rec_version(home, version, activate=True)
        rec_admin = fake_rec_admin(home)
        kg_admin = KGAdmin(fixture_graph(), extractor=CannedExtractor, runner=rec_admin.runner)
        ADMIN_JOBS["kg"] = kg_admin.runner.wait(kg_admin.ingest("m.txt", PRICE, by="matrix").id, 10).id
        ADMIN_JOBS["rec"] = rec_admin.runner.wait(rec_admin.train("matrix", 1).id, 10).id
        yield create_app(echo, media_dir=home / "media", recordings_dir=home / "recordings",
                         parse=ScriptedNLU(), routers=[telegram.router()], auth=auth,
                         learner_data=StoredLearnerData(store, domain, services().graph), nlu_admin=nlu_admin,
                         graph=services().graph, eraser=Eraser(store, home / "recordings"),
                         kg_admin=kg_admin, rec_admin=rec_admin)


def visitor(app: FastAPI, who: str) -> TestClient:
    """A fresh browser for one visitor: anonymous, holding a learner cookie, or logged in."""
    client = TestClient(app)
    if who == "web learner":
        widget = {"message": "hi", "metadata": {"channel": "web"}}
        assert client.post("/webhooks/rest/webhook", json=widget).is_success
    elif who in ACCOUNTS:
        assert log_in(client, ACCOUNTS[who]).status_code == 303
    return client


def test_every_route_of_the_app_has_a_row_in_the_matrix(app: FastAPI) -> None:
    routes = routes_of(app)

    assert routes - set(MATRIX) == set(), "routes without an access rule: add them to MATRIX"
    assert set(MATRIX) - routes == set(), "rules for routes the app no longer has"


def test_every_operation_behind_an_account_documents_its_refusals(app: FastAPI) -> None:
    operations = app.openapi()["paths"]
    guarded = {(path, method): spec for path, methods in operations.items()
               for method, spec in methods.items() if path.startswith(("/api/", "/me/"))}
    assert len(guarded) >= 20
    for (path, method), spec in guarded.items():
        if path == "/api/whoami" or (method == "get" and path.startswith("/me/")):
            continue  # reads of one's own account or data: the 401 alone is the refusal
        documented = set(spec["responses"])
        assert {"401", "403"} <= documented, (method, path, documented)
        if path != "/api/users":  # listing the accounts: nothing else to refuse
            specific = {"404", "409", "422", "503"} & documented
            assert specific, (method, path, documented)


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda route: f"{route[0]} {route[1]}")
def test_each_visitor_gets_exactly_what_they_should(app: FastAPI, route: tuple[str, str]) -> None:
    row = MATRIX[route]
    got = {who: row.ask(visitor(app, who)) for who in VISITORS}

    statuses = {who: response.status_code for who, response in got.items()}
    assert statuses == dict(zip(VISITORS, row.expect, strict=True))
    for response in got.values():
        if response.status_code in (401, 403):  # refusals say why: pages as HTML, the rest as JSON
            if route[1].startswith("/console"):
                assert response.headers["content-type"].startswith("text/html")
            else:
                assert response.json()["error"]


@pytest.mark.parametrize("role", ["learner", "instructor", "admin"])
def test_an_api_token_gets_what_its_accounts_session_gets_except_the_session_forms(
    app: FastAPI, role: str
) -> None:
    auth: Auth = app.state.auth
    assert auth.accounts is not None
    fresh = new_token()
    auth.accounts.add_token(ACCOUNTS[role], fresh, "matrix", auth.clock())
    script = TestClient(app, headers={"Authorization": f"Bearer {fresh.token}"})
    column = VISITORS.index(role)

    for (method, path), row in MATRIX.items():
        if method == "GET" and path != "/console/login":
            assert row.ask(script).status_code == row.expect[column], (method, path)
    assert script.post("/console/logout", data={"csrf_token": "any"}).status_code == 401  # no session to end


def test_the_service_as_served_has_no_route_outside_the_matrix(
    tutor_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.batching import MicroBatcher
    from bot.service import Tutor, create_service_app
    from bot.settings import Settings
    from tests.bot.tutor import make_engine

    nlu = ScriptedNLU()
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        settings = Settings(home=tmp_path, telegram_token=None)
        engine = make_engine(nlu, store)
        tutor = Tutor(settings, services().graph, nlu, store, engine, MicroBatcher(nlu.parse_batch))

        served = create_service_app(tutor)

        assert routes_of(served) <= set(MATRIX)
        assert {("GET", "/console/"), ("GET", "/me/export"), ("GET", "/api/users")} <= routes_of(served)
        assert (tmp_path / "secret_key").exists()  # the service signs with its kept key
