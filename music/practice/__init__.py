"""Practice feedback: listen to a learner's recording of a target and say what was off.

    from music.practice import analyze, PracticeError
    try:
        result = analyze(audio_bytes, "C4 D4 E4 F4 G4", bpm=80)
    except PracticeError as exc:
        reply(exc.message)          # written for the learner
    else:
        reply(result.feedback)      # "Nice and steady! One thing: ..."
        learner_model.update(result.score)   # share of notes right, in [0, 1]
        store(result.to_json())     # per-note verdicts, extras, tempo

The pipeline, one module per step: decode (PyAV) -> pitch (YIN frames) -> notes (onsets, pitch
changes, loudness) -> align (edit-distance DP over notes + a fitted beat grid) -> verdicts ->
feedback. `simulate` renders takes with known mistakes for the tests and the benchmark.
"""

from music.practice.analysis import Analysis, analyze, analyze_samples
from music.practice.decode import MAX_SECONDS, SAMPLE_RATE, encode_audio, load_audio
from music.practice.errors import (
    BadTargetError,
    NoNotesError,
    NotAudioError,
    PracticeError,
    SilenceError,
    TooLongError,
)
from music.practice.target import Target, TargetNote, parse_target
from music.practice.verdicts import OUT_OF_TUNE_CENTS, ExtraNote, NoteVerdict, Tempo, timing_tolerance

__all__ = [
    "MAX_SECONDS",
    "OUT_OF_TUNE_CENTS",
    "SAMPLE_RATE",
    "Analysis",
    "BadTargetError",
    "ExtraNote",
    "NoNotesError",
    "NotAudioError",
    "NoteVerdict",
    "PracticeError",
    "SilenceError",
    "Target",
    "TargetNote",
    "Tempo",
    "TooLongError",
    "analyze",
    "analyze_samples",
    "encode_audio",
    "load_audio",
    "parse_target",
    "timing_tolerance",
]
