"""Micro-batching for the NLU: concurrent requests share one encoder pass.

Under load, twenty learners typing at once cost about as much as a few single parses, because a
transformer's forward pass on a batch is far cheaper than the same number of separate passes.
Requests wait at most `max_wait` seconds for company; one worker thread runs the batches, so
torch is never entered from two threads at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

BatchFn = Callable[[list[str]], list[dict[str, Any]]]


class MicroBatcher:
    def __init__(self, batch_fn: BatchFn, max_batch: int = 32, max_wait: float = 0.002) -> None:
        self.batch_fn = batch_fn
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._queue: asyncio.Queue[tuple[str, asyncio.Future[dict[str, Any]]]] | None = None
        self._worker: asyncio.Task[None] | None = None

    async def __call__(self, text: str) -> dict[str, Any]:
        if self._queue is None or self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = asyncio.get_running_loop().create_task(self._run())
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        await self._queue.put((text, future))
        return await future

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
            texts = [text for text, _ in batch]
            try:
                results = await asyncio.to_thread(self.batch_fn, texts)
                if len(results) != len(texts):
                    raise RuntimeError(f"batch parse returned {len(results)} results for {len(texts)} texts")
            except Exception as exc:
                log.exception("NLU batch of %d failed", len(texts))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._worker
            self._worker = None
