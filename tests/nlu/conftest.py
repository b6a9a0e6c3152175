"""One small NLU model per test session: a subset of data/nlu.yml, a 2-layer encoder, one epoch.

It is trained the way a fresh checkout trains its first model (`ensure_model`), into a temporary
ETUDE_HOME, so the whole folder runs in well under two minutes on two cores.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import REPO_ROOT, get_settings
from kg.embedded import EmbeddedStore
from kg.graph import KnowledgeGraph
from kg.schema import Node
from tests.nlu.small import small_training_set


@pytest.fixture(scope="session")
def nlu_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A subset of the project's training data and a fast copy of config.yml."""
    data, config = small_training_set(tmp_path_factory.mktemp("nlu-data"))
    return {"data": data, "config": config, "domain": REPO_ROOT / "domain.yml"}


@pytest.fixture(scope="session")
def nlu_home(tmp_path_factory: pytest.TempPathFactory, nlu_files) -> Iterator[Path]:
    """A temporary ETUDE_HOME (also set in the environment for CLI tests) with a trained model."""
    from nlu.service import ensure_model

    home = tmp_path_factory.mktemp("etude-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ETUDE_HOME", str(home))
        mp.setenv("ETUDE_NLU_THREADS", os.environ.get("ETUDE_NLU_THREADS", "2"))
        get_settings.cache_clear()
        ensure_model(home, data=nlu_files["data"], config=nlu_files["config"], progress=False)
        yield home
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def small_graph() -> KnowledgeGraph:
    graph = KnowledgeGraph(EmbeddedStore(None))
    graph.store.upsert_nodes(
        [
            Node(
                "concept:perfect_fifth",
                "Concept",
                {
                    "name": "perfect fifth",
                    "aliases": ["P5", "perfect 5th"],
                    "description": "Seven semitones, as from C up to G.",
                },
            ),
            Node(
                "concept:dominant_seventh_chord",
                "Concept",
                {"name": "dominant seventh chord", "aliases": ["V7", "dom7"]},
            ),
            Node(
                "person:johann_sebastian_bach",
                "Person",
                {"name": "Johann Sebastian Bach", "aliases": ["Bach"], "source": "catalog:people"},
            ),
            Node(
                "work:canon_in_d",
                "Work",
                {"title": "Canon in D", "aliases": ["Pachelbel's Canon"], "source": "catalog:works"},
            ),
            Node("work:m21_bach_bwv1", "Work", {"title": "bwv1", "source": "music21"}),
            Node("instrument:piano", "Instrument", {"name": "piano", "aliases": ["pianoforte"]}),
            Node("genre:jazz", "Genre", {"name": "Jazz"}),
            Node("era:baroque", "Era", {"name": "Baroque"}),
        ]
    )
    return graph


@pytest.fixture(scope="session")
def nlu(nlu_home: Path, small_graph: KnowledgeGraph):
    from nlu.service import NLU

    return NLU.load_active(nlu_home, graph=small_graph)
