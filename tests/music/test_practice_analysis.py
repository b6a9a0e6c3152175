"""Listening to a take: synthesized recordings with known mistakes get the verdicts they deserve.

Takes come from `music.practice.simulate` (the tutor's piano synthesizer, or a bright vibrato
"voice"), so every expectation below is a ground truth, not a snapshot of what the code printed.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from music.practice import Analysis, analyze_samples, parse_target
from music.practice.simulate import Performed, render, take
from music.practice.target import note_name

SCALE = parse_target("C4 D4 E4 F4 G4 A4 B4 C5")
SR = 22_050


def verdicts(result: Analysis) -> list[str]:
    return [n.verdict for n in result.notes]


def judge(target=SCALE, bpm=90.0, timbre="piano", *, given_bpm: float | None = 90.0, snr_db=None, **mistakes):
    recording = take(target, bpm, timbre, snr_db=snr_db, **mistakes)
    return recording, analyze_samples(recording.samples, recording.sr, target, given_bpm)


def test_a_clean_scale_gets_every_note_ok():
    _, result = judge()
    assert verdicts(result) == ["ok"] * 8
    assert result.extra == [] and result.score == 1.0 and result.all_ok
    assert all(abs(n.cents) < 5 for n in result.notes)
    assert [n.played for n in result.notes] == [n.name for n in SCALE.notes]
    assert result.feedback.startswith("Lovely")
    assert result.tempo.label == "steady" and abs(result.tempo.bpm - 90) < 2


def test_a_wrong_note_is_named():
    _, result = judge(wrong={5: -2})
    assert verdicts(result) == ["ok"] * 5 + ["wrong_note"] + ["ok"] * 2
    assert result.notes[5].played == "G4" and result.notes[5].semitones == -2
    assert "you played G4 instead of A4 on note 6" in result.feedback
    assert result.score == 7 / 8


def test_forty_cents_flat_is_out_of_tune():
    _, result = judge(detune={3: -40.0})
    assert verdicts(result)[3] == "out_of_tune"
    assert result.notes[3].played == "F4"
    assert result.notes[3].cents == pytest.approx(-40, abs=4)
    assert "F4 (note 4) was about 40 cents flat" in result.feedback


def test_twenty_cents_sharp_is_still_in_tune():
    _, result = judge(detune={2: 20.0}, timbre="voice")
    assert verdicts(result) == ["ok"] * 8
    assert result.notes[2].cents == pytest.approx(20, abs=4)


def test_fifty_five_cents_sharp_is_out_of_tune_not_the_next_note():
    _, result = judge(detune={2: 55.0})
    assert verdicts(result)[2] == "out_of_tune"
    assert result.notes[2].played == "E4" and result.notes[2].cents == pytest.approx(55, abs=4)


def test_an_octave_slip_is_a_wrong_note():
    _, result = judge(wrong={4: 12})
    assert verdicts(result)[4] == "wrong_note"
    assert result.notes[4].played == "G5" and result.notes[4].semitones == 12
    assert "an octave higher" in result.feedback


def test_a_skipped_note_is_missing():
    _, result = judge(missing={3})
    assert verdicts(result) == ["ok"] * 3 + ["missing"] + ["ok"] * 4
    assert result.notes[3].played is None and result.notes[3].onset_s is None
    assert "I didn't hear the F4 (note 4)" in result.feedback


def test_an_extra_note_is_reported_after_the_note_it_follows():
    _, result = judge(extra={2: 3})  # G4 between E4 and F4
    assert verdicts(result) == ["ok"] * 8
    assert [(e.played, e.after) for e in result.extra] == [("G4", 2)]
    assert "extra G4 after note 3" in result.feedback


def test_late_note_is_late():
    _, result = judge(shift={4: 0.25})
    assert verdicts(result) == ["ok"] * 4 + ["late"] + ["ok"] * 3
    assert result.notes[4].timing_ms == pytest.approx(250, abs=40)


def test_early_note_is_early_even_when_it_is_the_first():
    _, result = judge(shift={0: -0.25})
    assert verdicts(result) == ["early"] + ["ok"] * 7


def test_without_a_tempo_timing_follows_the_learners_own_pulse():
    _, result = judge(bpm=112.0, given_bpm=None, shift={5: -0.2})
    assert abs(result.tempo.bpm - 112) < 3
    assert result.tempo.expected_bpm is None
    assert verdicts(result) == ["ok"] * 5 + ["early"] + ["ok"] * 2


def test_playing_steadily_at_another_tempo_than_asked_is_said():
    _, result = judge(bpm=120.0, given_bpm=80.0)
    assert abs(result.tempo.bpm - 120) < 3
    assert verdicts(result).count("early") >= 5
    assert "faster than the 80 asked for" in result.feedback


def test_rushing_is_noticed():
    melody = parse_target(" ".join(["C4 E4 G4 E4"] * 4))
    shifts = {i: -0.004 * i * i for i in range(16)}  # each beat a little shorter than the last
    _, result = judge(melody, bpm=90.0, given_bpm=None, shift=shifts)
    assert result.tempo.drift == "rushing"
    assert "sped up" in result.feedback


def test_a_rhythm_target_ignores_pitch_and_checks_onsets():
    rhythm = parse_target("rhythm: 1 1 0.5 0.5 1 1 2")
    _, result = judge(rhythm, bpm=100.0, given_bpm=100.0, missing={2}, shift={5: 0.2})
    assert verdicts(result) == ["ok", "ok", "missing", "ok", "ok", "late", "ok"]
    assert all(n.cents is None for n in result.notes)
    assert "stroke 3" in result.feedback


def test_the_voice_timbre_in_noise_gets_the_same_verdicts():
    _, result = judge(timbre="voice", snr_db=20.0, wrong={1: 1}, detune={6: 45.0}, missing={3})
    assert verdicts(result) == ["ok", "wrong_note", "ok", "missing", "ok", "ok", "out_of_tune", "ok"]


def test_piano_at_ten_db_snr_is_still_heard_clearly():
    _, result = judge(snr_db=10.0, wrong={2: -1}, detune={5: -35.0})
    assert verdicts(result) == ["ok", "ok", "wrong_note", "ok", "ok", "out_of_tune", "ok", "ok"]


def test_one_long_note_with_no_silence_around_it_is_heard():
    samples = render([Performed(69.4, 0.0, 3.0, 0)], "voice", tail_s=0.0)
    result = analyze_samples(samples, SR, "A4")
    assert verdicts(result) == ["out_of_tune"]
    assert result.notes[0].cents == pytest.approx(40, abs=4)
    assert result.tempo.label == "unknown"  # one note: no pulse to judge


def test_low_notes_of_a_cello_or_bass_range_are_tracked():
    low = parse_target("C2 G2 C3 E3 G3")
    _, result = judge(low, wrong={3: 1}, detune={1: 40.0})
    assert verdicts(result) == ["ok", "out_of_tune", "ok", "wrong_note", "ok"]


def test_to_json_has_the_contract_fields():
    _, result = judge(missing={1}, extra={4: 2})
    data = result.to_json()
    contract = {"expected", "played", "cents", "onset_s", "verdict"}
    assert len(data["notes"]) == 8 and all(set(n) >= contract for n in data["notes"])
    assert data["notes"][1] == {**data["notes"][1], "played": None, "cents": None, "onset_s": None,
                                "verdict": "missing"}
    assert len(data["extra"]) == 1 and set(data["extra"][0]) >= {"played", "onset_s", "cents"}
    assert data["counts"]["missing"] == 1 and data["counts"]["extra"] == 1 and data["counts"]["ok"] == 7
    assert data["score"] == 0.875
    assert {"feedback", "tempo", "steadiness", "duration_s", "analysis_s"} <= set(data)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(48, 79), st.sampled_from([0.5, 1.0, 1.5, 2.0])), min_size=3, max_size=8),
    st.floats(60.0, 120.0),
    st.sampled_from(["piano", "voice"]),
    st.booleans(),
)
def test_any_target_of_three_to_eight_notes_played_cleanly_is_all_ok(notes, bpm, timbre, tell_tempo):
    target = parse_target(" ".join(f"{note_name(m)}:{b:g}" for m, b in notes))
    recording = take(target, bpm, timbre, rng=np.random.default_rng(len(notes)))
    result = analyze_samples(recording.samples, recording.sr, target, bpm if tell_tempo else None)
    assert verdicts(result) == ["ok"] * len(notes), [(n.played, n.cents, n.timing_ms) for n in result.notes]
    assert result.extra == []
    assert result.score == 1.0


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([0.5, 1.0, 1.5, 2.0]), min_size=3, max_size=10), st.floats(60.0, 120.0),
       st.booleans())
def test_any_rhythm_played_cleanly_is_all_ok(durations, bpm, tell_tempo):
    rhythm = parse_target("rhythm: " + " ".join(f"{d:g}" for d in durations))
    recording = take(rhythm, bpm, rng=np.random.default_rng(len(durations)))
    result = analyze_samples(recording.samples, recording.sr, rhythm, bpm if tell_tempo else None)
    assert verdicts(result) == ["ok"] * len(durations)
    assert result.extra == []
