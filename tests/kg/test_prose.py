"""kg.extract.prose: hand-annotated training sentences, how they are checked and how they train."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.extract.distant import build_corpus, pair_examples, renamed, tagged
from kg.extract.evaluate import DEV, HELDOUT, load_heldout
from kg.extract.gazetteer import Gazetteer
from kg.extract.prose import TRAIN_DIR, annotated, load
from kg.extract.types import NONE, RELATIONS

LEE_MORGAN = '''
- text: "The trumpeter Lee Morgan recorded The Sidewinder for Blue Note in 1963, with Joe Henderson on
    tenor saxophone."
  entities:
    - ["trumpeter", INSTRUMENT]
    - ["Lee Morgan", PERSON]
    - ["The Sidewinder", WORK]
    - ["Joe Henderson", PERSON]
    - ["tenor saxophone", INSTRUMENT]
  triples:
    - ["Lee Morgan", PLAYS, "trumpeter"]
    - ["The Sidewinder", PERFORMED_BY, "Lee Morgan"]
    - ["Joe Henderson", PLAYS, "tenor saxophone"]
- text: "Ringo Starr replaced Pete Best as the Beatles' drummer; Best later said Starr had been a friend."
  entities:
    - ["Ringo Starr", PERSON]
    - ["Pete Best", PERSON]
    - ["Best", PERSON]
    - ["Starr", PERSON]
    - ["Beatles", BAND]
    - ["drummer", INSTRUMENT]
  triples:
    - ["Ringo Starr", MEMBER_OF, "Beatles"]
    - ["Pete Best", MEMBER_OF, "Beatles"]
'''


def write(tmp_path: Path, text: str, name: str = "set.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def bad(tmp_path: Path, entities: str, triples: str) -> str:
    text = (f'- text: "Paul McCartney played bass in the Beatles."\n'
            f'  entities:\n{entities}\n  triples:\n{triples}\n')
    with pytest.raises(ValueError) as err:
        load([write(tmp_path, text)])
    return str(err.value)


def test_an_annotated_file_loads_with_its_entities_and_triples(tmp_path: Path) -> None:
    items = load([write(tmp_path, LEE_MORGAN)])
    assert len(items) == 2
    assert ("The Sidewinder", "WORK") in items[0].entities
    assert ("The Sidewinder", "PERFORMED_BY", "Lee Morgan") in items[0].triples


PAUL = '    - ["Paul McCartney", PERSON]\n'


@pytest.mark.parametrize(("entities", "triples", "says"), [
    ('    - ["Paul MacCartney", PERSON]', "    []", "not written in the sentence"),
    ('    - ["Paul McCartney", MUSICIAN]', "    []", "unknown type MUSICIAN"),
    (PAUL + '    - ["Beatles", BAND]', '    - ["Paul McCartney", JOINED, "Beatles"]',
     "unknown relation JOINED"),
    (PAUL + '    - ["bass", INSTRUMENT]', '    - ["McCartney", PLAYS, "bass"]',
     "'McCartney' in a triple is not among the entities"),
    (PAUL + '    - ["Beatles", PERSON]', '    - ["Paul McCartney", MEMBER_OF, "Beatles"]',
     "MEMBER_OF cannot join a PERSON to a PERSON"),
    ('    - ["Beatles", BAND]\n    - ["bass", INSTRUMENT]', '    - ["Beatles", PLAYS, "bass"]',
     "PLAYS cannot join a BAND to a INSTRUMENT"),
    (PAUL + '    - ["Paul McCartney", BAND]', "    []", "given two types"),
])
def test_a_mistake_in_an_annotation_is_refused_with_where_it_is(tmp_path: Path, entities: str, triples: str,
                                                                says: str) -> None:
    message = bad(tmp_path, entities, triples)
    assert says in message and "set.yml[0]" in message


def test_the_same_sentence_in_two_files_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"b.yml\[0\]: the same sentence as a.yml\[0\]"):
        load([write(tmp_path, LEE_MORGAN, "a.yml"), write(tmp_path, LEE_MORGAN, "b.yml")])


def test_every_occurrence_is_a_mention_and_every_pair_of_occurrences_is_labelled(tmp_path: Path) -> None:
    sentence = annotated(load([write(tmp_path, LEE_MORGAN)]))[1]
    assert [m.text for m in sentence.mentions] == ["Ringo Starr", "Pete Best", "Beatles", "drummer", "Best",
                                                    "Starr"]  # "Best" inside "Pete Best" is not a second one
    labelled = {(sentence.mentions[i].text, sentence.mentions[j].text): rels
                for (i, j), rels in sentence.relations.items()}
    assert labelled == {("Ringo Starr", "Beatles"): ["MEMBER_OF"], ("Pete Best", "Beatles"): ["MEMBER_OF"]}
    band = sentence.mentions[2]
    assert (band.type, band.kind) == ("PERSON", "band")


def test_unlisted_names_are_taught_as_no_entity_and_unstated_pairs_as_no_relation(tmp_path: Path) -> None:
    sentence = annotated(load([write(tmp_path, LEE_MORGAN)]))[0]
    tags = tagged([sentence])[0]
    assert [t for w, t in zip(tags.words, tags.tags, strict=True) if w in ("Blue", "Note")] == ["O", "O"]
    assert tags.tags[tags.words.index("Sidewinder") - 1] == "B-WORK"
    pairs = {(p.head.text, p.tail.text): p.labels for p in pair_examples([sentence])}
    assert pairs[("The Sidewinder", "Lee Morgan")] == ["PERFORMED_BY"]
    assert pairs[("The Sidewinder", "Joe Henderson")] == [NONE]
    assert pairs[("Joe Henderson", "trumpeter")] == [NONE]


class _Names:
    """The two name makers `renamed` uses, predictable."""

    def __init__(self) -> None:
        self.n = 0

    def fake_person(self) -> str:
        self.n += 1
        return f"Zed Person{self.n}"

    def fake_band(self) -> str:
        return "The Quiet Kites"


def test_a_renamed_copy_keeps_the_wording_and_moves_the_spans_with_the_names(tmp_path: Path) -> None:
    sentence = annotated(load([write(tmp_path, LEE_MORGAN)]))[1]
    copy = renamed(sentence, _Names())  # type: ignore[arg-type]
    assert copy.text == ("Zed Person1 replaced Zed Person2 as the Quiet Kites' drummer; "
                         "Zed Person3 later said Zed Person4 had been a friend.")
    assert [copy.text[m.start:m.end] for m in copy.mentions] == [m.text for m in copy.mentions]
    assert copy.relations == sentence.relations


def test_prose_comes_into_the_corpus_as_written_and_renamed(tmp_path: Path) -> None:
    from tests.kg.test_extract import fixture_graph

    graph = fixture_graph()
    gazetteer = Gazetteer.from_graph(graph)
    prose = annotated(load([write(tmp_path, LEE_MORGAN)]))
    corpus = build_corpus(graph, gazetteer, per_relation=5, prose=prose, prose_copies=3)
    written = [s for s in corpus if s.source == "prose"]
    assert len(written) == 6 and sum(s.text == prose[0].text for s in written) == 1
    assert sorted(len(s.mentions) for s in written) == sorted([len(p.mentions) for p in prose] * 3)


def test_the_shipped_training_prose_is_valid_and_apart_from_the_evaluation_sets() -> None:
    assert len(list(TRAIN_DIR.glob("*.yml"))) >= 6
    items = load()
    assert len(items) >= 500
    assert {r for i in items for _, r, _ in i.triples} == set(RELATIONS)
    fold = lambda text: " ".join(text.lower().split())  # noqa: E731
    evaluation = {fold(i.text) for i in load_heldout(HELDOUT) + load_heldout(DEV)}
    assert not {fold(i.text) for i in items} & evaluation


def test_kg_validation_names_a_bad_training_sentence_and_keeps_the_good_ones(data_dir: Path) -> None:
    from kg.extract.prose import read
    from kg.validate import validate_all

    train = data_dir / "relext" / "train"
    train.mkdir(parents=True)
    write(train, LEE_MORGAN, "good.yml")
    first = LEE_MORGAN.split('- text: "Ringo')[0]
    write(train, first.replace('["Lee Morgan", PERSON]', '["Lee Morgen", PERSON]'), "typo.yml")
    problems = validate_all(data_dir)
    assert problems == ["relext training prose: typo.yml[0]: 'Lee Morgen' is not written in the sentence"]
    items, errors = read([train / "good.yml"])
    assert len(items) == 2 and errors == []
    assert validate_all(data_dir, prose=False) == []


def test_training_reads_the_prose_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kg.extract import Extractor, prose
    from tests.kg.test_extract import TINY, fixture_graph

    monkeypatch.setattr(prose, "TRAIN_DIR", tmp_path)
    write(tmp_path, LEE_MORGAN)
    extractor = Extractor({**TINY, "prose_copies": 2, "per_relation": 10, "relation_epochs": 1,
                           "context": False})
    metrics = extractor.train(fixture_graph())
    assert metrics["sources"]["prose"] == 4  # two sentences, each as written and renamed
    assert metrics["pair_labels"]["PERFORMED_BY"] >= 2
