"""Recommender tests train tiny models: one torch thread is several times faster for such small
matrices (no thread hand-offs) and gives the same sums in the same order on every run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
