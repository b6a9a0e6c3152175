"""Retraining the recommender from the console and the API: a background job that does what
`etude rec train` does, the running service switching to an activated version without a restart,
activation and rollback, and the versions with their metrics.

The first tests train real tiny versions on the small authored graph and synthetic learners'
stored behaviour (tests/recommender/learners.py); the rest use a trainer that makes a version in a
moment (tests/bot/rec_fakes.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import actions.services
from bot.app import create_app
from bot.jobs import FAILED, SUCCEEDED, JobRunner
from bot.rec_admin import MAX_EPOCHS, RecAdmin, UnknownVersion, platform_source
from bot.service import Tutor
from bot.settings import Settings
from bot.store import BehaviorEvent, ConversationStore
from recommender.registry import rec_versions
from recommender.service import RecommenderService
from tests.bot.accounts import csrf_of, echo, log_in
from tests.bot.admin_helpers import (
    accounts_in,
    assert_admins_only_and_sessions_send_the_csrf_header,
    bearer_tokens,
)
from tests.bot.rec_fakes import FakeRecTrainer, Swaps, fake_rec_admin, write_rec_version
from tests.recommender.learners import TINY, behaviour, build_home

OLDER, NEWER = "20250301-100000", "20250301-110000"


# --- real tiny versions, served by the tutor -------------------------------------------------------


@pytest.fixture
def tutor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[RecAdmin, Tutor]]:
    """The small graph, ten learners' stored behaviour, the actions serving the graph ranking, and an
    admin that trains tiny versions and swaps them into the tutor."""
    graph = build_home(tmp_path)
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        store.add_behavior(behaviour())
        services = actions.services.Services(graph=graph, media_dir=tmp_path / "media",
                                             recommender_service=RecommenderService.load(graph, tmp_path))
        monkeypatch.setattr(actions.services, "_current", services)
        engine = SimpleNamespace(observers=[services.recommender.observe])
        tutor = Tutor(Settings(home=tmp_path), graph, None, store, engine, None)  # type: ignore[arg-type]
        admin = RecAdmin(tmp_path, load=tutor.load_recommender_version, swap=tutor.switch_recommender,
                         platform=platform_source(graph, store, media=False),
                         train_options={k: v for k, v in TINY.items() if k != "epochs"})
        yield admin, tutor
    graph.store.close()


def served() -> RecommenderService:
    return actions.services.services().recommender


def test_a_retraining_learns_from_the_stored_behaviour_and_the_tutor_recommends_with_it_at_once(
    tutor,
) -> None:
    admin, running = tutor
    assert served().source == "graph"

    job = admin.runner.wait(admin.train("ada", epochs=2).id, 300)

    assert job is not None and job.state == SUCCEEDED, job.error
    version = job.result["version"]
    assert job.result["activated"] is True and job.result["serving"] == version
    assert (job.result["epochs"], job.result["works"]) == (2, "all")
    assert served().source == "mkgat" and served().version == version
    assert served() is actions.services.services().recommender_service
    found = served().recommend("learner1", k=3, kind="lesson")
    assert len(found) == 3 and {r.source for r in found} == {"mkgat"}
    # the turns' behaviour now feeds the new version
    [observe] = running.engine.observers
    assert observe.__self__ is served()
    observe("learner1", BehaviorEvent("learner1", "explain_concept", concept="concept:perfect_fifth"))
    assert served().observed["learner1"][-1][0] == "concept:perfect_fifth"
    # progress as it went, and the version with its held-out metrics
    assert any("data set: 10 learners" in line for line in job.log)
    assert any(line.endswith(" training") for line in job.log)
    assert any("now recommends with" in line for line in job.log)
    listed = admin.versions()
    assert listed["active"] == version and listed["previous"] is None
    [row] = listed["versions"]
    assert row["active"] and row["learners"] == 10 and row["epochs"] == 2
    assert row["gate_metric"] in row["metrics"] and row["gate"] == "no active model"


def test_rollback_and_activation_switch_the_served_version_back_and_forth(tutor) -> None:
    admin, _ = tutor
    first = admin.runner.wait(admin.train("ada", epochs=1).id, 300).result["version"]
    second_job = admin.runner.wait(admin.train("ada", epochs=1, works="catalog").id, 300)
    assert second_job.state == SUCCEEDED, second_job.error
    second = second_job.result["version"]
    assert second_job.result["activated"]  # built on other items: the gate cannot compare, it activates
    assert served().version == second and admin.versions()["previous"] == first

    assert admin.rollback("ada") == {"active": first, "replaced": second}
    assert served().version == first
    assert admin.activate(second, "ada")["replaced"] == first
    assert served().version == second and rec_versions(admin.home).active() == second


# --- the admin, with a quick trainer ---------------------------------------------------------------


@pytest.mark.parametrize(("epochs", "works", "why"), [
    (0, "all", "epochs"), (MAX_EPOCHS + 1, "all", "epochs"), ("ten", "all", "epochs"), (2.5, "all", "epochs"),
    (True, "all", "epochs"), ("-3", "all", "epochs"), (3, "some", "works"), (3, None, "works"),
])
def test_bad_options_are_refused_before_any_job_starts(tmp_path, epochs, works, why) -> None:
    admin = fake_rec_admin(tmp_path)
    with pytest.raises(ValueError, match=why):
        admin.train("ada", epochs, works)
    assert admin.runner.jobs() == []


def test_progress_shows_the_epochs_while_the_training_runs(tmp_path) -> None:
    release = threading.Event()
    admin = fake_rec_admin(tmp_path, FakeRecTrainer(release=release))
    job = admin.train("ada", "3", "catalog")
    for _ in range(500):
        if job.stage.startswith("training: epoch 1"):
            break
        threading.Event().wait(0.01)
    assert job.to_json()["stage"] == "training: epoch 1 of at most 3"
    assert job.to_json()["fraction"] == pytest.approx(0.333, abs=1e-3)
    release.set()
    done = admin.runner.wait(job.id, 10)
    assert done.state == SUCCEEDED and admin.trainer.calls[0]["config"] == {"epochs": 3}


def test_a_failed_training_is_reported_and_the_service_keeps_its_version(tmp_path) -> None:
    write_rec_version(tmp_path, OLDER, activate=True)
    swaps = Swaps(OLDER)
    failing = FakeRecTrainer(fail=ValueError("no learner behaviour to learn from yet"))
    admin = fake_rec_admin(tmp_path, failing, swaps)

    job = admin.runner.wait(admin.train("ada").id, 10)

    assert job.state == FAILED and "no learner behaviour" in job.error
    assert swaps.swaps == [] and admin.versions()["active"] == OLDER


def test_a_version_the_service_cannot_load_is_not_left_active(tmp_path) -> None:
    write_rec_version(tmp_path, OLDER, activate=True)
    admin = fake_rec_admin(tmp_path)

    def unloadable(version: str):
        raise OSError("model.pt is corrupt")

    admin.load = unloadable
    job = admin.runner.wait(admin.train("ada", 1).id, 10)

    assert job.state == FAILED and "corrupt" in job.error
    assert admin.versions()["active"] == OLDER and len(admin.versions()["versions"]) == 2


def test_an_admin_activates_any_version_and_rolls_back(tmp_path) -> None:
    write_rec_version(tmp_path, OLDER, ndcg=0.4, activate=True)
    write_rec_version(tmp_path, NEWER, ndcg=0.5, activate=True)
    swaps = Swaps(NEWER)
    admin = fake_rec_admin(tmp_path, swaps=swaps)

    assert admin.activate(OLDER)["replaced"] == NEWER and swaps.serving == OLDER
    assert admin.rollback() == {"active": NEWER, "replaced": OLDER} and swaps.serving == NEWER
    with pytest.raises(ValueError, match="no earlier"):
        admin.rollback()
    for bad in ("nope", f"../{OLDER}", "", ".hidden"):
        with pytest.raises(UnknownVersion):
            admin.activate(bad)
    assert swaps.swaps == [OLDER, NEWER]
    rows = admin.versions()["versions"]
    assert [r["version"] for r in rows] == [NEWER, OLDER] and rows[0]["metrics"] == {
        "ndcg@10": 0.5, "hit@10": 0.8, "recall@10": 0.7}


# --- over HTTP -------------------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    write_rec_version(tmp_path, OLDER, activate=True)
    write_rec_version(tmp_path, NEWER, activate=True)
    with accounts_in(tmp_path) as auth:
        swaps = Swaps(NEWER)
        app = create_app(echo, media_dir=tmp_path / "media", auth=auth,
                         rec_admin=fake_rec_admin(tmp_path, swaps=swaps))
        app.state.tokens, app.state.swaps = bearer_tokens(auth), swaps
        yield app


def test_the_api_retrains_reports_the_job_and_lists_activates_and_rolls_back_versions(app) -> None:
    ada = app.state.tokens["ada"]
    client = TestClient(app)
    started = client.post("/api/recommender/train", headers=ada, json={"epochs": 2, "works": "catalog"})
    assert started.status_code == 202
    job_id = started.json()["job"]["id"]
    assert started.headers["location"] == f"/api/recommender/jobs/{job_id}"
    app.state.rec_admin.runner.wait(job_id, 10)
    job = client.get(f"/api/recommender/jobs/{job_id}", headers=ada).json()
    assert job["state"] == "succeeded" and job["result"]["activated"] and job["result"]["works"] == "catalog"
    new = job["result"]["version"]
    assert app.state.swaps.serving == new

    versions = client.get("/api/recommender/versions", headers=ada).json()
    assert versions["active"] == new and versions["previous"] == NEWER
    assert versions["versions"][0]["metrics"]["ndcg@10"] == 0.6
    assert client.post("/api/recommender/rollback", headers=ada).json() == {"active": NEWER, "replaced": new}
    activated = client.post(f"/api/recommender/activate/{OLDER}", headers=ada)
    assert activated.status_code == 200 and "gate" in activated.json()["note"]
    assert app.state.swaps.serving == OLDER
    assert client.post("/api/recommender/activate/19990101-000000", headers=ada).status_code == 404
    assert client.get("/api/recommender/jobs/unknown", headers=ada).status_code == 404
    started = client.post("/api/recommender/train", headers=ada)  # no body: the defaults
    assert started.status_code == 202 and started.json()["job"]["kind"] == "recommender retraining"
    app.state.rec_admin.runner.wait(started.json()["job"]["id"], 10)


@pytest.mark.parametrize(("body", "kind", "status", "why"), [
    ('{"epochs": 0}', "application/json", 422, "epochs"),
    ('{"epochs": 3, "works": "some"}', "application/json", 422, "works"),
    ('{"epoch": 3}', "application/json", 422, "epoch"),
    ('{"epochs": ', "application/json", 400, "not valid JSON"),
    ("[3]", "application/json", 422, "JSON object"),
    ("epochs=3", "application/x-www-form-urlencoded", 415, "JSON object"),
])
def test_bad_training_options_get_a_4xx_that_says_why(app, body, kind, status, why) -> None:
    answer = TestClient(app).post("/api/recommender/train", content=body,
                                  headers={**app.state.tokens["ada"], "Content-Type": kind})
    assert answer.status_code == status and why in answer.json()["error"]
    assert app.state.rec_admin.runner.jobs() == []


def test_the_optional_training_options_are_described_for_api_clients(app) -> None:
    post = TestClient(app).get("/openapi.json").json()["paths"]["/api/recommender/train"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert post["requestBody"]["required"] is False and set(schema["properties"]) == {"epochs", "works"}


def test_while_another_job_runs_a_retraining_is_refused_naming_that_job(app) -> None:
    release = threading.Event()
    runner: JobRunner = app.state.rec_admin.runner
    other = runner.submit("knowledge graph ingest", lambda job: {"ok": release.wait(5)}, requested_by="root")
    try:
        busy = TestClient(app).post("/api/recommender/train", headers=app.state.tokens["ada"])
        assert busy.status_code == 409 and busy.json()["job"]["id"] == other.id
        assert "knowledge graph ingest" in busy.json()["error"]
    finally:
        release.set()
        runner.wait(other.id, 5)


def test_the_api_is_for_admins_only_and_sessions_must_send_the_csrf_token(app) -> None:
    assert_admins_only_and_sessions_send_the_csrf_header(app, app.state.tokens, "/api/recommender",
                                                         "/console/recommender")


def test_the_console_page_retrains_shows_progress_then_the_new_version_and_switches_versions(app) -> None:
    release = threading.Event()
    app.state.rec_admin.trainer = FakeRecTrainer(release=release)
    client = TestClient(app)
    assert log_in(client, "ada").status_code == 303
    page = client.get("/console/recommender")
    assert page.status_code == 200 and NEWER in page.text and "<strong>active</strong>" in page.text
    assert "ndcg@10 0.5" in page.text and 'http-equiv="refresh"' not in page.text
    csrf = csrf_of(page.text)

    posted = client.post("/console/recommender/train", follow_redirects=False,
                         data={"csrf_token": csrf, "epochs": "2", "works": "all"})
    assert posted.status_code == 303 and posted.headers["location"].startswith("/console/recommender?job=")
    running = client.get(posted.headers["location"])
    assert "Retraining started." in running.text and 'http-equiv="refresh"' in running.text
    assert "<progress" in running.text and "training: epoch 1 of at most 2" in running.text
    busy = client.post("/console/recommender/train", data={"csrf_token": csrf}, follow_redirects=False)
    assert busy.status_code == 409 and "recommender retraining" in busy.text
    release.set()
    app.state.rec_admin.runner.wait(posted.headers["location"].split("=")[1], 10)
    done = client.get(posted.headers["location"])
    assert "succeeded" in done.text and 'http-equiv="refresh"' not in done.text
    assert "ndcg@10 0.6" in done.text

    back = client.post(f"/console/recommender/activate/{OLDER}", data={"csrf_token": csrf},
                       follow_redirects=True)
    assert f"Version {OLDER} is active now" in back.text and app.state.swaps.serving == OLDER
    assert client.post("/console/recommender/rollback", data={"csrf_token": "forged"}).status_code == 403
    rolled = client.post("/console/recommender/rollback", data={"csrf_token": csrf}, follow_redirects=True)
    assert "Rolled back" in rolled.text
    bad = client.post("/console/recommender/train", data={"csrf_token": csrf, "epochs": "500"})
    assert bad.status_code == 422 and "epochs must be" in bad.text
    missing = client.post("/console/recommender/activate/nope", data={"csrf_token": csrf})
    assert missing.status_code == 404 and "no recommender version" in missing.text


# --- one job at a time for the whole service -------------------------------------------------------


def test_the_service_runs_nlu_graph_and_recommender_jobs_on_one_runner(
    tutor_home: Path, tmp_path: Path
) -> None:
    from bot.batching import MicroBatcher
    from bot.service import create_service_app
    from tests.bot.tutor import ScriptedNLU, make_engine

    nlu = ScriptedNLU()
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        settings = Settings(home=tmp_path, telegram_token=None)
        tutor = Tutor(settings, actions.services.services().graph, nlu, store, make_engine(nlu, store),
                      MicroBatcher(nlu.parse_batch))

        state = create_service_app(tutor).state

        assert state.nlu_admin.runner is state.kg_admin.runner is state.rec_admin.runner
        assert state.kg_admin.graph is tutor.graph and state.kg_admin.history_file.parent == tmp_path / "kg"
