"""The authored curriculum and catalog in data/ are complete, consistent and correct."""

from __future__ import annotations

from collections import Counter

import pytest

from kg.build import authored_records, build_graph
from kg.catalog import load_catalog
from kg.curriculum import load_curriculum
from kg.embedded import EmbeddedStore
from kg.graph import KnowledgeGraph
from kg.schema import CATEGORIES
from kg.validate import validate_all


@pytest.fixture(scope="module")
def concepts():
    return load_curriculum()


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def graph():
    store = EmbeddedStore(None)
    build_graph(store)
    return KnowledgeGraph(store)


def test_validation_finds_no_problem_and_every_example_parses():
    assert validate_all() == []


def test_the_curriculum_has_at_least_300_concepts_in_every_category(concepts):
    assert len(concepts) >= 300
    per_category = Counter(c.category for c in concepts)
    assert set(per_category) == set(CATEGORIES)


def test_technique_covers_piano_guitar_voice_and_another_instrument(concepts):
    instruments = Counter(c.instrument for c in concepts if c.category == "technique")
    assert all(instruments[i] >= 5 for i in ("piano", "guitar", "voice"))
    assert any(instruments[i] >= 5 for i in ("violin", "drums", "saxophone"))


@pytest.mark.parametrize(
    "slug",
    ["staff", "treble_clef", "accidentals", "octave", "dotted_notes", "ties", "compound_meter",
     "odd_meter", "syncopation", "triplets", "harmonic_minor_scale", "melodic_minor_scale",
     "circle_of_fifths", "dorian_mode", "blues_scale", "whole_tone_scale", "interval_inversion",
     "compound_intervals", "first_inversion", "dominant_seventh_chord", "suspended_chords",
     "extended_chords", "roman_numerals", "deceptive_cadence", "passing_tone", "voice_leading",
     "secondary_dominants", "modulation", "borrowed_chords", "neapolitan_chord",
     "augmented_sixth_chords", "period", "sentence", "binary_form", "ternary_form", "rondo_form",
     "sonata_form", "fugue", "theme_and_variations", "first_species_counterpoint",
     "fifth_species_counterpoint", "dynamics", "articulation", "tempo_terms", "interval_recognition",
     "ii_v_i", "tritone_substitution", "twelve_bar_blues"],
)
def test_the_topics_the_issue_names_are_taught(concepts, slug):
    assert slug in {c.id for c in concepts}


@pytest.mark.parametrize(
    ("slug", "fact"),
    [("perfect_fifth", "seven semitones"), ("harmonic_minor_scale", "seventh"),
     ("tritone", "six semitones"), ("dominant_seventh_chord", "minor seventh")],
)
def test_descriptions_state_the_defining_facts(concepts, slug, fact):
    description = next(c.description for c in concepts if c.id == slug).lower()
    assert fact in description


def test_the_catalog_has_150_people_of_every_kind_and_400_works(catalog):
    assert len(catalog.people) >= 150
    assert {p["kind"] for p in catalog.people} == {"composer", "performer", "band"}
    assert len(catalog.works) >= 400


def test_the_catalog_spans_medieval_to_today_and_many_traditions(catalog):
    eras = Counter(e for p in catalog.people for e in p.get("eras") or [])
    genres = Counter(g for p in catalog.people for g in p.get("genres") or [])
    assert eras["medieval"] and eras["contemporary"]
    assert all(genres[g] for g in ("classical", "jazz", "pop", "rock", "folk", "world"))


def test_works_are_linked_to_the_concepts_they_illustrate(graph):
    canon = graph.facts("work:canon_in_d")
    assert {"id": "concept:ground_bass", "name": "ground bass"} in canon["examples_of"]
    assert len(graph.store.edges(["concept:ground_bass"], "EXAMPLE_OF", "in")) >= 2


def test_the_built_graph_has_the_counts_the_issue_asks_for(graph):
    stats = graph.stats()["nodes"]
    assert stats["Concept"] >= 300 and stats["Person"] >= 150 and stats["Work"] >= 400


def test_every_music21_corpus_file_is_a_work_linked_to_its_composer(graph):
    records = authored_records()
    corpus_works = [n for n in records.nodes if n.props.get("source") == "music21"
                    and n.label == "Work"]
    assert len(corpus_works) >= 3000
    bach = graph.store.edges(["person:johann_sebastian_bach"], "COMPOSED_BY", "in")
    assert sum(t.head.startswith("work:m21_") for t in bach) >= 300


def test_corpus_titles_carry_no_undecoded_escapes():
    records = authored_records()
    titles = [str(n.props.get("title")) for n in records.nodes if n.props.get("source") == "music21"]
    assert not [t for t in titles if "\\u" in t or "\\x" in t]
    assert "113. Ihr Gestirn', ihr hohlen Lüfte" in titles


def test_learning_paths_over_the_real_curriculum_respect_every_prerequisite(graph):
    for concept in graph.concepts()[::7]:
        order = [n.id for n in graph.learning_path(concept.id)]
        position = {cid: i for i, cid in enumerate(order)}
        for cid in order:
            for t in graph.store.edges([cid], "REQUIRES", "out"):
                assert position[t.tail] < position[cid]


def test_a_work_says_what_its_year_dates_and_only_with_a_known_event(catalog, concepts):
    from dataclasses import replace

    from kg.catalog import YEAR_EVENTS, validate_catalog

    events = Counter(w.get("year_event", "composed") for w in catalog.works)
    assert set(events) <= set(YEAR_EVENTS) and events["premiered"] and events["published"]
    assert all(w.get("year_event") for w in catalog.works if w.get("form") == "album")
    opera = next(w for w in catalog.works if w["id"] == "wagner_tristan_und_isolde")
    assert (opera["year"], opera["year_event"]) == (1865, "premiered")  # composed 1857-59

    wrong = replace(catalog, works=[{**opera, "year_event": "finished"}])
    problems = validate_catalog(wrong, {c.id for c in concepts})
    assert any("year_event must be one of" in p for p in problems)


def test_the_graph_keeps_what_a_works_year_dates(graph):
    assert graph.entity("work:vivaldi_four_seasons").props["year_event"] == "published"
    assert "year_event" not in graph.entity("work:beethoven_moonlight_sonata").props


def test_a_work_whose_one_time_signature_defines_it_carries_it_and_a_bad_one_is_refused(
        graph, catalog, concepts):
    from dataclasses import replace

    from kg.catalog import validate_catalog

    assert graph.entity("work:take_five").props["meter"] == "5/4"
    assert graph.entity("work:debussy_clair_de_lune").props["meter"] == "9/8"
    assert "meter" not in graph.entity("work:kind_of_blue").props  # an album has none
    waltz = next(w for w in catalog.works if w["id"] == "strauss_ii_blue_danube")
    for bad in ("3-4", 3, "3/x"):
        problems = validate_catalog(replace(catalog, works=[{**waltz, "meter": bad}]),
                                    {c.id for c in concepts})
        assert any("meter" in p for p in problems), bad


def test_every_relation_template_can_state_its_facts_from_the_authored_graph(graph):
    """A template no combination of the graph's facts can fill would silently make no sentence."""
    from kg.extract.distant import Generator, GraphFacts
    from kg.extract.gazetteer import Gazetteer
    from kg.extract.templates import TEMPLATES

    facts = GraphFacts.from_graph(graph)
    generator = Generator(facts, Gazetteer.from_graph(graph), seed=0)
    unfilled = []
    for relation, templates in TEMPLATES.items():
        for text, stated in templates:
            head_slot, _, tail_slot = stated[0]
            filled = False
            for head, tail in facts.facts.get(relation, []):
                start = {head_slot: head, tail_slot: tail}
                if not all(generator._fits(slot, node) for slot, node in start.items()):
                    continue
                binding = generator.fill(text, stated, start)
                if binding is not None and generator.consistent(binding, stated):
                    filled = True
                    break
            if not filled:
                unfilled.append(text)
    assert unfilled == []
