"""`etude rec train` and `etude rec recommend`: one JSON object on stdout, clear errors, versions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import get_settings
from bot.store import ConversationStore
from recommender.registry import rec_dir
from tests.recommender.learners import TINY, behaviour, build_home

runner = CliRunner()
TRAIN = ["rec", "train", "--no-media", "--config", json.dumps(TINY), "--json"]


def one_json(result) -> dict:
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


@pytest.fixture(scope="module")
def etude(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """`etude` on a home with the small graph and the learners' stored behaviour."""
    home = tmp_path_factory.mktemp("cli-home")
    build_home(home).store.close()
    with ConversationStore(f"sqlite:///{home / 'etude.db'}") as store:
        store.add_behavior(behaviour())
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ETUDE_HOME", str(home))
        mp.setenv("ETUDE_DATA_DIR", str(home / "data"))
        mp.delenv("ETUDE_NEO4J_URI", raising=False)
        mp.delenv("ETUDE_DATABASE_URL", raising=False)
        get_settings.cache_clear()
        yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


@pytest.mark.parametrize("command", ["train", "recommend", "eval"])
def test_every_rec_command_has_help(command: str) -> None:
    result = runner.invoke(app, ["rec", command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.stdout


def test_before_training_recommendations_come_from_the_graph(etude) -> None:
    found = one_json(etude("rec", "recommend", "learner1", "--k", "3", "--json"))
    assert found["source"] == "graph" and found["version"] is None
    assert len(found["recommendations"]) == 3


def test_rollback_without_an_earlier_version_is_an_error(etude) -> None:
    result = etude("rec", "train", "--rollback", "--json")
    assert result.exit_code == 2 and "roll back" in result.output


def test_train_writes_an_active_version_and_recommend_serves_it(etude) -> None:
    trained = one_json(etude(*TRAIN, "--epochs", "1"))
    assert trained["activated"] and trained["active"] == trained["version"]
    assert trained["split"]["protocol"] == "leave-latest-out"
    home = Path(get_settings().home)
    assert (rec_dir(home) / trained["version"] / "metadata.json").exists()
    found = one_json(etude("rec", "recommend", "learner1", "--k", "3", "--kind", "lesson", "--json"))
    assert found["source"] == "mkgat" and found["version"] == trained["version"]
    recs = found["recommendations"]
    assert len(recs) == 3 and {r["kind"] for r in recs} == {"lesson"}
    assert all(r["reason"] is None or r["reason"].startswith("Because ") for r in recs)
    assert any(r["reasons"] for r in recs)
    again = one_json(etude(*TRAIN, "--epochs", "1", "--tolerance", "-1"))  # must win by a whole ndcg
    assert not again["activated"] and again["active"] == trained["version"]
    table = etude("rec", "recommend", "learner1", "--k", "2")
    assert table.exit_code == 0 and "learner1" in table.stdout


def test_bad_options_are_refused(etude) -> None:
    assert etude("rec", "recommend", "learner1", "--kind", "podcast").exit_code == 2
    assert etude("rec", "recommend", "learner1", "--k", "0").exit_code == 2
    assert etude("rec", "train", "--config", "[1]").exit_code == 2
    assert etude("rec", "train", "--works", "some").exit_code == 2


def test_training_without_behaviour_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_home(tmp_path).store.close()
    monkeypatch.setenv("ETUDE_HOME", str(tmp_path))
    monkeypatch.setenv("ETUDE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ETUDE_NEO4J_URI", raising=False)
    monkeypatch.delenv("ETUDE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, TRAIN)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "no learner behaviour" in result.output
