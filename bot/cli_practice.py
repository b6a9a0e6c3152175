"""`etude practice analyze FILE --target "C4 D4 E4 F4 G4" [--bpm 80] [--json]`.

Registered on the main app with `register(app)`. `--json` prints exactly one JSON object on stdout
(the verdicts, extras, tempo, score and the reply); logs go to stderr. A recording or target the
tutor cannot judge ends with its learner-facing message on stderr and exit status 2, never a
traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bot.logs import stderr

stdout = Console()
log = logging.getLogger(__name__)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")]
_STYLE = {"ok": "green", "wrong_note": "red", "missing": "red", "out_of_tune": "yellow",
          "early": "magenta", "late": "magenta"}


def _fail(message: str, code: int = 2) -> typer.Exit:
    stderr.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _number(value: Any, fmt: str) -> str:
    if value is None:
        return "–"
    text = format(value, fmt)
    return "0" if text.lstrip("+-").strip("0.") == "" else text  # no "-0" for a rounded -0.2


def _table(report: dict[str, Any]) -> Table:
    table = Table(title=f"Practice: {report['target']}")
    for column, justify in (("#", "right"), ("expected", "left"), ("played", "left"), ("cents", "right"),
                            ("onset s", "right"), ("timing ms", "right"), ("verdict", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for note in report["notes"]:
        style = _STYLE.get(note["verdict"], "")
        table.add_row(
            str(note["index"] + 1), note["expected"], note["played"] or "–", _number(note["cents"], "+.0f"),
            _number(note["onset_s"], ".2f"), _number(note["timing_ms"], "+.0f"),
            f"[{style}]{note['verdict']}[/{style}]",
        )
    for extra in report["extra"]:
        table.add_row("+", "", extra["played"] or "x", _number(extra["cents"], "+.0f"),
                      _number(extra["onset_s"], ".2f"), "", "[cyan]extra[/cyan]")
    return table


def practice_analyze(
    file: Annotated[Path, typer.Argument(help="The recording: OGG/Opus, WebM, MP3, WAV, M4A...")],
    target: Annotated[str, typer.Option("--target", help='Notes to play: "C4 D4 E4:2", "x x x:0.5 x:0.5".')],
    bpm: Annotated[
        float | None, typer.Option("--bpm", help="Tempo asked for (default: the learner's own pulse).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Judge a recording against a target: one verdict per note, extra notes, tempo and a reply."""
    from music.practice import PracticeError, analyze

    if not file.is_file():
        raise _fail(f"{file} is not a file")
    try:
        result = analyze(file, target, bpm)
    except PracticeError as exc:
        raise _fail(exc.message) from None
    except Exception as exc:  # an analysis bug must still end in one clear line, not a traceback
        log.debug("practice analysis failed", exc_info=True)
        raise _fail(f"the analysis failed unexpectedly ({type(exc).__name__}: {exc})", code=1) from None
    report = result.to_json()
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
        return
    stdout.print(_table(report))
    tempo = report["tempo"]
    pulse = f"{tempo['bpm']:.0f} bpm, {tempo['label']}" if tempo["bpm"] else tempo["label"]
    stdout.print(
        f"score {report['score']:.2f} · tempo {pulse} · {report['duration_s']:.1f} s of audio analysed in "
        f"{report['analysis_s']:.2f} s", highlight=False,
    )
    stdout.print(report["feedback"], highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    practice = typer.Typer(help="Practice feedback: listen to a recording of a target.", no_args_is_help=True)
    practice.command("analyze")(practice_analyze)
    app.add_typer(practice, name="practice")
