"""The tutor's graph follows the authored data: built when missing, brought up to date at start
when a curriculum or catalog file changed, and left alone (no rebuild) when nothing did."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import kg.build
from bot.service import ensure_graph
from bot.settings import Settings
from kg.build import authored_fingerprint, built_marker
from kg.schema import Node, Triple

REPO_DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    data = tmp_path / "data"
    for part in ("curriculum", "catalog"):
        shutil.copytree(REPO_DATA / part, data / part, ignore=shutil.ignore_patterns("*.jsonl"))
    return Settings(home=tmp_path / "home", data_dir=data, _env_file=None)


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    seen: list[Path] = []
    real = kg.build.build_graph

    def counted(store, data_dir=None, *args, **kwargs):
        seen.append(data_dir)
        return real(store, data_dir, *args, **kwargs)

    monkeypatch.setattr(kg.build, "build_graph", counted)
    return seen


def test_a_missing_graph_is_built_and_what_it_was_built_from_is_recorded(settings, builds) -> None:
    graph = ensure_graph(settings)
    try:
        assert graph.entity("concept:perfect_fifth") is not None and len(builds) == 1
        assert built_marker(settings.home).read_text().strip() == authored_fingerprint(settings.data_dir)
    finally:
        graph.store.close()


def test_an_unchanged_start_does_not_build_again(settings, builds) -> None:
    ensure_graph(settings).store.close()
    ensure_graph(settings).store.close()
    assert len(builds) == 1


def test_a_corrected_fact_reaches_the_graph_at_the_next_start_and_ingested_facts_stay(
    settings, builds
) -> None:
    graph = ensure_graph(settings)
    graph.upsert([Node("person:ingested_one", "Person", {"name": "Ingested One"})],
                 [Triple("person:ingested_one", "STUDIED_WITH", "person:joseph_haydn", {"confidence": 0.9})],
                 source="text:notes.txt")
    graph.store.close()
    works = settings.data_dir / "catalog" / "works_classical.yml"
    text = works.read_text(encoding="utf-8")
    works.write_text(text.replace("  title: The Four Seasons\n", "  title: The Four Seasons (Op. 8)\n"),
                     encoding="utf-8")

    graph = ensure_graph(settings)
    try:
        assert len(builds) == 2
        assert graph.entity("work:vivaldi_four_seasons").name == "The Four Seasons (Op. 8)"
        assert graph.entity("person:ingested_one") is not None
        assert built_marker(settings.home).read_text().strip() == authored_fingerprint(settings.data_dir)
    finally:
        graph.store.close()
