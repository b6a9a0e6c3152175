"""Ingesting a text into the knowledge graph from the console and the API: a background job with
visible progress that adds the extracted triples with their provenance, which the running service
sees at once; bad input refused with a reason; a failing extractor fails the job, not the service.

Most tests run the real `Extractor.ingest` on canned extractions (tests/bot/kg_fakes.py); one
(slow) trains a tiny extractor and reads a text with it."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import actions.services
from bot.app import create_app
from bot.batching import MicroBatcher
from bot.jobs import FAILED, SUCCEEDED, JobRunner
from bot.kg_admin import BATCH_SENTENCES, INGEST_BODY_LIMIT, MAX_TEXT_BYTES, BadIngest, KGAdmin, source_name
from bot.service import Tutor
from bot.settings import Settings
from recommender.service import RecommenderService
from tests.bot.accounts import csrf_of, echo, log_in
from tests.bot.admin_helpers import accounts_in, bearer_tokens, logged_in_without_parts
from tests.bot.kg_fakes import DAVIS, PRICE, CannedExtractor
from tests.bot.tutor import ScriptedNLU
from tests.kg.test_extract import fixture_graph

TEXT = f"Liner notes.\n\n{PRICE} {DAVIS}"


def admin_on(tmp_path: Path, extractor=None, **kwargs) -> KGAdmin:
    return KGAdmin(fixture_graph(), extractor=lambda: extractor or CannedExtractor(),
                   history=tmp_path / "kg" / "ingests.jsonl", **kwargs)


# --- the job ---------------------------------------------------------------------------------------


def test_an_ingest_adds_the_confident_triples_with_their_provenance_and_the_new_nodes(tmp_path) -> None:
    changed: list[bool] = []
    admin = admin_on(tmp_path, on_change=lambda: changed.append(True))

    job = admin.runner.wait(admin.ingest("Liner Notes (1).txt", TEXT, 0.8, by="ada").id, 10)

    assert job is not None and job.state == SUCCEEDED, job.error
    result = job.result
    assert result["source"] == "text:Liner_Notes__1_.txt" and result["threshold"] == 0.8
    assert (result["extracted"], result["below_threshold"], result["added_triples"]) == (2, 1, 1)
    assert result["new_nodes"] == ["person:florence_price", "person:george_chadwick"]
    [added] = result["triples"]
    assert added == {
        "head": "person:florence_price", "head_name": "Florence Price", "relation": "STUDIED_WITH",
        "tail": "person:george_chadwick", "tail_name": "George Chadwick", "confidence": 0.93,
        "sentence": PRICE, "source": "text:Liner_Notes__1_.txt"}
    [edge] = admin.graph.store.edges(["person:florence_price"], "STUDIED_WITH", "out")
    assert edge.props["source"] == "text:Liner_Notes__1_.txt" and edge.props["sentence"] == PRICE
    assert admin.graph.entity("person:george_chadwick").props["extracted"] is True
    assert not admin.graph.store.edges(["person:miles_davis"], "INFLUENCED_BY", "out")  # below 0.8
    assert changed == [True]


def test_the_service_sees_the_new_facts_at_once(tmp_path) -> None:
    admin = admin_on(tmp_path)
    graph = admin.graph
    assert graph.link("Florence Price", semantic=False) == []  # the linker is built before the ingest

    admin.runner.wait(admin.ingest("notes.txt", TEXT).id, 10)

    assert graph.link("Florence Price", semantic=False)[0].id == "person:florence_price"
    assert graph.facts("person:florence_price")["teachers"] == [
        {"id": "person:george_chadwick", "name": "George Chadwick"}]


def test_after_an_ingest_the_tutor_drops_its_cached_parses_and_graph_paths(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = fixture_graph()
    recommender = RecommenderService(graph)
    monkeypatch.setattr(actions.services, "_current", actions.services.Services(
        graph=graph, media_dir=tmp_path / "media", recommender_service=recommender))
    nlu = ScriptedNLU().says("who taught Florence Price?", "ask_person")
    batcher = MicroBatcher(nlu.parse_batch)
    tutor = Tutor(Settings(home=tmp_path), graph, nlu, None, None, batcher)  # type: ignore[arg-type]
    admin = KGAdmin(graph, extractor=CannedExtractor, on_change=tutor.graph_changed)
    warmed: list[str] = []  # the linker's semantic index: rebuilt in the job, not in a learner's turn
    monkeypatch.setattr(graph.linker, "warm", lambda: warmed.append(threading.current_thread().name) or 0)

    async def parse() -> str:
        return (await tutor.batcher("who taught Florence Price?"))["intent"]["name"]

    assert asyncio.run(parse()) == "ask_person"
    assert recommender.paths.explain("person:florence_price", "person:george_chadwick") == []
    before = recommender.paths  # a request explaining its picks during the ingest may hold it
    nlu.says("who taught Florence Price?", "ask_teacher")  # what a parse linking the new node would change
    assert asyncio.run(parse()) == "ask_person"  # from the cache

    job = admin.runner.wait(admin.ingest("notes.txt", TEXT).id, 60)

    assert job.state == SUCCEEDED, job.error
    assert asyncio.run(parse()) == "ask_teacher"
    [path] = recommender.paths.explain("person:florence_price", "person:george_chadwick")
    assert "George Chadwick" in path.sentence
    # a new cache replaced the old one, which was never cleared under its readers
    assert recommender.paths is not before
    assert before.explain("person:florence_price", "person:george_chadwick") == []
    assert warmed == [f"etude-job-{job.id}"]


def test_each_ingest_is_kept_in_the_history_with_who_when_and_what(tmp_path) -> None:
    admin = admin_on(tmp_path)
    admin.runner.wait(admin.ingest("first.txt", TEXT, by="ada").id, 10)
    admin.runner.wait(admin.ingest("second.txt", TEXT, 0.3, by="root").id, 10)

    newest, oldest = admin.history()
    assert (newest["source"], newest["by"], newest["added_triples"]) == ("text:second.txt", "root", 1)
    assert newest["triples"][0]["relation"] == "INFLUENCED_BY"  # 0.41 clears 0.3; the rest is known now
    assert newest["already_known"] == 1 and newest["at"]
    assert (oldest["source"], oldest["by"], oldest["new_nodes"]) == (
        "text:first.txt", "ada", ["person:florence_price", "person:george_chadwick"])
    reopened = KGAdmin(admin.graph, extractor=CannedExtractor, history=tmp_path / "kg" / "ingests.jsonl")
    assert [e["source"] for e in reopened.history()] == ["text:second.txt", "text:first.txt"]


def test_a_long_text_is_read_in_batches_and_the_job_shows_each_one(tmp_path) -> None:
    stages: list[str] = []
    admin = admin_on(tmp_path)
    extractor = CannedExtractor(before=lambda text: stages.append(admin.runner.latest().stage))
    admin.extractor = lambda: extractor
    filler = " ".join(f"Sentence number {n} says nothing." for n in range(2 * BATCH_SENTENCES))

    job = admin.runner.wait(admin.ingest("long.txt", f"{filler} {PRICE}").id, 10)

    assert job.state == SUCCEEDED and job.result["added_triples"] == 1
    assert stages == [f"extracting and writing: batch {n} of 3" for n in (1, 2, 3)]
    assert any("loading the relation extractor" in line for line in job.log)
    assert any("extracting and writing" in line for line in job.log)


def test_progress_is_visible_while_the_extractor_loads(tmp_path) -> None:
    loading, release = threading.Event(), threading.Event()

    def slow_load():
        loading.set()
        assert release.wait(5)
        return CannedExtractor()

    admin = KGAdmin(fixture_graph(), extractor=slow_load)
    job = admin.ingest("notes.txt", TEXT)
    assert loading.wait(5)
    assert job.to_json()["state"] == "running" and job.stage == "loading the relation extractor"
    release.set()
    assert admin.runner.wait(job.id, 10).state == SUCCEEDED


@pytest.mark.parametrize(("name", "text", "threshold", "why"), [
    ("a.txt", "", 0.8, "empty"),
    ("a.txt", "   \n ", 0.8, "empty"),
    ("a.txt", None, 0.8, "empty"),
    ("a.txt", "x" * (MAX_TEXT_BYTES + 1), 0.8, "longer than 200 KB"),
    ("a.txt", "é" * (MAX_TEXT_BYTES // 2 + 1), 0.8, "longer than 200 KB"),  # bytes, not characters
    ("a.txt", "nul \x00 here", 0.8, "not valid UTF-8"),
    ("a.txt", PRICE, 1.5, "from 0 to 1"),
    ("a.txt", PRICE, -0.1, "from 0 to 1"),
    ("a.txt", PRICE, float("nan"), "from 0 to 1"),
    ("a.txt", PRICE, "high", "not a number"),
    ("a.txt", PRICE, True, "number from 0 to 1"),
    (["a.txt"], PRICE, 0.8, "name must be a string"),
])
def test_bad_input_is_refused_before_any_job_starts(tmp_path, name, text, threshold, why) -> None:
    admin = admin_on(tmp_path)
    with pytest.raises(BadIngest, match=why):
        admin.ingest(name, text, threshold)
    assert admin.runner.jobs() == []


@pytest.mark.parametrize(("given", "kept"), [
    ("liner_notes.txt", "liner_notes.txt"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\ada\\notes.txt", "notes.txt"),
    ("Notes über Bach.txt", "Notes__ber_Bach.txt"),
    ("", "pasted-text"),
    ("...", "pasted-text"),
    ("x" * 300, "x" * 80),
])
def test_source_names_are_reduced_to_safe_file_names(given: str, kept: str) -> None:
    assert source_name(given) == kept


def test_a_failing_extractor_fails_the_job_and_the_next_ingest_loads_it_again(tmp_path) -> None:
    attempts: list[int] = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("relext/meta.json is unreadable")
        return CannedExtractor()

    admin = KGAdmin(fixture_graph(), extractor=flaky, history=tmp_path / "ingests.jsonl")
    failed = admin.runner.wait(admin.ingest("a.txt", TEXT).id, 10)
    assert failed.state == FAILED and failed.error == "OSError: relext/meta.json is unreadable"
    assert admin.history() == [] and admin.graph.entity("person:florence_price") is None

    after = admin.runner.wait(admin.ingest("a.txt", TEXT).id, 10)
    assert after.state == SUCCEEDED and len(attempts) == 2


def test_a_failure_part_way_keeps_and_records_what_the_earlier_batches_added(tmp_path) -> None:
    def fail_on_second_batch(text: str) -> None:
        if "Sentence number 30" in text:
            raise RuntimeError("the extractor ran out of memory")

    admin = admin_on(tmp_path, extractor=CannedExtractor(before=fail_on_second_batch))
    filler = " ".join(f"Sentence number {n} says nothing." for n in range(2 * BATCH_SENTENCES))

    job = admin.runner.wait(admin.ingest("long.txt", f"{PRICE} {filler}").id, 10)

    assert job.state == FAILED and "out of memory" in job.error
    assert admin.graph.entity("person:florence_price") is not None
    [entry] = admin.history()
    assert entry["added_triples"] == 1 and "out of memory" in entry["error"]
    assert any("stays in the graph" in line for line in job.log)


# --- over HTTP -------------------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    with accounts_in(tmp_path) as auth:
        app = create_app(echo, media_dir=tmp_path / "media", auth=auth, kg_admin=admin_on(tmp_path))
        app.state.tokens = bearer_tokens(auth)
        yield app


def finished(app: FastAPI, client: TestClient, started, token: dict) -> dict:
    job_id = started.json()["job"]["id"]
    assert started.headers["location"] == f"/api/kg/jobs/{job_id}"
    app.state.kg_admin.runner.wait(job_id, 10)
    return client.get(f"/api/kg/jobs/{job_id}", headers=token).json()


def test_the_api_ingests_a_json_text_and_reports_the_job(app) -> None:
    ada = app.state.tokens["ada"]
    with TestClient(app) as client:
        started = client.post("/api/kg/ingest", headers=ada,
                              json={"name": "liner_notes.txt", "text": TEXT, "threshold": 0.3})
        assert started.status_code == 202 and started.json()["job"]["kind"] == "knowledge graph ingest"
        job = finished(app, client, started, ada)
        assert job["state"] == "succeeded" and job["requested_by"] == "ada"
        assert {t["relation"] for t in job["result"]["triples"]} == {"STUDIED_WITH", "INFLUENCED_BY"}
        [entry] = client.get("/api/kg/ingests", headers=ada).json()["ingests"]
        assert entry["source"] == "text:liner_notes.txt" and entry["by"] == "ada"
        assert client.get("/api/kg/jobs/unknown", headers=ada).status_code == 404


def test_the_api_takes_a_plain_text_file_with_its_name_and_threshold_in_the_query(app) -> None:
    ada = app.state.tokens["ada"]
    with TestClient(app) as client:
        started = client.post("/api/kg/ingest?name=notes.txt&threshold=0.9", headers={
            **ada, "Content-Type": "text/plain; charset=utf-8"}, content=TEXT.encode())
        job = finished(app, client, started, ada)
        assert job["result"]["source"] == "text:notes.txt" and job["result"]["threshold"] == 0.9
        assert job["result"]["added_triples"] == 1


def test_a_text_near_the_size_limit_passes_the_body_limit(app) -> None:
    ada = app.state.tokens["ada"]
    text = ("ä" * (MAX_TEXT_BYTES // 2 - 200)) + f" {PRICE}"  # 2 bytes each, \u escaped 6 in JSON
    client = TestClient(app)
    started = client.post("/api/kg/ingest", headers={**ada, "Content-Type": "application/json"},
                          content=json.dumps({"name": "big.txt", "text": text}))
    assert started.status_code == 202
    assert finished(app, client, started, ada)["state"] == "succeeded"


@pytest.mark.parametrize(("body", "headers", "status", "why"), [
    (json.dumps({"name": "a.txt", "text": ""}), {"Content-Type": "application/json"}, 422, "empty"),
    (json.dumps({"text": PRICE, "threshold": 7}), {"Content-Type": "application/json"}, 422, "from 0 to 1"),
    (json.dumps({"text": PRICE, "thresold": 0.5}), {"Content-Type": "application/json"}, 422, "thresold"),
    (json.dumps([PRICE]), {"Content-Type": "application/json"}, 422, "JSON object"),
    ("{not json", {"Content-Type": "application/json"}, 400, "not valid JSON"),
    (b"\xff\xfe notes", {"Content-Type": "text/plain"}, 400, "not UTF-8"),
    (PRICE, {"Content-Type": "application/pdf"}, 415, "text/plain"),
    (json.dumps({"text": "x" * (MAX_TEXT_BYTES + 1)}), {"Content-Type": "application/json"}, 422, "200 KB"),
    ("x" * (INGEST_BODY_LIMIT + 1), {"Content-Type": "text/plain"}, 413, "larger than"),
])
def test_bad_api_requests_get_a_4xx_that_says_why(app, body, headers, status, why) -> None:
    client = TestClient(app)
    answer = client.post("/api/kg/ingest", headers={**app.state.tokens["ada"], **headers}, content=body)
    assert answer.status_code == status and why in answer.json()["error"]
    assert app.state.kg_admin.runner.jobs() == []


def test_while_another_job_runs_an_ingest_is_refused_naming_that_job(app) -> None:
    release = threading.Event()
    runner: JobRunner = app.state.kg_admin.runner
    other = runner.submit("NLU retraining", lambda job: {"ok": release.wait(5)}, requested_by="root")
    client = TestClient(app)
    try:
        busy = client.post("/api/kg/ingest", headers=app.state.tokens["ada"], json={"text": TEXT})
        assert busy.status_code == 409 and busy.json()["job"]["id"] == other.id
        assert f"NLU retraining (job {other.id}, started by root)" in busy.json()["error"]
        assert log_in(client, "ada").status_code == 303
        csrf = csrf_of(client.get("/console/kg").text)
        page = client.post("/console/kg/ingest", data={"csrf_token": csrf, "name": "a.txt", "text": TEXT})
        assert page.status_code == 409 and "NLU retraining" in page.text and "Florence Price" in page.text
    finally:
        release.set()
        runner.wait(other.id, 5)


def test_the_api_is_for_admins_only_and_sessions_must_send_the_csrf_token(app) -> None:
    client = TestClient(app)
    ian = app.state.tokens["ian"]
    assert client.post("/api/kg/ingest", headers=ian, json={"text": TEXT}).status_code == 403
    assert client.get("/api/kg/ingests").status_code == 401
    assert log_in(client, "ada").status_code == 303
    assert client.post("/api/kg/ingest", json={"text": TEXT}).status_code == 403  # no X-CSRF-Token
    token = csrf_of(client.get("/console/kg").text)
    sent = client.post("/api/kg/ingest", json={"text": TEXT}, headers={"X-CSRF-Token": token})
    assert sent.status_code == 202


def test_the_console_page_ingests_shows_progress_then_the_added_triples(app) -> None:
    release = threading.Event()
    app.state.kg_admin.extractor = lambda: CannedExtractor(before=lambda text: release.wait(5))
    client = TestClient(app)
    assert log_in(client, "ada").status_code == 303
    page = client.get("/console/kg")
    assert page.status_code == 200 and "No ingest since the service started." in page.text
    csrf = csrf_of(page.text)

    posted = client.post("/console/kg/ingest", follow_redirects=False,
                         data={"csrf_token": csrf, "name": "liner notes.txt", "text": TEXT,
                               "threshold": "0.8"})
    assert posted.status_code == 303 and posted.headers["location"].startswith("/console/kg?job=")
    running = client.get(posted.headers["location"])
    assert "Ingest started." in running.text and 'http-equiv="refresh"' in running.text
    assert "<progress" in running.text
    release.set()
    app.state.kg_admin.runner.wait(posted.headers["location"].split("=")[1], 10)
    done = client.get(posted.headers["location"])
    assert "succeeded" in done.text and 'http-equiv="refresh"' not in done.text
    assert "Florence Price" in done.text and "STUDIED_WITH" in done.text and PRICE in done.text
    assert "text:liner_notes.txt" in done.text  # the history


def test_a_bad_console_form_is_shown_again_with_the_reason_and_the_text_kept(app) -> None:
    client = TestClient(app)
    assert log_in(client, "ada").status_code == 303
    csrf = csrf_of(client.get("/console/kg").text)
    bad = client.post("/console/kg/ingest", data={"csrf_token": csrf, "name": "a.txt", "text": PRICE,
                                                   "threshold": "2"})
    assert bad.status_code == 422 and "from 0 to 1" in bad.text and PRICE in bad.text
    assert client.post("/console/kg/ingest", data={"csrf_token": "forged", "text": PRICE}).status_code == 403
    assert app.state.kg_admin.runner.jobs() == []


def test_a_failed_ingest_is_shown_and_the_service_keeps_running(app) -> None:
    def broken():
        raise MemoryError("cannot load the relation model")

    app.state.kg_admin.extractor = broken
    client = TestClient(app)
    started = client.post("/api/kg/ingest", headers=app.state.tokens["ada"], json={"text": TEXT})
    job = finished(app, client, started, app.state.tokens["ada"])
    assert job["state"] == "failed" and "cannot load the relation model" in job["error"]
    assert client.get("/health").status_code == 200
    assert client.post("/webhooks/rest/webhook", json={"sender": "s", "message": "hi"}).status_code == 200
    assert log_in(client, "ada").status_code == 303
    assert "The ingest failed: MemoryError" in client.get("/console/kg").text


def test_the_hand_read_ingest_body_is_described_for_api_clients(app) -> None:
    post = TestClient(app).get("/openapi.json").json()["paths"]["/api/kg/ingest"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/json", "text/plain"}
    assert post["requestBody"]["content"]["application/json"]["schema"]["required"] == ["text"]
    assert {p["name"] for p in post["parameters"]} == {"name", "threshold"}


def test_without_an_admin_object_the_pages_say_it_is_not_available(tmp_path) -> None:
    with logged_in_without_parts(tmp_path, "ada") as client:
        assert client.get("/console/kg").status_code == 503
        csrf = csrf_of(client.get("/console/").text)
        answer = client.post("/api/kg/ingest", json={"text": TEXT}, headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 503 and "not available" in answer.json()["error"]


# --- a real extractor ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_tiny_trained_extractor_reads_a_text_into_the_graph_with_provenance(tmp_path) -> None:
    import torch

    from kg.extract import load_or_train
    from tests.kg.test_extract import TINY

    torch.set_num_threads(1)
    graph = fixture_graph()

    def first_use(report=None):  # as `saved_extractor` on a fresh home: trained in the first job
        return load_or_train(graph, tmp_path / "relext", progress=False, report=report, **TINY)

    admin = KGAdmin(graph, extractor=first_use, history=tmp_path / "ingests.jsonl")
    text = "Franz Schubert studied with Joseph Haydn. John Coltrane played the trumpet."

    job = admin.runner.wait(admin.ingest("notes.txt", text, 0.0, by="ada").id, 180)

    assert job.state == SUCCEEDED, job.error
    log = "\n".join(job.log)  # the training's stages showed on the job while it ran
    for stage in ("generating the relation extractor's training sentences", "training the extractor's entity "
                  "tagger", "training the extractor's relation classifier", "extracting and writing"):
        assert stage in log, log
    assert (tmp_path / "relext" / "meta.json").exists()
    assert job.result["extracted"] >= 1
    assert job.result["added_triples"] + job.result["already_known"] >= 1
    for row in job.result["triples"]:
        assert row["source"] == "text:notes.txt" and row["sentence"] in text
        assert any(e.tail == row["tail"] and e.props["source"] == "text:notes.txt"
                   for e in graph.store.edges([row["head"]], row["relation"], "out"))
