"""Last.FM with its knowledge graph: loading with the standard preprocessing, and graph records.

The benchmark data lives outside the repository; tests on it skip when it is absent (the product
runs without it). The small synthetic data set below pins the file formats and the mapping.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from kg import lastfm as lf
from kg.embedded import EmbeddedStore
from kg.schema import ENTITY, PERSON, Node
from kg.store import checked_nodes, checked_triples

# -- a tiny data set in the real formats ----------------------------------------------------------


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    (tmp_path / "item_index2entity_id.txt").write_text("10\t0\n11\t1\n", encoding="utf-8")
    (tmp_path / "kg.txt").write_text(
        "0\tmusic.artist.genre\t2\n"
        "0\tfilm.actor.film\t3\n"
        "0\tfilm.person_or_entity_appearing_in_film.film\t3\n"  # same pair, second relation
        "1\tmusic.artist.origin\t4\n",
        encoding="utf-8",
    )
    (tmp_path / "artists.dat").write_bytes(
        b"id\tname\turl\tpictureURL\n"
        b"10\tThe Kinks\thttp://www.last.fm/music/The+Kinks\t\n"
        b"11\tMot\xf6rhead\thttp://www.last.fm/music/Motorhead\t\n"  # a Latin-1 byte
        b"12\tNot Linked\thttp://www.last.fm/music/x\t\n"
    )
    (tmp_path / "user_artists.dat").write_text(
        "userID\tartistID\tweight\n2\t10\t300\n2\t12\t50\n3\t11\t7\n3\t10\t1\n", encoding="utf-8"
    )
    return tmp_path


def test_loading_keeps_only_linked_artists_as_items(tiny):
    data = lf.load_lastfm(tiny, check=False)

    assert data.items == {10: 0, 11: 1}
    assert data.positives == [(2, 10), (3, 11), (3, 10)]  # artist 12 is not linked: dropped
    assert data.weights[(2, 10)] == 300
    assert data.triples[0] == (0, "music.artist.genre", 2)
    assert data.artist_names[11] == "Motörhead"  # decoded although the file is not UTF-8 there
    assert data.counts() == {
        "users": 2, "items": 2, "positives": 3, "entities": 5, "relations": 4, "triples": 4,
    }


def test_counts_that_differ_from_the_published_ones_are_reported(tiny):
    problems = lf.load_lastfm(tiny, check=False).check_counts()
    assert "users: expected 1,872, found 2" in problems
    assert len(problems) == 6

    with pytest.raises(lf.LastFMDataError, match=r"standard Last\.FM counts.*users: expected 1,872"):
        lf.load_lastfm(tiny)


def test_missing_files_are_a_clear_error(tmp_path):
    with pytest.raises(lf.LastFMDataError, match=r"missing item_index2entity_id\.txt"):
        lf.load_lastfm(tmp_path)


def test_the_data_directory_comes_from_the_environment_or_beside_the_checkout(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("ETUDE_LASTFM_DIR", str(tmp_path))
    assert lf.default_lastfm_dir() == tmp_path

    monkeypatch.delenv("ETUDE_LASTFM_DIR")
    monkeypatch.setattr(lf, "REPO_ROOT", tmp_path / "checkout")
    assert lf.default_lastfm_dir() is None
    (tmp_path / "shared" / "data" / "lastfm").mkdir(parents=True)
    assert lf.default_lastfm_dir() == tmp_path / "shared" / "data" / "lastfm"


def test_entities_become_nodes_and_linked_artists_become_people(tiny):
    nodes, _ = lf.lastfm_records(lf.load_lastfm(tiny, check=False), {})
    by_id = {n.id: n for n in nodes}

    assert sorted(by_id) == [f"lastfm:{i}" for i in range(5)]
    assert by_id["lastfm:0"] == Node("lastfm:0", PERSON, {
        "lastfm_entity_id": 0, "source": "lastfm", "name": "The Kinks", "kind": "artist",
        "lastfm_artist_id": 10,
    })
    assert by_id["lastfm:2"].label == ENTITY
    assert by_id["lastfm:2"].props["lastfm_relations_in"] == ["music.artist.genre"]


def test_freebase_triples_become_edges_typed_by_their_relation(tiny):
    _, triples = lf.lastfm_records(lf.load_lastfm(tiny, check=False), {})
    edges = {(t.head, t.rel, t.tail): t for t in triples if t.rel.startswith("FB_")}

    genre = edges[("lastfm:0", "FB_MUSIC_ARTIST_GENRE", "lastfm:2")]
    assert genre.props == {"relation": "music.artist.genre", "source": "lastfm"}
    # Two Freebase relations between the same entities are two edges.
    assert ("lastfm:0", "FB_FILM_ACTOR_FILM", "lastfm:3") in edges
    assert ("lastfm:0", "FB_FILM_PERSON_OR_ENTITY_APPEARING_IN_FILM_FILM", "lastfm:3") in edges
    assert len(edges) == 4


def test_artists_named_like_a_catalog_person_are_the_same_as_that_person(tiny):
    data = lf.load_lastfm(tiny, check=False)
    _, triples = lf.lastfm_records(data, {"kinks": "person:the_kinks", "motorhead": "person:mh"})

    same = sorted((t.head, t.tail) for t in triples if t.rel == "SAME_AS")
    assert same == [("lastfm:0", "person:the_kinks"), ("lastfm:1", "person:mh")]
    assert all(t.props["source"] == "lastfm" for t in triples)


def test_names_are_normalised_for_matching():
    assert lf.normalise_name("The Kinks") == "kinks"
    assert lf.normalise_name("Céline Dion") == "celine dion"
    assert lf.normalise_name("AC/DC") == "ac dc"
    assert lf.normalise_name("Simon & Garfunkel") == "simon and garfunkel"
    assert lf.normalise_name("The The") == "the"
    assert lf.rel_type("film.person_or_entity_appearing_in_film.film") == (
        "FB_FILM_PERSON_OR_ENTITY_APPEARING_IN_FILM_FILM")


# -- the real benchmark ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real():
    directory = lf.default_lastfm_dir()
    if directory is None or not (directory / "kg.txt").exists():
        pytest.skip(
            "Last.FM benchmark data not found (set ETUDE_LASTFM_DIR or put it in "
            "../shared/data/lastfm); it is optional benchmark data the product runs without"
        )
    return lf.load_lastfm(directory)


def test_the_benchmark_gives_the_published_counts(real):
    assert real.check_counts() == []
    assert real.counts() == {
        "users": 1872, "items": 3846, "positives": 21173,
        "entities": 9366, "relations": 60, "triples": 15518,
    }


def test_the_entity_count_is_the_same_with_or_without_the_item_entities(real):
    heads_and_tails = {e for h, _, t in real.triples for e in (h, t)}
    assert len(heads_and_tails) == 9366
    assert set(real.items.values()) <= heads_and_tails
    assert heads_and_tails == set(range(9366))


def test_the_benchmark_graph_keeps_every_freebase_triple(real):
    nodes, triples = lf.lastfm_records(real, {})
    counts = lf.record_counts(nodes, triples)

    assert counts == {
        "nodes": 9366, "artists": 3846, "entities": 5520, "freebase_edges": 15518,
        "relations": 60, "same_as": 0,
    }
    kept = Counter((t.head, t.props["relation"], t.tail) for t in triples if t.rel.startswith("FB_"))
    assert kept == Counter((f"lastfm:{h}", r, f"lastfm:{t}") for h, r, t in real.triples)
    checked_nodes(nodes)
    checked_triples(triples)


def test_benchmark_artists_link_to_the_catalog_by_name(real):
    # The Beatles are not among the 3,846 linked artists; The Kinks and Céline Dion are.
    catalog = {"the kinks": "person:the_kinks", "celine dion": "person:celine_dion",
               "the beatles": "person:the_beatles"}
    nodes, triples = lf.lastfm_records(real, catalog)
    names = {n.id: n.props.get("name") for n in nodes}

    same = {names[t.head]: t.tail for t in triples if t.rel == "SAME_AS"}
    assert same == {"The Kinks": "person:the_kinks", "Céline Dion": "person:celine_dion"}


def test_the_benchmark_graph_loads_into_a_store(real):
    store = EmbeddedStore()
    store.upsert_nodes([Node("person:the_kinks", PERSON, {"name": "The Kinks"})])
    nodes, triples = lf.lastfm_records(real, {"kinks": "person:the_kinks"})

    store.upsert_nodes(nodes)
    store.upsert_triples(triples)

    counts = store.counts()
    assert counts["nodes"] == {PERSON: 3847, ENTITY: 5520}
    assert counts["edges"]["SAME_AS"] == 1
    assert sum(n for rel, n in counts["edges"].items() if rel.startswith("FB_")) == 15518
    assert len(counts["edges"]) == 61
