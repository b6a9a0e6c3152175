"""Retraining the NLU from the console and the API: the job runner, the training data with the
reviewed corrections, the gate, activation, rollback and the service switching models live.

The trainer is a test double here (tests/nlu/test_retrain_service.py trains a real tiny model)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.batching import MicroBatcher
from bot.jobs import FAILED, RUNNING, SUCCEEDED, Busy, JobRunner
from bot.nlu_admin import merge_training_data
from bot.service import Tutor
from nlu.service import nlu_versions
from tests.bot.accounts import csrf_of, echo, log_in
from tests.bot.admin_helpers import (
    accounts_in,
    assert_admins_only_and_sessions_send_the_csrf_header,
    bearer_tokens,
    logged_in_without_parts,
)
from tests.bot.nlu_fakes import FakeTrainer, Served, VersionNLU, fake_admin, write_version

CORRECTION = {"turn_id": 1, "text": "blorp the snorf", "intent": "ask_example",
              "entities": [{"start": 10, "end": 15, "entity": "work", "value": "snorf"}]}


# --- the job runner --------------------------------------------------------------------------------


def test_a_job_is_queued_runs_with_progress_and_keeps_its_result() -> None:
    runner, release = JobRunner(), threading.Event()

    def work(job):
        job.progress("training: epoch 1/2", 1, 4)
        assert release.wait(5)
        return {"version": "v2"}

    job = runner.submit("NLU retraining", work, requested_by="ada")
    for _ in range(200):
        if job.stage.startswith("training"):
            break
        threading.Event().wait(0.01)
    snapshot = job.to_json()
    assert snapshot["state"] == RUNNING and snapshot["fraction"] == 0.25
    assert snapshot["stage"] == "training: epoch 1/2"
    with pytest.raises(Busy) as busy:
        runner.submit("NLU retraining", work)
    assert busy.value.job is job
    release.set()
    done = runner.wait(job.id, 5)

    assert done is not None and done.state == SUCCEEDED and done.result == {"version": "v2"}
    assert done.fraction == 1.0 and done.finished_at is not None
    assert any("queued by ada" in line for line in done.log) and any("training" in line for line in done.log)


def test_a_failing_job_is_shown_as_failed_and_the_runner_goes_on() -> None:
    runner = JobRunner()

    def broken(job):
        raise RuntimeError("the disk is full")

    failed = runner.wait(runner.submit("NLU retraining", broken).id, 5)
    assert failed is not None and failed.state == FAILED
    assert failed.error == "RuntimeError: the disk is full"
    assert any("the disk is full" in line for line in failed.log)
    after = runner.wait(runner.submit("NLU retraining", lambda job: {"ok": True}).id, 5)
    assert after is not None and after.state == SUCCEEDED


def test_the_runner_remembers_only_the_last_jobs() -> None:
    runner = JobRunner(keep=2)
    ids = [runner.wait(runner.submit("x", lambda job: {}).id, 5).id for _ in range(3)]
    assert [job.id for job in runner.jobs()] == [ids[2], ids[1]] and runner.get(ids[0]) is None


# --- training data ---------------------------------------------------------------------------------


def test_the_training_data_adds_the_corrections_and_a_correction_replaces_the_same_text(tmp_path) -> None:
    base = tmp_path / "base.yml"
    base.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n'
                    "    - hello\n    - Blorp  the snorf\n- intent: goodbye\n  examples: |\n    - bye\n",
                    encoding="utf-8")
    from nlu.data import load_nlu

    path, info = merge_training_data(base, [CORRECTION], tmp_path / "out")

    examples = {(e.text, e.intent, tuple((x.entity, x.value) for x in e.entities))
                for e in load_nlu(path).examples}
    assert examples == {("hello", "greet", ()), ("bye", "goodbye", ()),
                        ("blorp the snorf", "ask_example", (("work", "snorf"),))}
    assert info == {"base": str(base), "base_examples": 3, "corrections": 1, "replaced": 1, "examples": 3}


# --- the admin: retraining, gate, activation, rollback -------------------------------------------


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """Two versions, the newer active and the older in its history."""
    first = write_version(tmp_path, "20250301-100000", accuracy=0.8)
    second = write_version(tmp_path, "20250301-110000", accuracy=0.9)
    nlu_versions(tmp_path).activate(first)
    nlu_versions(tmp_path).activate(second)
    return tmp_path


def test_a_retraining_uses_the_corrections_and_serves_the_new_model_when_it_passes_the_gate(home) -> None:
    served, trainer = Served(VersionNLU("20250301-110000")), FakeTrainer(better=True)
    admin = fake_admin(home, served, trainer, corrections=[CORRECTION])

    job = admin.runner.wait(admin.train("ada").id, 10)

    assert job is not None and job.state == SUCCEEDED, job.error
    new = job.result["version"]
    assert job.result["activated"] is True and job.result["serving"] == new
    assert served.nlu.version == new and served.swaps == [new]
    assert trainer.calls[0]["force"] is False  # the gate decides
    texts = {e.text: e.intent for e in trainer.data[0].examples}
    assert texts["blorp the snorf"] == "ask_example" and len(texts) > 100  # data/nlu.yml plus the correction
    listed = admin.versions()
    assert listed["active"] == new and listed["previous"] == "20250301-110000"
    assert listed["versions"][0]["training_data"]["corrections"] == 1
    assert [row["active"] for row in listed["versions"]] == [True, False, False]


def test_a_worse_model_is_not_activated_and_the_service_keeps_its_model(home) -> None:
    served = Served(VersionNLU("20250301-110000"))
    admin = fake_admin(home, served, FakeTrainer(better=False))

    job = admin.runner.wait(admin.train("ada").id, 10)

    assert job is not None and job.state == SUCCEEDED
    assert job.result["activated"] is False and job.result["serving"] is None
    assert "<" in job.result["reason"]
    assert served.swaps == [] and admin.versions()["active"] == "20250301-110000"
    assert len(admin.versions()["versions"]) == 3


def test_a_failed_training_is_reported_and_changes_nothing(home) -> None:
    served = Served(VersionNLU("20250301-110000"))
    admin = fake_admin(home, served, FakeTrainer(fail=MemoryError("out of memory")))

    job = admin.runner.wait(admin.train().id, 10)

    assert job is not None and job.state == FAILED and "out of memory" in job.error
    assert served.swaps == [] and admin.versions()["active"] == "20250301-110000"


def test_a_model_the_service_cannot_load_is_not_left_active(home) -> None:
    served = Served(VersionNLU("20250301-110000"))
    admin = fake_admin(home, served, FakeTrainer(better=True))

    def unloadable(version: str):
        raise OSError("weights are corrupt")

    admin.load = unloadable
    job = admin.runner.wait(admin.train().id, 10)

    assert job is not None and job.state == FAILED and "corrupt" in job.error
    assert admin.versions()["active"] == "20250301-110000" and served.swaps == []


def test_an_admin_activates_any_version_and_rolls_back(home) -> None:
    served = Served(VersionNLU("20250301-110000"))
    admin = fake_admin(home, served)

    assert admin.activate("20250301-100000")["replaced"] == "20250301-110000"
    assert served.nlu.version == "20250301-100000"
    assert admin.rollback() == {"active": "20250301-110000", "replaced": "20250301-100000"}
    assert served.swaps == ["20250301-100000", "20250301-110000"]
    with pytest.raises(ValueError, match="no earlier"):
        admin.rollback()
    for bad in ("nope", "../20250301-100000", ""):
        with pytest.raises(LookupError):
            admin.activate(bad)


# --- the hot switch --------------------------------------------------------------------------------


def test_switching_the_nlu_changes_parses_at_once_and_drops_the_old_models_cache() -> None:
    old, new = VersionNLU("old"), VersionNLU("new")
    tutor = Tutor(None, None, old, None, None, MicroBatcher(old.parse_batch))  # type: ignore[arg-type]

    async def scenario() -> list[str]:
        first = await tutor.batcher("hi")
        cached = await tutor.batcher("hi")
        tutor.switch_nlu(new)
        after = await tutor.batcher("hi")
        await tutor.batcher.close()
        return [first["intent"]["name"], cached["intent"]["name"], after["intent"]["name"]]

    assert asyncio.run(scenario()) == ["version_old", "version_old", "version_new"]
    assert tutor.nlu is new


def test_a_batch_in_flight_during_the_switch_is_answered_by_the_old_model_but_not_cached() -> None:
    started, release = threading.Event(), threading.Event()
    old, new = VersionNLU("old"), VersionNLU("new")

    def slow_old(texts):
        started.set()
        assert release.wait(5)
        return old.parse_batch(texts)

    batcher = MicroBatcher(slow_old)

    async def scenario() -> list[str]:
        in_flight = asyncio.create_task(batcher("hi"))
        await asyncio.to_thread(started.wait, 5)
        batcher.replace(new.parse_batch)
        release.set()
        during = await in_flight
        after = await batcher("hi")
        await batcher.close()
        return [during["intent"]["name"], after["intent"]["name"]]

    assert asyncio.run(scenario()) == ["version_old", "version_new"]


# --- over HTTP -------------------------------------------------------------------------------------


@pytest.fixture
def served_app(home: Path, tmp_path: Path) -> Iterator[tuple[FastAPI, Served, dict]]:
    nlu = VersionNLU("20250301-110000")
    tutor = Tutor(None, None, nlu, None, None, MicroBatcher(nlu.parse_batch))  # type: ignore[arg-type]
    served = Served(nlu)

    def swap(new) -> None:
        served.swap(new)
        tutor.switch_nlu(new)

    with accounts_in(tmp_path) as auth:
        admin = fake_admin(home, corrections=[CORRECTION])
        admin.swap = swap
        app = create_app(echo, media_dir=tmp_path / "media", parse=tutor.batcher, auth=auth, nlu_admin=admin,
                         health=lambda: {"status": "ok", "nlu": tutor.nlu.version})
        yield app, served, bearer_tokens(auth)


def test_the_api_retrains_reports_the_job_and_the_service_serves_the_new_version(served_app) -> None:
    app, _, tokens = served_app
    with TestClient(app) as client:
        assert client.get("/health").json()["nlu"] == "20250301-110000"
        started = client.post("/api/nlu/train", headers=tokens["ada"])
        assert started.status_code == 202
        job_id = started.json()["job"]["id"]
        assert started.headers["location"] == f"/api/nlu/jobs/{job_id}"
        app.state.nlu_admin.runner.wait(job_id, 10)
        job = client.get(f"/api/nlu/jobs/{job_id}", headers=tokens["ada"]).json()
        assert job["state"] == "succeeded" and job["result"]["activated"] is True
        new = job["result"]["version"]

        assert client.get("/health").json()["nlu"] == new
        assert client.post("/model/parse", json={"text": "hi"}).json()["intent"]["name"] == f"version_{new}"
        versions = client.get("/api/nlu/versions", headers=tokens["ada"]).json()
        assert versions["active"] == new and versions["versions"][0]["metrics"]["intent_accuracy"] == 0.95

        rolled = client.post("/api/nlu/rollback", headers=tokens["ada"])
        assert rolled.json() == {"active": "20250301-110000", "replaced": new}
        assert client.get("/health").json()["nlu"] == "20250301-110000"
        parsed = client.post("/model/parse", json={"text": "hi"}).json()
        assert parsed["intent"]["name"] == "version_20250301-110000"

        activated = client.post(f"/api/nlu/activate/{new}", headers=tokens["ada"])
        assert activated.status_code == 200 and "gate" in activated.json()["note"]
        assert client.get("/health").json()["nlu"] == new
        assert client.post("/api/nlu/activate/19990101-000000", headers=tokens["ada"]).status_code == 404
        assert client.get("/api/nlu/jobs/unknown", headers=tokens["ada"]).status_code == 404


def test_the_api_is_for_admins_only_and_sessions_must_send_the_csrf_token(served_app) -> None:
    app, _, tokens = served_app
    assert_admins_only_and_sessions_send_the_csrf_header(app, tokens, "/api/nlu", "/console/nlu")


def test_the_console_page_retrains_shows_progress_and_history_and_activates(served_app) -> None:
    app, served, _ = served_app
    release = threading.Event()
    app.state.nlu_admin.trainer = FakeTrainer(release=release)
    client = TestClient(app)
    assert log_in(client, "ada").status_code == 303
    page = client.get("/console/nlu")
    assert page.status_code == 200 and "20250301-110000" in page.text
    assert "<strong>active</strong>" in page.text
    assert 'http-equiv="refresh"' not in page.text
    csrf = csrf_of(page.text)

    posted = client.post("/console/nlu/train", data={"csrf_token": csrf}, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"].startswith("/console/nlu?job=")
    running = client.get(posted.headers["location"])
    assert 'http-equiv="refresh"' in running.text and "Retraining started." in running.text
    assert "<progress" in running.text
    busy = client.post("/console/nlu/train", data={"csrf_token": csrf}, follow_redirects=False)
    assert busy.status_code == 409
    release.set()
    app.state.nlu_admin.runner.wait(posted.headers["location"].split("=")[1], 10)
    done = client.get(posted.headers["location"])
    assert "succeeded" in done.text and 'http-equiv="refresh"' not in done.text
    assert "(1 corrections)" in done.text

    back = client.post("/console/nlu/activate/20250301-100000", data={"csrf_token": csrf},
                       follow_redirects=True)
    assert "Version 20250301-100000 is active now" in back.text and served.nlu.version == "20250301-100000"
    assert client.post("/console/nlu/rollback", data={"csrf_token": "forged"}).status_code == 403
    rolled = client.post("/console/nlu/rollback", data={"csrf_token": csrf}, follow_redirects=True)
    assert "Rolled back" in rolled.text
    missing = client.post("/console/nlu/activate/nope", data={"csrf_token": csrf})
    assert missing.status_code == 404 and "no NLU model version" in missing.text


def test_without_an_nlu_admin_the_routes_say_so(tmp_path: Path) -> None:
    with logged_in_without_parts(tmp_path, "ada") as client:
        assert client.get("/console/nlu").status_code == 503
        assert client.get("/api/nlu/versions").status_code == 503
