"""Erasing a learner's data: the store forgets their conversation, learner model, behaviour, reviews
and corrections (SQLite and PostgreSQL), their recordings go, the engine and the recommender forget
them, the next trainings do not see them, and every way in (the learner, the console, the API, the
CLI) erases only what it may, for whom it may."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Text, cast, func, select
from typer.testing import CliRunner

from actions.services import services
from bot.app import create_app
from bot.auth.gate import Auth
from bot.auth.learners import LEARNER_COOKIE
from bot.auth.tokens import new_token
from bot.behaviour import store_events
from bot.console.review import latest_corrections, save_correction, skip_turn
from bot.learner_data import StoredLearnerData
from bot.privacy import Eraser, erase_learner, recordings_named
from bot.settings import Settings, get_settings
from bot.store import (
    BehaviorEvent,
    ConversationStore,
    Turn,
    UnknownLearner,
    behavior_events,
    corrections,
    erasures,
    reviews,
    turns,
)
from recommender.platform import platform_data
from recommender.service import RecommenderService
from tests.bot.accounts import Clock, add_users, csrf_of, log_in, make_auth
from tests.bot.tutor import ScriptedNLU, make_engine

ANN, BOB = "web:ann-erased", "web:bob-stays"
ANN_TAKE, BOB_TAKE, SHARED_TAKE = "a" * 32 + ".ogg", "b" * 32 + ".ogg", "c" * 32 + ".wav"
START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WEB = {"channel": "web"}
CONFIRM = {"confirm": "delete"}


# -- a class of two learners ----------------------------------------------------------------------


def user_event(text: str, recording: str | None = None) -> dict:
    metadata = {"recording": recording} if recording else {}
    return {"event": "user", "text": text, "parse_data": {}, "metadata": metadata,
            "timestamp": START.timestamp()}


def slot(name: str, value: object) -> dict:
    return {"event": "slot", "name": name, "value": value, "timestamp": START.timestamp()}


def save(store: ConversationStore, sender: str, text: str, minutes: int, events: list[dict],
         behavior: list[BehaviorEvent]) -> int:
    at = START + timedelta(minutes=minutes)
    return store.save_turn(Turn(sender, "web", "s", text, {"intent": {"name": "greet", "confidence": 0.9}},
                                ["action_listen"], events, [{"text": "ok"}], at, at + timedelta(seconds=1),
                                behavior=behavior))


def fill(store: ConversationStore) -> dict[str, list[int]]:
    """ann: two turns (a learner model in slots, a recording of her own, one she shares with bob),
    graded answers, a behaviour event outside any turn, one turn skipped and one corrected by a
    reviewer. bob: the same kind of data, which must all stay."""
    ids: dict[str, list[int]] = {ANN: [], BOB: []}
    for sender, own, outcome in ((ANN, ANN_TAKE, "correct"), (BOB, BOB_TAKE, "wrong")):
        ids[sender].append(save(store, sender, "hello", 0, [
            user_event("hello", own), slot("progress", {"concept:triad": {"p": 0.7}}),
            slot("answers", [{"concept": "concept:triad", "outcome": outcome}]),
        ], [BehaviorEvent(sender, "message"), BehaviorEvent(sender, "quiz_answer", concept="concept:triad",
                                                           outcome=outcome)]))
        practice = BehaviorEvent(sender, "practice_result", concept="concept:triad", value=0.9)
        shared = user_event("/practice", SHARED_TAKE)
        ids[sender].append(save(store, sender, "/practice_feedback", 5, [shared], [practice]))
        store.add_behavior([BehaviorEvent(sender, "example_played", item="work:canon_in_d")])  # no turn
        skip_turn(store, ids[sender][0], None, START)
        save_correction(store, ids[sender][1], "/practice", "practice_feedback", [], None, START)
    return ids


def count(store: ConversationStore, table, where) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(where)).scalar_one())


def everything_of(store: ConversationStore, sender: str, turn_ids: list[int]) -> dict[str, object]:
    return {
        "turns": [(t.text, t.events, [(b.kind, b.outcome) for b in t.behavior]) for t in store.turns(sender)],
        "behaviour": [(b.kind, b.concept, b.item) for b in store.behavior(sender)],
        "reviews": count(store, reviews, reviews.c.turn_id.in_(turn_ids)),
        "corrections": count(store, corrections, corrections.c.turn_id.in_(turn_ids)),
    }


@pytest.fixture
def store(database_url: str) -> Iterator[ConversationStore]:
    with ConversationStore(database_url) as store:
        yield store


# -- the store ------------------------------------------------------------------------------------


def test_erasing_removes_the_learners_turns_learner_model_behaviour_reviews_and_corrections(
    store: ConversationStore,
) -> None:
    ids = fill(store)

    counts = store.erase_learner(ANN, via="console", by=None)

    assert counts == {"corrections": 1, "reviews": 2, "behavior_events": 4, "turns": 2, "conversations": 1}
    assert ANN not in store.senders() and store.turns(ANN) == [] and store.events(ANN) == []
    assert store.behavior(ANN) == []  # the one outside a turn too
    assert count(store, behavior_events, behavior_events.c.turn_id.in_(ids[ANN])) == 0
    assert count(store, reviews, reviews.c.turn_id.in_(ids[ANN])) == 0
    assert count(store, corrections, corrections.c.turn_id.in_(ids[ANN])) == 0
    assert count(store, turns, turns.c.id.in_(ids[ANN])) == 0


def test_erasing_one_learner_leaves_every_other_learner_as_they_were(store: ConversationStore) -> None:
    ids = fill(store)
    before = everything_of(store, BOB, ids[BOB])

    store.erase_learner(ANN)

    assert everything_of(store, BOB, ids[BOB]) == before
    assert store.senders() == [BOB] and before["reviews"] == 2 and before["corrections"] == 1


def test_the_erasure_is_recorded_with_when_how_and_by_whom_but_nothing_of_the_sender_id(
    store: ConversationStore,
) -> None:
    fill(store)
    auth = make_auth(store, Clock())
    admin = add_users(auth, Clock())["ada"]
    at = START + timedelta(days=1)

    counts = store.erase_learner(ANN, via="api", by=admin.id, at=at)

    [erasure] = store.erasures()
    assert (erasure.erased_at, erasure.via, erasure.erased_by) == (at, "api", admin.id)
    assert erasure.counts == counts
    with store.engine.connect() as conn:
        stored = [" ".join(str(value) for value in row) for row in conn.execute(select(erasures))]
        as_text = conn.execute(select(cast(erasures.c.counts, Text))).scalar_one()
    assert len(stored) == 1 and "ann" not in stored[0].lower() and "ann" not in as_text.lower()


def test_an_unknown_learner_is_refused_and_nothing_is_deleted_or_recorded(store: ConversationStore) -> None:
    ids = fill(store)
    before = {sender: everything_of(store, sender, ids[sender]) for sender in ids}

    with pytest.raises(UnknownLearner):
        store.erase_learner("web:nobody")

    assert {sender: everything_of(store, sender, ids[sender]) for sender in ids} == before
    assert store.erasures() == []


def test_a_learner_known_only_by_behaviour_outside_any_turn_is_erased(store: ConversationStore) -> None:
    store.add_behavior([BehaviorEvent("web:listener", "example_played", item="work:canon_in_d")])

    counts = store.erase_learner("web:listener")

    assert counts["behavior_events"] == 1 and counts["conversations"] == 0
    assert store.behavior("web:listener") == []


@pytest.mark.parametrize("bad", ["", "x" * 256])
def test_an_id_no_learner_can_have_is_a_clear_error(store: ConversationStore, bad: str) -> None:
    with pytest.raises(ValueError, match="sender_id"):
        store.erase_learner(bad)
    with pytest.raises(ValueError, match="via must be one of"):
        store.erase_learner(ANN, via="somehow")


# -- recordings, caches and trainings -------------------------------------------------------------


def test_the_learners_recordings_go_but_not_one_another_learner_also_sent(
    store: ConversationStore, tmp_path: Path
) -> None:
    fill(store)
    folder = tmp_path / "recordings"
    folder.mkdir()
    for name in (ANN_TAKE, BOB_TAKE, SHARED_TAKE):
        (folder / name).write_bytes(b"OggS")
    assert recordings_named(store.events(ANN)) == {ANN_TAKE, SHARED_TAKE}

    report = erase_learner(ANN, store, recordings_dir=folder)

    assert sorted(p.name for p in folder.iterdir()) == [BOB_TAKE, SHARED_TAKE]
    assert report.recordings == 1 and report.to_json()["deleted"]["recordings"] == 1
    erase_learner(BOB, store, recordings_dir=folder)
    assert list(folder.iterdir()) == []  # nobody names the shared one any more


def test_a_recording_name_that_could_leave_the_folder_is_never_touched() -> None:
    events = [user_event("x", "../etude.db"), user_event("y", "A" * 32 + ".ogg"), {"event": "bot"}]

    assert recordings_named(events) == set()


def test_the_engine_forgets_the_cached_conversation_and_the_next_message_starts_afresh(
    nlu: ScriptedNLU, tmp_path: Path
) -> None:
    from tests.bot.tutor import Chat

    nlu.says("hello", "greet").says("what is a triad?", "explain_concept", ("concept", "triad"))
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        engine = make_engine(nlu, store)
        chat = Chat(engine, ANN)
        chat("what is a triad?")
        assert chat.slots.get("concept") == "concept:triad"

        erase_learner(ANN, store, recordings_dir=None, forget=[engine.forget])

        assert ANN not in engine.trackers
        chat("hello")
        assert chat.slots.get("concept") is None and store.count_turns(ANN) == 1


def test_a_failing_forget_does_not_undo_the_erasure_or_stop_the_others(store: ConversationStore) -> None:
    fill(store)
    forgotten: list[str] = []

    def broken(sender: str) -> None:
        raise RuntimeError("cache unreachable")

    erase_learner(ANN, store, recordings_dir=None, forget=[broken, forgotten.append])

    assert forgotten == [ANN] and ANN not in store.senders()


def test_the_recommender_forgets_the_learners_online_history() -> None:
    recommender = RecommenderService(services().graph)
    liked = BehaviorEvent(ANN, "quiz_answer", concept="concept:triad", outcome="correct")
    assert recommender.observe(ANN, liked) and recommender.observe(BOB, liked)
    assert [e.item for e in recommender.history(ANN)] == ["concept:triad"]

    recommender.forget(ANN)

    assert recommender.history(ANN) == [] and ANN not in recommender.observed
    assert [e.item for e in recommender.history(BOB)] == ["concept:triad"]


def trained_home(home: Path):
    """A graph and a tiny recommender version trained on synthetic learners in `home`."""
    from recommender.publish import histories, train_version
    from tests.recommender.learners import TINY, behaviour, build_home

    graph = build_home(home)
    events = behaviour()
    data = platform_data(graph, events, cache_dir=home / "cache" / "rec", media=False)
    train_version(data, home, histories(data, events), config=TINY)
    return graph


def test_a_served_model_forgets_the_learners_trained_history_and_frees_their_row(tmp_path: Path) -> None:
    graph = trained_home(tmp_path)
    try:
        recommender = RecommenderService.load(graph, tmp_path, spare_rows=0)
        learner = "learner0"
        assert recommender.history(learner) and learner in recommender._rows
        recommender.recommend(learner, k=3)
        row = recommender._rows[learner]
        model = recommender.served.model

        recommender.forget(learner)

        assert recommender.history(learner) == [] and learner not in recommender.served.histories
        assert learner not in recommender._rows and row in recommender._free
        assert [i for i in model.history_items[row].tolist() if i != model.pad] == []
        assert recommender.recommend("newcomer", k=3) and recommender._rows["newcomer"] == row
    finally:
        graph.store.close()


def test_saved_recommender_versions_no_longer_serve_the_learner_after_a_restart(tmp_path: Path) -> None:
    from recommender.registry import ERASED, load_active

    graph = trained_home(tmp_path)
    try:
        before = load_active(tmp_path)
        learner = "learner0"
        assert before is not None and before.histories[learner]
        with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
            store.add_behavior([BehaviorEvent(learner, "lesson_started", concept="concept:pitch")])

            report = erase_learner(learner, store, recordings_dir=None, home=tmp_path)

        assert report.model_versions == (before.version,)
        after = load_active(tmp_path)  # what a restarted service loads
        assert learner not in after.histories
        assert list(after.histories).index(f"{ERASED}0") == list(before.histories).index(learner)
        assert after.histories[f"{ERASED}0"] == []
        assert {k: v for k, v in after.histories.items() if k != f"{ERASED}0"} == {
            k: v for k, v in before.histories.items() if k != learner}
        served = RecommenderService.load(graph, tmp_path)
        assert served.history(learner) == [] and served.recommend(learner, k=3)
    finally:
        graph.store.close()


def test_the_next_trainings_inputs_no_longer_hold_the_learner(
    store: ConversationStore, database_url: str, tmp_path: Path
) -> None:
    from bot.cli_learner import _logged
    from recommender.publish import histories

    fill(store)
    graph = services().graph

    def recommender_learners() -> set[str]:
        events = store_events(store)
        data = platform_data(graph, events, media=False)
        return set(data.user_ids) | set(histories(data, events))

    def tracer_learners() -> set[str]:
        data, _concepts, _prerequisites = _logged(Settings(home=tmp_path, database_url=database_url))
        return {sequence.learner for sequence in data}

    def nlu_examples() -> list[str]:
        return [row["text"] for row in latest_corrections(store)]

    assert recommender_learners() == {ANN, BOB} and tracer_learners() == {ANN, BOB}
    assert len(nlu_examples()) == 2

    store.erase_learner(ANN)

    assert recommender_learners() == {BOB} and tracer_learners() == {BOB}
    assert len(nlu_examples()) == 1


# -- the ways in ----------------------------------------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sql_store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        yield store


@pytest.fixture
def auth(sql_store: ConversationStore, clock: Clock) -> Auth:
    auth = make_auth(sql_store, clock)
    add_users(auth, clock)
    return auth


@pytest.fixture
def forgotten() -> list[str]:
    return []


@pytest.fixture
def app(sql_store: ConversationStore, nlu: ScriptedNLU, auth: Auth, tmp_path: Path,
        forgotten: list[str]) -> FastAPI:
    nlu.says("hello", "greet")
    engine = make_engine(nlu, sql_store)
    data = StoredLearnerData(sql_store, engine.domain, services().graph)
    eraser = Eraser(sql_store, tmp_path / "recordings", [engine.forget, forgotten.append])
    return create_app(engine.handle, media_dir=tmp_path / "media", recordings_dir=tmp_path / "recordings",
                      parse=nlu, auth=auth, learner_data=data, eraser=eraser)


def chat(client: TestClient, text: str = "hello") -> str:
    response = client.post("/webhooks/rest/webhook", json={"message": text, "metadata": WEB})
    assert response.status_code == 200
    return response.json()[0]["recipient_id"]


def csrf(client: TestClient) -> str:
    return csrf_of(client.get("/console/").text)


def token_client(app: FastAPI, auth: Auth, clock: Clock, name: str) -> TestClient:
    fresh = new_token()
    auth.accounts.add_token(name, fresh, "privacy", clock())  # type: ignore[union-attr]
    return TestClient(app, headers={"Authorization": f"Bearer {fresh.token}"})


def test_a_web_learner_erases_their_own_data_and_their_cookie_goes_with_it(
    app: FastAPI, sql_store: ConversationStore, forgotten: list[str]
) -> None:
    browser, other = TestClient(app), TestClient(app)
    me, someone = chat(browser), chat(other)

    response = browser.post("/me/delete", json=CONFIRM)

    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    report = response.json()
    assert report["learner"] == me and report["deleted"]["turns"] == 1 and report["erased_at"]
    assert sql_store.senders() == [someone] and forgotten == [me]
    cleared = response.headers["set-cookie"]
    assert cleared.startswith(f"{LEARNER_COOKIE}=") and "Max-Age=0" in cleared
    assert browser.get("/me/conversation").status_code == 401
    [erasure] = sql_store.erasures()
    assert (erasure.via, erasure.erased_by) == ("learner", None)


def test_erasing_ones_own_data_needs_the_json_confirmation(
    app: FastAPI, sql_store: ConversationStore
) -> None:
    browser = TestClient(app)
    me = chat(browser)

    unconfirmed = browser.post("/me/delete", json={"confirm": "yes"})
    as_form = browser.post("/me/delete", data={"confirm": "delete"})  # what a cross-site form could send
    not_json = browser.post("/me/delete", content=b"{", headers={"Content-Type": "application/json"})

    assert unconfirmed.status_code == 422 and "confirm" in unconfirmed.json()["error"]
    assert as_form.status_code == 415 and not_json.status_code == 400
    assert sql_store.senders() == [me]


def test_a_page_on_another_site_cannot_erase_a_web_learners_data(
    app: FastAPI, sql_store: ConversationStore
) -> None:
    browser = TestClient(app)
    me = chat(browser)

    response = browser.post("/me/delete", json=CONFIRM, headers={"Origin": "https://evil.example"})

    assert response.status_code == 401 and sql_store.senders() == [me]


def test_a_learner_cannot_erase_anyone_elses_data(
    app: FastAPI, sql_store: ConversationStore, auth: Auth, clock: Clock
) -> None:
    victim = chat(TestClient(app))
    browser = TestClient(app)
    log_in(browser, "lea")
    chat(browser)  # lea's own conversation, as user:lea
    script = token_client(app, auth, clock, "lea")

    naming = browser.post("/me/delete", json={**CONFIRM, "learner": victim, "sender": victim},
                          params={"sender": victim}, headers={"X-CSRF-Token": csrf(browser)})
    api = script.delete(f"/api/learners/{victim}")
    console = browser.post(f"/console/learners/{victim}/delete", data={"csrf_token": csrf(browser),
                                                                       "confirm": victim})

    assert naming.status_code == 200 and naming.json()["learner"] == "user:lea"
    assert (api.status_code, console.status_code) == (403, 403)
    assert sql_store.senders() == [victim]


def test_a_console_session_must_send_its_csrf_token_to_erase_its_own_data(
    app: FastAPI, sql_store: ConversationStore, auth: Auth, clock: Clock
) -> None:
    browser = TestClient(app)
    log_in(browser, "lea")
    chat(browser)

    forged = browser.post("/me/delete", json=CONFIRM)
    assert forged.status_code == 403 and "X-CSRF-Token" in forged.json()["error"]
    assert sql_store.senders() == ["user:lea"]

    response = browser.post("/me/delete", json=CONFIRM, headers={"X-CSRF-Token": csrf(browser)})

    assert response.status_code == 200 and sql_store.senders() == []
    assert "set-cookie" not in response.headers  # the account stays, and so does its session
    assert browser.get("/api/whoami").json()["name"] == "lea"
    assert sql_store.erasures()[0].erased_by is None  # the learner themselves, whoever they are


def test_with_nothing_stored_there_is_nothing_to_erase(app: FastAPI, auth: Auth, clock: Clock) -> None:
    script = token_client(app, auth, clock, "ian")

    response = script.post("/me/delete", json=CONFIRM)

    assert response.status_code == 404 and "nothing" in response.json()["error"]


def test_an_admin_erases_a_learner_through_the_api_by_token(
    app: FastAPI, sql_store: ConversationStore, auth: Auth, clock: Clock, forgotten: list[str]
) -> None:
    fill(sql_store)
    sql_store.save_turn(Turn("rest/with/slashes", "rest", "s", "hi", {}, [], [], [], START, START))
    admin = token_client(app, auth, clock, "ada")

    response = admin.delete(f"/api/learners/{ANN}")
    slashed = admin.delete("/api/learners/rest/with/slashes")
    again = admin.delete(f"/api/learners/{ANN}")

    assert response.status_code == 200
    assert response.json()["deleted"] == {"corrections": 1, "reviews": 2, "behavior_events": 4, "turns": 2,
                                          "conversations": 1, "recordings": 0}
    assert slashed.status_code == 200 and again.status_code == 404 and "no learner" in again.json()["error"]
    assert sql_store.senders() == [BOB] and forgotten == [ANN, "rest/with/slashes"]
    assert [(e.via, e.erased_by) for e in sql_store.erasures()] == [("api", auth.accounts.user("ada").id)] * 2


def test_the_api_refuses_everyone_but_admins_and_a_session_without_its_csrf_token(
    app: FastAPI, sql_store: ConversationStore, auth: Auth, clock: Clock
) -> None:
    fill(sql_store)
    instructor = token_client(app, auth, clock, "ian")
    browser = TestClient(app)
    log_in(browser, "ada")

    assert TestClient(app).delete(f"/api/learners/{ANN}").status_code == 401
    assert instructor.delete(f"/api/learners/{ANN}").status_code == 403
    assert browser.delete(f"/api/learners/{ANN}").status_code == 403
    assert ANN in sql_store.senders()
    assert browser.delete(f"/api/learners/{ANN}", headers={"X-CSRF-Token": csrf(browser)}).status_code == 200
    assert ANN not in sql_store.senders()


def test_an_admin_erases_a_learner_on_the_console_after_typing_their_id(
    app: FastAPI, sql_store: ConversationStore, auth: Auth
) -> None:
    fill(sql_store)
    browser = TestClient(app)
    log_in(browser, "ada")
    page = browser.get(f"/console/learners/{ANN}")
    assert "Delete this learner&#39;s data" in page.text or "Delete this learner's data" in page.text
    token = csrf_of(page.text)
    action = f"/console/learners/{ANN}/delete"

    mistyped = browser.post(action, data={"csrf_token": token, "confirm": BOB})
    stale = browser.post(action, data={"csrf_token": "stale", "confirm": ANN})
    assert (mistyped.status_code, stale.status_code) == (422, 403)
    assert "Nothing was deleted" in mistyped.text and ANN in sql_store.senders()

    done = browser.post(action, data={"csrf_token": token, "confirm": ANN}, follow_redirects=False)

    assert done.status_code == 303 and done.headers["location"] == "/console/learners"
    assert ANN not in sql_store.senders()
    assert ANN not in browser.get("/console/learners").text
    assert ANN not in browser.get("/console/conversations").text
    assert browser.get(f"/console/learners/{ANN}").status_code == 404
    assert browser.post(action, data={"csrf_token": token, "confirm": ANN}).status_code == 404
    assert [(e.via, e.erased_by) for e in sql_store.erasures()] == [("console", auth.accounts.user("ada").id)]


def test_instructors_see_no_erase_form_and_cannot_post_it(app: FastAPI, sql_store: ConversationStore) -> None:
    fill(sql_store)
    browser = TestClient(app)
    log_in(browser, "ian")
    page = browser.get(f"/console/learners/{ANN}")

    response = browser.post(f"/console/learners/{ANN}/delete",
                            data={"csrf_token": csrf_of(page.text), "confirm": ANN})

    assert page.status_code == 200 and not re.search(r"/delete\"", page.text)
    assert "Delete this learner" not in page.text
    assert response.status_code == 403 and ANN in sql_store.senders()


def test_the_service_wires_the_engine_and_the_recommender_to_forget_erased_learners(
    nlu: ScriptedNLU, tmp_path: Path
) -> None:
    from bot.batching import MicroBatcher
    from bot.service import Tutor, create_service_app

    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        settings = Settings(home=tmp_path, telegram_token=None)
        engine = make_engine(nlu, store)
        recommender = RecommenderService(services().graph)
        engine.observers.append(recommender.observe)
        tutor = Tutor(settings, services().graph, nlu, store, engine, MicroBatcher(nlu.parse_batch))

        eraser = create_service_app(tutor).state.eraser
        assert eraser.store is store and eraser.recordings_dir == settings.recordings_dir
        assert eraser.home == settings.home

        # a retrain or rollback swaps the recommender after the app is built: the new one forgets too
        swapped = RecommenderService(services().graph)
        engine.observers[engine.observers.index(recommender.observe)] = swapped.observe
        for who in (recommender, swapped):
            who.observed[ANN] = [("concept:triad", "studied")]
        for forget in eraser.forget:
            forget(ANN)
        assert ANN not in swapped.observed


# -- the command line -----------------------------------------------------------------------------


@pytest.fixture
def home(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("ETUDE_HOME", str(home))
    monkeypatch.setenv("ETUDE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


def etude(*args: str, stdin: str | None = None):
    from bot.cli import app

    return CliRunner().invoke(app, ["learner", *args], input=stdin)


def test_the_cli_erases_a_learner_and_their_recordings_with_yes(home: Path, database_url: str) -> None:
    with ConversationStore(database_url) as store:
        fill(store)
    (home / "recordings").mkdir(parents=True)
    (home / "recordings" / ANN_TAKE).write_bytes(b"OggS")

    result = etude("delete", ANN, "--yes", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["deleted"]["recordings"] == 1
    assert not (home / "recordings" / ANN_TAKE).exists()
    with ConversationStore(database_url) as store:
        assert store.senders() == [BOB] and [e.via for e in store.erasures()] == ["cli"]


def test_the_cli_asks_first_and_refuses_an_unknown_learner(home: Path, database_url: str) -> None:
    with ConversationStore(database_url) as store:
        fill(store)

    declined = etude("delete", ANN, stdin="n\n")
    unknown = etude("delete", "web:nobody", "--yes")

    assert declined.exit_code == 1 and unknown.exit_code == 2
    assert "no learner 'web:nobody'" in unknown.output
    with ConversationStore(database_url) as store:
        assert store.senders() == [ANN, BOB] and store.erasures() == []
