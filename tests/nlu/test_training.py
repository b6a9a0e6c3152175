"""Training, versioning, the activation gate, rollback and the CLI commands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.cli_nlu import register
from nlu.service import active_version, nlu_dir
from nlu.train import read_active


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    cli = typer.Typer()

    @cli.callback()
    def main() -> None:
        pass

    register(cli)
    return cli


def _json(output: str) -> dict:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return json.loads(lines[0])


def test_a_fresh_home_trains_and_activates_a_model_on_first_use(nlu_home):
    version = active_version(nlu_home)
    assert version is not None
    meta = json.loads((nlu_dir(nlu_home) / version / "metadata.json").read_text())
    assert meta["activated"] is True
    for key in ("data_hash", "config", "metrics", "trained_at", "versions", "split", "temperature"):
        assert key in meta
    assert {"torch", "transformers", "python"} <= set(meta["versions"])
    assert 0.0 <= meta["metrics"]["intent_accuracy"] <= 1.0


def test_the_held_out_scores_recorded_at_training_are_those_of_the_model_as_served(nlu_home, nlu_files):
    """Served, the parse links entities in the home's graph, which also moves and drops spans; the
    metrics in metadata.json must be measured that way, not on the bare model."""
    from nlu.data import component, load_nlu
    from nlu.evaluate import evaluate
    from nlu.service import NLU
    from nlu.split import split

    meta = json.loads((nlu_dir(nlu_home) / active_version(nlu_home) / "metadata.json").read_text())
    params = component(meta["config"], "JointTransformerClassifier")
    _, _, held_out = split(
        load_nlu(nlu_files["data"]).examples, params["test_share"], params["validation_share"], params["seed"]
    )
    served = evaluate(NLU.load_active(nlu_home).parse_batch, held_out)
    for key in ("intent_accuracy", "entity_precision", "entity_recall", "entity_f1"):
        assert served[key] == meta["metrics"][key], key


@pytest.fixture(scope="module")
def gated(app, nlu_home, nlu_files, tmp_path_factory, monkeypatch_module):
    """A copy of the session's home, then: a worse model, the same forced, and a rollback."""
    home = tmp_path_factory.mktemp("gated-home")
    shutil.copytree(nlu_dir(nlu_home), nlu_dir(home))
    monkeypatch_module.setenv("ETUDE_HOME", str(home))
    from bot.settings import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    args = ["train", "nlu", "--data", str(nlu_files["data"]), "--config", str(nlu_files["config"]), "--json"]
    first = active_version(home)
    steps = {"first": first}
    worse = runner.invoke(app, [*args, "--epochs", "0"])
    assert worse.exit_code == 0, worse.output
    steps["worse"] = _json(worse.stdout)
    steps["after_worse"] = active_version(home)
    forced = runner.invoke(app, [*args, "--epochs", "0", "--force"])
    assert forced.exit_code == 0, forced.output
    steps["forced"] = _json(forced.stdout)
    steps["after_forced"] = active_version(home)
    back = runner.invoke(app, ["train", "nlu", "--rollback", "--json"])
    assert back.exit_code == 0, back.output
    steps["rollback"] = _json(back.stdout)
    steps["after_rollback"] = active_version(home)
    steps["versions"] = sorted(p.name for p in nlu_dir(home).iterdir() if p.is_dir())
    steps["home"] = home
    get_settings.cache_clear()
    return steps


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_each_training_writes_a_new_version_directory_with_metadata(gated):
    assert len(gated["versions"]) == 3
    for version in gated["versions"]:
        assert (nlu_dir(gated["home"]) / version / "metadata.json").exists()


def test_a_worse_model_is_not_activated_without_force(gated):
    assert gated["worse"]["activated"] is False
    assert gated["after_worse"] == gated["first"]
    assert gated["worse"]["active_metrics"]["version"] == gated["first"]


def test_force_activates_a_worse_model(gated):
    assert gated["forced"]["activated"] is True
    assert gated["after_forced"] == gated["forced"]["version"]


def test_rollback_restores_the_previously_active_model(gated):
    assert gated["rollback"] == {"active": gated["first"], "replaced": gated["forced"]["version"]}
    assert gated["after_rollback"] == gated["first"]
    assert gated["forced"]["version"] not in read_active(gated["home"])["history"][-1:]


def test_rollback_without_history_fails_clearly(app, tmp_path, monkeypatch):
    from bot.settings import get_settings

    monkeypatch.setenv("ETUDE_HOME", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["train", "nlu", "--rollback"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "no earlier NLU model" in result.output


def test_nlu_parse_reads_lines_and_writes_one_json_object_per_line(app, nlu_home):
    result = CliRunner().invoke(app, ["nlu", "parse"], input="hi\n\nwhat is a perfect fifth?\n")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3
    parses = [json.loads(line) for line in lines]
    assert [p["text"] for p in parses] == ["hi", "", "what is a perfect fifth?"]
    assert all(set(p) == {"text", "intent", "intent_ranking", "entities"} for p in parses)
    assert parses[1]["intent"]["name"] == "nlu_fallback"


def test_test_nlu_prints_a_json_summary_and_writes_the_report(app, nlu_home, nlu_files, tmp_path):
    report = tmp_path / "report"
    result = CliRunner().invoke(
        app, ["test", "nlu", "--data", str(nlu_files["data"]), "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    summary = _json(result.stdout)
    for key in (
        "intent_accuracy",
        "intent_macro_f1",
        "per_intent",
        "entity_f1",
        "per_entity_type",
        "misclassified",
    ):
        assert key in summary
    assert set(summary["per_intent"]["greet"]) == {"precision", "recall", "f1", "support"}
    assert (report / "confusion.png").stat().st_size > 0
    assert (report / "metrics.json").exists()


def test_nlu_validate_accepts_the_project_files(app):
    result = CliRunner().invoke(app, ["nlu", "validate", "--json"])
    assert result.exit_code == 0, result.output
    assert _json(result.stdout) == {"ok": True, "problems": []}


def test_train_nlu_refuses_a_missing_data_file(app, tmp_path: Path):
    result = CliRunner().invoke(app, ["train", "nlu", "--data", str(tmp_path / "nope.yml")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_a_model_trained_with_graph_lookup_tables_keeps_its_gazetteer_after_reloading(
    nlu_files, small_graph, tmp_path
):
    from nlu.service import NLU
    from nlu.train import train_nlu

    result = train_nlu(
        data=nlu_files["data"],
        config=nlu_files["config"],
        home=tmp_path,
        show_progress=False,
        graph=small_graph,
    )
    meta = json.loads((Path(result["path"]) / "metadata.json").read_text())
    assert meta["lookup_tables"]["concept"] == 6 and meta["split"]["augmented"] > 0
    assert meta["split"]["contrastive"] > 0  # off-topic look-alikes (config.yml's ContrastiveCopies)
    reloaded = NLU.load(Path(result["path"]), graph=small_graph)
    assert reloaded.model.gazetteer is not None and len(reloaded.model.gazetteer) > 0
    text = "what is a perfect 5th on piano"
    features = reloaded.model._gazetteer_rows(
        text, reloaded.model.tokenizer(text, return_offsets_mapping=True)["offset_mapping"]
    )
    assert features.sum() > 0
    assert set(reloaded.parse(text)) == {"text", "intent", "intent_ranking", "entities"}


def test_entity_only_examples_train_the_tagger_but_leave_the_intent_head_alone():
    import torch

    from nlu.data import Entity, Example
    from nlu.model import JointModel

    model = JointModel.from_pretrained_encoder(
        ["greet", "explain_concept"], ["concept"], max_length=16, layers=1
    )
    intent_before = model.net.intent.weight.detach().clone()
    tagger_before = model.net.tagger.weight.detach().clone()
    swapped = Example("what is a tritone", "explain_concept", [Entity(10, 17, "concept", "tritone")])
    model.fit([], epochs=1, batch_size=4, warmup=0.0, entity_only=[swapped] * 4)
    assert torch.equal(model.net.intent.weight, intent_before)
    assert not torch.equal(model.net.tagger.weight, tagger_before)


def test_training_in_a_home_without_a_graph_builds_the_graph_for_the_lookup_tables_first(tmp_path):
    from kg.build import authored_fingerprint, built_marker
    from nlu.train import _lookup_graph

    graph = _lookup_graph(None, tmp_path)  # what train_nlu reads its lookup tables from, given none

    assert graph is not None and graph.entity("concept:perfect_fifth") is not None
    assert built_marker(tmp_path).read_text().strip() == authored_fingerprint()
    graph.store.close()


def test_a_graph_given_to_training_is_used_as_it_is(small_graph, tmp_path):
    from kg.build import built_marker
    from nlu.train import _lookup_graph

    assert _lookup_graph(small_graph, tmp_path) is small_graph
    assert not built_marker(tmp_path).exists()  # the authored graph was not built into the home


def test_an_attention_pooled_model_reloads_with_the_same_intent_logits(tmp_path):
    import numpy as np

    from nlu.data import Example
    from nlu.model import JointModel

    model = JointModel.from_pretrained_encoder(
        ["too_easy", "too_hard"], ["concept"], max_length=16, layers=1, pooling="attention"
    )
    examples = [Example("this is too easy", "too_easy", []), Example("this is too hard", "too_hard", [])]
    model.fit(examples * 4, epochs=2, batch_size=4, warmup=0.0)
    assert model.net.scorer is not None and model.net.scorer.weight.abs().sum() > 0  # it learned
    model.save(tmp_path)
    reloaded = JointModel.load(tmp_path)
    texts = ["way too easy", "too hard for me"]
    assert reloaded.net.pooling == "attention"
    np.testing.assert_allclose(reloaded.logits(texts), model.logits(texts), atol=1e-4)


def test_each_attention_head_pools_the_words_its_own_way_and_a_reload_keeps_them(tmp_path):
    import numpy as np

    from nlu.data import Example
    from nlu.model import JointModel

    model = JointModel.from_pretrained_encoder(
        ["too_easy", "too_hard"], ["concept"], max_length=16, layers=1, pooling="attention", attention_heads=3
    )
    hidden = model.net.encoder.config.hidden_size
    assert model.net.intent.in_features == 4 * hidden  # the mean and three weighted sums
    examples = [Example("this is far from easy", "too_hard", []),
                Example("this is far from hard", "too_easy", [])]
    model.fit(examples * 4, epochs=2, batch_size=4, warmup=0.0)
    weights = model.net.scorer.weight.detach()
    assert weights.shape == (3, hidden)
    assert not weights[0].equal(weights[1]) and not weights[1].equal(weights[2])  # they learned apart
    model.save(tmp_path)
    reloaded = JointModel.load(tmp_path)
    texts = ["far from easy", "far from hard for me"]
    assert reloaded.net.attention_heads == 3
    np.testing.assert_allclose(reloaded.logits(texts), model.logits(texts), atol=1e-4)


@pytest.mark.parametrize("heads", [0, -1, 1.5, True])
def test_attention_heads_must_be_a_whole_number_of_at_least_one(heads):
    from nlu.model import JointModel

    with pytest.raises(ValueError, match="attention_heads"):
        JointModel.from_pretrained_encoder(["a", "b"], ["concept"], layers=1, pooling="attention",
                                           attention_heads=heads)


def test_an_unknown_pooling_is_refused_by_name():
    from nlu.model import JointModel

    with pytest.raises(ValueError, match="pooling"):
        JointModel.from_pretrained_encoder(["a", "b"], ["concept"], layers=1, pooling="max")


def test_with_a_layer_decay_each_lower_layer_learns_slower_and_the_frozen_words_not_at_all():
    from nlu.data import Example
    from nlu.model import JointModel

    model = JointModel.from_pretrained_encoder(["greet", "goodbye"], ["concept"], max_length=16, layers=2)
    model.net.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    groups = model._encoder_groups(1e-4, 0.5)
    assert [g["lr"] for g in groups] == [1e-4, 5e-5, 2.5e-5]  # top layer, lower layer, embeddings
    words = model.net.encoder.embeddings.word_embeddings.weight
    trainable = [p for p in model.net.encoder.parameters() if p.requires_grad]
    assert sum(len(g["params"]) for g in groups) == len(trainable)
    assert all(p is not words for g in groups for p in g["params"])
    assert len(model._encoder_groups(1e-4, 1.0)) == 1  # no decay: the encoder as one group
    before = [p.detach().clone() for p in model.net.encoder.encoder.layer[0].parameters()]
    model.fit([Example("hi", "greet", []), Example("bye", "goodbye", [])] * 4, epochs=1, batch_size=4,
              warmup=0.0, layer_decay=0.5)
    assert any(not p.equal(b) for p, b in zip(model.net.encoder.encoder.layer[0].parameters(), before,
                                                strict=True))  # it still learns


def _two_intent_model():
    from nlu.model import JointModel

    return JointModel.from_pretrained_encoder(["too_easy", "too_hard"], ["concept"], max_length=16, layers=1,
                                              seed=3)


def _examples():
    from nlu.data import Example

    return [Example("this is too easy", "too_easy", []), Example("this is too hard", "too_hard", [])] * 4


def test_with_an_ema_decay_the_model_keeps_the_moving_average_of_its_weights_which_lags_the_last_step():
    last, averaged = _two_intent_model(), _two_intent_model()
    start = last.net.intent.weight.detach().clone()
    assert averaged.net.intent.weight.equal(start)  # the same start

    last.fit(_examples(), epochs=3, batch_size=4, warmup=0.0, seed=5)
    averaged.fit(_examples(), epochs=3, batch_size=4, warmup=0.0, seed=5, ema_decay=0.8)

    moved = (last.net.intent.weight - start).norm()
    moved_on_average = (averaged.net.intent.weight - start).norm()
    assert 0 < moved_on_average < moved
    assert not averaged.net.encoder.encoder.layer[0].output.dense.weight.equal(
        last.net.encoder.encoder.layer[0].output.dense.weight)  # the encoder is averaged too


def test_label_smoothing_keeps_the_intent_head_from_certainty():
    import numpy as np

    sharp, smoothed = _two_intent_model(), _two_intent_model()
    sharp.fit(_examples(), epochs=6, batch_size=4, warmup=0.0, head_lr=0.05, seed=5)
    smoothed.fit(_examples(), epochs=6, batch_size=4, warmup=0.0, head_lr=0.05, seed=5, label_smoothing=0.3)

    def confidence(model):
        logits = model.encoder_logits(["this is too easy", "this is too hard"])
        probs = np.exp(logits - logits.max(1, keepdims=True))
        return (probs / probs.sum(1, keepdims=True)).max(1)

    assert (confidence(smoothed) < confidence(sharp)).all()


def test_with_a_consistency_weight_each_batch_is_read_twice_and_the_two_readings_compared(monkeypatch):
    import nlu.model

    compared = []

    def recording(first, second):
        compared.append((first.detach().clone(), second.detach().clone()))
        return real(first, second)

    real = nlu.model._symmetric_kl
    monkeypatch.setattr(nlu.model, "_symmetric_kl", recording)
    model = _two_intent_model()
    model.fit(_examples(), epochs=1, batch_size=4, warmup=0.0, seed=5, consistency=1.0)
    assert len(compared) == 2  # 8 examples, batches of 4
    for first, second in compared:
        assert first.shape == second.shape == (4, 2)  # the batch's four messages, read twice
        assert not first.equal(second)  # under different dropout
    compared.clear()
    _two_intent_model().fit(_examples(), epochs=1, batch_size=4, warmup=0.0, seed=5)
    assert compared == []  # off by default


def test_the_symmetric_kl_is_zero_for_equal_distributions_and_symmetric():
    import torch

    from nlu.model import _symmetric_kl

    a, b = torch.tensor([[2.0, 0.0, -1.0]]), torch.tensor([[0.0, 1.0, 0.5]])
    assert float(_symmetric_kl(a, a + 3.0)) == pytest.approx(0.0, abs=1e-6)  # same softmax
    assert float(_symmetric_kl(a, b)) == pytest.approx(float(_symmetric_kl(b, a)))
    p, q = a.softmax(-1), b.softmax(-1)
    expected = ((p * (p / q).log()).sum() + (q * (q / p).log()).sum()) / 2
    assert float(_symmetric_kl(a, b)) == pytest.approx(float(expected), rel=1e-5)


@pytest.mark.parametrize("setting", [{"ema_decay": 1.0}, {"ema_decay": -0.1}, {"label_smoothing": 1.2},
                                     {"consistency": -0.5}, {"consistency": float("nan")}])
def test_a_moving_average_or_smoothing_outside_its_range_is_refused_by_name(setting):
    model = _two_intent_model()
    with pytest.raises(ValueError, match=next(iter(setting))):
        model.fit(_examples(), epochs=1, batch_size=4, **setting)
