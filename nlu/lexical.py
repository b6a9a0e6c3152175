"""Spelled cues for intents: character n-grams and word pairs (TF-IDF), a logistic regression.

The fine-tuned encoder reads a message by meaning, and meaning places some opposites close
together: "this is too easy" and "this is too hard", "can we go faster" and "slow down" are near
neighbours to it, and on the held-out split a third of the difficulty complaints came back with
the wrong direction. Character n-grams see "easy", "hard", "slow" and "harder" as the different
strings they are, and misspellings share most of their n-grams. The two read differently, so
their mistakes differ: the engine adds this model's log-probabilities to the encoder's intent
logits with a weight chosen on the validation split (where 0, the encoder alone, is a candidate),
as Rasa's DIET feeds sparse n-gram features beside dense ones.

Character n-grams stay inside a word, so "way below my level" and "way above my level" differ
only by "below" against "above", and "way" leans to whichever says it more often. Word pairs
("below my", "my level") carry the order. They are a second TF-IDF block, normalised on its own
and then together with the first, so the few pairs of a message weigh as much as its hundred
character n-grams: in one joint block they barely moved the validation NLL (0.148 -> 0.140 on
the project's data), as a block of their own they did (0.148 -> 0.127). Over four trained
encoders the error rate did not fall with them, though, so config.yml leaves them off (README).

Saved as `lexical.json` (settings, intents, vocabularies) and `lexical.npz` (idf, weights).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

JSON, ARRAYS = "lexical.json", "lexical.npz"
WORD_PATTERN = r"(?u)\b\w[\w']*\b"  # "i'm" and "don't" stay one word


def _vectorizer(kind: str, ngram_range: tuple[int, int], vocabulary: dict[str, int] | None = None):
    from sklearn.feature_extraction.text import TfidfVectorizer

    if kind == "char":
        return TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range, sublinear_tf=True,
                               vocabulary=vocabulary, dtype=np.float32)
    return TfidfVectorizer(analyzer="word", ngram_range=ngram_range, token_pattern=WORD_PATTERN,
                           sublinear_tf=True, vocabulary=vocabulary, dtype=np.float32)


class _Block:
    """One TF-IDF feature block, with a quick path for a single message: a dict lookup per n-gram
    instead of sklearn's sparse matrix machinery (~0.1 ms instead of ~0.8 ms)."""

    def __init__(self, kind: str, ngram_range: tuple[int, int], vocabulary: dict[str, int],
                 idf: np.ndarray) -> None:
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.vectorizer = _vectorizer(kind, self.ngram_range, vocabulary)
        self.vectorizer.idf_ = idf
        self.vocabulary = vocabulary
        self.idf = np.asarray(idf, dtype=np.float32)
        self._analyze: Callable[[str], list[str]] = self.vectorizer.build_analyzer()

    def __len__(self) -> int:
        return len(self.vocabulary)

    def transform(self, texts: list[str]):
        return self.vectorizer.transform(texts)

    def one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values) of one message: sublinear TF-IDF of its known n-grams, L2-normalised."""
        counts: dict[int, int] = {}
        for gram in self._analyze(text):
            column = self.vocabulary.get(gram)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
        values = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
        values *= self.idf[columns]
        return columns, values / np.linalg.norm(values)


class LexicalIntents:
    """Log-probabilities of intents from a message's character n-grams and, if asked, word runs."""

    def __init__(self, intents: list[str], vocabulary: dict[str, int], idf: np.ndarray,
                 coef: np.ndarray, intercept: np.ndarray, ngram_range: tuple[int, int],
                 words: tuple[tuple[int, int], dict[str, int], np.ndarray] | None = None) -> None:
        """`words`, when given: the word n-gram range, vocabulary and idf of the second block."""
        self.blocks = [_Block("char", ngram_range, vocabulary, idf)]
        if words is not None:
            self.blocks.append(_Block("word", *words))
        if coef.shape != (len(intents), self.size) or intercept.shape != (len(intents),):
            raise ValueError("lexical model: weights do not match the intents and vocabulary")
        self.intents = list(intents)
        self.ngram_range = self.blocks[0].ngram_range
        self.word_ngram_range = self.blocks[1].ngram_range if words is not None else None
        self.coef = coef.astype(np.float32)
        self.intercept = intercept.astype(np.float32)
        self._offsets = np.cumsum([0] + [len(b) for b in self.blocks])[:-1]

    @property
    def size(self) -> int:
        """How many features (n-grams and word runs) it knows."""
        return sum(len(b) for b in self.blocks)

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str], intents: list[str],
            ngram_range: tuple[int, int] = (2, 5), c: float = 30.0,
            word_ngram_range: tuple[int, int] | None = None) -> LexicalIntents:
        """Train on `texts` with their intent `labels`; intents without an example get a very low
        score (their weights stay zero and their intercept far below the others)."""
        from sklearn.linear_model import LogisticRegression

        if len(set(labels)) < 2:
            raise ValueError("lexical model: needs examples of at least two intents")
        chars = _vectorizer("char", tuple(ngram_range))
        parts = [chars.fit_transform(list(texts))]
        words = None
        if word_ngram_range:
            words = _vectorizer("word", tuple(word_ngram_range))
            parts.append(words.fit_transform(list(texts)))
        features = _joined(parts)
        classifier = LogisticRegression(C=c, max_iter=3000).fit(features, list(labels))
        seen = list(classifier.classes_)
        weights, biases = classifier.coef_, classifier.intercept_
        if len(seen) == 2:  # one row of log-odds: the first class scores 0, the second the odds
            weights = np.vstack([np.zeros_like(weights[0]), weights[0]])
            biases = np.array([0.0, biases[0]])
        coef = np.zeros((len(intents), features.shape[1]), dtype=np.float32)
        intercept = np.full(len(intents), -30.0, dtype=np.float32)
        for k, intent in enumerate(intents):
            if intent in seen:
                coef[k] = weights[seen.index(intent)]
                intercept[k] = biases[seen.index(intent)]
        vocabulary = {gram: int(i) for gram, i in chars.vocabulary_.items()}
        second = None
        if words is not None:
            second = (tuple(word_ngram_range), {g: int(i) for g, i in words.vocabulary_.items()}, words.idf_)
        return cls(intents, vocabulary, chars.idf_, coef, intercept, tuple(ngram_range), second)

    def log_probs(self, texts: Sequence[str]) -> np.ndarray:
        """[len(texts), len(intents)] log-probabilities, in the order of `intents`."""
        if not len(texts):
            return np.zeros((0, len(self.intents)), dtype=np.float32)
        if len(texts) > 8:
            features = _joined([b.transform(list(texts)) for b in self.blocks])
            scores = np.asarray(features @ self.coef.T) + self.intercept
        else:
            scores = np.stack([self._scores(text) for text in texts])
        scores = scores - scores.max(axis=1, keepdims=True)
        return (scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))).astype(np.float32)

    def _scores(self, text: str) -> np.ndarray:
        """One message's intent scores, as `_joined` would weigh its features."""
        found = [(offset + columns, values) for offset, block in zip(self._offsets, self.blocks, strict=True)
                 for columns, values in [block.one(text)] if len(columns)]
        if not found:
            return self.intercept.copy()
        columns = np.concatenate([c for c, _ in found])
        values = np.concatenate([v for _, v in found]) / np.sqrt(len(found))
        return self.coef[:, columns] @ values + self.intercept

    def save(self, directory: Path) -> None:
        meta: dict = {"intents": self.intents, "ngram_range": list(self.ngram_range),
                      "vocabulary": _ordered(self.blocks[0].vocabulary)}
        arrays = {"idf": self.blocks[0].idf, "coef": self.coef, "intercept": self.intercept}
        if len(self.blocks) > 1:
            meta["word_ngram_range"] = list(self.blocks[1].ngram_range)
            meta["word_vocabulary"] = _ordered(self.blocks[1].vocabulary)
            arrays["word_idf"] = self.blocks[1].idf
        (directory / JSON).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        np.savez_compressed(directory / ARRAYS, **arrays)

    @classmethod
    def load(cls, directory: Path) -> LexicalIntents | None:
        """The model saved in `directory`; None when it has none (a model trained without it)."""
        if not (directory / JSON).exists():
            return None
        meta = json.loads((directory / JSON).read_text(encoding="utf-8"))
        with np.load(directory / ARRAYS) as arrays:
            idf, coef, intercept = arrays["idf"], arrays["coef"], arrays["intercept"]
            word_idf = arrays.get("word_idf")
        vocabulary = {gram: i for i, gram in enumerate(meta["vocabulary"])}
        words = None
        if meta.get("word_ngram_range") and word_idf is not None:
            words = (tuple(meta["word_ngram_range"]),
                     {gram: i for i, gram in enumerate(meta["word_vocabulary"])}, word_idf)
        return cls(meta["intents"], vocabulary, idf, coef, intercept, tuple(meta["ngram_range"]), words)


def _joined(parts: list):
    """The blocks side by side, each row scaled to unit length again: a message's blocks weigh
    the same whatever their sizes (each is already unit length, or empty)."""
    from scipy import sparse
    from sklearn.preprocessing import normalize

    return normalize(sparse.hstack(parts).tocsr()) if len(parts) > 1 else parts[0]


def _ordered(vocabulary: dict[str, int]) -> list[str]:
    return [gram for gram, _ in sorted(vocabulary.items(), key=lambda item: item[1])]


def choose_weight(encoder_logits: np.ndarray, lexical: np.ndarray, labels: np.ndarray,
                  weights: Sequence[float]) -> tuple[float, dict[float, float]]:
    """The weight w of `(1 - w)·encoder + w·lexical` with the lowest validation NLL (each w at its
    own best temperature), and the NLL of every candidate. NLL rather than accuracy: on a few
    hundred examples many weights tie on accuracy, while the likelihood still tells them apart."""
    if not len(labels):
        return 0.0, {}
    scores = {}
    for w in weights:
        mixed = (1.0 - w) * encoder_logits + w * lexical
        scores[float(w)] = best_temperature(mixed, labels)[1]
    chosen = min(scores, key=lambda w: (round(scores[w], 6), w))
    return chosen, scores


def best_temperature(logits: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(temperature, NLL): the temperature in [0.2, 10] that minimises the NLL of `labels`."""
    best, best_nll = 1.0, float("inf")
    rows = np.arange(len(labels))
    for t in np.exp(np.linspace(np.log(0.2), np.log(10.0), 80)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        nll = float(-(z[rows, labels] - np.log(np.exp(z).sum(axis=1))).mean())
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best, best_nll
