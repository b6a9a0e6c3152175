"""Contrastive training copies: a music topic swapped for another subject, labelled out of scope."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import REPO_ROOT
from nlu.contrast import load_off_topic, off_topic_copies
from nlu.data import Entity, Example


def concept_example(text: str, mention: str, intent: str = "ask_prerequisites") -> Example:
    start = text.index(mention)
    return Example(text, intent, [Entity(start, start + len(mention), "concept", mention)])


def test_an_off_topic_copy_puts_a_subject_in_the_concepts_place_and_is_out_of_scope() -> None:
    example = concept_example("what are the prerequisites for the dorian mode?", "dorian mode")

    [copy] = off_topic_copies([example], ["organic chemistry"], share=1.0)

    assert copy == Example("what are the prerequisites for the organic chemistry?", "out_of_scope", [])


def test_a_subject_with_its_own_article_does_not_double_the_article() -> None:
    example = concept_example("what is a tritone", "tritone", "explain_concept")

    [copy] = off_topic_copies([example], ["the cold war"], share=1.0)

    assert copy.text == "what is a cold war"


def test_every_concept_of_a_comparison_is_replaced() -> None:
    text = "compare the major scale and the minor scale"
    example = Example(
        text,
        "compare_concepts",
        [Entity(12, 23, "concept", "major scale"), Entity(32, 43, "concept", "minor scale")],
    )

    [copy] = off_topic_copies([example], ["geometry"], share=1.0)

    assert copy.text == "compare the geometry and the geometry"


@pytest.mark.parametrize(
    "example",
    [
        concept_example("play me a tritone", "tritone", "ask_example"),  # not a topical intent
        Example("who wrote the goldberg variations", "music_fact", [Entity(14, 34, "work", "goldberg")]),
        concept_example("what does staccato mean in my sheet music", "staccato", "explain_concept"),
        Example("explain it again", "explain_concept", []),
    ],
    ids=["not-topical", "not-a-concept", "music-stays-in-the-rest", "no-entity"],
)
def test_messages_that_would_stay_about_music_are_not_copied(example: Example) -> None:
    assert off_topic_copies([example], ["geometry"], share=1.0, music_terms={"sheet music"}) == []


def test_off_topic_copies_take_about_the_requested_share() -> None:
    examples = [concept_example("explain the tritone", "tritone", "explain_concept")] * 400

    assert 90 <= len(off_topic_copies(examples, ["geometry"], share=0.3, seed=2)) <= 150
    assert off_topic_copies(examples, ["geometry"], share=0.0) == []


def test_the_off_topic_list_is_read_and_checked(tmp_path: Path) -> None:
    good = tmp_path / "good.yml"
    good.write_text("off_topic:\n  - algebra\n  - ' tennis '\n", encoding="utf-8")
    bad = tmp_path / "bad.yml"
    bad.write_text("off_topic:\n  - algebra\n  - ''\n", encoding="utf-8")

    assert load_off_topic(good) == ["algebra", "tennis"]
    with pytest.raises(ValueError, match="off_topic"):
        load_off_topic(bad)


def test_the_authored_off_topic_subjects_are_not_music() -> None:
    topics = load_off_topic(REPO_ROOT / "data" / "off_topic.yml")
    music = re.compile(
        r"\b(music|song|scales?|keys?|notes?|pitch|measures?|bars?|rests?|chords?|tones?|rhythm|tempo|"
        r"harmony|composition|theory|melody|instrument|sing|band|concert|opera)\b",
        re.I,
    )

    assert len(topics) >= 100
    assert [t for t in topics if music.search(t)] == []
    assert len(set(topics)) == len(topics)


def test_no_off_topic_subject_is_named_by_a_held_out_message() -> None:
    """The held-out split must keep measuring subjects the model has never seen as out of scope."""
    from nlu.data import component, load_config, load_nlu
    from nlu.split import split

    config = load_config(REPO_ROOT / "config.yml")
    params = component(config, "JointTransformerClassifier")
    examples = load_nlu(REPO_ROOT / "data" / "nlu.yml").examples
    _, _, held_out = split(
        examples, float(params["test_share"]), float(params["validation_share"]), int(params["seed"])
    )
    texts = [e.text.lower() for e in held_out] + [
        e.text.lower() for e in load_nlu(REPO_ROOT / "data" / "nlu_test.yml").examples
    ]
    topics = load_off_topic(REPO_ROOT / "data" / "off_topic.yml")

    assert [t for t in topics if any(re.search(rf"\b{re.escape(t.lower())}\b", x) for x in texts)] == []
