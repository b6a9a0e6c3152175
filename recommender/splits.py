"""The two evaluation protocols' splits: CTR (labelled pairs, 6:2:2) and top-K (per-user 8:1:1).

Splits are seeded, so a seed names a split; fixed split files (the Last.FM README's `splits/`,
raw ids, tab separated with a header) load into the same structure, so every model is measured
on exactly the rows its peers were.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from recommender.data import RecData, labelled_pairs

Protocol = Literal["ctr", "topk"]


@dataclass(frozen=True, slots=True)
class Split:
    """Train / validation / test rows of one protocol.

    CTR rows are (user, item, label); top-K rows are (user, item) positives.
    """

    protocol: Protocol
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray

    @property
    def train_positives(self) -> np.ndarray:
        """[N, 2] the (user, item) pairs a model may learn from as positives."""
        if self.protocol == "ctr":
            return self.train[self.train[:, 2] == 1, :2]
        return self.train[:, :2]

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "valid": len(self.valid), "test": len(self.test)}


def ctr_split(data: RecData, seed: int, ratios: tuple[float, float, float] = (0.6, 0.2, 0.2)) -> Split:
    """Labelled pairs (negatives drawn with `seed`), shuffled and cut 6:2:2."""
    rows = labelled_pairs(data, seed)
    rng = np.random.default_rng(seed + 1)
    rows = rows[rng.permutation(len(rows))]
    a = int(len(rows) * ratios[0])
    b = int(len(rows) * (ratios[0] + ratios[1]))
    return Split("ctr", rows[:a], rows[a:b], rows[b:])


def topk_split(data: RecData, seed: int, ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)) -> Split:
    """Each user's positives shuffled and cut 8:1:1; the first always trains, so no user is unknown."""
    rng = np.random.default_rng(seed)
    by_user: dict[int, list[int]] = {}
    for u, i in data.positives.tolist():
        by_user.setdefault(u, []).append(i)
    parts: tuple[list, list, list] = ([], [], [])
    for u in sorted(by_user):
        items = np.array(sorted(by_user[u]))
        items = items[rng.permutation(len(items))]
        n = len(items)
        n_train = max(1, round(n * ratios[0]))
        n_valid = round(n * ratios[1])
        for part, chunk in zip(parts, (items[:n_train], items[n_train:n_train + n_valid],
                                       items[n_train + n_valid:]), strict=True):
            part.extend((u, int(i)) for i in chunk)
    train, valid, test = (np.array(p, dtype=np.int64).reshape(-1, 2) for p in parts)
    return Split("topk", train, valid, test)


def make_split(data: RecData, protocol: Protocol, seed: int) -> Split:
    if protocol == "ctr":
        return ctr_split(data, seed)
    if protocol == "topk":
        return topk_split(data, seed)
    raise ValueError(f"unknown protocol {protocol!r} (ctr or topk)")


def load_split_dir(data: RecData, directory: Path | str, protocol: Protocol) -> Split:
    """`{protocol}_{train,valid,test}.tsv` with raw ids; unknown ids and CTR labels not 0/1 are errors."""
    directory = Path(directory)
    users, items = data.user_index(), data.item_index()
    parts = []
    for part in ("train", "valid", "test"):
        path = directory / f"{protocol}_{part}.tsv"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: missing split file")
        with path.open(newline="") as handle:
            reader = csv.reader(handle, delimiter="\t")
            next(reader, None)
            rows = []
            for line_no, row in enumerate(reader, start=2):
                if not row:
                    continue
                try:
                    user, item = users[int(row[0])], items[int(row[1])]
                except (KeyError, ValueError, IndexError) as exc:
                    raise ValueError(f"{path}:{line_no}: unknown or malformed ids {row!r}") from exc
                if protocol == "topk":
                    rows.append((user, item))
                    continue
                if len(row) < 3 or row[2].strip() not in ("0", "1"):
                    raise ValueError(f"{path}:{line_no}: the label must be 0 or 1, not {row[2:]!r}")
                rows.append((user, item, int(row[2])))
        parts.append(np.array(rows, dtype=np.int64).reshape(-1, 3 if protocol == "ctr" else 2))
    return Split(protocol, *parts)


def subsample_train(split: Split, fraction: float, seed: int) -> Split:
    """Keep `fraction` of the training rows (the sparsity experiment); validation and test stay."""
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    rng = np.random.default_rng(seed)
    keep = rng.permutation(len(split.train))[: max(1, round(len(split.train) * fraction))]
    return replace(split, train=split.train[np.sort(keep)])


def user_history(positives: np.ndarray, n_users: int) -> list[np.ndarray]:
    """Each user's positive items, in the order given."""
    history: list[list[int]] = [[] for _ in range(n_users)]
    for u, i in positives[:, :2].tolist():
        history[u].append(i)
    return [np.array(h, dtype=np.int64) for h in history]
