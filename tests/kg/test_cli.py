"""The `etude kg` commands: JSON on stdout, clear errors, help for every command."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bot.cli import app, kg_app
from bot.settings import get_settings

runner = CliRunner()


@pytest.fixture
def etude(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("ETUDE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ETUDE_DATA_DIR", str(data_dir))
    monkeypatch.delenv("ETUDE_NEO4J_URI", raising=False)
    get_settings.cache_clear()

    def run(*args: str):
        return runner.invoke(app, list(args))

    yield run
    get_settings.cache_clear()


def one_json(result) -> dict:
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


@pytest.mark.parametrize("command", [c.name for c in kg_app.registered_commands])
def test_every_kg_command_has_help(command):
    result = runner.invoke(app, ["kg", command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout


def test_validate_reports_valid_data(etude):
    assert one_json(etude("kg", "validate", "--json")) == {"ok": True, "problems": []}


def test_build_then_stats_count_nodes_per_label_and_edges_per_relation(etude):
    built = one_json(etude("kg", "build", "--json"))
    assert built["stats"]["nodes"]["Concept"] == 5
    stats = one_json(etude("kg", "stats", "--json"))
    assert stats["nodes"]["Work"] == 2 and stats["edges"]["REQUIRES"] == 3


def test_path_accepts_names_and_skips_known_concepts(etude):
    etude("kg", "build")
    path = one_json(etude("kg", "path", "ground bass", "--known", "interval", "--json"))
    assert path["target"] == "concept:ground_bass"
    assert [s["id"] for s in path["steps"]] == ["concept:perfect_fifth", "concept:ground_bass"]


def test_explain_prints_sentences(etude):
    etude("kg", "build")
    result = etude("kg", "explain", "Canon in D", "Dido and Aeneas")
    assert result.exit_code == 0
    assert "ground bass" in result.stdout


def test_an_unknown_entity_is_a_clear_error(etude):
    etude("kg", "build")
    result = etude("kg", "path", "xylophone sonata in q", "--json")
    assert result.exit_code == 2
    assert "no entity named" in result.stderr
    assert result.stdout == ""


def test_export_and_import_round_trip(etude, tmp_path):
    etude("kg", "build")
    exported = one_json(etude("kg", "export", "--out", str(tmp_path / "g.jsonl"), "--json"))
    imported = one_json(etude("kg", "import", str(tmp_path / "g.jsonl"), "--json"))
    assert (imported["nodes"], imported["edges"]) == (exported["nodes"], exported["edges"])


def test_importing_a_broken_file_changes_nothing(etude, tmp_path):
    etude("kg", "build")
    before = one_json(etude("kg", "stats", "--json"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "node", "id": "person:y", "label": "Person"}\nnot json\n')
    result = etude("kg", "import", str(bad))
    assert result.exit_code == 2 and "line 2" in result.stderr
    assert one_json(etude("kg", "stats", "--json")) == before


def test_facts_and_link(etude):
    etude("kg", "build")
    facts = one_json(etude("kg", "facts", "Pachelbel's Canon", "--json"))
    assert facts["id"] == "work:canon_in_d"
    link = one_json(etude("kg", "link", "P5", "--json"))
    assert link["matches"][0]["id"] == "concept:perfect_fifth"
