"""kg.extract: gazetteer, tagger, markers, relation classifier, ingestion, persistence, held-out set.

One tiny extractor is trained once per module on a small fixture graph (a few seconds on one CPU
thread); the tests read its behaviour.
"""

from __future__ import annotations

import os
import random

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest
import torch

from kg.embedded import EmbeddedStore
from kg.extract import Extractor, Gazetteer
from kg.extract.evaluate import load_heldout
from kg.extract.relation import PairInput, PieceEncoder, marker_index
from kg.extract.tagger import TaggedSentence, Tagger, spans_to_tags
from kg.extract.text import split_sentences, tokenize
from kg.extract.types import CLASSES, RELATIONS, ExtractedTriple, Mention
from kg.graph import KnowledgeGraph
from kg.schema import Node, Triple


def person(slug: str, name: str, kind: str = "composer", aliases: list[str] | None = None,
           description: str = "") -> Node:
    props = {"name": name, "kind": kind, "aliases": aliases or []}
    if description:
        props["description"] = description
    return Node(f"person:{slug}", "Person", props)


def fixture_graph() -> KnowledgeGraph:
    """A small graph of true facts, enough to train a toy extractor."""
    nodes = [
        person("ludwig_van_beethoven", "Ludwig van Beethoven", aliases=["Beethoven"],
               description="A German composer and pianist who studied with Joseph Haydn."),
        person("joseph_haydn", "Joseph Haydn", aliases=["Haydn"]),
        person("antonio_salieri", "Antonio Salieri", aliases=["Salieri"]),
        person("franz_schubert", "Franz Schubert", aliases=["Schubert"]),
        person("carl_czerny", "Carl Czerny", aliases=["Czerny"]),
        person("franz_liszt", "Franz Liszt", aliases=["Liszt"]),
        person("miles_davis", "Miles Davis", "performer",
               description="An American jazz trumpeter and bandleader."),
        person("john_coltrane", "John Coltrane", "performer", aliases=["Coltrane", "Trane"]),
        person("charlie_parker", "Charlie Parker", "performer", aliases=["Bird"]),
        person("bill_evans", "Bill Evans", "performer"),
        person("the_beatles", "The Beatles", "band", aliases=["Beatles"]),
        person("paul_mccartney", "Paul McCartney", "performer", aliases=["McCartney"]),
        person("john_lennon", "John Lennon", "performer", aliases=["Lennon"]),
        Node("instrument:piano", "Instrument", {"name": "piano", "aliases": ["pianoforte"]}),
        Node("instrument:trumpet", "Instrument", {"name": "trumpet"}),
        Node("instrument:saxophone", "Instrument", {"name": "saxophone", "aliases": ["sax"]}),
        Node("instrument:bass_guitar", "Instrument", {"name": "bass guitar"}),
        Node("genre:jazz", "Genre", {"name": "Jazz"}),
        Node("genre:rock", "Genre", {"name": "Rock", "aliases": ["rock music"]}),
        Node("genre:modal_jazz", "Genre", {"name": "Modal jazz"}),
        Node("era:classical_period", "Era", {"name": "Classical period"}),
        Node("concept:modes", "Concept", {"name": "modes"}),
        Node("concept:dorian_mode", "Concept", {"name": "Dorian mode"}),
        Node("work:kind_of_blue", "Work", {"title": "Kind of Blue", "name": "Kind of Blue",
                                           "form": "album", "year": 1959}),
        Node("work:so_what", "Work", {"title": "So What", "name": "So What", "form": "standard",
                                      "year": 1959}),
        Node("work:yesterday", "Work", {"title": "Yesterday", "name": "Yesterday", "form": "song",
                                        "year": 1965}),
        Node("work:moonlight_sonata", "Work", {
            "title": "Piano Sonata No. 14", "name": "Piano Sonata No. 14",
            "aliases": ["Moonlight Sonata"], "form": "sonata", "year": 1801}),
    ]
    facts = [
        ("person:ludwig_van_beethoven", "STUDIED_WITH", "person:joseph_haydn"),
        ("person:franz_schubert", "STUDIED_WITH", "person:antonio_salieri"),
        ("person:franz_liszt", "STUDIED_WITH", "person:carl_czerny"),
        ("person:carl_czerny", "STUDIED_WITH", "person:ludwig_van_beethoven"),
        ("person:franz_liszt", "STUDIED_WITH", "person:antonio_salieri"),
        ("person:john_coltrane", "INFLUENCED_BY", "person:charlie_parker"),
        ("person:ludwig_van_beethoven", "PLAYS", "instrument:piano"),
        ("person:franz_liszt", "PLAYS", "instrument:piano"),
        ("person:miles_davis", "PLAYS", "instrument:trumpet"),
        ("person:john_coltrane", "PLAYS", "instrument:saxophone"),
        ("person:charlie_parker", "PLAYS", "instrument:saxophone"),
        ("person:bill_evans", "PLAYS", "instrument:piano"),
        ("person:paul_mccartney", "PLAYS", "instrument:bass_guitar"),
        ("person:paul_mccartney", "MEMBER_OF", "person:the_beatles"),
        ("person:john_lennon", "MEMBER_OF", "person:the_beatles"),
        ("person:miles_davis", "IN_GENRE", "genre:jazz"),
        ("person:john_coltrane", "IN_GENRE", "genre:jazz"),
        ("person:the_beatles", "IN_GENRE", "genre:rock"),
        ("work:kind_of_blue", "PERFORMED_BY", "person:miles_davis"),
        ("work:kind_of_blue", "IN_GENRE", "genre:modal_jazz"),
        ("work:kind_of_blue", "EXAMPLE_OF", "concept:modes"),
        ("work:so_what", "COMPOSED_BY", "person:miles_davis"),
        ("work:so_what", "EXAMPLE_OF", "concept:dorian_mode"),
        ("work:yesterday", "COMPOSED_BY", "person:paul_mccartney"),
        ("work:yesterday", "PERFORMED_BY", "person:the_beatles"),
        ("work:moonlight_sonata", "COMPOSED_BY", "person:ludwig_van_beethoven"),
    ]
    graph = KnowledgeGraph(EmbeddedStore(None))
    graph.upsert(nodes, [Triple(h, r, t) for h, r, t in facts], source="test:fixture")
    return graph


TINY = {"per_relation": 70, "none_share": 0.3, "tagger_epochs": 1, "relation_epochs": 5,
        "relation_hidden": 48, "batch_size": 32, "seed": 1, "prose_copies": 0}


@pytest.fixture(scope="module")
def trained() -> tuple[Extractor, KnowledgeGraph]:
    torch.set_num_threads(1)
    graph = fixture_graph()
    extractor = Extractor(TINY)
    extractor.train(graph)
    return extractor, graph


# gazetteer -----------------------------------------------------------------------------------


def test_gazetteer_finds_aliases_case_insensitively_on_word_boundaries() -> None:
    gaz = Gazetteer.from_graph(fixture_graph())
    found = {(m.text, m.id) for m in gaz.find("Trane admired bird's records; the beatles too.")}
    assert ("Trane", "person:john_coltrane") in found
    assert ("the beatles", "person:the_beatles") in found
    # "Bird" is a capitalised one-word alias: lower-case "bird" in a cased text is not the person
    assert not any(i == "person:charlie_parker" for _, i in found)
    assert not gaz.find("Saxophones and trumpeters")  # no partial words


def test_gazetteer_prefers_the_longest_match_and_links_player_nouns() -> None:
    gaz = Gazetteer.from_graph(fixture_graph())
    mentions = gaz.find("Ludwig van Beethoven wrote the Moonlight Sonata; the trumpeter Miles Davis.")
    by_text = {m.text: m for m in mentions}
    assert by_text["Ludwig van Beethoven"].id == "person:ludwig_van_beethoven"
    assert "Beethoven" not in by_text  # swallowed by the longer name
    assert by_text["Moonlight Sonata"].id == "work:moonlight_sonata"
    assert by_text["trumpeter"].id == "instrument:trumpet"
    assert by_text["Miles Davis"].type == "PERSON"


def test_gazetteer_does_not_read_ordinary_words_or_parts_of_compounds_as_names() -> None:
    gaz = Gazetteer.from_nodes([
        Node("work:in_c", "Work", {"name": "In C"}),
        Node("work:21", "Work", {"name": "21"}),
        Node("instrument:harp", "Instrument", {"name": "harp"}),
        Node("instrument:lute", "Instrument", {"name": "lute"}),
        person("john_lennon", "John Lennon", aliases=["Lennon"]),
        person("paul_mccartney", "Paul McCartney", aliases=["McCartney"]),
        Node("work:the_girl_from_ipanema", "Work", {"name": "The Girl from Ipanema"}),
    ])

    def ids(text: str) -> list[str | None]:
        return [m.id for m in gaz.find(text)]

    # a title's capitalised function word written in lower case is an ordinary word
    assert ids("Bach's Passacaglia and Fugue in C minor.") == []
    assert ids("Terry Riley's In C has 53 phrases.") == ["work:in_c"]
    assert ids("in c, every player repeats the phrases") == ["work:in_c"]  # a chat in lower case
    # part of a hyphenated compound with a common word: not the entity
    assert ids("The kora is a 21-string harp-lute.") == []
    assert ids("Adele released 21 in 2011; she plays no harp.") == ["work:21", "instrument:harp"]
    # two names joined by a hyphen are still two names
    assert ids("Yesterday is credited to Lennon-McCartney.") == [
        "person:john_lennon", "person:paul_mccartney"]
    # prose writes a leading article in lower case
    assert ids("Astrud Gilberto sang the Girl from Ipanema.") == ["work:the_girl_from_ipanema"]


def test_a_genre_or_concept_capitalised_inside_a_longer_name_is_part_of_that_name() -> None:
    gaz = Gazetteer.from_nodes([
        Node("genre:jazz", "Genre", {"name": "Jazz"}),
        Node("genre:pop", "Genre", {"name": "Pop"}),
        Node("concept:dorian_mode", "Concept", {"name": "Dorian mode"}),
        Node("era:modern_jazz", "Era", {"name": "Modern jazz"}),
        Node("instrument:cello", "Instrument", {"name": "cello"}),
        person("miles_davis", "Miles Davis"),
    ])

    def ids(text: str) -> list[str | None]:
        return [m.id for m in gaz.find(text)]

    assert ids("Wayne Shorter played in the Jazz Messengers.") == []
    assert ids("Louis Armstrong joined the Creole Jazz Band.") == []
    assert ids("Ravi Shankar played at the Monterey Pop Festival.") == []
    assert ids("Milt Jackson was a founder of the Modern Jazz Quartet.") == []
    assert ids("Pablo Casals recorded the Cello Suites.") == []  # the cello is part of the title
    # a sentence's first word is capitalised anyway; alone, or beside a lower-case word, it is the genre
    assert ids("Jazz took shape in New Orleans.") == ["genre:jazz"]
    assert ids("Miles Davis loved Jazz and pop.") == ["person:miles_davis", "genre:jazz", "genre:pop"]
    assert ids("So What is in the Dorian mode.") == ["concept:dorian_mode"]
    assert ids("the jazz messengers in a chat typed in lower case") == ["genre:jazz"]


def test_a_tagger_span_inside_a_longer_name_or_a_compound_is_dropped_as_the_gazetteers_is() -> None:
    from kg.extract.tagger import Span

    class Tags:  # a tagger that reads "Jazz" as a genre and "harp" as an instrument wherever they stand
        def predict(self, sentences: list[list[str]]) -> list[list[Span]]:
            kinds = {"Jazz": "GENRE", "harp": "INSTRUMENT"}
            return [[Span(k, k + 1, kinds[w], 0.99) for k, w in enumerate(words) if w in kinds]
                    for words in sentences]

    extractor = Extractor(TINY)
    extractor.gazetteer = Gazetteer.from_nodes([person("wayne_shorter", "Wayne Shorter")])
    extractor.tagger = Tags()  # type: ignore[assignment]
    extractor.graph = None
    inside = extractor.mentions("Wayne Shorter played in the Jazz Messengers.")
    assert [m.type for m in inside] == ["PERSON"]
    alone = extractor.mentions("Wayne Shorter played Jazz in Paris.")
    assert [m.text for m in alone if m.type == "GENRE"] == ["Jazz"]
    # a name does not stop inside a run of capitals: "Roxy" is "Roxy Music"
    class Names:
        def predict(self, sentences: list[list[str]]) -> list[list[Span]]:
            return [[Span(k, k + 1, "PERSON", 0.99) for k, w in enumerate(words) if w in ("Roxy", "Sun")]
                    for words in sentences]

    extractor.tagger = Names()  # type: ignore[assignment]
    assert [m.text for m in extractor.mentions("Brian Eno played in Roxy Music in 1972.")] == ["Roxy Music"]
    assert extractor.mentions("Elvis began on Sun Records in Memphis.") == []  # a label: no entity
    extractor.tagger = Tags()  # type: ignore[assignment]
    # part of a hyphenated compound with a common word, as the gazetteer reads it too
    assert not [m for m in extractor.mentions("The kora is a 21-string harp-lute.") if m.type == "INSTRUMENT"]
    assert [m.text for m in extractor.mentions("He played the harp.") if m.type == "INSTRUMENT"] == ["harp"]


def test_sentences_split_after_full_stops_but_not_after_initials_or_abbreviations() -> None:
    text = "J. S. Bach wrote fugues. Symphony No. 9 is by Dvořák! It was finished c. 1893."
    assert [s.text for s in split_sentences(text)] == [
        "J. S. Bach wrote fugues.", "Symphony No. 9 is by Dvořák!", "It was finished c. 1893.",
    ]


# tagger ------------------------------------------------------------------------------------


def test_tagger_finds_an_unseen_capitalised_name_after_training() -> None:
    torch.set_num_threads(1)
    rng = random.Random(0)
    firsts = ["Anna", "Carlos", "Elena", "Hana", "Jamal", "Lena", "Oskar", "Sofia", "Viktor"]
    lasts = ["Becker", "Moreau", "Novak", "Okafor", "Petrov", "Tanaka", "Weber", "Costa"]
    frames = ["{a} studied with {b} .", "{a} was a pupil of {b} in Vienna .",
              "In 1900 {a} took lessons from {b} .", "The critic praised {a} and {b} ."]
    data = []
    for _ in range(300):
        a = f"{rng.choice(firsts)} {rng.choice(lasts)}"
        b = f"{rng.choice(firsts)} {rng.choice(lasts)}"
        words = rng.choice(frames).format(a=a, b=b).split()
        spans = [(k, k + 2, "PERSON") for k in range(len(words) - 1)
                 if f"{words[k]} {words[k + 1]}" in (a, b)]
        data.append(TaggedSentence(words, spans_to_tags(len(words), spans)))
    tagger = Tagger.from_data(data)
    tagger.fit(data, epochs=6, seed=0)
    words = [t.text for t in tokenize("Florence Price studied with George Chadwick.")]
    spans = {(" ".join(words[s.start : s.end]), s.type) for s in tagger.predict([words])[0]}
    assert ("Florence Price", "PERSON") in spans
    assert ("George Chadwick", "PERSON") in spans


# relation classifier -----------------------------------------------------------------------


def test_entity_markers_surround_the_head_and_the_tail_with_their_types() -> None:
    enc = PieceEncoder()
    text = "Kind of Blue was recorded by Miles Davis."
    ids, p1, p2 = enc.encode(PairInput(text, (0, 12), "WORK", (29, 40), "PERSON"))
    v = enc.vocab_size
    pieces = [enc.tok.convert_ids_to_tokens(i) if i < v else f"<{i - v}>" for i in ids]
    open1, close1 = f"<{marker_index(1, 'WORK', False)}>", f"<{marker_index(1, 'WORK', True)}>"
    open2 = f"<{marker_index(2, 'PERSON', False)}>"
    close2 = f"<{marker_index(2, 'PERSON', True)}>"
    assert pieces == [open1, "kind", "of", "blue", close1, "was", "recorded", "by",
                      open2, "miles", "davis", close2, "."]
    assert (p1, p2) == (0, 8)
    # swapping the roles moves the role markers, not the words
    ids2, q1, q2 = enc.encode(PairInput(text, (29, 40), "PERSON", (0, 12), "WORK"))
    assert [i for i in ids2 if i < v] == [i for i in ids if i < v]
    assert (q1, q2) == (8, 0)


def test_studied_with_is_extracted_in_the_right_direction(trained) -> None:
    extractor, _ = trained
    triples = extractor.extract("Franz Schubert studied with Antonio Salieri.")
    found = {(t.head_id, t.relation, t.tail_id) for t in triples}
    assert ("person:franz_schubert", "STUDIED_WITH", "person:antonio_salieri") in found
    assert ("person:antonio_salieri", "STUDIED_WITH", "person:franz_schubert") not in found
    t = next(t for t in triples if t.relation == "STUDIED_WITH")
    assert 0.5 < t.confidence <= 1.0
    assert t.sentence == "Franz Schubert studied with Antonio Salieri."
    assert t.head_span == (0, 14) and t.tail_span == (28, 43)


def test_unrelated_entities_in_one_sentence_give_no_relation(trained) -> None:
    extractor, _ = trained
    probs = extractor.probabilities([
        PairInput("Joseph Haydn and John Lennon appeared on the same radio show.", (0, 12),
                  "PERSON", (17, 28), "PERSON"),
    ])[0]
    assert int(probs.argmax()) == 0  # NONE
    assert abs(float(probs.sum()) - 1.0) < 1e-5


def test_a_fact_named_twice_in_a_sentence_is_extracted_once(trained, monkeypatch) -> None:
    extractor, _ = trained
    text = "Andres Segovia, the Spanish guitarist, made the guitar a concert instrument."
    mentions = [
        Mention(0, 14, "Andres Segovia", "PERSON", "person:andres_segovia", "Andres Segovia"),
        Mention(28, 37, "guitarist", "INSTRUMENT", "instrument:guitar", "guitar", True),
        Mention(48, 54, "guitar", "INSTRUMENT", "instrument:guitar", "guitar", True),
    ]
    monkeypatch.setattr(extractor, "mentions", lambda sentence, offset=0: list(mentions))
    plays = CLASSES.index("PLAYS")

    def probabilities(inputs):
        rows = torch.full((len(inputs), len(CLASSES)), 0.01)
        for k, pair in enumerate(inputs):
            if pair.head_type == "PERSON":  # the nearer naming reads a little surer
                rows[k, plays] = 0.97 if pair.tail[0] == 28 else 0.9
        return rows / rows.sum(dim=1, keepdim=True)

    monkeypatch.setattr(extractor, "probabilities", probabilities)
    triples = extractor.extract(text)
    assert [(t.head_id, t.relation, t.tail_id) for t in triples] == [
        ("person:andres_segovia", "PLAYS", "instrument:guitar")]
    assert triples[0].tail_span == (28, 37)  # from the better-read naming


def test_relation_signatures_are_respected(trained) -> None:
    extractor, _ = trained
    for t in extractor.extract("Miles Davis played the trumpet on Kind of Blue in 1959."):
        assert (t.head_label, t.tail_label) in {
            ("Person", "Instrument"), ("Work", "Person"), ("Person", "Genre"),
            ("Work", "Genre"), ("Work", "Concept"), ("Person", "Person"),
        }
        if t.relation == "PLAYS":
            assert (t.head_label, t.tail_label) == ("Person", "Instrument")


def test_a_band_performs_its_songs_and_composes_none_as_the_catalog_credits_them() -> None:
    from kg.extract.relation import valid_mask
    from kg.extract.types import allowed_relations

    assert allowed_relations("WORK", "PERSON", None, "band") == ["PERFORMED_BY"]
    assert allowed_relations("WORK", "PERSON", None, "composer") == ["COMPOSED_BY", "PERFORMED_BY"]
    assert allowed_relations("WORK", "PERSON") == ["COMPOSED_BY", "PERFORMED_BY"]  # unknown: both
    assert allowed_relations("PERSON", "INSTRUMENT", "band", None) == []  # its members play
    assert allowed_relations("PERSON", "INSTRUMENT", "performer", None) == ["PLAYS"]
    # the classifier's mask leaves COMPOSED_BY out for a band in training and in reading alike
    band = PairInput("Metallica's Master of Puppets", (12, 29), "WORK", (0, 9), "PERSON", None, "band")
    mask = valid_mask([band])[0]
    assert not mask[CLASSES.index("COMPOSED_BY")] and mask[CLASSES.index("PERFORMED_BY")]


# ingestion and persistence -------------------------------------------------------------------


def test_ingest_adds_only_confident_triples_with_provenance_and_creates_new_nodes(
    trained, monkeypatch
) -> None:
    extractor, _ = trained
    graph = fixture_graph()
    sentence = "Florence Price studied with George Chadwick, and Miles Davis knew Haydn."
    canned = [
        ExtractedTriple("person:florence_price", "Florence Price", "Person", "STUDIED_WITH",
                        "person:george_chadwick", "George Chadwick", "Person", 0.93, sentence,
                        (0, 14), (28, 43), "Florence Price", "George Chadwick", False, False),
        ExtractedTriple("person:miles_davis", "Miles Davis", "Person", "INFLUENCED_BY",
                        "person:joseph_haydn", "Joseph Haydn", "Person", 0.41, sentence,
                        (49, 60), (66, 71), "Miles Davis", "Haydn", True, True),
    ]
    monkeypatch.setattr(extractor, "extract", lambda text: list(canned))
    summary = extractor.ingest(graph, sentence, threshold=0.8, source="liner_notes.txt")
    assert summary["added_triples"] == 1
    assert summary["below_threshold"] == 1
    assert summary["new_nodes"] == ["person:florence_price", "person:george_chadwick"]
    node = graph.entity("person:florence_price")
    assert node is not None and node.label == "Person" and node.name == "Florence Price"
    assert node.props["source"] == "liner_notes.txt"
    edge = graph.store.edges(["person:florence_price"], "STUDIED_WITH", "out")[0]
    assert edge.tail == "person:george_chadwick"
    assert edge.props["source"] == "liner_notes.txt"
    assert edge.props["confidence"] == pytest.approx(0.93)
    assert edge.props["updated"]
    assert not graph.store.edges(["person:miles_davis"], "INFLUENCED_BY", "out")
    # authored nodes are not touched by ingestion
    assert graph.entity("person:miles_davis").props["source"] == "test:fixture"


def test_ingest_runs_the_whole_pipeline_on_text(trained) -> None:
    extractor, _ = trained
    graph = fixture_graph()
    summary = extractor.ingest(graph, "Franz Liszt studied with Carl Czerny.", threshold=0.0,
                               source="notes.txt")
    assert summary["extracted"] >= 1
    assert summary["already_known"] + summary["added_triples"] >= 1


def test_a_name_right_after_in_at_or_near_is_a_place_or_a_year_unless_the_graph_says_otherwise() -> None:
    from kg.extract.extractor import _place_or_institution, _placed

    def placed(sentence: str, name: str, unknown: bool = False) -> bool:
        start = sentence.index(name)
        return _placed(sentence, start, start + len(name), name, unknown)

    assert placed("Born in Cremona in 1567, Monteverdi learned his craft there.", "Cremona", True)
    assert placed("Sibelius spent his last years at Ainola.", "Ainola", True)
    assert placed("Taylor Swift moved to New York in 1989.", "1989")
    assert placed("Scarlatti wrote most of his sonatas in Spain.", "Spain")  # a place, not Corea's Spain
    assert not placed("Chick Corea first recorded Spain in 1972.", "Spain")
    assert not placed("The chorale in Bach's St Matthew Passion returns.", "Bach", True)  # possessive
    assert not placed("Phil Collins played in Genesis.", "Genesis")  # a name the graph holds
    assert _place_or_institution(tokenize("the Stanhope Hotel")[1:])
    assert _place_or_institution(tokenize("Sedgwick Avenue"))


def test_save_and_load_give_identical_predictions(trained, tmp_path) -> None:
    extractor, graph = trained
    text = ("Franz Schubert studied with Antonio Salieri. John Coltrane played the saxophone, "
            "and Paul McCartney wrote Yesterday.")
    extractor.save(tmp_path / "relext")
    assert {p.name for p in (tmp_path / "relext").iterdir()} >= {
        "meta.json", "relation.pt", "tagger.pt", "vocab.json", "gazetteer.json"}
    loaded = Extractor.load(tmp_path / "relext", graph)
    before = [t.to_dict() for t in extractor.extract(text)]
    after = [t.to_dict() for t in loaded.extract(text)]
    assert before == after and before
    standalone = Extractor.load(tmp_path / "relext")  # gazetteer from the saved file
    assert [t.to_dict() for t in standalone.extract(text)] == before


# held-out set --------------------------------------------------------------------------------


def test_heldout_file_parses_with_at_least_200_sentences_and_valid_relations() -> None:
    items = load_heldout()
    assert len(items) >= 200
    assert len({i.text for i in items}) == len(items)
    assert all(r in RELATIONS for i in items for _, r, _ in i.triples)
    assert sum(1 for i in items if not i.triples) >= 20  # negatives
    assert {r for i in items for _, r, _ in i.triples} == set(RELATIONS)


def test_the_development_set_is_apart_from_the_held_out_set_and_names_what_it_labels() -> None:
    from kg.extract.evaluate import DEV, occurrences

    dev, heldout = load_heldout(DEV), load_heldout()
    assert len(dev) >= 200 and not {i.text for i in dev} & {i.text for i in heldout}
    assert {r for i in dev for _, r, _ in i.triples} == set(RELATIONS)
    for item in dev:  # both entities are written in the sentence (an instrument may be a player noun)
        for head, relation, tail in item.triples:
            assert occurrences(item.text, head), (item.text, head)
            assert relation == "PLAYS" or occurrences(item.text, tail), (item.text, tail)


# contextual states and unseen-name augmentation ----------------------------------------------


def test_context_encoder_gives_one_state_per_word_that_depends_on_the_sentence() -> None:
    from kg.extract.context import DIM, ContextEncoder

    enc = ContextEncoder()
    a, b = enc.words([["Miles", "Davis", "played", "the", "trumpet", "."],
                      ["The", "trumpet", "lay", "on", "a", "table", "."]])
    assert a.shape == (6, DIM) and b.shape == (7, DIM)
    assert float(a.float().abs().sum(dim=1).min()) > 0  # every word got pieces
    # the same word in two sentences gets two different states
    assert not torch.allclose(a[4].float(), b[1].float())


def test_marked_pieces_point_back_to_the_sentence_for_their_states() -> None:
    from kg.extract.context import ContextEncoder
    from kg.extract.relation import collate

    context = ContextEncoder()
    enc = PieceEncoder(context)
    text = "Kind of Blue was recorded by Miles Davis."
    pair = PairInput(text, (0, 12), "WORK", (29, 40), "PERSON")
    ids, src, p1, p2 = enc.locate(pair)
    assert [i for i, s in zip(ids, src, strict=True) if s < 0] == [
        i for i in ids if i >= enc.vocab_size]  # markers, and only markers, have no source
    states = context(text).states
    *_, ctx = collate([(ids, src, p1, p2)], states)
    first_piece = src.index(0)
    assert torch.allclose(ctx[0, first_piece], states[0].float())
    assert float(ctx[0, p1].abs().sum()) == 0.0  # the opener of the head is a marker


def test_made_up_band_names_and_titles_look_like_names() -> None:
    from kg.extract.distant import Generator, GraphFacts

    graph = fixture_graph()
    gen = Generator(GraphFacts.from_graph(graph), Gazetteer.from_graph(graph), seed=3)
    bands = [gen.fake_band() for _ in range(200)]
    titles = [gen.fake_title() for _ in range(200)]
    assert len(set(bands)) > 100 and len(set(titles)) > 100
    assert all(b[:1].isupper() for b in bands + titles)
    assert any(b.startswith("The ") for b in bands)
    assert any(b.split()[-1] in ("Quartet", "Quintet", "Trio", "Orchestra") for b in bands)


def test_a_pair_is_read_as_what_beats_none_and_a_second_relation_above_the_minimum(trained) -> None:
    extractor, _ = trained
    row = torch.zeros(len(CLASSES))
    row[CLASSES.index("NONE")] = 0.2
    row[CLASSES.index("COMPOSED_BY")] = 0.5
    row[CLASSES.index("PERFORMED_BY")] = 0.3
    names = lambda second: [r for r, _ in extractor._readings(row, second)]  # noqa: E731
    assert names(0.25) == ["COMPOSED_BY", "PERFORMED_BY"]  # written and recorded
    assert names(0.35) == ["COMPOSED_BY"]
    row[CLASSES.index("NONE")], row[CLASSES.index("COMPOSED_BY")] = 0.6, 0.1
    assert names(0.25) == []  # NONE wins


def test_a_saved_model_of_an_older_format_is_replaced_by_a_new_one(tmp_path, monkeypatch) -> None:
    import json

    from kg.extract import load_or_train

    (tmp_path / "meta.json").write_text(json.dumps({"format": 1, "classes": []}))
    calls = []
    monkeypatch.setattr(Extractor, "train", lambda self, graph, **_: calls.append(graph))
    monkeypatch.setattr(Extractor, "save", lambda self, directory: calls.append(directory))
    graph = fixture_graph()
    extractor = load_or_train(graph, tmp_path, progress=False)
    assert isinstance(extractor, Extractor)
    assert calls == [graph, tmp_path]
