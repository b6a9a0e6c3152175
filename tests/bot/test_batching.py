"""The NLU micro-batcher: batches concurrent parses, answers repeated texts from its cache."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import ValidationError

from bot.batching import MicroBatcher
from bot.settings import Settings


class CountingNLU:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def parse_batch(self, texts: list[str]) -> list[dict[str, Any]]:
        self.batches.append(list(texts))
        return [
            {
                "text": t,
                "intent": {"name": "nlu_fallback" if t == "???" else "greet", "confidence": 0.9},
                "entities": [{"entity": "concept", "value": t}],
            }
            for t in texts
        ]


def test_repeated_texts_come_from_the_cache_as_independent_copies() -> None:
    nlu = CountingNLU()
    batcher = MicroBatcher(nlu.parse_batch)

    async def go() -> list[dict[str, Any]]:
        first = await batcher("hi")
        first["entities"].append({"entity": "mutated"})  # a caller changing its parse ...
        second = await batcher("hi")
        third = await batcher("hi")
        await batcher.close()
        return [first, second, third]

    first, second, third = asyncio.run(go())
    assert nlu.batches == [["hi"]]
    assert second == third == {**first, "entities": [{"entity": "concept", "value": "hi"}]}  # ... not others'
    assert second is not third and second["entities"] is not third["entities"]
    assert (batcher.hits, batcher.misses) == (2, 1)


def test_concurrent_duplicates_are_parsed_once_and_fallbacks_are_not_cached() -> None:
    nlu = CountingNLU()
    batcher = MicroBatcher(nlu.parse_batch, max_wait=0.05)

    async def go() -> list[dict[str, Any]]:
        results = await asyncio.gather(batcher("play it"), batcher("play it"), batcher("???"))
        await batcher("???")
        await batcher.close()
        return list(results)

    a, b, unclear = asyncio.run(go())
    assert nlu.batches == [["play it", "???"], ["???"]]
    assert a == b and a is not b and a["entities"] is not b["entities"]
    assert unclear["intent"]["name"] == "nlu_fallback"


def test_the_cache_is_bounded() -> None:
    nlu = CountingNLU()
    batcher = MicroBatcher(nlu.parse_batch, cache_size=2)

    async def go() -> None:
        for text in ("a", "b", "c", "a"):
            await batcher(text)
        await batcher.close()

    asyncio.run(go())
    assert nlu.batches == [["a"], ["b"], ["c"], ["a"]]


def test_a_cache_of_size_zero_parses_every_message() -> None:
    nlu = CountingNLU()
    batcher = MicroBatcher(nlu.parse_batch, cache_size=0)

    async def go() -> None:
        for text in ("hi", "hi"):
            await batcher(text)
        await batcher.close()

    asyncio.run(go())
    assert nlu.batches == [["hi"], ["hi"]]
    assert (batcher.hits, batcher.misses) == (0, 2)


def test_the_cache_size_is_a_setting_and_cannot_be_negative(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ETUDE_NLU_CACHE_SIZE", "0")
    assert Settings(_env_file=None).nlu_cache_size == 0
    monkeypatch.setenv("ETUDE_NLU_CACHE_SIZE", "-1")
    with pytest.raises(ValidationError, match="nlu_cache_size"):
        Settings(_env_file=None)
