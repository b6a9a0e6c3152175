"""The train / validation / held-out split of the NLU examples, stable as the data grows.

Why not a shuffled split. The activation gate scores the new model and the active one on the new
model's held-out examples. With a shuffled split every added example (a reviewed correction, a
new phrasing) reshuffles all of them: the active model is then scored partly on examples it was
trained on, looks better than it is, and a better new model is refused. Here an example's part
depends only on its own text (and the seed): a hash of the text, read as a number in [0, 1),
falls in the held-out share, the validation share or the rest. Adding or removing examples never
moves another one, so the held-out examples of two versions trained on growing data are the same
ones plus new ones, and none of them was ever trained on.

The text is hashed lower-cased with its spacing collapsed, so two spellings of one message that
differ only there cannot land on both sides. The split is not stratified by intent; with 25 or
more examples per intent each part still holds every intent in expectation, and a part that comes
out empty on very small data takes the example nearest its share, so it is never empty.
"""

from __future__ import annotations

import hashlib

from nlu.data import Example


def position(text: str, seed: int) -> float:
    """Where `text` falls in [0, 1) for `seed`: the same for any case and spacing of it."""
    key = f"{seed}\x00{' '.join(text.lower().split())}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / 2**64


def split(
    examples: list[Example], test_share: float, val_share: float, seed: int
) -> tuple[list[Example], list[Example], list[Example]]:
    """(train, validation, held out): held out where the text's position is below `test_share`,
    validation below `test_share + val_share`, the rest train; input order is kept in each part."""
    if test_share < 0 or val_share < 0 or test_share + val_share >= 1:
        raise ValueError(f"shares must be ≥ 0 and leave some for training (got {test_share}, {val_share})")
    at = [position(e.text, seed) for e in examples]
    bounds = (test_share, test_share + val_share)
    part = [0 if p < bounds[0] else 1 if p < bounds[1] else 2 for p in at]
    for k, share in ((0, test_share), (1, val_share)):
        if share > 0 and k not in part and len(examples) >= 4:
            # the training example nearest above this part's range moves in
            candidates = [i for i, x in enumerate(part) if x == 2]
            if candidates:
                part[min(candidates, key=lambda i: at[i])] = k
    train = [e for e, x in zip(examples, part, strict=True) if x == 2]
    val = [e for e, x in zip(examples, part, strict=True) if x == 1]
    test = [e for e, x in zip(examples, part, strict=True) if x == 0]
    return train, val, test
