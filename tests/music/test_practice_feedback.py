"""The reply a learner reads: encouraging, short, and naming what to fix."""

from __future__ import annotations

from music.practice.feedback import compose
from music.practice.target import parse_target
from music.practice.verdicts import ExtraNote, NoteVerdict, Tempo, mastery, pitch_verdict, tempo_summary

SCALE = parse_target("C4 D4 E4 F4 G4 A4 B4 C5")
STEADY = Tempo(90.0, 90.0, 0.02, 0.93, "steady", "even")


def notes(target=SCALE, **changes: tuple[str, str | None, float | None, float | None]) -> list[NoteVerdict]:
    """All ok, except the notes named n<index>=(verdict, played, cents, timing_ms)."""
    out = []
    for i, note in enumerate(target.notes):
        verdict, played, cents, timing = changes.get(f"n{i}", ("ok", note.name, 0.0, 0.0))
        semitones = None if played is None or note.midi is None else 0
        onset = None if played is None else i * 0.6
        out.append(NoteVerdict(i, note.name, played, cents, onset, verdict, "on_time", timing, semitones))
    return out


def test_all_right_gets_praise():
    assert compose(SCALE, notes(), [], STEADY) == "Lovely, every note was right and on time. Well done!"


def test_one_problem_is_named_with_its_note_and_place():
    text = compose(SCALE, notes(n3=("out_of_tune", "F4", -41.0, 0.0)), [], STEADY)
    assert text == "Nice and steady! One thing: the F4 (note 4) was about 40 cents flat."


def test_the_issue_example_reads_as_promised():
    text = compose(SCALE, notes(n3=("out_of_tune", "F4", -40.0, 0.0), n5=("wrong_note", "G4", 0.0, 0.0)), [],
                   STEADY)
    assert text == ("Nice and steady! Two things: you played G4 instead of A4 on note 6, "
                    "and the F4 (note 4) was about 40 cents flat.")


def test_at_most_three_points_are_named_wrong_notes_first():
    many = notes(n1=("late", "D4", 0.0, 250.0), n2=("out_of_tune", "E4", 35.0, 0.0),
                 n4=("missing", None, None, None), n6=("wrong_note", "C5", 0.0, 0.0))
    text = compose(SCALE, many, [ExtraNote("F#4", 0.0, 2.0, 3)], STEADY)
    assert text.startswith("Nice and steady! Three things: you played C5 instead of B4 on note 7, "
                           "I didn't hear")
    assert "(2 more in the details.)" in text


def test_consistently_flat_notes_become_one_remark_about_tuning():
    flat = {f"n{i}": ("out_of_tune", SCALE.notes[i].name, -35.0 - i, 0.0) for i in (1, 3, 5, 7)}
    text = compose(SCALE, notes(**flat), [], STEADY)
    assert "four notes were flat, by about 40 cents: check your tuning" in text
    assert "note 2" not in text


def test_a_wandering_pulse_replaces_the_list_of_early_and_late_notes():
    wobbly = notes(n2=("early", "E4", 0.0, -150.0), n5=("late", "A4", 0.0, 180.0))
    text = compose(SCALE, wobbly, [], Tempo(90.0, None, 0.2, 0.33, "unsteady", "even"))
    assert "the pulse wandered" in text and "came in" not in text


def test_rhythm_feedback_talks_about_strokes_not_notes():
    rhythm = parse_target("x x x x")
    text = compose(rhythm, notes(rhythm, n2=("missing", None, None, None)), [ExtraNote(None, None, 1.2, 1)],
                   STEADY)
    assert text == ("Nice and steady! Two things: I didn't hear stroke 3, "
                    "and there was an extra stroke after note 2.")


def test_out_of_tune_ends_at_seventy_cents_and_octaves_are_wrong_notes():
    assert pitch_verdict(64, 64.29)[0] == "ok"
    assert pitch_verdict(64, 63.65)[0] == "out_of_tune"
    assert pitch_verdict(64, 64.55) == ("out_of_tune", 0, pitch_verdict(64, 64.55)[2])
    verdict, semitones, cents = pitch_verdict(64, 65.1)
    assert (verdict, semitones, round(cents)) == ("wrong_note", 1, 10)
    assert pitch_verdict(60, 72.0)[:2] == ("wrong_note", 12)


def test_steadiness_ignores_one_late_note_but_not_a_drift():
    beats = list(range(12))
    even = [0.5 * b for b in beats]
    one_late = even.copy()
    one_late[6] += 0.2
    assert tempo_summary(beats, one_late, 120.0, None).label == "steady"
    rushing = [0.5 * b - 0.006 * b * b for b in beats]
    assert tempo_summary(beats, rushing, 120.0, None).drift == "rushing"
    assert tempo_summary(beats[:2], even[:2], 120.0, None).label == "unknown"


def test_the_mastery_score_is_the_share_of_notes_right():
    assert mastery(notes(n1=("missing", None, None, None), n2=("late", "E4", 0.0, 300.0))) == 6 / 8
    assert mastery([]) == 0.0
