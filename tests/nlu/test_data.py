"""The Rasa-format loader and writer, the graph lookup tables and the data/domain/config validator."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.settings import REPO_ROOT
from nlu.data import INTENTS, Entity, Example, NLUData, load_nlu, parse_example, validate, write_nlu
from nlu.lookups import augment, lookup_tables

RASA = """version: "3.1"
nlu:
- intent: explain_concept
  examples: |
    - what is a [perfect 5th]{"entity": "concept", "value": "perfect fifth"}?
    - explain the [tritone](concept) please
    - tell me about [P5](concept:perfect fifth)
- synonym: dominant seventh chord
  examples: |
    - V7
    - dom7
- lookup: instrument
  examples: |
    - piano
- regex: bpm
  examples: |
    - \\d{2,3} ?bpm
"""


def _load(tmp_path: Path, text: str = RASA) -> NLUData:
    path = tmp_path / "nlu.yml"
    path.write_text(text, encoding="utf-8")
    return load_nlu(path)


def test_markup_is_stripped_and_entity_spans_point_into_the_plain_text(tmp_path):
    data = _load(tmp_path)
    first, second, third = data.examples
    assert first.text == "what is a perfect 5th?"
    assert first.entities == [Entity(10, 21, "concept", "perfect fifth")]
    assert second.text[second.entities[0].start : second.entities[0].end] == "tritone"
    assert second.entities[0].value == "tritone"
    assert third.entities[0].value == "perfect fifth"
    assert third.text == "tell me about P5"


def test_synonyms_lookups_and_regexes_are_read_and_annotated_values_become_synonyms(tmp_path):
    data = _load(tmp_path)
    assert data.synonyms["dominant seventh chord"] == ["V7", "dom7"]
    assert set(data.synonyms["perfect fifth"]) == {"perfect 5th", "P5"}
    assert data.synonym_map()["dom7"] == "dominant seventh chord"
    assert data.lookups == {"instrument": ["piano"]}
    assert data.regexes == {"bpm": ["\\d{2,3} ?bpm"]}


def test_written_files_read_back_identically(tmp_path):
    data = _load(tmp_path)
    out = tmp_path / "out.yml"
    write_nlu(data, out)
    again = load_nlu(out)
    assert again.examples == data.examples
    assert again.synonyms == data.synonyms
    assert again.lookups == data.lookups and again.regexes == data.regexes


def test_a_line_without_markup_is_one_plain_example():
    assert parse_example("hi there!", "greet") == Example("hi there!", "greet", [])


def test_the_project_data_domain_and_config_agree():
    assert validate(REPO_ROOT / "data" / "nlu.yml", REPO_ROOT / "domain.yml", REPO_ROOT / "config.yml") == []


def test_every_contract_intent_has_at_least_25_examples_in_the_project_data():
    data = load_nlu(REPO_ROOT / "data" / "nlu.yml")
    for intent in INTENTS:
        assert sum(1 for e in data.examples if e.intent == intent) >= 25, intent


FOLLOW_UP_INTENTS = (
    "ask_prerequisites",
    "ask_example",
    "explain_concept",
    "compare_concepts",
    "start_quiz",
    "music_fact",
)


def test_the_project_data_teaches_follow_ups_that_lean_on_the_conversation_for_their_topic():
    data = load_nlu(REPO_ROOT / "data" / "nlu.yml")
    pronoun = {"it", "its", "that", "them", "this", "those", "he", "she", "him", "her"}
    for intent in FOLLOW_UP_INTENTS:
        follow_ups = [
            e
            for e in data.examples
            if e.intent == intent and not e.entities and pronoun & set(e.text.lower().strip("?!. ").split())
        ]
        assert len(follow_ups) >= 5, intent
    nexts = [e for e in data.examples if e.intent == "next_lesson" and "next" in e.text.lower().split()]
    assert len(nexts) >= 5


def test_fragments_naming_a_concept_are_tagged_in_follow_ups_and_profiles_name_instrument_and_level():
    data = load_nlu(REPO_ROOT / "data" / "nlu.yml")
    starts = ("what about", "and ")
    fragments = [e for e in data.examples if e.intent == "explain_concept" and e.text.startswith(starts)]
    assert sum(1 for e in fragments if any(x.entity == "concept" for x in e.entities)) >= 10
    profiles = [e for e in data.examples if e.intent == "inform_profile"]
    both = [e for e in profiles if {"instrument", "skill_level"} <= {x.entity for x in e.entities}]
    assert len(both) >= 15
    assert data.synonym_map().get("guitarist") == "guitar"


def test_quiz_answers_have_no_intent_of_their_own():
    data = load_nlu(REPO_ROOT / "data" / "nlu.yml")
    assert set(data.intents) == set(INTENTS)


def test_the_validator_reports_a_domain_missing_an_intent_and_an_entity_type(tmp_path):
    domain = yaml.safe_load((REPO_ROOT / "domain.yml").read_text())
    domain["intents"].remove("greet")
    domain["entities"].remove("era")
    path = tmp_path / "domain.yml"
    path.write_text(yaml.safe_dump(domain))
    problems = validate(REPO_ROOT / "data" / "nlu.yml", path, REPO_ROOT / "config.yml")
    assert any("'greet'" in p and "domain" in p for p in problems)
    assert any("'era'" in p for p in problems)


def test_the_validator_reports_too_few_examples_and_bad_spans(tmp_path):
    path = tmp_path / "nlu.yml"
    path.write_text(RASA.replace("[tritone](concept)", "[the tritone](concept)"), encoding="utf-8")
    problems = validate(path, REPO_ROOT / "domain.yml", REPO_ROOT / "config.yml")
    assert any("'greet' has 0 examples" in p for p in problems)
    assert any("'the tritone'" in p and "article" in p for p in problems)


def test_the_validator_reports_a_config_without_pipeline(tmp_path):
    path = tmp_path / "config.yml"
    path.write_text("language: en\npolicies: []\n")
    problems = validate(REPO_ROOT / "data" / "nlu.yml", REPO_ROOT / "domain.yml", path)
    assert "config: no pipeline" in problems


def test_lookup_tables_come_from_graph_names_and_aliases_without_corpus_works(small_graph):
    tables = lookup_tables(small_graph)
    assert {"perfect fifth", "P5", "perfect 5th"} <= set(tables["concept"])
    assert "Canon in D" in tables["work"] and "bwv1" not in tables["work"]
    assert tables["person"] == ["Bach", "Johann Sebastian Bach"]
    assert tables["genre"] == ["Jazz"] and tables["era"] == ["Baroque"]


def test_augmented_examples_swap_entity_values_for_lookup_entries_with_correct_spans(small_graph):
    example = parse_example("what is a [tritone](concept) on [guitar](instrument)?", "explain_concept")
    tables = lookup_tables(small_graph)
    copies = augment([example], tables, copies=3, seed=1)
    assert len(copies) == 3
    for copy in copies:
        concept, instrument = copy.entities
        assert copy.text[concept.start : concept.end].lower() in {t.lower() for t in tables["concept"]}
        assert copy.text[instrument.start : instrument.end].lower() in {"piano", "pianoforte"}
        assert copy.text.startswith("what is a ") and copy.text.endswith("?")


def test_the_gazetteer_finds_the_longest_entries_as_whole_words_ignoring_case(small_graph):
    from nlu.lookups import Gazetteer

    gazetteer = Gazetteer(lookup_tables(small_graph))
    text = "play Canon in D on the PIANO, then a perfect 5th and some jazz; pianoforte-ish"
    found = [(text[s:e], t) for s, e, t in gazetteer.match(text)]
    assert ("Canon in D", "work") in found and ("PIANO", "instrument") in found
    assert ("perfect 5th", "concept") in found and ("jazz", "genre") in found
    assert not any(t == "instrument" and s == "pianoforte-ish" for s, t in found)
