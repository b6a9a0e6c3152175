"""Spelled cues for intents: character n-grams (TF-IDF) and a logistic regression over intents.

The fine-tuned encoder reads a message by meaning, and meaning places some opposites close
together: "this is too easy" and "this is too hard", "can we go faster" and "slow down" are near
neighbours to it, and on the held-out split a third of the difficulty complaints came back with
the wrong direction. Character n-grams see "easy", "hard", "slow" and "harder" as the different
strings they are, and misspellings share most of their n-grams. The two read differently, so
their mistakes differ: the engine adds this model's log-probabilities to the encoder's intent
logits with a weight chosen on the validation split (where 0, the encoder alone, is a candidate),
as Rasa's DIET feeds sparse n-gram features beside dense ones.

Saved as `lexical.json` (settings, intents, vocabulary) and `lexical.npz` (idf, weights).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

JSON, ARRAYS = "lexical.json", "lexical.npz"


class LexicalIntents:
    """Log-probabilities of intents from a message's character n-grams."""

    def __init__(self, intents: list[str], vocabulary: dict[str, int], idf: np.ndarray,
                 coef: np.ndarray, intercept: np.ndarray, ngram_range: tuple[int, int]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        if coef.shape != (len(intents), len(vocabulary)) or intercept.shape != (len(intents),):
            raise ValueError("lexical model: weights do not match the intents and vocabulary")
        self.intents = list(intents)
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=self.ngram_range,
                                          sublinear_tf=True, vocabulary=vocabulary, dtype=np.float32)
        self.vectorizer.idf_ = idf
        self.coef = coef.astype(np.float32)
        self.intercept = intercept.astype(np.float32)
        # one message at a time (serving) costs a dict lookup per n-gram instead of sklearn's sparse
        # matrix machinery: ~0.1 ms instead of ~0.8 ms; `test_lexical` checks both give the same
        self._analyze = self.vectorizer.build_analyzer()
        self._vocabulary = vocabulary
        self._idf = np.asarray(idf, dtype=np.float32)

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str], intents: list[str],
            ngram_range: tuple[int, int] = (2, 5), c: float = 30.0) -> LexicalIntents:
        """Train on `texts` with their intent `labels`; intents without an example get a very low
        score (their weights stay zero and their intercept far below the others)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        if len(set(labels)) < 2:
            raise ValueError("lexical model: needs examples of at least two intents")
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(ngram_range), sublinear_tf=True,
                                     dtype=np.float32)
        features = vectorizer.fit_transform(list(texts))
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
        vocabulary = {gram: int(i) for gram, i in vectorizer.vocabulary_.items()}
        return cls(intents, vocabulary, vectorizer.idf_, coef, intercept, tuple(ngram_range))

    def log_probs(self, texts: Sequence[str]) -> np.ndarray:
        """[len(texts), len(intents)] log-probabilities, in the order of `intents`."""
        if not len(texts):
            return np.zeros((0, len(self.intents)), dtype=np.float32)
        if len(texts) > 8:
            scores = np.asarray(self.vectorizer.transform(list(texts)) @ self.coef.T) + self.intercept
        else:
            scores = np.stack([self._scores(text) for text in texts])
        scores = scores - scores.max(axis=1, keepdims=True)
        return (scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))).astype(np.float32)

    def _scores(self, text: str) -> np.ndarray:
        """One message's intent scores: sublinear TF-IDF of its known n-grams, L2-normalised."""
        counts: dict[int, int] = {}
        for gram in self._analyze(text):
            column = self._vocabulary.get(gram)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        if not counts:
            return self.intercept.copy()
        columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts))))
        values *= self._idf[columns]
        values /= np.linalg.norm(values)
        return self.coef[:, columns] @ values + self.intercept

    def save(self, directory: Path) -> None:
        vocabulary = sorted(self.vectorizer.vocabulary_.items(), key=lambda item: item[1])
        (directory / JSON).write_text(json.dumps({
            "intents": self.intents, "ngram_range": list(self.ngram_range),
            "vocabulary": [gram for gram, _ in vocabulary]}, ensure_ascii=False), encoding="utf-8")
        np.savez_compressed(directory / ARRAYS, idf=self.vectorizer.idf_, coef=self.coef,
                            intercept=self.intercept)

    @classmethod
    def load(cls, directory: Path) -> LexicalIntents | None:
        """The model saved in `directory`; None when it has none (a model trained without it)."""
        if not (directory / JSON).exists():
            return None
        meta = json.loads((directory / JSON).read_text(encoding="utf-8"))
        with np.load(directory / ARRAYS) as arrays:
            idf, coef, intercept = arrays["idf"], arrays["coef"], arrays["intercept"]
        vocabulary = {gram: i for i, gram in enumerate(meta["vocabulary"])}
        return cls(meta["intents"], vocabulary, idf, coef, intercept, tuple(meta["ngram_range"]))


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
