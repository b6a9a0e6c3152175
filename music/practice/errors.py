"""What can go wrong with a practice recording, as one exception family.

Channels (web widget, Telegram, the CLI) catch `PracticeError` and show `message` to the learner
as it is: every message says what happened and what to do next, in the tutor's voice. `code` is a
stable machine-readable tag for logs, metrics and tests.
"""

from __future__ import annotations


class PracticeError(Exception):
    """A recording or target the tutor cannot judge; `message` is written for the learner."""

    code = "practice_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadTargetError(PracticeError):
    """The target text is not a sequence of notes (or rhythm) the tutor understands."""

    code = "bad_target"


class NotAudioError(PracticeError):
    """The file is empty, not audio, or in a format FFmpeg cannot decode."""

    code = "not_audio"


class TooLongError(PracticeError):
    """The recording is longer than the analysis accepts (see `MAX_SECONDS`)."""

    code = "too_long"


class SilenceError(PracticeError):
    """The recording decodes but holds (almost) nothing but silence."""

    code = "silence"


class NoNotesError(PracticeError):
    """There is sound but no notes: noise, talking or a badly clipped recording."""

    code = "no_notes"
