"""`etude actions`: the project's custom actions behind rasa_sdk's action server, spoken to over HTTP.

The server runs as a subprocess exactly as a deployment would start it (`etude actions --port N`
with `ETUDE_HOME` pointing at a built graph); tests post Rasa-format action calls to its
`/webhook`, and drive the dialogue engine through `bot.executor.RemoteActions` against it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.domain import Domain
from bot.engine import Engine
from bot.executor import Executor, InProcessActions, Outcome, RemoteActions
from bot.messages import UserMessage
from bot.service import load_dialogue
from bot.settings import REPO_ROOT
from bot.tracker import Tracker, event
from tests.bot.tutor import ScriptedNLU

QUESTION = "what is a perfect fifth?"
FIFTH = "concept:perfect_fifth"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def action_server(tutor_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of `etude actions` serving the project's actions over the session's graph."""
    port = free_port()
    log = tmp_path_factory.mktemp("action-server") / "stderr.log"
    env = {**os.environ, "ETUDE_HOME": str(tutor_home), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-c", "from bot.cli import app; app()", "actions", "--port", str(port)]
    with log.open("wb") as err:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"`etude actions` exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"`etude actions` did not answer within 90 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return load_dialogue()[0]


def explain_call(domain: Domain) -> dict[str, Any]:
    """What Rasa posts to an action server to run `action_explain_concept` after the question."""
    entity = {"entity": "concept", "value": "perfect fifth", "start": 10, "end": 23, "confidence": 0.97}
    latest = {
        "text": QUESTION,
        "intent": {"name": "explain_concept", "confidence": 0.98},
        "intent_ranking": [{"name": "explain_concept", "confidence": 0.98}],
        "entities": [entity],
    }
    return {
        "next_action": "action_explain_concept",
        "sender_id": "ada",
        "version": "3.21.0",
        "tracker": {
            "sender_id": "ada",
            "slots": domain.initial_slots(),
            "latest_message": latest,
            "latest_event_time": 1_700_000_000.0,
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
            "latest_input_channel": "rest",
            "events": [
                {"event": "action", "name": "action_session_start", "timestamp": 1_700_000_000.0},
                {"event": "session_started", "timestamp": 1_700_000_000.0},
                {"event": "action", "name": "action_listen", "timestamp": 1_700_000_000.0},
                {"event": "user", "text": QUESTION, "parse_data": latest, "timestamp": 1_700_000_000.0},
            ],
        },
        "domain": domain.as_sdk_dict(),
    }


def questioned_tracker(domain: Domain) -> Tracker:
    """A conversation whose learner has just asked what a perfect fifth is."""
    parse = ScriptedNLU().says(QUESTION, "explain_concept", ("concept", "perfect fifth")).parse_one(QUESTION)
    tracker = Tracker("ada", domain)
    tracker.extend(
        [
            event("action", name="action_session_start"),
            event("session_started"),
            event("action", name="action_listen"),
            event("user", text=QUESTION, parse_data=parse, input_channel="rest"),
        ]
    )
    return tracker


def test_the_server_offers_every_custom_action_of_the_project(action_server: str, domain: Domain) -> None:
    response = httpx.get(f"{action_server}/actions")

    assert response.status_code == 200
    offered = {item["name"] for item in response.json()}
    assert offered == InProcessActions(domain).names()
    assert {"action_explain_concept", "validate_quiz_form", "action_session_start"} <= offered


def test_explaining_a_concept_over_the_webhook_sets_the_concept_and_states_its_defining_fact(
    action_server: str, domain: Domain, tutor_home: Path
) -> None:
    response = httpx.post(f"{action_server}/webhook", json=explain_call(domain), timeout=30)

    assert response.status_code == 200
    result = response.json()
    slots = {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}
    assert slots["concept"] == FIFTH
    assert FIFTH in slots["concepts_seen"]
    (reply,) = result["responses"]
    assert reply["text"].startswith("**Perfect fifth**")
    assert "seven semitones" in reply["text"]
    assert {"title": "Quiz me on this", "payload": '/start_quiz{"concept": "concept:perfect_fifth"}'} in (
        reply["buttons"]
    )
    src = reply["attachment"]["payload"]["src"]
    assert src.startswith("/media/")
    assert (tutor_home / "media" / src.removeprefix("/media/")).stat().st_size > 1000


def test_an_unknown_action_is_answered_with_404_naming_it(action_server: str, domain: Domain) -> None:
    call = {**explain_call(domain), "next_action": "action_launch_rockets"}

    response = httpx.post(f"{action_server}/webhook", json=call, timeout=30)

    assert response.status_code == 404
    assert response.json()["action_name"] == "action_launch_rockets"


def test_remote_actions_give_the_same_outcome_as_in_process_actions(
    action_server: str, domain: Domain
) -> None:
    remote = RemoteActions(domain, f"{action_server}/webhook", InProcessActions(domain).names())

    async def both() -> tuple[Outcome, Outcome]:
        try:
            over_http = await remote.run("action_explain_concept", questioned_tracker(domain))
        finally:
            await remote.client.aclose()
        in_process = await InProcessActions(domain).run("action_explain_concept", questioned_tracker(domain))
        return over_http, in_process

    over_http, in_process = asyncio.run(both())

    assert over_http.events == in_process.events
    assert over_http.messages == in_process.messages
    assert any(
        e["event"] == "slot" and e["name"] == "concept" and e["value"] == FIFTH for e in over_http.events
    )
    assert "seven semitones" in over_http.messages[0]["text"]


def test_the_engine_runs_a_conversation_and_a_quiz_form_through_the_action_server(
    action_server: str, domain: Domain
) -> None:
    nlu = ScriptedNLU().says(QUESTION, "explain_concept", ("concept", "perfect fifth"))
    _, flows = load_dialogue()
    remote = RemoteActions(domain, f"{action_server}/webhook", InProcessActions(domain).names())
    engine = Engine(domain, flows, Executor(domain, remote, seed=7), nlu)

    async def conversation() -> list[list[dict[str, Any]]]:
        from actions.quiz import question
        from music.answers import canonical

        try:
            replies = [
                await engine.handle(UserMessage("ada", text))
                for text in (QUESTION, '/start_quiz{"concept": "concept:perfect_fifth"}')
            ]
            # the question the action server drew, answered the way the tutor writes its answer
            right = canonical(question(engine.trackers["ada"].slots["quiz"]).expected)
            return [*replies, await engine.handle(UserMessage("ada", right))]
        finally:
            await remote.client.aclose()

    answer, quiz, feedback = asyncio.run(conversation())

    assert "seven semitones" in answer[0]["text"]
    assert quiz[0]["text"].startswith("Quiz time: 5 questions on perfect fifth.")
    assert quiz[-1]["text"].startswith("Question 1/5:")
    assert feedback[0]["text"].startswith("✅")  # the answer was checked by validate_quiz_form
    assert feedback[-1]["text"].startswith("Question 2/5:")
    assert engine.trackers["ada"].active_loop == "quiz_form"
