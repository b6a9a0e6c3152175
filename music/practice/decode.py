"""Any recording a learner sends, as mono float samples at one rate.

Browsers record WebM/Opus or MP4/AAC, Telegram voice notes are OGG/Opus, people upload MP3 and WAV.
PyAV's bundled FFmpeg reads all of them, so there is one decoder and no system dependency. The
decoder refuses early what it cannot judge (empty, not audio, too long) with a PracticeError whose
message the learner can act on.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from music.practice.errors import NotAudioError, TooLongError

SAMPLE_RATE = 22_050
MAX_SECONDS = 60.0
MAX_BYTES = 50 * 1024 * 1024  # a minute of even uncompressed stereo 48 kHz audio is 11 MB

Source = bytes | bytearray | memoryview | str | Path


def too_long(seconds: float, max_seconds: float) -> TooLongError:
    return TooLongError(
        f"That recording is {seconds:.0f} s long; I can listen to at most {max_seconds:.0f} s at a "
        "time. Record just the exercise and send it again."
    )


def _open(source: Source):
    import av

    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise NotAudioError(f"I can't find a recording at {path}.")
        size = path.stat().st_size
        handle: object = str(path)
    else:
        size = len(source)
        handle = io.BytesIO(bytes(source))
    if size == 0:
        raise NotAudioError("The recording is empty: nothing was recorded. Try recording again.")
    if size > MAX_BYTES:
        raise NotAudioError(
            f"That file is {size / 1e6:.0f} MB; send a recording under {MAX_BYTES // 2**20} MB."
        )
    try:
        return av.open(handle, mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise NotAudioError(
            "I can't read that file as audio. Send a voice note or a WAV, MP3, OGG, WebM or M4A recording."
        ) from exc


def load_audio(source: Source, *, sr: int = SAMPLE_RATE, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """Decode `source` (file path or the file's bytes) into mono float32 samples at `sr` Hz.

    Raises NotAudioError (empty, not audio, no audio track, undecodable) or TooLongError."""
    import av

    container = _open(source)
    with container:
        if not container.streams.audio:
            raise NotAudioError("That file has no sound in it. Send an audio recording of your playing.")
        stream = container.streams.audio[0]
        declared = None
        if stream.duration is not None and stream.time_base is not None:
            declared = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            declared = container.duration / av.time_base
        if declared is not None and declared > max_seconds + 0.5:
            raise too_long(declared, max_seconds)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sr)
        chunks: list[np.ndarray] = []
        total = 0
        limit = int((max_seconds + 0.5) * sr)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    total += chunk.size
                if total > limit:
                    raise too_long(total / sr, max_seconds)
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as exc:
            if total < sr // 2:  # a truncated upload still counts when most of it decodes
                raise NotAudioError(
                    "I can't decode that recording; the file looks damaged. Try recording it again."
                ) from exc
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if samples.size == 0:
        raise NotAudioError("The recording is empty: nothing was recorded. Try recording again.")
    if samples.size > limit:
        raise too_long(samples.size / sr, max_seconds)
    return np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)


def encode_audio(samples: np.ndarray, sr: int, fmt: str) -> bytes:
    """Encode mono float samples into a container (`ogg` Opus, `webm` Opus, `mp3`, `m4a` AAC, `wav`).

    The inverse of load_audio, for tests and benchmarks that need what a browser or phone sends."""
    import av

    codecs = {"ogg": ("ogg", "libopus", 48_000), "webm": ("webm", "libopus", 48_000),
              "mp3": ("mp3", "libmp3lame", 44_100), "m4a": ("mp4", "aac", 44_100),
              "wav": ("wav", "pcm_s16le", sr)}
    if fmt not in codecs:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(codecs)}")
    container_format, codec, rate = codecs[fmt]
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        resampler = av.AudioResampler(format=stream.codec_context.format, layout="mono", rate=rate)
        frame = av.AudioFrame.from_ndarray(
            np.asarray(samples, np.float32).reshape(1, -1), format="flt", layout="mono"
        )
        frame.sample_rate = sr
        for piece in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(piece):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()
