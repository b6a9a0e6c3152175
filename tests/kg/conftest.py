"""A small authored data directory, shaped like data/, for build and CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

CURRICULUM = [
    {"id": "pitch", "name": "pitch", "category": "notation", "grade": 1,
     "description": "Pitch is how high or low a note sounds. It rises with frequency.",
     "example": {"type": "melody", "pitches": "C4 G4"}},
    {"id": "interval", "name": "interval", "category": "intervals", "grade": 2, "requires": ["pitch"],
     "description": "An interval is the distance between two pitches. It is counted in steps.",
     "example": {"type": "interval", "pitches": "C4 E4"}},
    {"id": "perfect_fifth", "name": "perfect fifth", "aliases": ["P5", "perfect 5th"],
     "category": "intervals", "grade": 3, "requires": ["interval"], "related": ["ground_bass"],
     "description": "A perfect fifth spans seven semitones, as from C up to G. It is very stable.",
     "example": {"type": "interval", "pitches": "C4 G4", "expect": {"interval": "P5", "semitones": 7}}},
    {"id": "ground_bass", "name": "ground bass", "category": "form", "grade": 4,
     "requires": ["perfect_fifth"],
     "description": "A ground bass is a short bass line repeated throughout a piece. Upper parts vary."},
    {"id": "piano_posture", "name": "piano posture", "category": "technique", "grade": 1,
     "instrument": "piano",
     "description": "Sit at the front half of the bench with feet flat. "
                    "Keep the forearms level with the keys."},
]
PEOPLE = [
    {"id": "johann_pachelbel", "name": "Johann Pachelbel", "kind": "composer", "born": 1653,
     "died": 1706, "nationality": "German", "eras": ["baroque"], "instruments": ["organ"],
     "description": "German Baroque organist and composer."},
    {"id": "henry_purcell", "name": "Henry Purcell", "kind": "composer", "born": 1659, "died": 1695,
     "nationality": "English", "eras": ["baroque"], "description": "English Baroque composer."},
]
WORKS = [
    {"id": "canon_in_d", "title": "Canon in D", "aliases": ["Pachelbel's Canon"],
     "composers": ["johann_pachelbel"], "year": 1694, "year_approx": True, "form": "canon",
     "eras": ["baroque"], "key": "D major", "examples_of": ["ground_bass"],
     "description": "A canon for three violins over a repeated bass."},
    {"id": "dido_and_aeneas", "title": "Dido and Aeneas", "composers": ["henry_purcell"],
     "year": 1689, "year_approx": True, "form": "opera", "genres": ["opera"],
     "examples_of": ["ground_bass"], "description": "An opera whose lament is built on a ground bass."},
]
VOCAB = {
    "eras": [{"id": "baroque", "name": "Baroque", "description": "1600 to 1750."}],
    "genres": [{"id": "opera", "name": "Opera", "description": "Drama set to music."}],
    "instruments": [
        {"id": "piano", "name": "piano", "description": "A keyboard instrument."},
        {"id": "organ", "name": "organ", "description": "A keyboard instrument with pipes."},
    ],
}


def write_yaml(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def write_authored_data(root: Path) -> Path:
    """The small authored data directory (curriculum, people, works, vocabularies) under `root`."""
    write_yaml(root / "curriculum" / "basics.yml", CURRICULUM)
    write_yaml(root / "catalog" / "people_test.yml", PEOPLE)
    write_yaml(root / "catalog" / "works_test.yml", WORKS)
    for name, items in VOCAB.items():
        write_yaml(root / "catalog" / f"{name}.yml", items)
    return root


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return write_authored_data(tmp_path / "data")
