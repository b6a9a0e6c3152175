"""Text handling before and after the model: emoji read as words, articles versus note names, typos."""

from __future__ import annotations

import pytest

from nlu.data import Entity, Example, article_length
from nlu.lookups import typo_copies
from nlu.model import _map_offsets, describe_symbols, trim_span


def test_an_emoji_is_read_as_the_words_of_its_unicode_name():
    text, origin = describe_symbols("thanks 🙏")
    assert "folded hands" in text
    assert origin is not None and len(origin) == len(text)
    assert text[: len("thanks")] == "thanks" and origin[: len("thanks")] == list(range(len("thanks")))


def test_text_without_emoji_is_left_alone():
    assert describe_symbols("what is a perfect fifth?") == ("what is a perfect fifth?", None)


@pytest.mark.parametrize("text", ["B♭ major", "F♯ minor", "C♮", "the 𝄞 clef", "今天天气怎么样"])
def test_music_signs_and_other_scripts_are_not_taken_for_emoji(text):
    assert describe_symbols(text) == (text, None)


def test_offsets_inside_an_emoji_description_become_empty_and_the_rest_point_into_the_original():
    original = "👍 play C7"
    text, origin = describe_symbols(original)
    c7 = text.index("C7")
    thumbs = text.index("thumbs")
    mapped = _map_offsets([[thumbs, thumbs + 6], [c7, c7 + 2]], origin)
    assert mapped[0] == [0, 0]
    assert original[mapped[1][0] : mapped[1][1]] == "C7"


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        ("the A minor chord", "A minor chord"),
        ("a minor chord", "minor chord"),
        ("A minor", "A minor"),
        ("an A string", "A string"),
        ("a tempo", "a tempo"),
        ("the Beatles!", "Beatles"),
    ],
)
def test_trimming_drops_articles_but_keeps_the_note_a_and_italian_terms(span, expected):
    start, end = trim_span(span, 0, len(span))
    assert span[start:end] == expected


def test_article_length_counts_the_article_and_its_space():
    assert article_length("the circle of fifths") == 4
    assert article_length("A major scale") == 0
    assert article_length("theory") == 0


def test_typo_copies_misspell_one_word_outside_the_entities_and_keep_the_spans_on_their_words():
    example = Example(
        "please explain the dominant seventh chord again",
        "explain_concept",
        [Entity(19, 41, "concept", "dominant seventh chord")],
    )
    copies = typo_copies([example] * 40, share=1.0, seed=3)
    assert len(copies) == 40
    assert any(c.text != example.text for c in copies)
    for copy in copies:
        (entity,) = copy.entities
        assert copy.text[entity.start : entity.end] == "dominant seventh chord"
        assert abs(len(copy.text) - len(example.text)) <= 1


def test_typo_copies_take_about_the_requested_share():
    examples = [Example(f"what comes after lesson number {i}", "next_lesson") for i in range(400)]
    assert 80 <= len(typo_copies(examples, share=0.3, seed=1)) <= 160
    assert typo_copies(examples, share=0.0) == []
