"""Linking mentions to graph entities: exact, alias, fuzzy and semantic, ranked with scores."""

from __future__ import annotations

import pytest

from kg.linking import Linker, normalize
from kg.schema import Node


@pytest.fixture(scope="module")
def linker(tmp_path_factory) -> Linker:
    nodes = [
        Node("concept:perfect_fifth", "Concept", {
            "name": "perfect fifth", "aliases": ["P5", "perfect 5th"],
            "description": "A perfect fifth spans seven semitones, as from C up to G."}),
        Node("concept:major_third", "Concept", {
            "name": "major third", "aliases": ["M3", "maj3"],
            "description": "A major third spans four semitones, as from C up to E."}),
        Node("concept:minor_third", "Concept", {
            "name": "minor third", "aliases": ["m3", "min3"],
            "description": "A minor third spans three semitones, as from C up to E flat."}),
        Node("concept:neapolitan_chord", "Concept", {
            "name": "Neapolitan chord", "aliases": ["N6"],
            "description": "A major triad built on the lowered second scale degree."}),
        Node("person:antonin_dvorak", "Person", {
            "name": "Antonín Dvořák", "aliases": ["Dvorak"],
            "description": "Czech composer of the New World Symphony."}),
        Node("concept:forte", "Concept", {
            "name": "forte (f)", "aliases": ["f", "loud"],
            "description": "Forte, abbreviated f, marks a loud dynamic level."}),
        Node("work:canon_in_d", "Work", {
            "name": "Canon in D", "aliases": ["Pachelbel's Canon"],
            "description": "A canon over a ground bass by Johann Pachelbel."}),
    ]
    return Linker(nodes, cache_dir=tmp_path_factory.mktemp("cache"))


def ids(matches):
    return [m.id for m in matches]


def test_normalisation_spells_ordinals_accidentals_and_drops_articles():
    assert normalize("The Perfect 5th!") == "perfect fifth"
    assert normalize("E♭ major") == "eb major"
    assert normalize("Dvořák") == "dvorak"


@pytest.mark.parametrize("mention", ["perfect fifth", "Perfect Fifth", "perfect 5th", "P5",
                                     "perfekt fifth", "the perfect fifth"])
def test_every_spelling_of_a_perfect_fifth_lands_on_the_same_concept(linker, mention):
    best = linker.link(mention)[0]
    assert best.id == "concept:perfect_fifth"
    assert best.score >= 0.8


def test_an_exact_name_scores_highest_and_says_how_it_matched(linker):
    best = linker.link("perfect fifth")[0]
    assert (best.score, best.method) == (1.0, "exact")
    assert linker.link("perfekt fifth")[0].method == "fuzzy"


def test_case_separates_major_from_minor_interval_abbreviations(linker):
    assert linker.link("M3")[0].id == "concept:major_third"
    assert linker.link("m3")[0].id == "concept:minor_third"


def test_names_with_accents_link_without_them(linker):
    assert linker.link("dvorak")[0].id == "person:antonin_dvorak"
    assert linker.link("Antonin Dvorak")[0].id == "person:antonin_dvorak"


def test_possessive_aliases_link(linker):
    assert linker.link("Pachelbel's canon")[0].id == "work:canon_in_d"


def test_a_paraphrase_links_semantically(linker):
    matches = linker.link("the chord on the flattened second degree", k=3)
    assert matches[0].id == "concept:neapolitan_chord"
    assert matches[0].method == "semantic"


def test_labels_restrict_the_candidates(linker):
    assert all(m.label == "Person" for m in linker.link("Dvorak", labels=["Person"]))
    assert linker.link("perfect fifth", labels=["Work"], semantic=False) == []


def test_empty_or_punctuation_mentions_link_to_nothing(linker):
    assert linker.link("") == []
    assert linker.link("  ?! ") == []


def test_results_are_ranked_and_limited(linker):
    matches = linker.link("third", k=2)
    assert len(matches) <= 2
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_added_nodes_become_linkable(linker):
    linker.add([Node("person:florence_price", "Person", {"name": "Florence Price"})])
    assert linker.link("florence price")[0].id == "person:florence_price"


def test_warming_builds_the_semantic_index_before_any_mention(linker: Linker) -> None:
    size = linker.warm()

    assert size >= 6  # the fixture's concepts, person and work (and whatever earlier tests added)
    assert linker.link("the chord on the flattened supertonic")[0].id == "concept:neapolitan_chord"


def test_names_and_aliases_containing_words_are_found_from_the_index_alone(linker):
    found = {node.id: how for node, how in linker.containing("Third")}
    assert found == {"concept:major_third": "name", "concept:minor_third": "name"}
    assert {node.id: how for node, how in linker.containing("pachelbel")} == {"work:canon_in_d": "alias"}
    assert linker.containing("5th") == [(linker._nodes["concept:perfect_fifth"], "name")]
    assert linker.containing("  ") == [] and linker.containing("tuba") == []


def test_linking_keeps_working_while_another_thread_adds_entities(tmp_path):
    import threading

    linker = Linker([Node("concept:perfect_fifth", "Concept", {"name": "perfect fifth", "aliases": ["P5"]})],
                    cache_dir=tmp_path)
    errors: list[BaseException] = []
    done = threading.Event()

    def add() -> None:
        for n in range(300):
            piece = {"name": f"fifth piece {n}", "aliases": [f"P5 {n}"]}
            linker.add([Node(f"work:piece_{n}", "Work", piece)])
        done.set()

    def read() -> None:
        try:
            while not done.is_set():
                assert linker.link("perfect fifth", semantic=False)[0].id == "concept:perfect_fifth"
                linker.link("fith pece", semantic=False)
                linker.containing("fifth")
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    add()
    for thread in readers:
        thread.join()
    assert errors == []
    assert len(linker.containing("fifth piece")) == 300


def test_a_name_with_a_note_in_brackets_is_found_by_the_word_alone(linker):
    best = linker.link("forte", semantic=False)[0]
    assert (best.id, best.method) == ("concept:forte", "alias")
    assert linker.link("forte (f)")[0].method == "exact"
