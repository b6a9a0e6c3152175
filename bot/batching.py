"""Micro-batching for the NLU: concurrent requests share one encoder pass, and repeated texts are
answered from a cache.

Under load, twenty learners typing at once cost about as much as a few single parses, because a
transformer's forward pass on a batch is far cheaper than the same number of separate passes.
Requests wait at most `max_wait` seconds for company; one worker thread runs the batches, so
torch is never entered from two threads at once.

Learners repeat themselves ("hi", "play it", "too hard", "quiz me"), and a parse is a pure function
of the text for a loaded model and graph, so the last `cache_size` distinct parses are kept (as
JSON, so every caller gets its own copy to mutate). Measured with bench/load_chat.py: the encoder
plus entity linking cost 35-90 ms of CPU per message on the 2-core machine, a cache hit ~0.05 ms.
Fallback parses are not cached: a failed prediction also answers `nlu_fallback`, and it must not
stick to the text.

`replace(batch_fn)` swaps the model while the service runs (a new NLU version): batches already
handed to the old function finish with it, but their parses are not cached, and the cache is
emptied, so from the swap on every new request is answered by the new model only.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

BatchFn = Callable[[list[str]], list[dict[str, Any]]]
FALLBACK = "nlu_fallback"


class MicroBatcher:
    def __init__(
        self, batch_fn: BatchFn, max_batch: int = 32, max_wait: float = 0.002, cache_size: int = 4096
    ) -> None:
        self.batch_fn = batch_fn
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.cache_size = cache_size
        self.hits = 0
        self.misses = 0
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._queue: asyncio.Queue[tuple[str, asyncio.Future[dict[str, Any]]]] | None = None
        self._worker: asyncio.Task[None] | None = None
        # replace() may be called from another thread (a training job): the function, its
        # generation and the cache change together under this lock.
        self._lock = threading.Lock()
        self._generation = 0

    def replace(self, batch_fn: BatchFn) -> None:
        """Parse with `batch_fn` from now on; the cache (the old model's parses) is emptied."""
        with self._lock:
            self.batch_fn = batch_fn
            self._generation += 1
            self._cache.clear()

    async def __call__(self, text: str) -> dict[str, Any]:
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
        if cached is not None:
            self.hits += 1
            return json.loads(cached)
        self.misses += 1
        if self._queue is None or self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = asyncio.get_running_loop().create_task(self._run())
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        await self._queue.put((text, future))
        return await future

    def _remember(self, text: str, result: dict[str, Any], generation: int) -> None:
        if self.cache_size <= 0 or (result.get("intent") or {}).get("name") == FALLBACK:
            return
        try:
            encoded = json.dumps(result)
        except (TypeError, ValueError):  # not plain JSON: never cached, always parsed
            return
        with self._lock:
            if generation != self._generation:  # parsed by a model replaced meanwhile
                return
            self._cache[text] = encoded
            self._cache.move_to_end(text)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            deadline = asyncio.get_running_loop().time() + self.max_wait
            while len(batch) < self.max_batch:
                timeout = deadline - asyncio.get_running_loop().time()
                try:
                    batch.append(
                        self._queue.get_nowait()
                        if timeout <= 0
                        else await asyncio.wait_for(self._queue.get(), timeout)
                    )
                except (asyncio.QueueEmpty, TimeoutError):
                    break
            texts = list(dict.fromkeys(text for text, _ in batch))  # the same text is parsed once
            with self._lock:
                batch_fn, generation = self.batch_fn, self._generation
            try:
                results = await asyncio.to_thread(batch_fn, texts)
                if len(results) != len(texts):
                    raise RuntimeError(f"batch parse returned {len(results)} results for {len(texts)} texts")
            except Exception as exc:
                log.exception("NLU batch of %d failed", len(texts))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            by_text = dict(zip(texts, results, strict=True))
            for text, result in by_text.items():
                self._remember(text, result, generation)
            handed: set[str] = set()
            for text, future in batch:
                if not future.done():
                    # Each caller owns its parse: the same text twice in one batch gets a copy.
                    result = by_text[text]
                    future.set_result(copy.deepcopy(result) if text in handed else result)
                    handed.add(text)

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._worker
            self._worker = None
