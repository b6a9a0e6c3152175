"""Sentence embeddings of item descriptions (all-MiniLM-L6-v2), computed once and cached on disk.

The text tower of the recommender learns only a projection of these frozen vectors: the items'
descriptions do not change between epochs, so embedding them once keeps training cheap.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np


def default_cache_dir() -> Path:
    return Path(os.environ.get("ETUDE_HOME", "./var")) / "cache" / "rec"


def text_features(texts: list[str], cache_dir: Path | None = None) -> np.ndarray:
    """[len(texts), 384] float32 unit vectors; empty texts give zero rows (callers mask them)."""
    digest = hashlib.sha256("\x1f".join(texts).encode()).hexdigest()[:16]
    path = (cache_dir or default_cache_dir()) / f"text-{digest}.npy"
    if path.is_file():
        cached = np.load(path)
        if len(cached) == len(texts):
            return cached
    from kg.embeddings import sentence_model

    model = sentence_model()
    present = [k for k, t in enumerate(texts) if t and t.strip()]
    out = np.zeros((len(texts), model.get_sentence_embedding_dimension()), dtype=np.float32)
    if present:
        vectors = model.encode([texts[k] for k in present], batch_size=64, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        out[present] = vectors.astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, out)
    tmp.replace(path)
    return out
