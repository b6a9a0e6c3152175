"""The assembled service: `build_tutor` with a small real NLU model and `create_service_app` over it.

The model is trained the way a fresh checkout trains its first one, on a subset of data/nlu.yml
with a 2-layer encoder and one epoch (as tests/nlu does), into a temporary ETUDE_HOME that also
holds the authored graph and the conversation database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import actions.services
from bot.service import Tutor, build_tutor, create_service_app, load_dialogue
from bot.settings import Settings
from tests.bot.tutor import build_test_graph
from tests.nlu.small import small_training_set

pytestmark = pytest.mark.slow

QUESTION = "what is a perfect fifth?"


@pytest.fixture(scope="module")
def tutor(tmp_path_factory: pytest.TempPathFactory, tutor_home: Path) -> Iterator[Tutor]:
    """The tutor as `etude serve` builds it, over a home with the graph and a small trained model."""
    from nlu.service import ensure_model

    home = tmp_path_factory.mktemp("service-home")
    build_test_graph(home)
    data, config = small_training_set(tmp_path_factory.mktemp("service-nlu"))
    configured = actions.services.services()  # the session tutor's; build_tutor replaces it
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ETUDE_NLU_THREADS", os.environ.get("ETUDE_NLU_THREADS", "2"))
        ensure_model(home, data=data, config=config, progress=False)
        settings = Settings(
            home=home, database_url=None, telegram_token=None, action_endpoint=None, nlu_cache_size=16
        )
        tutor = build_tutor(settings, progress=False)
        try:
            yield tutor
        finally:
            tutor.store.close()
            actions.services.configure(configured)


@pytest.fixture(scope="module")
def client(tutor: Tutor) -> Iterator[TestClient]:
    with TestClient(create_service_app(tutor)) as client:
        yield client


def test_health_reports_ok_with_the_active_nlu_model(client: TestClient, tutor: Tutor) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "nlu": tutor.nlu.version, "telegram": False}
    assert tutor.nlu.version


def test_the_parse_cache_has_the_configured_size(tutor: Tutor) -> None:
    assert tutor.batcher.cache_size == 16


def test_a_question_over_rest_is_answered_and_stored(client: TestClient, tutor: Tutor) -> None:
    response = client.post("/webhooks/rest/webhook", json={"sender": "ada", "message": QUESTION})

    assert response.status_code == 200
    replies = response.json()
    assert replies and all(reply["recipient_id"] == "ada" for reply in replies)
    assert any(reply.get("text", "").strip() for reply in replies)
    (turn,) = tutor.store.turns("ada")
    assert turn.text == QUESTION
    assert turn.replies == replies
    assert turn.parse == tutor.nlu.parse_batch([QUESTION])[0]  # what the trained model made of it
    assert (tutor.settings.home / "etude.db").is_file()


def test_model_parse_answers_in_rasas_format_with_a_known_intent(client: TestClient) -> None:
    response = client.post("/model/parse", json={"text": QUESTION})

    assert response.status_code == 200
    parse = response.json()
    domain, _ = load_dialogue()
    assert parse["text"] == QUESTION
    assert parse["intent"]["name"] in set(domain.intents) | {"nlu_fallback"}
    assert 0.0 <= parse["intent"]["confidence"] <= 1.0
    ranking = parse["intent_ranking"]
    assert ranking and [r["confidence"] for r in ranking] == sorted(
        (r["confidence"] for r in ranking), reverse=True
    )
    for entity in parse["entities"]:
        assert QUESTION[entity["start"] : entity["end"]].strip() == QUESTION[entity["start"] : entity["end"]]
        assert entity["entity"] in domain.entities
