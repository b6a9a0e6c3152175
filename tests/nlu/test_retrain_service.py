"""One real retraining end to end: the service's API starts a tiny training (tests/nlu/small.py)
that includes a reviewed correction; the new model passes the gate, the running service parses
with it without a restart, and a rollback brings the previous one back."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.auth.tokens import new_token
from bot.batching import MicroBatcher
from bot.messages import BotMessage, UserMessage
from bot.nlu_admin import NLUAdmin
from bot.service import Tutor
from bot.settings import Settings
from bot.store import ConversationStore
from nlu.service import active_version, nlu_dir
from tests.bot.accounts import Clock, add_users, make_auth

CORRECTION = {"turn_id": 1, "text": "blorp the snorf", "intent": "ask_example",
              "entities": [{"start": 10, "end": 15, "entity": "work", "value": "snorf"}]}
TEXT = "what is a perfect fifth?"


async def echo(message: UserMessage) -> list[BotMessage]:
    return [{"recipient_id": message.sender_id, "text": message.text}]


def test_a_retraining_from_the_api_is_served_at_once_and_rolled_back(nlu_home, nlu_files, small_graph,
                                                                     tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(nlu_dir(nlu_home), nlu_dir(home))
    first = active_version(home)
    assert first is not None
    # the gate's tolerance is wide here, so that this one tiny training is sure to be activated
    # (a worse model staying out is tested with a test double and in test_training.py)
    config = yaml.safe_load(nlu_files["config"].read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component["name"] == "ModelGate":
            component["tolerance"] = 100.0
    (tmp_path / "config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    settings = Settings(home=home, telegram_token=None)
    tutor = Tutor(settings, small_graph, None, None, None, None)  # type: ignore[arg-type]
    nlu = tutor.load_nlu(first)
    tutor.nlu, tutor.batcher = nlu, MicroBatcher(nlu.parse_batch)
    clock = Clock()
    with ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}") as store:
        auth = make_auth(store, clock)
        add_users(auth, clock)
        token = new_token()
        auth.accounts.add_token("ada", token, "script", clock())
        admin = NLUAdmin(home, load=tutor.load_nlu, swap=tutor.switch_nlu, corrections=lambda: [CORRECTION],
                         data=nlu_files["data"], config=tmp_path / "config.yml")
        app = create_app(echo, media_dir=tmp_path / "media", parse=tutor.batcher, auth=auth, nlu_admin=admin,
                         health=lambda: {"status": "ok", "nlu": tutor.nlu.version})
        ada = {"Authorization": f"Bearer {token.token}"}
        with TestClient(app) as client:
            before = client.post("/model/parse", json={"text": TEXT}).json()
            job_id = client.post("/api/nlu/train", headers=ada).json()["job"]["id"]
            admin.runner.wait(job_id, 600)
            job = client.get(f"/api/nlu/jobs/{job_id}", headers=ada).json()

            assert job["state"] == "succeeded", job["error"]
            new = job["result"]["version"]
            assert job["result"]["activated"] is True and job["result"]["serving"] == new
            assert job["result"]["training_data"]["corrections"] == 1
            assert any(line.endswith("training") for line in job["log"])
            assert client.get("/health").json()["nlu"] == new
            after = client.post("/model/parse", json={"text": TEXT}).json()
            assert after == tutor.load_nlu(new).parse(TEXT)  # the new model, beside the same graph
            assert after["intent_ranking"] != before["intent_ranking"]
            listed = client.get("/api/nlu/versions", headers=ada).json()
            assert listed["active"] == new and listed["versions"][0]["training_data"]["corrections"] == 1
            assert listed["versions"][0]["metrics"]["intent_accuracy"] >= 0

            assert client.post("/api/nlu/rollback", headers=ada).json()["active"] == first
            assert client.get("/health").json()["nlu"] == first
            assert client.post("/model/parse", json={"text": TEXT}).json() == before
