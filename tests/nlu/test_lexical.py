"""The lexical intent model: character n-grams that tell spelled opposites apart, mixed with the
encoder at a weight the validation split chooses, saved and loaded with the model."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from nlu.lexical import LexicalIntents, best_temperature, choose_weight
from nlu.model import JointModel
from nlu.service import NLU, active_version, nlu_dir

INTENTS = ["greet", "too_easy", "too_hard"]
EASY = ["too easy", "this is too easy", "way too simple", "make it harder", "harder please", "so easy"]
HARD = ["too hard", "this is too hard", "way too difficult", "make it easier", "easier please", "so hard"]


@pytest.fixture(scope="module")
def lexical() -> LexicalIntents:
    return LexicalIntents.fit(EASY + HARD, ["too_easy"] * len(EASY) + ["too_hard"] * len(HARD), INTENTS)


def test_spelled_direction_words_decide_between_opposite_intents(lexical):
    scores = lexical.log_probs(["that was way too easy", "this one is too hard for me", "harder!"])
    assert [INTENTS[k] for k in scores.argmax(1)] == ["too_easy", "too_hard", "too_easy"]


def test_a_misspelt_word_keeps_most_of_its_ngrams(lexical):
    assert INTENTS[lexical.log_probs(["this is too eassy"]).argmax()] == "too_easy"


def test_scores_are_log_probabilities_over_every_intent_in_order(lexical):
    scores = lexical.log_probs(["too easy", ""])
    assert scores.shape == (2, len(INTENTS))
    assert np.allclose(np.exp(scores).sum(1), 1.0, atol=1e-5)
    assert lexical.log_probs([]).shape == (0, len(INTENTS))


def test_one_message_at_a_time_scores_as_a_batch_does(lexical):
    texts = ["too easy", "Way TOO hard!!", "", "🙂", "harder harder harder", "what's a tritone", "ok",
             "slow down", "make it easier please"]  # more than 8: the batch goes through sklearn
    batch = lexical.log_probs(texts)
    one_by_one = np.concatenate([lexical.log_probs([t]) for t in texts])
    assert np.allclose(batch, one_by_one, atol=1e-5)


def test_an_intent_without_training_examples_is_never_its_answer(lexical):
    assert np.exp(lexical.log_probs(["hello there"])[0, INTENTS.index("greet")]) < 1e-6


def test_it_needs_two_intents_to_learn_anything():
    with pytest.raises(ValueError, match="two intents"):
        LexicalIntents.fit(EASY, ["too_easy"] * len(EASY), INTENTS)


def test_saved_and_loaded_it_scores_the_same(lexical, tmp_path):
    lexical.save(tmp_path)
    loaded = LexicalIntents.load(tmp_path)
    texts = ["too easy", "easier please", "what is a tritone"]
    assert np.allclose(loaded.log_probs(texts), lexical.log_probs(texts), atol=1e-6)
    assert LexicalIntents.load(tmp_path / "missing") is None


def test_word_pairs_carry_the_order_that_character_ngrams_lose():
    # the same words in both intents: only which word comes first tells them apart
    easy = ["below my level", "so below my level", "this is below my level", "well below my level"]
    hard = ["my level is below this", "my level is below it", "my level is below that", "my level is below"]
    labels = ["too_easy"] * len(easy) + ["too_hard"] * len(hard)
    chars = LexicalIntents.fit(easy + hard, labels, INTENTS)
    pairs = LexicalIntents.fit(easy + hard, labels, INTENTS, word_ngram_range=(2, 2))
    texts = ["way below my level", "honestly my level is below this one"]
    assert [INTENTS[k] for k in pairs.log_probs(texts).argmax(1)] == ["too_easy", "too_hard"]
    margin = {m: m.log_probs(texts)[:, 1] - m.log_probs(texts)[:, 2] for m in (chars, pairs)}
    assert margin[pairs][0] > margin[chars][0] and margin[pairs][1] < margin[chars][1]


def test_with_word_pairs_it_scores_one_by_one_as_a_batch_and_reloads_the_same(tmp_path):
    labels = ["too_easy"] * len(EASY) + ["too_hard"] * len(HARD)
    model = LexicalIntents.fit(EASY + HARD, labels, INTENTS, word_ngram_range=(2, 2))
    texts = ["too easy", "Way TOO hard!!", "", "make it easier please", "harder please", "ok",
             "this is too easy", "so hard", "way too simple", "what"]
    batch = model.log_probs(texts)
    assert np.allclose(batch, np.concatenate([model.log_probs([t]) for t in texts]), atol=1e-5)
    model.save(tmp_path)
    loaded = LexicalIntents.load(tmp_path)
    assert loaded.word_ngram_range == (2, 2)
    assert np.allclose(loaded.log_probs(texts), batch, atol=1e-6)


def test_the_weight_is_the_one_with_the_best_validation_likelihood():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=200)
    informative = np.eye(3)[labels] * 4.0  # log-probabilities that know the answer
    noise = rng.normal(size=(200, 3))
    knowing = np.log(np.exp(informative) / np.exp(informative).sum(1, keepdims=True))
    weight, nll = choose_weight(noise, knowing, labels, [0.0, 0.5, 1.0])
    assert weight == 1.0 and nll[1.0] < nll[0.5] < nll[0.0]
    weight, _ = choose_weight(informative, noise, labels, [0.0, 0.5, 1.0])
    assert weight == 0.0  # a lexical model that only adds noise is turned off
    assert choose_weight(noise, noise, labels[:0], [0.5]) == (0.0, {})


def test_the_temperature_sharpens_confident_logits_that_are_right():
    labels = np.array([0, 1, 2, 0])
    logits = np.eye(3)[labels] * 0.5
    temperature, nll = best_temperature(logits, labels)
    assert temperature < 1.0 and nll < best_temperature(logits * 0 + 1, labels)[1]


def test_the_trained_model_saves_its_lexical_part_and_the_chosen_weight(nlu_home):
    directory = nlu_dir(nlu_home) / active_version(nlu_home)
    meta = json.loads((directory / "metadata.json").read_text())
    assert meta["lexical"]["weight"] in meta["config"]["pipeline"][
        [c["name"] for c in meta["config"]["pipeline"]].index("LexicalIntentClassifier")]["weights"]
    assert (directory / "lexical.json").exists() and (directory / "lexical.npz").exists()
    model = JointModel.load(directory)
    assert model.lexical is not None and model.lexical_weight == meta["lexical"]["weight"]


def test_a_model_saved_without_a_lexical_part_still_loads_and_parses(nlu_home, tmp_path):
    directory = tmp_path / "old"
    shutil.copytree(nlu_dir(nlu_home) / active_version(nlu_home), directory)
    (directory / "lexical.json").unlink()
    (directory / "lexical.npz").unlink()
    model = JointModel.load(directory)
    assert model.lexical is None and model.lexical_weight == 0.0
    parsed = NLU(model).parse("hello")
    assert parsed["intent"]["name"] and parsed["intent_ranking"]
