"""One small NLU model per test session: a subset of data/nlu.yml, a 2-layer encoder, one epoch.

It is trained the way a fresh checkout trains its first model (`ensure_model`), into a temporary
ETUDE_HOME, so the whole folder runs in well under two minutes on two cores.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.settings import REPO_ROOT, get_settings
from kg.embedded import EmbeddedStore
from kg.graph import KnowledgeGraph
from kg.schema import Node
from nlu.data import NLUData, load_nlu, write_nlu

PER_INTENT = 10
FAST = {
    "encoder_layers": 2,
    "max_length": 32,
    "epochs": 1,
    "batch_size": 16,
    "head_learning_rate": 0.01,
    "learning_rate": 0.0003,
    "warmup": 0.0,
}


@pytest.fixture(scope="session")
def nlu_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A subset of the project's training data and a fast copy of config.yml."""
    root = tmp_path_factory.mktemp("nlu-data")
    full = load_nlu(REPO_ROOT / "data" / "nlu.yml")
    per_intent: dict[str, list] = defaultdict(list)
    for ex in full.examples:
        # Keep examples with entities first so the tagger sees some.
        per_intent[ex.intent].append(ex)
    subset = []
    for examples in per_intent.values():
        examples.sort(key=lambda e: -len(e.entities))
        subset += examples[:PER_INTENT]
    data = root / "nlu.yml"
    write_nlu(NLUData(subset, full.synonyms), data)
    config = yaml.safe_load((REPO_ROOT / "config.yml").read_text(encoding="utf-8"))
    for item in config["pipeline"]:
        if item["name"] == "JointTransformerClassifier":
            item.update(FAST)
        if item["name"] == "GraphEntityLinker":
            item["semantic"] = False
        if item["name"] == "ModelGate":
            item["tolerance"] = 0.0
    config_path = root / "config.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return {"data": data, "config": config_path, "domain": REPO_ROOT / "domain.yml"}


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
