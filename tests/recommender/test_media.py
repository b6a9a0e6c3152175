"""Item media: a lesson's example heard as log-mel segments and seen as a keyboard animation, cached."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import recommender.media as media
from kg.curriculum import load_curriculum
from kg.schema import CONCEPT, WORK, Node
from music.synth import Event
from recommender.encoders.audio import MelConfig
from recommender.encoders.steps import PAD, padding_mask
from recommender.keyboard import KeyboardConfig, keyboard_frames, lit_keys
from recommender.media import MediaCache, example_media, node_media

C_MAJOR = {"type": "chord", "pitches": "C4 E4 G4"}


def curriculum_example(concept_id: str) -> dict:
    return next(c.example for c in load_curriculum() if c.id == concept_id)


def concept(example: dict, cid: str = "concept:major_triad") -> Node:
    return Node(cid, CONCEPT, {"name": "major triad", "example": json.dumps(example)})


def test_a_lessons_example_sounds_in_its_log_mel_segments() -> None:
    found = example_media(curriculum_example("perfect_fifth"))  # C4 G4 then both: 4 beats at 90 bpm
    mel = MelConfig()
    seconds = 4 * 60 / 90
    assert found.audio.shape == (mel.max_segments, mel.n_mels, mel.segment_frames)
    segment = mel.segment_frames * mel.hop_length / mel.sample_rate
    assert found.audio_mask.sum() == math.ceil((seconds + 0.12) / segment)  # + the release
    heard = found.audio[found.audio_mask]
    assert heard.max() == pytest.approx(1.0) and heard.mean() > 0.1  # not silence
    assert np.array_equal(padding_mask(found.audio[None])[0], found.audio_mask)


def test_the_keyboard_lights_the_keys_of_a_c_major_triad() -> None:
    found = example_media(C_MAJOR)  # held for three beats: 2 s, six frames at 3 fps
    assert found.video.shape == (24, 1, 8, 88 * 2 - 36 * 2)
    assert found.video_mask.tolist() == [True] * 6 + [False] * 18
    for frame in found.video[found.video_mask]:
        assert lit_keys(frame) == [60, 64, 67]
    assert np.all(found.video[~found.video_mask] == PAD)


def test_the_keyboard_follows_a_melody_and_shows_a_rhythm_on_its_written_pitch() -> None:
    melody = example_media({"type": "melody", "pitches": "C4 D4 E4", "durations": [3, 3, 3]})
    played = [lit_keys(f) for f in melody.video[melody.video_mask]]  # a note: two seconds, 6 frames
    assert played == [[60]] * 6 + [[62]] * 6 + [[64]] * 6
    rhythm = example_media({"type": "rhythm", "tiny": "a4 a4", "meter": "2/4"})
    assert all(lit_keys(f) == [69] for f in rhythm.video[rhythm.video_mask])


def test_a_note_shorter_than_a_frame_still_shows_and_pitches_off_the_keyboard_do_not() -> None:
    config = KeyboardConfig(low=48, high=72, channels=3, fps=2)
    events = [Event(0.0, 0.1, (261.63,)), Event(0.1, 0.9, (440.0 * 4,))]  # C4 briefly, then A6
    frames, mask = keyboard_frames(events, config)
    assert mask.tolist()[:3] == [True, True, False]
    assert frames.shape[1:] == (3, 8, 15 * 2)
    assert lit_keys(frames[0], config, threshold=0.1) == [60]
    assert lit_keys(frames[1], config, threshold=0.1) == []


def test_features_are_cached_by_example_and_recomputed_when_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict] = []
    compute = media.example_media

    def counted(example, *args, **kwargs):
        calls.append(example)
        return compute(example, *args, **kwargs)

    monkeypatch.setattr(media, "example_media", counted)
    cache = MediaCache(tmp_path / "rec")
    first = node_media(concept(C_MAJOR), cache)
    again = node_media(concept(C_MAJOR), cache)
    assert len(calls) == 1
    for name in ("audio", "audio_mask", "video", "video_mask"):
        assert np.array_equal(getattr(first, name), getattr(again, name))
    assert [p.name.split("-")[0] for p in (tmp_path / "rec").iterdir()] == ["concept_major_triad"]

    minor = node_media(concept({"type": "chord", "pitches": "C4 E-4 G4"}), cache)
    assert len(calls) == 2
    assert lit_keys(minor.video[0]) == [60, 63, 67]
    assert len(list((tmp_path / "rec").iterdir())) == 1  # the stale file went
    node_media(concept(C_MAJOR), cache, keyboard=KeyboardConfig(fps=4))
    assert len(calls) == 3  # other settings, other features


def test_items_without_anything_to_play_have_no_media(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path)
    assert node_media(Node("concept:posture", CONCEPT, {"name": "posture"}), cache) is None
    assert node_media(concept({"type": "chord", "pitches": "not a pitch"}), cache) is None
    work = Node("work:m21_bwv66_6", WORK, {"name": "bwv66.6", "corpus_path": "bach/bwv66.6.mxl"})
    assert node_media(work, cache) is None  # rendering works is opt-in


def test_a_corpus_work_can_play_its_opening() -> None:
    work = Node("work:m21_bwv66_6", WORK, {"name": "bwv66.6", "corpus_path": "bach/bwv66.6.mxl"})
    found = node_media(work, render_works=True)
    assert found is not None and found.audio_mask.sum() >= 10  # eight seconds of a chorale
    assert found.video_mask.all()
    assert len(lit_keys(found.video[found.video_mask][-1])) >= 3  # four voices, some doubled
