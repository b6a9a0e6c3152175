"""The NLU split: stable as the data grows, so the gate never scores a model on its own training data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from nlu.data import Example, load_nlu
from nlu.split import position, split

REPO_ROOT = Path(__file__).resolve().parents[2]


def examples(n: int, intent: str = "greet", prefix: str = "message") -> list[Example]:
    return [Example(f"{prefix} number {k}", intent) for k in range(n)]


def parts(data: list[Example], seed: int = 13) -> dict[str, str]:
    train, val, test = split(data, 0.15, 0.1, seed)
    return {e.text: name for name, part in (("train", train), ("val", val), ("test", test)) for e in part}


def test_adding_examples_moves_no_existing_example_to_another_part() -> None:
    before = parts(examples(300))
    after = parts(examples(300) + examples(200, "thank", prefix="new phrasing"))

    assert {text: after[text] for text in before} == before


def test_removing_examples_moves_no_remaining_example() -> None:
    data = examples(300)
    before = parts(data)
    after = parts(data[::2])

    assert after == {e.text: before[e.text] for e in data[::2]}


def test_the_same_message_in_another_case_or_spacing_falls_in_the_same_part() -> None:
    assert position("Too  easy", 13) == position(" too easy", 13) == position("TOO EASY", 13)


def test_the_shares_are_kept_and_the_parts_are_disjoint() -> None:
    data = examples(4000)
    train, val, test = split(data, 0.15, 0.1, 13)

    assert len(train) + len(val) + len(test) == len(data)
    assert len({e.text for e in train} | {e.text for e in val} | {e.text for e in test}) == len(data)
    assert 0.13 < len(test) / len(data) < 0.17
    assert 0.08 < len(val) / len(data) < 0.12


def test_another_seed_gives_another_split() -> None:
    assert parts(examples(300), seed=13) != parts(examples(300), seed=14)


def test_no_part_is_empty_on_a_handful_of_examples() -> None:
    train, val, test = split(examples(6), 0.15, 0.1, 13)

    assert train and val and test


def test_shares_that_leave_nothing_to_train_on_are_refused() -> None:
    with pytest.raises(ValueError, match="leave some for training"):
        split(examples(10), 0.6, 0.4, 13)


def test_every_intent_of_the_project_data_is_held_out() -> None:
    data = load_nlu(REPO_ROOT / "data" / "nlu.yml").examples
    _, val, test = split(data, 0.15, 0.1, 13)

    assert set(Counter(e.intent for e in test)) == {e.intent for e in data}
    assert set(Counter(e.intent for e in val)) == {e.intent for e in data}
