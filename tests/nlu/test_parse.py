"""The parse format, fallback, linking and robustness of a trained model."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from nlu.model import Prediction, Span, trim_span
from nlu.service import latin_share

KEYS = {"text", "intent", "intent_ranking", "entities"}
ENTITY_KEYS = {"entity", "value", "start", "end", "confidence", "id"}


def _check_format(parse: dict, text: str) -> None:
    assert set(parse) == KEYS
    assert parse["text"] == text
    assert set(parse["intent"]) == {"name", "confidence"}
    assert isinstance(parse["intent"]["name"], str)
    assert isinstance(parse["intent"]["confidence"], float)
    confidences = [r["confidence"] for r in parse["intent_ranking"]]
    assert confidences == sorted(confidences, reverse=True)
    assert all(
        set(r) == {"name", "confidence"} and 0.0 <= r["confidence"] <= 1.0 for r in parse["intent_ranking"]
    )
    for entity in parse["entities"]:
        assert set(entity) == ENTITY_KEYS
        assert isinstance(entity["start"], int) and isinstance(entity["end"], int)
        assert 0 <= entity["start"] < entity["end"] <= len(text)
        assert entity["id"] is None or isinstance(entity["id"], str)
        assert isinstance(entity["value"], str) and isinstance(entity["confidence"], float)


@pytest.mark.parametrize("text", ["hi", "what is a perfect fifth?", "recommend some jazz piano music"])
def test_a_parse_has_exactly_the_rasa_keys_and_types(nlu, text):
    _check_format(nlu.parse(text), text)


def test_entities_carry_graph_ids_canonical_values_and_offsets_into_the_text(nlu):
    text = "what is a P5 compared to a dom7?"
    prediction = Prediction(
        [("explain_concept", 0.9), ("greet", 0.1)],
        [Span(10, 12, "concept", 0.8), Span(27, 31, "concept", 0.7)],
    )
    parse = nlu._result(text, prediction)
    _check_format(parse, text)
    first, second = parse["entities"]
    assert text[first["start"] : first["end"]] == "P5"
    assert first["id"] == "concept:perfect_fifth" and first["value"] == "perfect fifth"
    assert second["id"] == "concept:dominant_seventh_chord" and second["value"] == "dominant seventh chord"


def test_an_entity_the_graph_does_not_know_keeps_its_text_and_a_null_id(nlu):
    text = "explain the zorblax cadence"
    parse = nlu._result(text, Prediction([("explain_concept", 0.9)], [Span(12, 27, "concept", 0.8)]))
    assert parse["entities"][0]["id"] is None
    assert parse["entities"][0]["value"] == "zorblax cadence"


def test_a_misspelt_name_tagged_in_part_is_widened_to_the_words_that_link(nlu):
    text = "wat is a perfct fith?"
    parse = nlu._result(text, Prediction([("explain_concept", 0.9)], [Span(9, 15, "concept", 0.8)]))
    [entity] = parse["entities"]
    assert entity["id"] == "concept:perfect_fifth"
    assert text[entity["start"]:entity["end"]] == "perfct fith"


def test_widening_takes_neighbouring_words_of_the_clause_never_function_words_or_punctuation():
    from nlu.service import widened

    text = "is the domnant sevnth, a chord?"
    start = text.index("sevnth")
    assert [text[a:b] for a, b in widened(text, start, start + 6)] == ["domnant sevnth"]
    assert widened("what is it", 8, 10) == []
    start = text.index("domnant")
    assert [text[a:b] for a, b in widened(text, start, start + 7)] == ["domnant sevnth"]


def test_a_span_that_took_in_a_function_word_is_linked_without_it(nlu):
    text = "what is a dom7 in"
    start = text.index("dom7")
    spans = [Span(start, len(text), "concept", 0.8)]
    parse = nlu._result(text, Prediction([("explain_concept", 0.9)], spans))
    [entity] = parse["entities"]
    assert entity["id"] == "concept:dominant_seventh_chord" and text[entity["start"]:entity["end"]] == "dom7"


def test_a_span_of_one_function_word_is_no_entity(nlu):
    text = "who played keyboards in the doors"
    spans = [Span(24, 27, "work", 0.8), Span(28, 33, "work", 0.8)]
    parse = nlu._result(text, Prediction([("music_fact", 0.9)], spans))
    assert [e["value"] for e in parse["entities"]] == ["doors"]


def test_narrowing_drops_function_words_at_the_ends_only():
    from nlu.service import narrowed

    text = "is a jig in the style"
    assert [text[a:b] for a, b in narrowed(text, 5, 11)] == ["jig"]
    assert [text[a:b] for a, b in narrowed(text, 0, 8)] == ["jig"]
    assert narrowed(text, 5, 8) == [] and narrowed(text, 9, 15) == []


def test_a_name_tagged_as_the_wrong_kind_of_thing_takes_the_type_the_graph_holds_it_under(nlu):
    text = "what notes are in a dominant seventh chord"
    start = text.index("dominant")
    parse = nlu._result(text, Prediction([("explain_concept", 0.9)], [Span(start, len(text), "work", 0.6)]))
    [entity] = parse["entities"]
    assert (entity["entity"], entity["id"]) == ("concept", "concept:dominant_seventh_chord")
    unknown = nlu._result("who wrote zorblax", Prediction([("music_fact", 0.9)], [Span(10, 17, "work", 0.8)]))
    assert (unknown["entities"][0]["entity"], unknown["entities"][0]["id"]) == ("work", None)


def _spans(text: str, *parts: tuple[str, str, float]) -> list[Span]:
    return [Span(text.index(words), text.index(words) + len(words), etype, p) for words, etype, p in parts]


def test_neighbouring_spans_that_together_are_a_graph_name_are_one_entity_of_its_type(nlu):
    text = "who was Johann Sebastian Bach"
    spans = _spans(text, ("Johann Sebastian", "work", 0.8), ("Bach", "person", 0.9))
    [entity] = nlu._result(text, Prediction([("music_fact", 0.9)], spans))["entities"]
    assert (entity["entity"], entity["id"]) == ("person", "person:johann_sebastian_bach")
    assert text[entity["start"]:entity["end"]] == "Johann Sebastian Bach"


def test_two_names_side_by_side_are_one_name_of_the_more_confident_type(nlu):
    text = "music like Ludovico Einaudi"
    spans = _spans(text, ("Ludovico", "work", 0.76), ("Einaudi", "person", 0.94))
    [entity] = nlu._result(text, Prediction([("recommend_music", 0.9)], spans))["entities"]
    assert (entity["entity"], entity["value"], entity["id"]) == ("person", "Ludovico Einaudi", None)
    assert entity["confidence"] == 0.76


def test_neighbouring_concepts_stay_apart_unless_together_they_are_a_graph_name(nlu):
    for text in ("compare P5 dom7", "compare P5, dom7"):
        spans = _spans(text, ("P5", "concept", 0.9), ("dom7", "concept", 0.9))
        entities = nlu._result(text, Prediction([("compare_concepts", 0.9)], spans))["entities"]
        assert [e["id"] for e in entities] == ["concept:perfect_fifth", "concept:dominant_seventh_chord"]


def test_a_doubtful_span_the_graph_cannot_link_is_dropped_a_sure_one_is_kept(nlu):
    from nlu.service import NLU

    text = "beginner bassist, be gentle with the zorblax cadence"
    spans = _spans(
        text, ("beginner", "skill_level", 0.5), ("gentle", "work", 0.6), ("zorblax cadence", "concept", 0.8)
    )
    prediction = Prediction([("inform_profile", 0.9)], spans)
    assert nlu.unlinked_threshold == 0.7  # as config.yml sets it
    kept = [e["value"] for e in nlu._result(text, prediction)["entities"]]
    assert kept == ["beginner", "zorblax cadence"]  # a skill level is never in the graph
    # without a graph nothing can be linked, so nothing is dropped for it
    alone = NLU(nlu.model, {"unlinked_threshold": 0.7})
    unfiltered = [e["value"] for e in alone._result(text, prediction)["entities"]]
    assert unfiltered == ["beginner", "gentle", "zorblax cadence"]


def test_a_skill_level_synonym_gives_the_canonical_value_without_a_graph_id(nlu):
    nlu.synonyms.setdefault("newbie", "beginner")
    parse = nlu._result(
        "im a newbie", Prediction([("inform_profile", 0.9)], [Span(5, 11, "skill_level", 0.9)])
    )
    assert parse["entities"][0]["value"] == "beginner" and parse["entities"][0]["id"] is None


def test_below_the_threshold_the_intent_is_nlu_fallback_and_the_ranking_is_kept(nlu):
    threshold = nlu.threshold
    try:
        nlu.threshold = 1.01
        fallback = nlu.parse("what is a perfect fifth?")
        nlu.threshold = 0.0
        confident = nlu.parse("what is a perfect fifth?")
    finally:
        nlu.threshold = threshold
    assert fallback["intent"]["name"] == "nlu_fallback"
    assert fallback["intent_ranking"] == confident["intent_ranking"]
    assert fallback["intent_ranking"][0]["name"] == confident["intent"]["name"] != "nlu_fallback"


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_or_blank_text_is_a_fallback_with_no_entities(nlu, text):
    parse = nlu.parse(text)
    _check_format(parse, text)
    assert parse["intent"]["name"] == "nlu_fallback" and parse["entities"] == []


@pytest.mark.parametrize(
    "text",
    [
        "🎹🎶🎸",
        "<b>what</b> is a <i>perfect fifth</i>?<script>alert(1)</script>",
        "什么是纯五度？",
        "что такое чистая квинта?",
        "perfect fifth " * 800,
        "\x00\x1b[31m weird \ufeff bytes",
        "🙂 " * 3000,
    ],
)
def test_unusual_messages_never_raise_and_keep_the_format(nlu, text):
    _check_format(nlu.parse(text), text)


def test_a_very_long_message_is_truncated_with_a_logged_note(nlu, caplog):
    text = "how do i practise scales " * 500
    with caplog.at_level(logging.INFO, logger="nlu.service"):
        parse = nlu.parse(text)
    _check_format(parse, text)
    assert len(text) >= 10_000 and any("truncated" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("text", ["什么是纯五度？", "что такое чистая квинта?"])
def test_other_scripts_are_out_of_scope_or_fallback(nlu, text):
    assert nlu.parse(text)["intent"]["name"] in {"out_of_scope", "nlu_fallback"}


def test_markup_tags_are_blanked_but_offsets_still_point_into_the_original(nlu):
    text = "<p>what is a P5</p>"
    parses = nlu.parse_batch([text, "hello"])
    assert [p["text"] for p in parses] == [text, "hello"]


def test_batch_parsing_matches_single_parsing(nlu):
    texts = ["hi", "", "what is a tritone", "recommend me some baroque music please"]
    batch = nlu.parse_batch(texts)
    for text, parse in zip(texts, batch, strict=True):
        single = nlu.parse(text)
        assert parse["intent"]["name"] == single["intent"]["name"]
        assert [r["name"] for r in parse["intent_ranking"]][:3] == [
            r["name"] for r in single["intent_ranking"]
        ][:3]
        assert [r["confidence"] for r in parse["intent_ranking"]] == pytest.approx(
            [r["confidence"] for r in single["intent_ranking"]], abs=2e-3
        )


@pytest.mark.parametrize("text", ["what is a perfect fifth? 🤔", "🎹 recommend some jazz piano music 🎶"])
def test_entity_offsets_point_into_the_original_text_when_it_has_emoji(nlu, text):
    parse = nlu.parse(text)
    _check_format(parse, text)
    for entity in parse["entities"]:
        surface = text[entity["start"] : entity["end"]]
        assert surface == surface.strip() and not any(ord(ch) > 0x2300 for ch in surface)


def test_parse_batch_from_several_threads_gives_the_same_parses_as_one_thread(nlu):
    texts = ["hi", "what is a tritone", "play it", "recommend me some baroque music please", "no thanks"]
    expected = nlu.parse_batch(texts)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: nlu.parse_batch(texts), range(8)))
    for result in results:
        assert [p["intent"]["name"] for p in result] == [p["intent"]["name"] for p in expected]
        assert [p["entities"] for p in result] == [p["entities"] for p in expected]


def test_spans_are_trimmed_of_articles_and_trailing_punctuation():
    text = "what is the perfect 5th?!"
    assert text[slice(*trim_span(text, 8, len(text)))] == "perfect 5th"
    assert "a tritone."[slice(*trim_span("a tritone.", 0, 10))] == "tritone"
    assert "(Bach)"[slice(*trim_span("(Bach)", 0, 6))] == "Bach"


def test_word_pieces_of_one_word_are_decoded_into_one_span(nlu):
    model = nlu.model
    text = "what is the perfect 5th?"
    enc = model.tokenizer(text, return_offsets_mapping=True)
    offsets = enc["offset_mapping"]
    probs = np.zeros((len(offsets), len(model.tags)))
    b, i = model.tags.index("B-concept"), model.tags.index("I-concept")
    fifth = text.index("5th")
    for k, (s, e) in enumerate(offsets):
        # "the" begins the span, "perfect", the first piece of "5th" and "?" continue it; any further
        # pieces of "5th" say O but belong to their word.
        word = text[s:e]
        tag = b if word == "the" else i if word == "perfect" or s == fifth or word == "?" else 0
        probs[k, tag] = 1.0
    spans = model.decode(text, probs, [list(o) for o in offsets])
    assert [(text[s.start : s.end], s.entity) for s in spans] == [("perfect 5th", "concept")]


def test_latin_share_tells_english_from_other_scripts():
    assert latin_share("hello 👋") == 1.0
    assert latin_share("привет") == 0.0
    assert latin_share("🎹") == 1.0


def test_the_lean_serving_encoder_gives_the_outputs_of_the_transformers_encoder(nlu):
    import torch

    from nlu.model import LeanEncoder

    model = nlu.model
    batch = model.tokenizer(
        ["hi", "what is the difference between a tritone and a perfect fifth?"],
        padding=True,
        return_tensors="pt",
    )
    with torch.inference_mode():
        reference = model.net.encoder(**batch).last_hidden_state
        lean = LeanEncoder(model.net.encoder)(batch["input_ids"], batch["attention_mask"])
    real = batch["attention_mask"].bool()
    assert torch.allclose(lean[real], reference[real], atol=1e-4)


def test_an_int8_model_parses_in_the_same_format(nlu_home):
    from nlu.model import LeanEncoder
    from nlu.service import NLU

    quantized = NLU.load_active(nlu_home)
    quantized.model.serve(quantize=True)
    assert isinstance(quantized.model.net.lean, LeanEncoder)
    for text in ["what is a perfect fifth?", "hi 👋", "play it"]:
        _check_format(quantized.parse(text), text)


def test_names_of_people_and_works_are_linked_by_spelling_and_concepts_also_by_meaning(nlu):
    from nlu.service import NLU

    calls: list[tuple[str, bool]] = []

    class Linker:
        def link(self, mention, k, labels, semantic):
            calls.append((labels[0], semantic))
            return []

    class Graph:
        linker = Linker()

    parser = NLU(nlu.model, {"semantic": True}, graph=Graph())
    for etype in ("person", "work", "concept", "instrument"):
        parser._link("zorblax", etype)
    assert calls == [("Person", False), ("Work", False), ("Concept", True), ("Instrument", True)]


def test_warming_up_loads_the_semantic_linker_once_and_never_raises(nlu, caplog):
    from nlu.service import NLU

    class Linker:
        def __init__(self, fail: bool) -> None:
            self.fail, self.calls = fail, []

        def link(self, mention, k, labels, semantic):
            self.calls.append(semantic)
            if self.fail:
                raise RuntimeError("no embeddings")
            return []

    class Graph:
        def __init__(self, linker: Linker) -> None:
            self.linker = linker

    working = Linker(fail=False)
    NLU(nlu.model, {"semantic": True}, graph=Graph(working)).warm_up()
    assert True in working.calls
    with caplog.at_level(logging.WARNING, logger="nlu.service"):
        NLU(nlu.model, {"semantic": True}, graph=Graph(Linker(fail=True))).warm_up()
