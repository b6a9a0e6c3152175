"""The tutor knows what the learner has mastered: quiz answers and "too easy / too hard" update it,
my_progress shows it, paths and quizzes follow it, and faded concepts are offered for review."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.store import ConversationStore
from tests.bot.tutor import Chat, ScriptedNLU, make_engine

DAY = 86_400.0


def _answer(chat: Chat) -> str:
    from actions.quiz import question
    from music.answers import canonical

    return canonical(question(chat.slots["quiz"]).expected)


def _with_slots(chat: Chat, nlu: ScriptedNLU, **slots: object) -> None:
    """Start the conversation, then give the learner a history (as if from earlier sessions)."""
    nlu.says("hi", "greet")
    chat("hi")
    chat.slots.update(slots)


def test_five_right_answers_master_the_concept_and_my_progress_says_so(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("quiz me on perfect fifths", "start_quiz", ("concept", "perfect fifths"))
    nlu.says("how am I doing?", "my_progress")
    chat("quiz me on perfect fifths")
    for _ in range(5):
        assert "Correct" in chat.text(_answer(chat))
    assert "concept:perfect_fifth" in chat.slots["known"]
    record = chat.slots["progress"]["concept:perfect_fifth"]
    assert record["correct"] == 5 and record["p"] >= 0.95
    progress = chat.text("how am I doing?")
    assert "Mastered (1): perfect fifth" in progress
    # what a perfect fifth builds on is now likelier known, but not claimed as studied
    assert chat.slots["progress"]["concept:interval"]["p"] > 0.15
    assert "In progress" not in progress


def test_a_concept_answered_wrong_is_in_progress_with_its_estimate(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("quiz me on triads", "start_quiz", ("concept", "triads"))
    nlu.says("my progress", "my_progress")
    chat("quiz me on triads")
    chat.text("no idea")
    chat.text("stop")
    progress = chat.text("my progress")
    assert "In progress (1): triad (" in progress and "0 right, 1 wrong" in progress


def test_quiz_difficulty_rises_as_the_concept_is_mastered(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("quiz me on intervals", "start_quiz", ("concept", "intervals"))
    _with_slots(chat, nlu, level=3.0)
    chat("quiz me on intervals")
    first = chat.slots["quiz"]["difficulty"]
    assert first == 2  # nothing known yet: one step below the learner's grade
    for _ in range(3):
        chat.text(_answer(chat))
    assert chat.slots["quiz"]["difficulty"] > first


def test_too_easy_is_evidence_of_mastery_and_too_hard_against(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what is a triad?", "explain_concept", ("concept", "triad"))
    nlu.says("too easy", "too_easy")
    nlu.says("too hard", "too_hard")
    chat("what is a triad?")
    chat("too easy")
    after_easy = chat.slots["progress"]["concept:triad"]["p"]
    chat("too hard")
    assert chat.slots["progress"]["concept:triad"]["p"] < after_easy


def test_a_faded_concept_is_due_for_review_and_offered(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("my progress", "my_progress")
    nlu.says("what next?", "next_lesson")
    long_ago = time.time() - 90 * DAY
    _with_slots(chat, nlu, progress={
        "concept:major_scale": {"correct": 4, "wrong": 0, "hints": 0, "p": 0.99, "seen": long_ago},
        "concept:triad": {"correct": 4, "wrong": 0, "hints": 0, "p": 0.99, "seen": time.time()},
    })
    [reply] = chat("my progress")
    assert "Due for review (1): major scale" in reply["text"]
    assert "Mastered (1): triad" in reply["text"]
    assert reply["buttons"][0]["payload"] == '/start_quiz{"concept": "concept:major_scale"}'
    next_up = chat.text("what next?")
    assert "time to review **major scale**" in next_up and "90 days" in next_up


def test_a_path_never_skips_a_prerequisite_the_learner_got_wrong(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("how do I get to seventh chords?", "learning_path", ("concept", "seventh chords"))
    now = time.time()
    _with_slots(
        chat, nlu,
        known=["concept:triad"],  # triads mastered: what they build on counts as known...
        progress={
            "concept:triad": {"correct": 4, "wrong": 0, "hints": 0, "p": 0.99, "seen": now},
            # ...except the major third, which the learner has just shown they don't know
            "concept:major_third": {"correct": 0, "wrong": 2, "hints": 0, "p": 0.05, "seen": now},
        },
    )
    path = chat.text("how do I get to seventh chords?")
    assert "major third" in path
    assert "1. triad" not in path and "perfect fifth" not in path


def test_etude_learner_progress_reads_the_stored_conversation(
    tutor_home: Path, nlu: ScriptedNLU, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import actions.services
    from bot.cli import app
    from bot.settings import get_settings

    url = f"sqlite:///{tmp_path / 'etude.db'}"
    with ConversationStore(url) as store:
        chat = Chat(make_engine(nlu, store), sender="ada")
        nlu.says("quiz me on perfect fifths", "start_quiz", ("concept", "perfect fifths"))
        chat("quiz me on perfect fifths")
        for _ in range(5):
            chat.text(_answer(chat))
    monkeypatch.setattr(actions.services, "_current", actions.services._current)  # the CLI reconfigures
    monkeypatch.setenv("ETUDE_HOME", str(tutor_home))
    monkeypatch.setenv("ETUDE_DATABASE_URL", url)
    monkeypatch.delenv("ETUDE_NEO4J_URI", raising=False)
    get_settings.cache_clear()
    try:
        found = CliRunner().invoke(app, ["learner", "progress", "ada", "--json"])
        assert found.exit_code == 0, found.output
        report = json.loads(found.stdout)
        assert [r["name"] for r in report["mastered"]] == ["perfect fifth"]
        assert report["mastered"][0]["correct"] == 5 and report["due"] == []
        table = CliRunner().invoke(app, ["learner", "progress", "ada"])
        assert "perfect fifth" in table.stdout and "mastered" in table.stdout
        missing = CliRunner().invoke(app, ["learner", "progress", "nobody"])
        assert missing.exit_code == 2 and "no conversation" in missing.output
    finally:
        get_settings.cache_clear()


def test_etude_learner_eval_compares_the_models_on_the_logged_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random
    from datetime import UTC, datetime, timedelta

    from bot.cli import app
    from bot.settings import get_settings
    from bot.store import BehaviorEvent

    url = f"sqlite:///{tmp_path / 'etude.db'}"
    rng, t0 = random.Random(0), datetime(2026, 11, 1, tzinfo=UTC)
    concepts = ["concept:note_names", "concept:interval", "concept:major_third", "concept:triad"]
    with ConversationStore(url) as store:
        events = []
        for n in range(15):
            knows = {c for c in concepts if rng.random() < 0.5}
            for k in range(12):
                concept = rng.choice(concepts)
                right = rng.random() < (0.9 if concept in knows else 0.2)
                events.append(BehaviorEvent(f"l{n}", "quiz_answer", concept=concept,
                                            outcome="correct" if right else "wrong",
                                            at=t0 + timedelta(minutes=20 * n + k)))
        store.add_behavior(events)
    monkeypatch.setenv("ETUDE_HOME", str(tmp_path))
    monkeypatch.setenv("ETUDE_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        found = CliRunner().invoke(app, ["learner", "eval", "--epochs", "2", "--json"])
        assert found.exit_code == 0, found.output
        report = json.loads(found.stdout)
        assert (report["learners"], report["answers"], report["test_learners"]) == (15, 180, 5)
        assert set(report["results"]) == {"BKT (EM per concept)", "SAKT", "SAKT over the online model",
                                          "tutor's online model (BKT + prerequisites, untrained)"}
        assert all(0.0 <= row["test_auc"] <= 1.0 for row in report["results"].values())
        bad = CliRunner().invoke(app, ["learner", "eval", "--config", "[1]"])
        assert bad.exit_code == 2 and "bad --config" in bad.output
        monkeypatch.setenv("ETUDE_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
        get_settings.cache_clear()
        empty = CliRunner().invoke(app, ["learner", "eval"])
        assert empty.exit_code == 2 and "too few graded answers" in empty.output
    finally:
        get_settings.cache_clear()


def test_etude_learner_train_activates_the_attention_model_only_when_it_wins_and_the_tutor_uses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chat: Chat, nlu: ScriptedNLU
) -> None:
    import random
    from datetime import UTC, datetime, timedelta

    import actions.services
    from bot.cli import app
    from bot.settings import get_settings
    from bot.store import BehaviorEvent
    from recommender.learner.tracer import active_tracer

    url = f"sqlite:///{tmp_path / 'etude.db'}"
    rng, t0 = random.Random(1), datetime(2026, 11, 1, tzinfo=UTC)
    concepts = ["concept:note_names", "concept:interval", "concept:triad"]
    events = []
    for n in range(90):  # answers that alternate right and wrong: order matters, mastery does not
        last = rng.randrange(2)
        for k in range(30):
            last = 1 - last if rng.random() < 0.95 else last
            events.append(BehaviorEvent(f"l{n}", "quiz_answer", concept=rng.choice(concepts),
                                        outcome="correct" if last else "wrong",
                                        at=t0 + timedelta(minutes=40 * n + k)))
    with ConversationStore(url) as store:
        store.add_behavior(events)
    monkeypatch.setenv("ETUDE_HOME", str(tmp_path))
    monkeypatch.setenv("ETUDE_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        small = '{"dim": 16, "heads": 2, "window": 20, "lr": 0.003, "batch_size": 16}'
        found = CliRunner().invoke(app, ["learner", "train", "--epochs", "15", "--config", small, "--json"])
    finally:
        get_settings.cache_clear()
    assert found.exit_code == 0, found.output
    report = json.loads(found.stdout)
    assert report["active"] and report["test_auc"] > report["online_test_auc"], report
    tracer = active_tracer(tmp_path / "models" / "kt", actions.services.services().prerequisites)
    assert tracer is not None

    nlu.says("how am I doing?", "my_progress")
    monkeypatch.setitem(actions.services.services().__dict__, "tracer", tracer)
    history = [[concepts[k % 3], float(k % 2 == 0)] for k in range(8)]  # right, wrong, ..., wrong
    _with_slots(chat, nlu, answers=history, progress={
        "concept:interval": {"correct": 0, "wrong": 1, "hints": 0, "p": 0.05, "seen": time.time()}})
    # after a wrong answer this learner answers right: the attention model says so, BKT would not
    assert "Mastered (1): interval" in chat.text("how am I doing?")
    monkeypatch.setitem(actions.services.services().__dict__, "tracer", None)
    assert "In progress (1): interval" in chat.text("how am I doing?")
