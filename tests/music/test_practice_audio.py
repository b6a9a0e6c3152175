"""Recordings as channels deliver them: every container browsers and phones send decodes, and
anything that is not a judgeable recording gets a clear reply instead of a crash."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from music.practice import (
    SAMPLE_RATE,
    NoNotesError,
    NotAudioError,
    PracticeError,
    SilenceError,
    TooLongError,
    analyze,
    analyze_samples,
    encode_audio,
    load_audio,
    parse_target,
)
from music.practice.simulate import take

TARGET = parse_target("G4 A4 B4 C5 D5")


@pytest.fixture(scope="module")
def recording():
    """G4 A4 B4 C5 D5 at 100 bpm with the B4 40 cents sharp and a C#5 instead of the C5."""
    return take(TARGET, 100.0, "voice", detune={2: 40.0}, wrong={3: 1})


@pytest.mark.parametrize("fmt", ["ogg", "webm", "mp3", "m4a", "wav"])
def test_ogg_opus_and_mp3_and_webm_decode(recording, fmt):
    data = encode_audio(recording.samples, recording.sr, fmt)
    result = analyze(data, TARGET, bpm=100)
    assert [n.verdict for n in result.notes] == ["ok", "ok", "out_of_tune", "wrong_note", "ok"]
    assert result.notes[3].played == "C#5"
    assert result.notes[2].cents == pytest.approx(40, abs=5)
    assert result.duration_s == pytest.approx(recording.seconds, abs=0.15)


def test_a_file_path_works_like_its_bytes(recording, tmp_path):
    path = tmp_path / "take.ogg"
    path.write_bytes(encode_audio(recording.samples, recording.sr, "ogg"))
    by_path, by_bytes = analyze(path, "G4 A4 B4 C5 D5"), analyze(path.read_bytes(), "G4 A4 B4 C5 D5")
    assert by_path.to_json()["notes"] == by_bytes.to_json()["notes"]


def test_stereo_at_another_rate_is_mixed_down_and_resampled():
    rate, seconds = 44_100, 1.5
    t = np.arange(int(rate * seconds)) / rate
    left, right = 0.4 * np.sin(2 * np.pi * 440 * t), np.zeros_like(t)  # the tone in one channel only
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=rate, layout="stereo")
        frame = av.AudioFrame.from_ndarray(
            (np.stack([left, right]).T.reshape(1, -1) * 32767).astype(np.int16), format="s16", layout="stereo"
        )
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    samples = load_audio(buffer.getvalue())
    assert samples.ndim == 1 and samples.dtype == np.float32
    assert samples.size == pytest.approx(seconds * SAMPLE_RATE, abs=64)
    spectrum = np.abs(np.fft.rfft(samples))
    assert np.argmax(spectrum) * SAMPLE_RATE / samples.size == pytest.approx(440, abs=2)
    assert 0.2 < np.abs(samples).max() < 0.45


def test_silence_gets_a_clear_error():
    data = encode_audio(np.zeros(SAMPLE_RATE * 3, np.float32), SAMPLE_RATE, "ogg")
    with pytest.raises(SilenceError, match="couldn't hear anything"):
        analyze(data, TARGET)


def test_a_quiet_room_counts_as_silence():
    hiss = np.random.default_rng(0).normal(0, 3e-4, SAMPLE_RATE * 3).astype(np.float32)
    with pytest.raises(SilenceError):
        analyze_samples(hiss, SAMPLE_RATE, TARGET)


@pytest.mark.parametrize("target", ["G4 A4 B4 C5 D5", "C2 E2 G2", "x x x x"])
def test_noise_only_gets_a_clear_error(target):
    noise = np.random.default_rng(1).normal(0, 0.2, SAMPLE_RATE * 4).astype(np.float32)
    with pytest.raises(NoNotesError, match="no clear"):
        analyze_samples(noise, SAMPLE_RATE, target)


@pytest.mark.parametrize(
    ("data", "says"),
    [(b"this is a text file, not a recording\n" * 20, "can't read that file as audio"),
     (bytes(range(256)) * 40, "can't read that file as audio"),
     (b"\x89PNG\r\n\x1a\n" + bytes(500), "no sound in it")],
    ids=["text", "random bytes", "png"],
)
def test_not_audio_gets_a_clear_error(data, says):
    with pytest.raises(NotAudioError, match=says):
        analyze(data, TARGET)


def test_an_empty_file_gets_a_clear_error(tmp_path):
    with pytest.raises(NotAudioError, match="empty"):
        analyze(b"", TARGET)
    (tmp_path / "empty.ogg").write_bytes(b"")
    with pytest.raises(NotAudioError, match="empty"):
        analyze(tmp_path / "empty.ogg", TARGET)
    with pytest.raises(NotAudioError, match="can't find"):
        analyze(tmp_path / "missing.ogg", TARGET)


def test_a_truncated_upload_is_refused_without_a_crash(recording):
    data = encode_audio(recording.samples, recording.sr, "mp3")
    with pytest.raises(PracticeError):
        analyze(data[:200], TARGET)


def test_too_long_recording_is_refused():
    minute = np.zeros(SAMPLE_RATE * 61, np.float32)
    with pytest.raises(TooLongError, match="at most 60 s"):
        analyze(encode_audio(minute, SAMPLE_RATE, "ogg"), TARGET)
    with pytest.raises(TooLongError):
        analyze_samples(minute, SAMPLE_RATE, TARGET)
    short_limit = encode_audio(np.zeros(SAMPLE_RATE * 5, np.float32), SAMPLE_RATE, "wav")
    with pytest.raises(TooLongError, match="at most 3 s"):
        analyze(short_limit, TARGET, max_seconds=3)


def test_every_refusal_is_one_practice_error_type_with_a_code_and_a_message():
    for error in (NotAudioError, TooLongError, SilenceError, NoNotesError):
        assert issubclass(error, PracticeError)
    with pytest.raises(PracticeError) as caught:
        analyze(b"", TARGET)
    assert caught.value.code == "not_audio" and caught.value.message == str(caught.value)


def test_a_bad_tempo_is_refused_before_decoding():
    with pytest.raises(PracticeError, match="outside what I can judge"):
        analyze(b"not even audio", TARGET, bpm=5)
