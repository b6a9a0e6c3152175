"""Audio examples: what is heard matches what is written, and files are stable, cached and safe."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from music21 import chord, note, pitch, stream

from kg.curriculum import Concept, realize_example
from music.synth import (
    MAX_SECONDS,
    PEAK,
    SAMPLE_RATE,
    TooLongError,
    events_from,
    render_example,
    render_stream,
    synthesize,
)


def peak_frequency(samples: np.ndarray, start: float, length: float) -> float:
    """Strongest frequency in a window, refined by parabolic interpolation of the FFT peak."""
    a, b = int(start * SAMPLE_RATE), int((start + length) * SAMPLE_RATE)
    window = samples[a:b] * np.hanning(b - a)
    spectrum = np.abs(np.fft.rfft(window, n=8 * (b - a)))
    spectrum[: int(60 * 8 * (b - a) / SAMPLE_RATE)] = 0  # ignore DC and rumble
    i = int(np.argmax(spectrum))
    left, mid, right = np.log(spectrum[i - 1 : i + 2] + 1e-12)
    shift = 0.5 * (left - right) / (left - 2 * mid + right)
    return (i + shift) * SAMPLE_RATE / (8 * (b - a))


def cents(f: float, ref: float) -> float:
    return 1200 * np.log2(f / ref)


def test_each_note_of_a_rendered_scale_sounds_its_written_pitch(tmp_path: Path) -> None:
    example = {"type": "scale", "pitches": "D4 E4 F#4 G4 A4 B4 C#5 D5"}
    path = render_example(example, tmp_path, tempo=120)
    samples, rate = sf.read(path)
    assert rate == SAMPLE_RATE
    beat = 60 / 120
    for i, name in enumerate(example["pitches"].split()):
        heard = peak_frequency(samples, i * beat + 0.05, beat - 0.1)
        assert abs(cents(heard, pitch.Pitch(name).frequency)) < 15, name


def test_an_interval_plays_melodically_then_both_notes_together(tmp_path: Path) -> None:
    path = render_example({"type": "interval", "pitches": "C4 G4"}, tmp_path, tempo=60)
    samples, _ = sf.read(path)
    assert abs(cents(peak_frequency(samples, 0.05, 0.9), 261.63)) < 15
    assert abs(cents(peak_frequency(samples, 1.05, 0.9), 392.0)) < 15
    a, b = int(2.05 * SAMPLE_RATE), int(3.5 * SAMPLE_RATE)
    spectrum = np.abs(np.fft.rfft(samples[a:b] * np.hanning(b - a)))
    freqs = np.fft.rfftfreq(b - a, 1 / SAMPLE_RATE)
    def energy(f: float) -> float:
        return float(spectrum[(freqs > f * 0.98) & (freqs < f * 1.02)].max())
    assert energy(261.63) > 0.3 * energy(392.0)
    assert energy(392.0) > 0.3 * energy(261.63)


def test_rests_are_silent(tmp_path: Path) -> None:
    part = stream.Stream([note.Note("A4", quarterLength=1), note.Rest(quarterLength=2), note.Note("A4")])
    samples, _ = sf.read(render_stream(part, tmp_path, tempo=60))
    rest = samples[int(1.4 * SAMPLE_RATE) : int(2.9 * SAMPLE_RATE)]
    assert np.max(np.abs(rest)) < 1e-3
    assert np.max(np.abs(samples[int(3.05 * SAMPLE_RATE) : int(3.3 * SAMPLE_RATE)])) > 0.1


def test_a_rhythm_is_clicked_at_the_written_onsets() -> None:
    realised = realize_example({"type": "rhythm", "meter": "4/4", "tiny": "c4 c8 c r4 c4"})
    events = events_from(realised, tempo=60, voice="click")
    assert [e.start for e in events] == [0.0, 1.0, 1.5, 3.0]
    assert events[0].gain > events[1].gain  # the downbeat is accented


def test_progressions_sound_as_block_chords(tmp_path: Path) -> None:
    realised = realize_example({"type": "progression", "key": "C", "numerals": "I IV V7 I"})
    events = events_from(realised)
    assert [len(e.freqs) for e in events] == [3, 3, 4, 3]
    assert render_example({"type": "progression", "key": "C", "numerals": "I IV V7 I"}, tmp_path).exists()


def test_output_is_normalised_without_clipping() -> None:
    loud = [chord.Chord(["C3", "E3", "G3", "C4", "E4", "G4", "C5"], quarterLength=4)]
    samples = synthesize(events_from(stream.Stream(loud)))
    assert np.max(np.abs(samples)) == pytest.approx(PEAK, abs=1e-3)


def test_the_same_example_maps_to_the_same_file_and_a_different_one_does_not(tmp_path: Path) -> None:
    first = render_example({"type": "chord", "pitches": "C4 E4 G4"}, tmp_path)
    mtime = first.stat().st_mtime_ns
    again = render_example({"type": "chord", "pitches": "C4 E4 G4"}, tmp_path)
    assert again == first and again.stat().st_mtime_ns == mtime  # served from the cache
    assert render_example({"type": "chord", "pitches": "C4 E-4 G4"}, tmp_path) != first
    assert render_example({"type": "chord", "pitches": "C4 E4 G4"}, tmp_path, tempo=60) != first
    assert first.name.startswith("chord-") and first.suffix == ".wav"


def test_mp3_decodes_to_the_same_pitch(tmp_path: Path) -> None:
    path = render_example({"type": "melody", "pitches": "A4", "durations": [2]}, tmp_path, fmt="mp3")
    assert path.suffix == ".mp3"
    samples, rate = sf.read(path)
    assert rate == SAMPLE_RATE and len(samples) > SAMPLE_RATE
    start = int(np.argmax(np.abs(samples) > 0.05)) / rate  # MP3 adds encoder delay
    assert abs(cents(peak_frequency(samples, start + 0.05, 1.0), 440.0)) < 15


def test_concurrent_renders_leave_one_complete_file(tmp_path: Path) -> None:
    example = {"type": "scale", "pitches": "C4 D4 E4 F4 G4"}
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(render_example(example, tmp_path)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    assert [p.name for p in tmp_path.iterdir()] == [results[0].name]
    samples, _ = sf.read(results[0])
    assert len(samples) > SAMPLE_RATE


def test_passages_longer_than_the_cap_are_refused_clearly(tmp_path: Path) -> None:
    long = stream.Stream([note.Note("C4", quarterLength=4) for _ in range(12)])  # 48 beats at 90 bpm
    with pytest.raises(TooLongError, match=f"{MAX_SECONDS:.0f} s"):
        render_stream(long, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_longest_curriculum_examples_render_within_the_cap(
    tmp_path: Path, concepts: dict[str, Concept]
) -> None:
    def size(example: dict) -> int:
        written = " ".join(str(example.get(k, "")) for k in ("pitches", "numerals", "tiny"))
        return len(written.split()) + int(sum(example.get("durations") or []))

    examples = [c.example for c in concepts.values() if c.example]
    for example in sorted(examples, key=size, reverse=True)[:8]:
        assert render_example(example, tmp_path).stat().st_size > 0
