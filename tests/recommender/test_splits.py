"""Labelled pairs and the two protocols' splits, on the tiny data set and on the Last.FM benchmark.

The benchmark lives outside the repository; its tests skip when it is absent.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from kg.lastfm import default_lastfm_dir
from recommender.data import RecData, labelled_pairs, lastfm_data
from recommender.splits import (
    ctr_split,
    load_split_dir,
    make_split,
    subsample_train,
    topk_split,
    user_history,
)
from tests.recommender.tiny import tiny_data


def pairs(rows: np.ndarray) -> set[tuple[int, int]]:
    return {(int(u), int(i)) for u, i in rows[:, :2]}


def as_set(rows: np.ndarray) -> set[tuple[int, ...]]:
    return {tuple(r) for r in rows.tolist()}


def write_tsv(path: Path, header: list[str], rows: list) -> None:
    lines = ["\t".join(header)] + ["\t".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def tiny() -> RecData:
    return tiny_data()


@pytest.fixture(scope="module")
def lastfm_dir() -> Path:
    directory = default_lastfm_dir()
    if directory is None or not (directory / "kg.txt").exists():
        pytest.skip(
            "Last.FM benchmark data not found (set ETUDE_LASTFM_DIR or put it in "
            "../shared/data/lastfm); it is optional benchmark data the product runs without"
        )
    return directory


@pytest.fixture(scope="module")
def lastfm(lastfm_dir: Path) -> RecData:
    return lastfm_data(lastfm_dir, text=False)  # the counts need no sentence vectors


# -- labelled pairs: every positive and as many sampled negatives ----------------------------------


def check_labelled_pairs(data: RecData, rows: np.ndarray) -> None:
    positives = pairs(data.positives)
    assert len(rows) == 2 * len(data.positives)
    assert pairs(rows[rows[:, 2] == 1]) == positives
    negatives = rows[rows[:, 2] == 0]
    assert not pairs(negatives) & positives, "a negative is one of the user's positives"
    assert len(pairs(negatives)) == len(negatives), "a negative is drawn twice for one user"
    per_user_pos = Counter(data.positives[:, 0].tolist())
    assert Counter(negatives[:, 0].tolist()) == per_user_pos  # 1:1 per user


def test_labelled_pairs_are_the_positives_and_one_negative_per_positive_per_user(tiny):
    check_labelled_pairs(tiny, labelled_pairs(tiny, seed=0))


def test_labelled_pairs_are_determined_by_the_seed(tiny):
    assert np.array_equal(labelled_pairs(tiny, seed=3), labelled_pairs(tiny, seed=3))
    assert not np.array_equal(labelled_pairs(tiny, seed=3), labelled_pairs(tiny, seed=4))


def test_labelled_pairs_need_enough_unobserved_items_per_user(tiny):
    crowded = RecData(**{**{f: getattr(tiny, f) for f in tiny.__slots__},
                         "positives": np.array([(0, i) for i in range(20)], dtype=np.int64)})
    with pytest.raises(ValueError, match="user 0 has too few unobserved items"):
        labelled_pairs(crowded, seed=0)


# -- CTR split: labelled pairs cut 6:2:2 ----------------------------------------------------------


def test_ctr_split_cuts_the_labelled_pairs_6_2_2_without_overlap(tiny):
    split = ctr_split(tiny, seed=0)
    assert split.sizes() == {"train": 480, "valid": 160, "test": 160}
    parts = [as_set(split.train), as_set(split.valid), as_set(split.test)]
    assert sum(len(p) for p in parts) == 800  # no row repeated within a part
    assert not parts[0] & parts[1] and not parts[0] & parts[2] and not parts[1] & parts[2]
    assert parts[0] | parts[1] | parts[2] == as_set(labelled_pairs(tiny, seed=0))


def test_ctr_train_positives_are_the_training_rows_labelled_1(tiny):
    split = ctr_split(tiny, seed=0)
    assert pairs(split.train_positives) == pairs(split.train[split.train[:, 2] == 1])
    assert split.train_positives.shape[1] == 2


def test_ctr_split_is_determined_by_the_seed(tiny):
    a, b, c = ctr_split(tiny, seed=1), ctr_split(tiny, seed=1), ctr_split(tiny, seed=2)
    assert all(np.array_equal(x, y) for x, y in zip((a.train, a.valid, a.test), (b.train, b.valid, b.test),
                                                    strict=True))
    assert not np.array_equal(a.test, c.test)


# -- top-K split: each user's positives cut 8:1:1 --------------------------------------------------


def check_topk_split(data: RecData, split) -> None:
    train, valid, test = pairs(split.train), pairs(split.valid), pairs(split.test)
    assert len(train) + len(valid) + len(test) == len(data.positives)
    assert train | valid | test == pairs(data.positives)
    assert not train & valid and not train & test and not valid & test
    assert set(split.train[:, 0].tolist()) == set(data.positives[:, 0].tolist())  # no user unknown


def test_topk_split_cuts_each_users_positives_8_1_1(tiny):
    split = topk_split(tiny, seed=0)
    check_topk_split(tiny, split)
    for part, share in ((split.train, 8), (split.valid, 1), (split.test, 1)):
        assert Counter(part[:, 0].tolist()) == {u: share for u in range(tiny.n_users)}


def test_topk_split_trains_on_the_only_positive_of_a_user(tiny):
    few = RecData(**{**{f: getattr(tiny, f) for f in tiny.__slots__},
                     "positives": np.array([(0, 3), (1, 4), (1, 5)], dtype=np.int64)})
    split = topk_split(few, seed=0)
    assert pairs(split.train) == {(0, 3), (1, 4), (1, 5)}  # 1 and round(1.6) = 2 train items
    assert len(split.valid) == len(split.test) == 0


def test_topk_split_is_determined_by_the_seed(tiny):
    assert np.array_equal(topk_split(tiny, seed=5).test, topk_split(tiny, seed=5).test)
    assert not np.array_equal(topk_split(tiny, seed=5).test, topk_split(tiny, seed=6).test)


def test_make_split_names_the_protocol(tiny):
    assert make_split(tiny, "ctr", 0).protocol == "ctr"
    assert make_split(tiny, "topk", 0).protocol == "topk"
    with pytest.raises(ValueError, match="unknown protocol 'ranking'"):
        make_split(tiny, "ranking", 0)  # type: ignore[arg-type]


# -- subsampling the training rows ----------------------------------------------------------------


@pytest.mark.parametrize(("fraction", "kept"), [(1.0, 320), (0.5, 160), (0.2, 64), (0.001, 1)])
def test_subsample_train_keeps_a_fraction_of_the_training_rows_only(tiny, fraction, kept):
    split = topk_split(tiny, seed=0)
    sub = subsample_train(split, fraction, seed=0)
    assert len(sub.train) == kept
    assert as_set(sub.train) <= as_set(split.train)
    assert np.array_equal(sub.valid, split.valid) and np.array_equal(sub.test, split.test)


def test_subsample_train_is_seeded(tiny):
    split = topk_split(tiny, seed=0)
    assert np.array_equal(subsample_train(split, 0.5, 1).train, subsample_train(split, 0.5, 1).train)
    assert not np.array_equal(subsample_train(split, 0.5, 1).train, subsample_train(split, 0.5, 2).train)


@pytest.mark.parametrize("fraction", [0.0, -0.1, 1.5])
def test_subsample_fraction_must_be_in_0_1(tiny, fraction):
    with pytest.raises(ValueError, match="fraction"):
        subsample_train(topk_split(tiny, seed=0), fraction, seed=0)


def test_user_history_lists_each_users_items_in_order():
    history = user_history(np.array([(1, 7), (0, 2), (1, 3)]), n_users=3)
    assert [h.tolist() for h in history] == [[2], [7, 3], []]


# -- fixed split files ----------------------------------------------------------------------------


def write_split(directory: Path, protocol: str, split) -> None:
    header = ["user", "item", "label"] if protocol == "ctr" else ["user", "item"]
    for part in ("train", "valid", "test"):
        write_tsv(directory / f"{protocol}_{part}.tsv", header, getattr(split, part).tolist())


@pytest.mark.parametrize("protocol", ["ctr", "topk"])
def test_split_files_load_back_into_the_same_split(tiny, tmp_path, protocol):
    split = make_split(tiny, protocol, seed=0)
    write_split(tmp_path, protocol, split)
    loaded = load_split_dir(tiny, tmp_path, protocol)
    assert loaded.protocol == protocol
    for part in ("train", "valid", "test"):
        assert np.array_equal(getattr(loaded, part), getattr(split, part))


def test_split_files_are_read_in_raw_ids(tiny, tmp_path):
    raw = RecData(**{**{f: getattr(tiny, f) for f in tiny.__slots__},
                     "user_ids": [100 + u for u in range(tiny.n_users)],
                     "item_ids": [500 + i for i in range(tiny.n_items)]})
    write_tsv(tmp_path / "topk_train.tsv", ["user", "item"], [(101, 507)])
    write_tsv(tmp_path / "topk_valid.tsv", ["user", "item"], [(100, 500)])
    write_tsv(tmp_path / "topk_test.tsv", ["user", "item"], [])
    split = load_split_dir(raw, tmp_path, "topk")
    assert split.train.tolist() == [[1, 7]] and split.valid.tolist() == [[0, 0]]
    assert split.test.shape == (0, 2)


@pytest.mark.parametrize(("row", "complaint"), [
    (("999", "3", "1"), "unknown or malformed ids"),  # unknown user
    (("0", "31", "1"), "unknown or malformed ids"),  # unknown item
    (("zero", "3", "1"), "unknown or malformed ids"),
    (("0",), "unknown or malformed ids"),
    (("0", "3"), "label"),  # the CTR label is missing
    (("0", "3", "yes"), "label"),
    (("0", "3", "2"), "label"),
])
def test_a_malformed_split_file_is_an_error_naming_the_file_and_line(tiny, tmp_path, row, complaint):
    write_split(tmp_path, "ctr", ctr_split(tiny, seed=0))
    lines = (tmp_path / "ctr_valid.tsv").read_text().splitlines()
    lines.insert(3, "\t".join(row))
    (tmp_path / "ctr_valid.tsv").write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=complaint) as error:
        load_split_dir(tiny, tmp_path, "ctr")
    assert "ctr_valid.tsv:4" in str(error.value)


def test_a_missing_split_file_is_an_error(tiny, tmp_path):
    write_split(tmp_path, "topk", topk_split(tiny, seed=0))
    (tmp_path / "topk_test.tsv").unlink()
    with pytest.raises(FileNotFoundError, match=r"topk_test\.tsv"):
        load_split_dir(tiny, tmp_path, "topk")


# -- the Last.FM benchmark ------------------------------------------------------------------------


def test_lastfm_has_the_published_counts(lastfm):
    assert lastfm.stats() == {
        "users": 1872, "items": 3846, "positives": 21173,
        "entities": 9366, "relations": 60, "triples": 15518,
    }
    assert len(labelled_pairs(lastfm, seed=0)) == 42346


def test_lastfm_labelled_pairs_are_one_negative_per_positive_per_user(lastfm):
    check_labelled_pairs(lastfm, labelled_pairs(lastfm, seed=2026))


def test_lastfm_seeded_splits_have_the_standard_sizes(lastfm):
    assert ctr_split(lastfm, seed=0).sizes() == {"train": 25407, "valid": 8469, "test": 8470}
    split = topk_split(lastfm, seed=0)
    assert split.sizes() == {"train": 16928, "valid": 2124, "test": 2121}
    check_topk_split(lastfm, split)


def test_lastfm_fixed_ctr_split_files(lastfm, lastfm_dir):
    split = load_split_dir(lastfm, lastfm_dir / "splits", "ctr")
    assert split.sizes() == {"train": 25407, "valid": 8469, "test": 8470}
    rows = np.concatenate([split.train, split.valid, split.test])
    check_labelled_pairs(lastfm, rows)
    assert len(as_set(rows)) == len(rows)  # no row in two parts


def test_lastfm_fixed_topk_split_files(lastfm, lastfm_dir):
    split = load_split_dir(lastfm, lastfm_dir / "splits", "topk")
    assert split.sizes() == {"train": 16928, "valid": 2124, "test": 2121}
    check_topk_split(lastfm, split)
