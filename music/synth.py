"""Audio for curriculum examples: a small additive synthesizer and a content-addressed media cache.

The tutor plays what it explains. A realised example (kg.curriculum.realize_example) or any music21
note, chord or stream becomes a list of timed events, the events become samples (piano-like
partials under an ADSR envelope, or a pitched click for bare rhythms), and the samples become a WAV
for the web or an MP3 for Telegram. File names are a hash of the events, so the same example always
maps to the same file and is rendered once.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import soundfile as sf

SAMPLE_RATE = 22_050
MAX_SECONDS = 30.0
DEFAULT_TEMPO = 90
PEAK = 0.89  # about -1 dBFS: loud, never clipped, and leaves room for MP3 overshoot
SYNTH_VERSION = 1  # bump when the sound changes so cached files are not reused

Format = Literal["wav", "mp3"]
Voice = Literal["piano", "click"]
_SUBTYPES = {"wav": ("WAV", "PCM_16"), "mp3": ("MP3", "MPEG_LAYER_III")}


class TooLongError(ValueError):
    """The passage would play longer than MAX_SECONDS; the tutor should pick a shorter example."""


@dataclass(frozen=True, slots=True)
class Event:
    """One sound: start and length in seconds, the frequencies sounding together, a loudness."""

    start: float
    length: float
    freqs: tuple[float, ...]
    gain: float = 1.0
    voice: Voice = "piano"


def events_from(obj: Any, *, tempo: int = DEFAULT_TEMPO, voice: Voice = "piano") -> list[Event]:
    """Timed events of a music21 note, chord or stream; rests leave silence, ties are merged.

    A quarter note lasts one beat at `tempo` beats per minute, whatever the meter. With the click
    voice every note sounds the same pitch and downbeats are accented, so only the rhythm is heard.
    """
    from music21 import chord, note, stream

    if tempo <= 0:
        raise ValueError("tempo must be positive")
    if isinstance(obj, note.GeneralNote):
        holder = stream.Stream()
        holder.append(obj)
        obj = holder
    if not isinstance(obj, stream.Stream):
        raise TypeError(f"cannot render a {type(obj).__name__}")
    seconds_per_quarter = 60.0 / tempo
    flat = obj.stripTies().flatten() if obj.hasMeasures() else obj.flatten()
    events: list[Event] = []
    for element in flat.notes:
        start = float(element.offset) * seconds_per_quarter
        length = float(element.quarterLength) * seconds_per_quarter
        if length <= 0:
            continue  # grace notes carry no time of their own
        if isinstance(element, chord.Chord):
            freqs = tuple(p.frequency for p in element.pitches)
        else:
            freqs = (element.pitch.frequency,)
        gain = 1.0
        if voice == "click":
            freqs = (1000.0,)
            gain = 1.0 if _on_downbeat(element) else 0.6
        events.append(Event(start, length, freqs, gain, voice))
    return events


def _on_downbeat(element: Any) -> bool:
    try:
        return float(element.beat) == 1.0
    except Exception:  # no meter: every click sounds the same
        return True


def duration_of(events: list[Event]) -> float:
    """Seconds from the start to the end of the last event's release."""
    return max((e.start + e.length for e in events), default=0.0) + _RELEASE


_ATTACK, _RELEASE = 0.008, 0.12


@lru_cache(maxsize=512)
def _piano_tone(freq: float, length: float) -> np.ndarray:
    """Harmonic partials that fade faster the higher they are, under an attack/decay/release shape.

    Cached (read-only arrays): examples reuse the same few pitches and lengths again and again."""
    total = int((length + _RELEASE) * SAMPLE_RATE)
    t = np.arange(total) / SAMPLE_RATE
    tone = np.zeros(total)
    for n in range(1, 7):
        partial = freq * n
        if partial >= SAMPLE_RATE / 2:
            break
        decay = np.exp(-t * (1.2 + 0.9 * n) * (1.0 + freq / 1000.0))
        tone += (0.6**(n - 1)) * decay * np.sin(2 * np.pi * partial * t)
    envelope = np.ones(total)
    attack = max(1, int(_ATTACK * SAMPLE_RATE))
    envelope[:attack] = np.linspace(0.0, 1.0, attack)
    held = int(length * SAMPLE_RATE)
    envelope[held:] = np.linspace(1.0, 0.0, total - held) if total > held else 1.0
    shaped = tone * envelope
    shaped.flags.writeable = False
    return shaped


def as_mp3(wav: Path) -> Path:
    """The MP3 twin of a rendered WAV (made once, beside it): Telegram's sendAudio wants MP3,
    while the web plays the WAV, which costs nothing to encode."""
    target = wav.with_suffix(".mp3")
    if not target.exists():
        samples, rate = sf.read(wav, dtype="float64")
        if rate != SAMPLE_RATE:
            raise ValueError(f"{wav.name} is not a rendered example ({rate} Hz)")
        _write_atomic(samples, target, "mp3")
    return target


def _click(length: float) -> np.ndarray:
    """A short pitched tick (woodblock-like) so rhythm stays audible without implying a pitch."""
    total = int((min(length, 0.12) + 0.01) * SAMPLE_RATE)
    t = np.arange(total) / SAMPLE_RATE
    return np.exp(-t * 60.0) * (np.sin(2 * np.pi * 1000.0 * t) + 0.5 * np.sin(2 * np.pi * 2500.0 * t))


def synthesize(events: list[Event]) -> np.ndarray:
    """Mono float32 samples at SAMPLE_RATE, peak-normalised to PEAK; raises TooLongError past the cap."""
    seconds = duration_of(events)
    if seconds > MAX_SECONDS:
        raise TooLongError(f"the passage lasts {seconds:.1f} s; the limit is {MAX_SECONDS:.0f} s")
    out = np.zeros(int(seconds * SAMPLE_RATE) + 1)
    for event in events:
        begin = round(event.start * SAMPLE_RATE)
        if event.voice == "click":
            sound = _click(event.length)
        else:
            sound = sum(_piano_tone(f, event.length) for f in event.freqs) / np.sqrt(len(event.freqs))
        end = min(len(out), begin + len(sound))
        out[begin:end] += event.gain * sound[: end - begin]
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 0:
        out *= PEAK / peak
    return out.astype(np.float32)


def _events_key(events: list[Event], fmt: str) -> str:
    payload = json.dumps(
        {
            "v": SYNTH_VERSION,
            "sr": SAMPLE_RATE,
            "fmt": fmt,
            "events": [[round(e.start, 6), round(e.length, 6), [round(f, 4) for f in e.freqs],
                        e.gain, e.voice] for e in events],
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def _write_atomic(samples: np.ndarray, target: Path, fmt: Format) -> None:
    """Write beside the target and rename over it, so readers never see half a file."""
    container, subtype = _SUBTYPES[fmt]
    handle, temp_name = tempfile.mkstemp(prefix=".partial-", suffix=f".{fmt}", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as raw:
            sf.write(raw, samples, SAMPLE_RATE, format=container, subtype=subtype)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def render_stream(
    obj: Any,
    media_dir: Path,
    *,
    fmt: Format = "wav",
    tempo: int = DEFAULT_TEMPO,
    voice: Voice = "piano",
    stem: str = "audio",
) -> Path:
    """Render a music21 note/chord/stream into media_dir and return the file; cached by content."""
    if fmt not in _SUBTYPES:
        raise ValueError(f"unknown audio format {fmt!r}; use wav or mp3")
    events = events_from(obj, tempo=tempo, voice=voice)
    if not events:
        raise ValueError("nothing to play: the passage has no notes")
    media_dir = Path(media_dir)
    media_dir.mkdir(parents=True, exist_ok=True)
    target = media_dir / f"{stem}-{_events_key(events, fmt)}.{fmt}"
    if not target.exists():
        _write_atomic(synthesize(events), target, fmt)
    return target


def example_passage(example: dict[str, Any]) -> tuple[Any, Voice]:
    """The passage a curriculum example plays and its voice: chords and progressions as held block
    chords, an interval melodically then harmonically, a rhythm on clicks, anything else as written.

    Shared by the audio attachment and the recommender's media features, so both hear the same."""
    from kg.curriculum import realize_example

    realised = realize_example(example)
    kind = str(example.get("type"))
    if kind == "chord":
        realised.quarterLength = 3.0
    elif kind == "progression":
        from music21 import stream

        held = stream.Stream()
        for numeral in realised.notes:
            numeral.quarterLength = 2.0
            held.append(numeral)
        realised = held
    voice: Voice = "click" if kind == "rhythm" else "piano"
    return realised, voice


def render_example(
    example: dict[str, Any], media_dir: Path, *, fmt: Format = "wav", tempo: int = DEFAULT_TEMPO
) -> Path:
    """Render a curriculum example (as `example_passage` plays it) into media_dir; cached by content."""
    realised, voice = example_passage(example)
    stem = str(example.get("type"))
    return render_stream(realised, media_dir, fmt=fmt, tempo=tempo, voice=voice, stem=stem)
