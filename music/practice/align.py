"""Which played note was meant as which target note, and the beat grid they were played against.

The alignment is a small dynamic programme over notes (an edit distance, the note-level cousin of
DTW): matching a target note with a played note costs its pitch distance plus its distance from the
grid, skipping a target note (missing) or a played note (extra) costs a fixed price. A wrong note
near its place costs less than a skip plus an extra, so it is matched and named; a skipped note
costs less than a chain of shifted matches, so it is found. Frame-level DTW (librosa.sequence.dtw)
cannot leave notes out, which is the whole point here.

The grid (where each beat should fall) comes from the performance: with `bpm` given only its phase
is fitted, otherwise the learner's own tempo too. The fit is robust (Theil–Sen, then least squares
over the notes that agree), so one late note does not make every other note early.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from music.practice.notes import PlayedNote
from music.practice.target import Target
from music.practice.verdicts import WRONG_NOTE_CENTS, timing_tolerance

SKIP_COST = 1.0  # a missing target note, or an extra played note
WRONG_NOTE_COST = 0.7  # plus a little per semitone: still below two skips
TIMING_WEIGHT = 1.5  # times (beats off the grid)²: a little early is cheap, a beat off is not
RHYTHM_TIMING_WEIGHT = 3.5  # in a rhythm timing is the only evidence: ¾ of a beat off is another stroke
# A wrong pitch far from the grid point is no longer "that note, played wrong": beyond about a third
# of a beat it costs more than calling the target note missing and the played one extra.
WRONG_TIMING_WEIGHT = 3.5
# With a tempo asked for, a grid at another tempo must earn its keep: a free tempo can always fit a
# few notes, and in a rhythm nothing but timing says which stroke was meant as which.
TEMPO_PENALTY = 8.0  # per doubling (or halving) of the tempo
OFF_TEMPO = 0.1  # relative tempo error beyond which the learner's own pulse places the grid
SLOWEST_BEAT_S, FASTEST_BEAT_S = 2.0, 0.15  # 30 to 400 beats per minute


@dataclass(frozen=True, slots=True)
class Grid:
    """Where beats fall: beat b is heard at offset + b * beat_s seconds."""

    offset: float
    beat_s: float

    def time(self, beat: float) -> float:
        return self.offset + beat * self.beat_s

    @property
    def bpm(self) -> float:
        return 60.0 / self.beat_s


@dataclass(frozen=True, slots=True)
class Alignment:
    """`matched[i]` is the played index for target note i (absent: missing); `extra` lists the played
    notes matched to nothing; `grid` is None when timing cannot be judged (a single note)."""

    matched: dict[int, int]
    extra: list[int]
    grid: Grid | None


def pitch_cost(expected: int | None, played: float | None) -> float:
    """What matching a played pitch to an expected one costs (0 in a rhythm: pitch is ignored)."""
    if expected is None or played is None:
        return 0.0
    return float(_pitch_costs(np.array([float(expected)]), np.array([played]))[0, 0])


def _pitch_costs(expected: np.ndarray, played: np.ndarray) -> np.ndarray:
    distance = np.abs(played[None, :] - expected[:, None])
    wrong = WRONG_NOTE_COST + 0.02 * np.minimum(distance, 12.0)
    costs = np.where(distance < WRONG_NOTE_CENTS / 100.0, 0.3 * distance, wrong)
    return np.nan_to_num(costs, nan=0.0)  # NaN: a rhythm target or an unpitched stroke


def edit_alignment(
    target: Target, played: list[PlayedNote], grid: Grid | None
) -> tuple[float, dict[int, int], list[int]]:
    """The cheapest matching of target to played notes in order (missing and extra allowed):
    its cost, target index -> played index, and the played indices left over."""
    n, m = len(target.notes), len(played)
    expected = np.array([np.nan if t.midi is None else float(t.midi) for t in target.notes])
    pitches = np.array([np.nan if p.midi is None else p.midi for p in played])
    match = _pitch_costs(expected, pitches)
    if grid is not None:
        beats = np.array([t.start for t in target.notes])
        onsets = np.array([p.onset for p in played])
        off = np.minimum(np.abs(onsets[None, :] - grid.time(beats)[:, None]) / grid.beat_s, 2.5)
        weight = RHYTHM_TIMING_WEIGHT if target.rhythm_only else TIMING_WEIGHT
        match = match + np.where(match < WRONG_NOTE_COST, weight * off**2, WRONG_TIMING_WEIGHT * off)
    total = np.zeros((n + 1, m + 1))
    total[1:, 0] = np.arange(1, n + 1) * SKIP_COST
    total[0, 1:] = np.arange(1, m + 1) * SKIP_COST
    for i in range(1, n + 1):
        row, above, cost = total[i], total[i - 1], match[i - 1]
        for j in range(1, m + 1):
            row[j] = min(above[j - 1] + cost[j - 1], above[j] + SKIP_COST, row[j - 1] + SKIP_COST)
    matched: dict[int, int] = {}
    extra: list[int] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and np.isclose(total[i, j], total[i - 1, j - 1] + match[i - 1, j - 1]):
            matched[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif i > 0 and np.isclose(total[i, j], total[i - 1, j] + SKIP_COST):
            i -= 1
        else:
            extra.append(j - 1)
            j -= 1
    return float(total[n, m]), matched, sorted(extra)


def fit_grid(beats: np.ndarray, onsets: np.ndarray, beat_s: float | None) -> Grid | None:
    """A robust line onset = offset + beat * beat_s through (beat, onset) pairs; `beat_s` fixed if given."""
    if beats.size == 0:
        return None
    if beat_s is None:
        slopes = [(onsets[b] - onsets[a]) / (beats[b] - beats[a])
                  for a, b in itertools.combinations(range(beats.size), 2) if beats[b] - beats[a] > 1e-9]
        slopes = [s for s in slopes if FASTEST_BEAT_S <= s <= SLOWEST_BEAT_S]
        if not slopes:
            return None
        slope = float(np.median(slopes))
    else:
        slope = beat_s
    offset = float(np.median(onsets - beats * slope))
    inliers = np.abs(onsets - (offset + beats * slope)) <= timing_tolerance(slope)
    if beat_s is None and inliers.sum() >= 3 and np.ptp(beats[inliers]) > 0:
        refit_slope, refit_offset = np.polyfit(beats[inliers], onsets[inliers], 1)
        if FASTEST_BEAT_S <= refit_slope <= SLOWEST_BEAT_S:
            slope, offset = float(refit_slope), float(refit_offset)
    elif inliers.any():
        offset = float(np.mean(onsets[inliers] - beats[inliers] * slope))
    return Grid(offset, slope)


def _rhythm_guess(target: Target, played: list[PlayedNote], beat_s: float | None) -> Grid | None:
    """A first grid for a rhythm, where pitch cannot anchor the matching: try lining up a few early
    (and, for the tempo, late) strokes with target notes and keep the grid most strokes agree with."""
    beats = np.array([n.start for n in target.notes])
    onsets = np.array([p.onset for p in played])
    candidates: list[Grid] = []
    firsts = list(itertools.product(range(min(3, beats.size)), range(min(4, onsets.size))))
    if beat_s is not None:
        candidates = [Grid(onsets[j] - beats[i] * beat_s, beat_s) for i, j in firsts]
    else:
        lasts = list(itertools.product(range(max(0, beats.size - 3), beats.size),
                                       range(max(0, onsets.size - 4), onsets.size)))
        for (i1, j1), (i2, j2) in itertools.product(firsts, lasts):
            if beats[i2] > beats[i1] and onsets[j2] > onsets[j1]:
                slope = (onsets[j2] - onsets[j1]) / (beats[i2] - beats[i1])
                if FASTEST_BEAT_S <= slope <= SLOWEST_BEAT_S:
                    candidates.append(Grid(onsets[j1] - beats[i1] * slope, slope))
    best, best_key = None, None
    for grid in candidates:
        expected = grid.offset + beats * grid.beat_s
        gaps = np.min(np.abs(expected[:, None] - onsets[None, :]), axis=1)
        tolerance = timing_tolerance(grid.beat_s)
        key = (int(np.sum(gaps <= tolerance)), -float(np.sum(np.minimum(gaps, tolerance))) / grid.beat_s)
        if best_key is None or key > best_key:
            best, best_key = grid, key
    return best


def align(target: Target, played: list[PlayedNote], bpm: float | None) -> Alignment:
    """Match played notes to the target and fit the beat grid (see the module docstring).

    A few starting grids are tried (from a pitch-only matching, from the onsets most strokes agree
    with, from the median gap; at the asked tempo and at the learner's own) and each is refined by
    matching and refitting; the cheapest final matching wins. Which start is right depends on the
    take: pitch settles most, but a run of repeated notes can only be placed by its timing, and a
    learner far off the asked tempo is only followed by a grid at their own.

    With `bpm` given, the grid that judges timing runs at that tempo. Its phase is where most notes
    agree (a median), so one late first note does not make every other note early; when the learner
    is more than 10% off the tempo there is no such agreement, and the grid starts where their own
    (robustly fitted) pulse starts, "aligned on the first note" without trusting that note alone."""
    beat_s = None if bpm is None else 60.0 / bpm
    if not played:
        return Alignment({}, [], None)
    beats = np.array([n.start for n in target.notes])

    def pairs(matched: dict[int, int], same_pitch_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        keys = sorted(
            i for i in matched
            if not same_pitch_only or pitch_cost(target.notes[i].midi, played[matched[i]].midi) < 0.3
        )
        return beats[keys], np.array([played[matched[i]].onset for i in keys])

    starts: list[tuple[Grid, float | None]] = []
    tempos = [None] if beat_s is None else [beat_s, None]
    if not target.rhythm_only:
        _, matched, _ = edit_alignment(target, played, None)
        for tempo in tempos:
            by_pitch = fit_grid(*pairs(matched, True), tempo) or fit_grid(*pairs(matched), tempo)
            if by_pitch is not None:
                starts.append((by_pitch, tempo))
    for tempo in tempos:
        by_timing = _rhythm_guess(target, played, tempo)
        if by_timing is not None:
            starts.append((by_timing, tempo))
    if len(played) >= 2 and beats.size >= 2:
        gaps = np.diff([p.onset for p in played])
        slope = float(np.clip(np.median(gaps) / max(float(np.median(np.diff(beats))), 1e-3),
                              FASTEST_BEAT_S, SLOWEST_BEAT_S))
        starts.append((Grid(played[0].onset - beats[0] * slope, slope), None))
    best: tuple[float, dict[int, int], list[int], Grid | None] | None = None
    for grid, tempo in starts or [(None, None)]:
        for _ in range(3):
            _, matched, _ = edit_alignment(target, played, grid)
            refit = fit_grid(*pairs(matched), tempo)
            if refit is None or refit == grid:
                break
            grid = refit
        cost, matched, extra = edit_alignment(target, played, grid)
        if beat_s is not None and grid is not None:
            cost += TEMPO_PENALTY * abs(np.log2(grid.beat_s / beat_s))
        if best is None or cost < best[0] - 1e-9:
            best = (cost, matched, extra, grid)
    assert best is not None
    _, matched, extra, grid = best
    if beat_s is not None:
        on_beats, onsets = pairs(matched)
        own = fit_grid(on_beats, onsets, None) if len(matched) >= 3 else None
        if own is not None and abs(own.beat_s / beat_s - 1.0) > OFF_TEMPO:
            first = float(on_beats[0])
            grid = Grid(own.time(first) - first * beat_s, beat_s)
        else:
            grid = fit_grid(on_beats, onsets, beat_s)
    elif len(matched) < 2:
        grid = None  # one note has no tempo to be early or late against
    return Alignment(matched, extra, grid)
