"""Matching played notes to the target: wrong notes are named, skipped and extra notes are found,
and the beat grid follows the learner rather than one stray note. Symbolic notes, no audio."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from music.practice.align import align, fit_grid
from music.practice.notes import PlayedNote
from music.practice.target import Target, note_name, parse_target

BEAT = 0.6


def heard(target: Target, *, skip: set[int] = frozenset(), change: dict[int, float] | None = None,
          shift: dict[int, float] | None = None, extra_after: dict[int, float] | None = None,
          start: float = 0.5) -> list[PlayedNote]:
    """The notes a listener would hear: the target at 100 bpm with the given changes."""
    change, shift, extra_after = change or {}, shift or {}, extra_after or {}
    notes = []
    for i, note in enumerate(target.notes):
        onset = start + note.start * BEAT + shift.get(i, 0.0)
        if i not in skip:
            midi = None if note.midi is None else note.midi + change.get(i, 0.0)
            notes.append(PlayedNote(onset, onset + 0.5, midi, -10.0))
        if i in extra_after:
            middle = onset + note.beats * BEAT / 2
            notes.append(PlayedNote(middle, middle + 0.2, extra_after[i], -10.0))
    return sorted(notes, key=lambda n: n.onset)


SCALE = parse_target("C4 D4 E4 F4 G4 A4 B4 C5")


def test_a_clean_performance_matches_note_for_note():
    result = align(SCALE, heard(SCALE), bpm=100)
    assert result.matched == {i: i for i in range(8)}
    assert result.extra == []
    assert abs(result.grid.beat_s - BEAT) < 1e-9
    assert abs(result.grid.offset - 0.5) < 1e-6


def test_a_wrong_note_in_its_place_is_matched_not_skipped():
    result = align(SCALE, heard(SCALE, change={5: -2}), bpm=None)
    assert result.matched[5] == 5
    assert result.extra == []


def test_a_skipped_note_is_left_unmatched():
    result = align(SCALE, heard(SCALE, skip={3}), bpm=None)
    assert 3 not in result.matched
    assert result.matched[4] == 3 and result.matched[2] == 2


def test_a_skipped_repeat_is_placed_by_its_timing():
    twinkle = parse_target("C4 C4 G4 G4 A4 A4 G4:2")
    result = align(twinkle, heard(twinkle, skip={3}), bpm=100)
    assert sorted(result.matched) == [0, 1, 2, 4, 5, 6]


def test_an_extra_note_is_left_over():
    played = heard(SCALE, extra_after={2: 70.0})
    result = align(SCALE, played, bpm=100)
    assert [played[j].midi for j in result.extra] == [70.0]
    assert len(result.matched) == 8


def test_a_wrong_note_far_from_its_place_is_an_extra_and_a_missing_note():
    played = heard(SCALE, skip={4}, extra_after={3: 66.0})  # F#4 between F4 and the skipped G4
    result = align(SCALE, played, bpm=100)
    assert 4 not in result.matched
    assert [played[j].midi for j in result.extra] == [66.0]


def test_the_grid_follows_the_learner_not_one_late_note():
    beats = np.arange(8.0)
    onsets = 0.3 + beats * 0.5
    onsets[0] += 0.2  # the first note is late: it must not make all the others early
    grid = fit_grid(beats, onsets, None)
    assert abs(grid.beat_s - 0.5) < 1e-6 and abs(grid.offset - 0.3) < 1e-6
    fixed = fit_grid(beats, onsets, 0.5)
    assert abs(fixed.offset - 0.3) < 1e-6


def test_a_rhythm_is_matched_by_timing_alone():
    rhythm = parse_target("rhythm: 1 1 0.5 0.5 1 2 1")
    result = align(rhythm, heard(rhythm, skip={3}), bpm=None)
    assert sorted(result.matched) == [0, 1, 2, 4, 5, 6]
    assert abs(result.grid.beat_s - BEAT) < 1e-6


def test_one_note_has_no_tempo_to_judge_against():
    assert align(parse_target("A4"), heard(parse_target("A4")), bpm=None).grid is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(55, 79), min_size=4, max_size=12),
    st.data(),
    st.sampled_from([None, 100.0]),
)
def test_skipped_and_extra_notes_are_recovered_exactly(midis, data, bpm):
    target = parse_target(" ".join(note_name(m) for m in midis))
    n = len(midis)
    skip = set(data.draw(st.lists(st.integers(1, n - 2), max_size=max(0, n // 4), unique=True)))
    extras = data.draw(st.dictionaries(st.integers(0, n - 2), st.sampled_from([40.0, 90.0]), max_size=2))
    extras = {i: v for i, v in extras.items() if i not in skip and i + 1 not in skip}
    played = heard(target, skip=skip, extra_after=extras)
    result = align(target, played, bpm)
    assert set(result.matched) == set(range(n)) - skip
    assert sorted(played[j].midi for j in result.extra) == sorted(extras.values())
