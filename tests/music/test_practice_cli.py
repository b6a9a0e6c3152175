"""`etude practice analyze`: one JSON object with a verdict per target note, a readable table
otherwise, and one clear line (never a traceback) for anything it cannot judge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from music.practice import encode_audio, parse_target
from music.practice.simulate import take

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
TARGET = "C4 D4 E4 F4 G4"


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    """C4 D4 E4 F4 G4 at 80 bpm: the E4 skipped, the G4 played as A4, an extra B4 after the F4."""
    performed = take(parse_target(TARGET), 80.0, "piano", missing={2}, wrong={4: 2}, extra={3: 6})
    path = tmp_path_factory.mktemp("practice") / "take.ogg"
    path.write_bytes(encode_audio(performed.samples, performed.sr, "ogg"))
    return path


def test_json_has_one_verdict_per_target_note_and_the_extras(recording):
    result = runner.invoke(app, ["practice", "analyze", str(recording), "--target", TARGET, "--bpm", "80",
                                 "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [n["expected"] for n in report["notes"]] == ["C4", "D4", "E4", "F4", "G4"]
    assert [n["verdict"] for n in report["notes"]] == ["ok", "ok", "missing", "ok", "wrong_note"]
    assert [n["played"] for n in report["notes"]] == ["C4", "D4", None, "F4", "A4"]
    for note in report["notes"]:
        assert set(note) >= {"expected", "played", "cents", "onset_s", "verdict"}
        assert note["verdict"] in {"ok", "wrong_note", "out_of_tune", "missing", "early", "late"}
    assert [e["played"] for e in report["extra"]] == ["B4"]
    assert report["score"] == 0.6 and report["bpm"] == 80
    assert report["tempo"]["expected_bpm"] == 80 and abs(report["tempo"]["bpm"] - 80) < 3
    assert "A4 instead of G4" in report["feedback"]


def test_without_json_a_table_and_the_reply_are_printed(recording):
    result = runner.invoke(app, ["practice", "analyze", str(recording), "--target", TARGET])
    assert result.exit_code == 0, result.output
    assert "wrong_note" in result.stdout and "missing" in result.stdout and "extra" in result.stdout
    assert "I didn't hear the E4" in " ".join(result.stdout.split())


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--target", "C4 H4"], "'H4' is not a note"),
        (["--target", TARGET, "--bpm", "0"], "outside what I can judge"),
        (["--target", ""], "target is empty"),
    ],
)
def test_a_bad_target_or_tempo_is_one_clear_line(recording, args, says):
    result = runner.invoke(app, ["practice", "analyze", str(recording), *args, "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert says in result.stderr and "Traceback" not in result.output


def test_a_file_that_is_not_audio_is_one_clear_line(tmp_path):
    (tmp_path / "notes.ogg").write_text("C D E F G")
    result = runner.invoke(app, ["practice", "analyze", str(tmp_path / "notes.ogg"), "--target", TARGET])
    assert result.exit_code == 2
    assert "can't read that file as audio" in result.stderr and "Traceback" not in result.output
    missing = runner.invoke(app, ["practice", "analyze", str(tmp_path / "nope.ogg"), "--target", TARGET])
    assert missing.exit_code == 2 and "is not a file" in " ".join(missing.stderr.split())


def test_the_command_prints_exactly_one_json_object_on_stdout(recording):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "practice", "analyze", str(recording), "--target", TARGET,
         "--json"],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    assert len(json.loads(lines[0])["notes"]) == 5
