"""`etude shell`: chatting with the tutor in the terminal, buttons pressed by number."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.bot.tutor import ScriptedNLU, make_engine


@pytest.fixture
def scripted_tutor(monkeypatch: pytest.MonkeyPatch, tutor_home) -> ScriptedNLU:
    nlu = ScriptedNLU()

    class Batcher:
        async def close(self) -> None:
            return None

    engine = make_engine(nlu)
    monkeypatch.setattr(
        "bot.service.build_tutor", lambda settings: SimpleNamespace(engine=engine, batcher=Batcher())
    )
    return nlu


def test_the_shell_answers_and_numbers_the_buttons(scripted_tutor: ScriptedNLU) -> None:
    scripted_tutor.says("what is a perfect fifth?", "explain_concept", ("concept", "perfect fifth"))
    result = CliRunner().invoke(app, ["shell"], input="what is a perfect fifth?\n1\n\n")
    assert result.exit_code == 0, result.output
    assert "seven semitones" in result.output
    assert "[1] Quiz me on this" in result.output
    assert "Question 1/5" in result.output  # pressing button 1 started the quiz
    assert "♪" in result.output  # the audio example's file is shown


def test_the_shell_ends_on_an_empty_line_or_end_of_input(scripted_tutor: ScriptedNLU) -> None:
    assert CliRunner().invoke(app, ["shell"], input="").exit_code == 0
    assert CliRunner().invoke(app, ["shell"], input="\n").exit_code == 0
