"""Theory answers: the tutor states only what music21 computes, spelled the way musicians spell it."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from music21 import interval, key, pitch, scale

from kg.curriculum import realize_example
from music.spelling import display
from music.theory import answer

TONICS = ["C", "G", "D", "A", "E", "B", "F#", "C#", "F", "Bb", "Eb", "Ab", "Db", "Gb"]


def m21(name: str) -> str:
    return name.replace("b", "-") if len(name) > 1 else name


@pytest.mark.parametrize(
    ("text", "notes"),
    [
        ("what notes are in the C major scale?", "C D E F G A B"),
        ("the A harmonic minor scale", "A B C D E F G♯"),
        ("D dorian", "D E F G A B C"),
        ("F# minor pentatonic", "F♯ A B C♯ E"),
        ("F♯ major scale", "F♯ G♯ A♯ B C♯ D♯ E♯"),
        ("G7 chord", "G B D F"),
        ("Bb major triad", "B♭ D F"),
        ("Cmaj7", "C E G B"),
        ("E diminished chord", "E G B♭"),
        ("what are the notes of a C minor chord", "C E♭ G"),
        ("spell F#m7b5", "F♯ A C E"),
        ("interval from C to G", "C G"),
        ("C to E flat", "C E♭"),
        ("a major third above E", "G♯"),
        ("what is a minor sixth below E flat?", "G"),
        ("how many sharps in D major", "F♯ C♯"),
        ("key signature of Eb major", "B♭ E♭ A♭"),
        ("relative minor of C major", "A"),
        ("parallel minor of G", "G"),
        ("show me the pentatonic scale in G", "G A B D E"),
        ("the dorian mode starting on D", "D E F G A B C"),
        ("play the blues scale in E flat", "E♭ G♭ A♭ B♭♭ B♭ D♭"),
        ("the major scale in the key of F#", "F♯ G♯ A♯ B C♯ D♯ E♯"),
        ("the a minor scale", "A B C D E F G"),
        ("whats the 5th of A major", "E G♯ B"),
        ("what is the 3rd of C minor", "E♭ G B♭"),
    ],
)
def test_concrete_questions_get_correctly_spelled_notes(text: str, notes: str) -> None:
    found = answer(text)
    assert found is not None, text
    assert found.notes == notes.split()
    assert found.facts and all(f.endswith(".") for f in found.facts)
    realize_example(found.example)  # the example is in the curriculum format


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("interval from C to G", "A perfect fifth spans 7 semitones."),
        ("C to E flat", "From C up to E♭ is a minor third (m3)."),
        ("C down to G", "From C down to G is a perfect fourth (P4)."),
        ("how many sharps in D major", "D major has 2 sharps: F♯, C♯."),
        ("how many flats does F minor have", "F minor has 4 flats: B♭, E♭, A♭, D♭."),
        ("key signature of C major", "C major has no sharps or flats in its key signature."),
        ("relative minor of C major", "The relative minor of C major is A minor."),
        ("what's the relative major of F# minor", "The relative major of F♯ minor is A major."),
        ("relative minor of E flat major", "Both share one key signature: B♭, E♭, A♭."),
        ("parallel minor of G", "G minor has 2 flats: B♭, E♭."),
        ("Bb major triad", "Its root is B♭; D is a major third above the root, F is a perfect fifth "
         "above the root."),
        ("D dorian", "It uses the same notes as C major, starting on its 2nd degree."),
        ("E major scale", "Its steps are W W H W W W H."),
        ("tritone above C", "A diminished fifth above C is G♭."),
        ("what is the dominant of A major", "In A major, the dominant is E, the 5th degree."),
        ("what is the dominant of a minor", "Its triad is E G♯ B (V, a major triad)."),
        ("leading tone in F# minor", "In F♯ minor, the leading tone is E♯, the 7th degree."),
        ("the subdominant of E flat", "Its triad is A♭ C E♭ (IV, a major triad)."),
        ("supertonic of D minor", "Its triad is E G B♭ (ii°, a diminished triad)."),
        ("subtonic of A minor", "In A minor, the subtonic is G, the 7th degree."),
        ("what's a neapolitan chord in C minor", "In C minor, the Neapolitan chord is the D♭ major "
         "triad, D♭ F A♭, built on the lowered second degree (♭II)."),
        ("neapolitan sixth of A minor", "It usually stands in first inversion (N6), with D in the "
         "bass, and leads to the dominant."),
        ("what's a tritone sub for G7", "The tritone substitute for G7 is D♭7: D♭ F A♭ C♭."),
        ("tritone substitution for E7", "The tritone substitute for E7 is B♭7: B♭ D F A♭."),
        ("what notes are in F# diminished 7", "The F♯ diminished seventh chord is F♯ A C E♭."),
        ("what is an A minor 7 flat 5", "The A half-diminished seventh chord is A C E♭ G."),
        ("transpose C E G up a major second", "C E G moved up a major second is D F♯ A."),
        ("transpose F A C down a minor third", "F A C moved down a minor third is D F♯ A."),
        ("what's the 3rd degree of D major", "In D major, the mediant is F♯, the 3rd degree."),
        ("the mediant of C minor", "In C minor, the mediant is E♭, the 3rd degree."),
        ("what key has 4 sharps", "E major and its relative minor, C♯ minor, are written with that key "
         "signature."),
        ("which key has no sharps or flats", "C major has no sharps or flats in its key signature."),
        ("what major key has three flats", "E♭ major has 3 flats: B♭, E♭, A♭."),
        ("how many beats in a dotted half note", "In 4/4, where the beat is a quarter note, a dotted "
         "half note lasts 3 beats."),
        ("how long is a quarter note in 6/8", "In 6/8, where the beat is a dotted quarter note, a "
         "quarter note lasts two thirds of a beat."),
        ("how many beats does an eighth note get", "In 4/4, where the beat is a quarter note, an "
         "eighth note lasts half a beat."),
        ("how many counts is a double dotted half note", "In 4/4, where the beat is a quarter note, a "
         "double dotted half note lasts 3½ beats."),
        ("how many beats is a dotted minim", "In 4/4, where the beat is a quarter note, a dotted minim "
         "lasts 3 beats."),
    ],
)
def test_facts_are_short_true_sentences(text: str, fact: str) -> None:
    found = answer(text)
    assert found is not None and fact in found.facts


@pytest.mark.parametrize(
    "text",
    ["relative minor of E flat major", "relative major of A minor", "parallel major of C minor",
     "key signature of C# major", "interval from C to G", "Bb major triad", "D dorian", "V7 in G",
     "dominant of C minor", "leading tone of B minor", "neapolitan of E minor", "tritone sub for A7",
     "transpose G B D up a perfect fourth"],
)
def test_every_fact_is_a_whole_sentence(text: str) -> None:
    found = answer(text)
    assert found is not None
    assert [f for f in found.facts if not (f[:1].isupper() and f.endswith("."))] == []


@pytest.mark.parametrize(
    "text",
    ["transpose C E G up a major second", "neapolitan of E minor", "tritone sub for A7",
     "dominant of A major", "what key has 4 sharps", "relative minor of C major", "F# diminished 7",
     "D dorian", "V7 in G", "interval from C to G", "minor ninth above D"],
)
def test_every_answer_with_an_example_can_be_played(text: str) -> None:
    from kg.curriculum import realize_example

    found = answer(text)
    assert found is not None and found.example is not None
    assert realize_example(found.example) is not None  # raises on a type music21 cannot realise


@pytest.mark.parametrize(
    "text",
    ["what is a scale?", "what is a major scale?", "tell me about Bach", "Am I right?", "", "how are you",
     "what is the dominant", "the dominant seventh chord", "subtonic of C major", "how long is a half step",
     "how many half steps in a major third", "how many notes in a chromatic scale",
     "what notes are in a minor scale", "the steps of a major scale", "the major scale in a minute",
     "how do i find the relative minor of a key", "what is the dominant of a key",
     "what chords are in a blues", "what chords are in a pop song", "the chords in a waltz"],
)
def test_nothing_concrete_means_no_answer(text: str) -> None:
    assert answer(text) is None


@pytest.mark.parametrize("text", ["what chords are in a", "what chords are in a please", "chords in a minor",
                                  "the chords of a and e"])
def test_a_bare_a_before_nothing_or_a_mode_is_the_key_of_a(text: str) -> None:
    found = answer(text)
    assert found is not None and found.title.startswith("Chords in A ")


@pytest.mark.parametrize("spelling", ["Eb", "E♭", "E flat", "e-flat", "e flat"])
def test_every_way_of_writing_a_flat_is_understood(spelling: str) -> None:
    found = answer(f"the {spelling} major scale")
    assert found is not None and found.notes == ["E♭", "F", "G", "A♭", "B♭", "C", "D"]


@pytest.mark.parametrize("spelling", ["C#", "C♯", "C sharp", "c-sharp"])
def test_every_way_of_writing_a_sharp_is_understood(spelling: str) -> None:
    found = answer(f"{spelling} minor triad")
    assert found is not None and found.notes == ["C♯", "E", "G♯"]


SCALE_CLASSES = {
    "major": scale.MajorScale, "natural minor": scale.MinorScale, "harmonic minor": scale.HarmonicMinorScale,
    "melodic minor": scale.MelodicMinorScale, "dorian": scale.DorianScale, "phrygian": scale.PhrygianScale,
    "lydian": scale.LydianScale, "mixolydian": scale.MixolydianScale, "locrian": scale.LocrianScale,
}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(TONICS), st.sampled_from(sorted(SCALE_CLASSES)))
def test_heptatonic_scales_match_music21_and_use_each_letter_once(tonic: str, kind: str) -> None:
    found = answer(f"what are the notes of the {tonic} {kind} scale")
    assert found is not None
    expected = [display(p) for p in SCALE_CLASSES[kind](m21(tonic)).getPitches()[:-1]]
    assert found.notes == expected
    assert len({n[0] for n in found.notes}) == 7
    played = [pitch.Pitch(n) for n in found.example["pitches"].split()]
    assert all(a.ps < b.ps for a, b in pairwise(played))  # heard rising


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(TONICS), st.sampled_from(TONICS), st.booleans())
def test_intervals_between_notes_match_music21(first: str, second: str, down: bool) -> None:
    found = answer(f"interval from {first} {'down ' if down else ''}to {second}")
    assert found is not None
    low, high = (pitch.Pitch(n) for n in found.example["pitches"].split())
    ivl = interval.Interval(low, high)
    if low.step == high.step:  # same letter: always named as the rising chromatic interval
        ivl = interval.Interval(*sorted((low, high), key=lambda p: p.ps))
    else:  # by letter: Db down to C# is a descending diminished second of 0 semitones
        assert (ivl.generic.directed < 0) == down
    assert f"spans {abs(ivl.semitones)} semitone" in " ".join(found.facts)
    assert ivl.niceName.lower() in found.title


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(TONICS),
    st.sampled_from(["m2", "M2", "m3", "M3", "P4", "A4", "d5", "P5", "m6", "M6", "m7", "M7", "P8"]),
    st.booleans(),
)
def test_intervals_above_and_below_a_note_match_music21(start: str, name: str, below: bool) -> None:
    words = interval.Interval(name).niceName.lower()
    found = answer(f"what is a {words} {'below' if below else 'above'} {start}?")
    assert found is not None
    ivl = interval.Interval(name)
    target = (ivl.reverse() if below else ivl).transposePitch(pitch.Pitch(m21(start) + "4"))
    assert found.notes == [display(target)]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(TONICS), st.sampled_from(["major", "minor"]))
def test_key_signatures_match_music21(tonic: str, mode: str) -> None:
    found = answer(f"key signature of {tonic} {mode}")
    assert found is not None
    k = key.Key(m21(tonic) if mode == "major" else m21(tonic).lower())
    assert found.notes == [display(p) for p in k.alteredPitches]
    count = abs(k.sharps)
    assert (f"has {count} " in found.facts[0]) if count else ("no sharps or flats" in found.facts[0])


@pytest.mark.parametrize(
    ("question", "notes"),
    [
        ("what's the V chord in G", ["D", "F♯", "A"]),
        ("what is ii7 in C major", ["D", "F", "A", "C"]),
        ("what is iv in A minor", ["D", "F", "A"]),
        ("what is the vii° chord in D", ["C♯", "E", "G"]),
        ("viiø7 in C", ["B", "D", "F", "A"]),
    ],
)
def test_a_roman_numeral_in_a_key_is_spelled(question: str, notes: list[str]) -> None:
    found = answer(question)
    assert found is not None and found.kind == "roman_numeral"
    assert found.notes == notes


def test_a_lone_capital_i_is_the_pronoun_not_a_numeral() -> None:
    found = answer("I think in C major")
    assert found is None or found.kind != "roman_numeral"


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["C", "G", "D", "A", "E", "F", "Bb", "Eb", "Ab", "F#"]),
    st.sampled_from(["major", "minor"]),
    st.sampled_from(["ii", "iii", "IV", "V", "vi", "V7", "ii7", "iv", "VI", "VII"]),
)
def test_roman_numerals_match_music21(tonic: str, mode: str, numeral: str) -> None:
    from music21 import roman

    found = answer(f"what is the {numeral} chord in {tonic} {mode}")
    assert found is not None
    home = key.Key(tonic.replace("b", "-") if mode == "major" else tonic.replace("b", "-").lower())
    expected = [display(p) for p in roman.RomanNumeral(numeral, home).pitches]
    assert found.notes == expected


@pytest.mark.parametrize(
    ("numerals", "tonic", "shown"),
    [
        ("ii7 bIId7 I7", "C", [("ii7", "Dm7"), ("♭II7", "D♭7"), ("Imaj7", "Cmaj7")]),
        ("Id7 IVd7 Vd7", "C", [("I7", "C7"), ("IV7", "F7"), ("V7", "G7")]),
        ("iiø7 V7 i", "c", [("iiø7", "Dø7"), ("V7", "G7"), ("i", "Cm")]),
        ("I viio7/V V I", "G", [("I", "G"), ("vii°7/V", "C♯°7"), ("V", "D"), ("I", "G")]),
        ("i It+6 V i", "a", [("i", "Am"), ("It+6", "F–A–D♯"), ("V", "E"), ("i", "Am")]),
    ],
)
def test_a_progression_is_shown_with_usual_numerals_and_its_chord_names(numerals, tonic, shown) -> None:
    from music.theory import progression_chords

    assert progression_chords(numerals, tonic) == shown


def test_every_curriculum_progression_is_named_chord_by_chord() -> None:
    from kg.curriculum import load_curriculum
    from music.theory import progression_chords

    examples = [c.example for c in load_curriculum() if c.example]
    progressions = [e for e in examples if e.get("type") == "progression"]
    assert len(progressions) > 20
    for example in progressions:
        chords = progression_chords(example["numerals"], example["key"])
        assert len(chords) == len(example["numerals"].split())
        assert all(name and "Cannot" not in name and "d7" not in numeral for numeral, name in chords)


# ------------------------------------------------------------------ chords of a key, progressions


def test_the_chords_of_a_major_key_are_listed_by_degree_with_their_sevenths() -> None:
    found = answer("what chords are in the key of G")
    assert found.kind == "diatonic_chords" and found.title == "Chords in G major"
    assert found.facts[0] == ("The chords of G major, one on each degree of its scale: I G, ii Am, "
                              "iii Bm, IV C, V D, vi Em, vii° F♯dim.")
    assert found.facts[1].startswith("As seventh chords: Imaj7 Gmaj7, ii7 Am7, iii7 Bm7, IVmaj7 Cmaj7, V7 D7")
    assert "(G, C and D)" in found.facts[2]
    assert found.example == {"type": "progression", "key": "G", "numerals": "I ii iii IV V vi viio I"}
    assert answer("what are the diatonic chords of D major").notes == [
        "D", "Em", "F♯m", "G", "A", "Bm", "C♯dim"]


def test_the_chords_of_a_minor_key_add_the_harmonic_minors_dominant() -> None:
    found = answer("which triads are in F# minor")
    assert found.facts[0] == ("The chords of F♯ minor from its natural minor scale: i F♯m, ii° G♯dim, "
                              "III A, iv Bm, v C♯m, VI D, VII E.")
    assert "the dominant becomes V C♯ (or V7 C♯7) and the leading-tone triad vii° E♯dim" in found.facts[2]
    # "chords in A minor" asks for the key's chords, not for the A minor triad
    assert answer("chords in A minor").kind == "diatonic_chords"
    assert answer("the A minor chord").kind == "chord"


def test_a_minor_key_with_the_article_is_any_minor_key() -> None:
    assert answer("what chords go with a melody in a minor key") is None
    assert answer("chords in A minor key").title == "Chords in A minor"


def test_a_progression_is_spelled_in_the_key_asked_for() -> None:
    found = answer("whats a ii V I in Bb")
    assert found.kind == "progression" and found.title == "ii V I in B♭ major"
    assert found.facts == ["In B♭ major, ii V I is Cm, F, B♭.",
                           "With sevenths, as jazz players mean it: ii7 V7 Imaj7, that is Cm7, F7, B♭maj7."]
    assert answer("play I-vi-IV-V in C").facts == ["In C major, I vi IV V is C, Am, F, G."]
    assert answer("i iv V7 in A minor").facts == ["In A minor, i iv V7 is Am, Dm, E7."]
    assert answer("ii-V-I in F").example == {"type": "progression", "key": "F", "numerals": "ii V I"}
    # one numeral is still the chord it names
    assert answer("what is V7 in E flat major").kind == "roman_numeral"


def test_the_article_reads_a_roman_numeral_as_its_number() -> None:
    from music.theory import article

    assert article("ii-V-I progression") == "a"  # "a two-five-one"
    assert article("IV chord") == "a"
    assert article("Ionian mode") == "an" and article("interval") == "an"
    assert article("augmented sixth") == "an" and article("major triad") == "a"


def test_a_ninth_chords_ninth_is_named_as_a_ninth_not_a_second() -> None:
    found = answer("what is a Cmaj9")
    assert found.notes == ["C", "E", "G", "B", "D"]
    assert "D is a major ninth above the root" in found.facts[1]
    assert "E is a major ninth above the root" in answer("Dm9").facts[1]


def test_an_inversion_puts_the_member_it_names_in_the_bass() -> None:
    first = answer("what is the first inversion of a G major triad")
    assert first.title == "G major triad in first inversion"
    assert first.notes == ["B", "D", "G"] and first.example == {"type": "chord", "pitches": "B3 D4 G4"}
    assert first.facts[0] == ("In first inversion (figured bass 6) the G major triad has its third, B, in "
                              "the bass: B D G, from the bottom up.")
    assert answer("second inversion of the D minor chord").notes == ["A", "D", "F"]
    seventh = answer("spell C7 in third inversion")
    assert seventh.notes == ["B♭", "C", "E", "G"] and "figured bass 4/2" in seventh.facts[0]
    triad = answer("what is the third inversion of a C major triad")
    assert triad.notes == ["C", "E", "G"]  # the triad as it is, and why
    assert triad.facts[0] == "A C major triad has no third inversion: a chord of 3 notes has 2."


def test_a_chromatic_scale_rises_in_sharps_from_its_own_tonic() -> None:
    assert answer("what is a chromatic scale starting on E").notes == [
        "E", "F", "F♯", "G", "G♯", "A", "A♯", "B", "C", "C♯", "D", "D♯"]
    assert answer("chromatic scale on B flat").notes[:3] == ["B♭", "B", "C"]


def test_the_dominant_seventh_in_a_key_is_its_v7_not_a_seventh_chord_on_the_tonic() -> None:
    found = answer("what is a dominant seventh chord in F")
    assert found.title == "V7 in F major" and found.notes == ["C", "E", "G", "B♭"]
    assert found.facts[1].endswith("E rising to F and B♭ falling to A.")
    minor = answer("the dominant 7th of A minor")
    assert minor.notes == ["E", "G♯", "B", "D"] and "harmonic minor" in minor.facts[-1]
    assert answer("spell an F dominant seventh chord").notes == ["F", "A", "C", "E♭"]  # on F
    assert answer("what is a dominant seventh chord") is None  # the concept, explained from the graph


def test_the_mode_with_a_raised_fourth_is_lydian_and_only_lydian() -> None:
    found = answer("which mode has a raised fourth")
    assert found.kind == "modes" and found.title == "Lydian mode"
    assert found.facts == ["The Lydian mode is the only mode of the major scale with a raised 4th (♯4).",
                           "On C: C D E F♯ G A B C."]
    assert found.example == {"type": "scale", "pitches": "C4 D4 E4 F#4 G4 A4 B4 C5"}


def test_modes_are_found_by_several_degrees_spelled_as_words_signs_or_qualities() -> None:
    assert answer("which mode has a b3 and a natural 6").title == "Dorian mode"
    assert answer("what mode has a minor 3rd and major 6th").title == "Dorian mode"
    assert answer("which mode has a flat 2 and flat 5").title == "Locrian mode"
    flat_seven = answer("what modes have a flat 7").facts[0]
    assert flat_seven.startswith("The modes with a lowered 7th (♭7): Dorian (♭3, ♭7); Phrygian")
    assert "Mixolydian (♭7)" in flat_seven and "Lydian" not in flat_seven and "Ionian" not in flat_seven


@pytest.mark.parametrize("mode", ["dorian", "phrygian", "lydian", "mixolydian", "aeolian", "locrian"])
def test_every_mode_is_found_by_all_its_altered_degrees(mode: str) -> None:
    classes = {"dorian": scale.DorianScale, "phrygian": scale.PhrygianScale, "lydian": scale.LydianScale,
               "mixolydian": scale.MixolydianScale, "aeolian": scale.MinorScale,
               "locrian": scale.LocrianScale}
    major = scale.MajorScale("D").getPitches()
    own = classes[mode]("D").getPitches()
    signs = [("flat" if o.ps < m.ps else "sharp" if o.ps > m.ps else "natural", degree)
             for degree, (m, o) in enumerate(zip(major, own, strict=True), start=1) if degree > 1]
    every = " and ".join(f"a {sign} {degree}" for sign, degree in signs)
    assert answer(f"which mode has {every}").title == f"{mode.capitalize()} mode"
    altered = " and ".join(f"a {sign} {degree}" for sign, degree in signs if sign != "natural")
    assert mode.capitalize() in " ".join(answer(f"which modes have {altered}").facts)


def test_a_degree_no_mode_has_is_said_to_be_in_none_and_other_mode_questions_are_not_taken() -> None:
    assert answer("which mode has a sharp 2").facts[0].startswith(
        "None of the seven modes of the major scale has a raised 2nd (♯2)")
    assert answer("what mode is this") is None
    assert getattr(answer("what is the dorian mode"), "kind", None) != "modes"


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("is E sharp the same as F", "Yes: E♯ and F are enharmonic equivalents"),
        ("are C# and Db the same note", "Yes: C♯ and D♭ are enharmonic equivalents"),
        ("is B the same pitch as C flat?", "Yes: B and C♭ are enharmonic equivalents"),
        ("is E the same as F", "No: E and F are different pitches, 1 semitone apart."),
        ("is F# equal to G", "No: F♯ and G are different pitches, 1 semitone apart."),
        ("is C the same as F#", "No: C and F♯ are different pitches, 6 semitones apart."),
    ],
)
def test_whether_two_spellings_are_one_pitch_is_computed(text: str, first: str) -> None:
    found = answer(text)
    assert found.kind == "enharmonic" and found.facts[0].startswith(first)


def test_the_other_spellings_of_a_note_put_double_accidentals_last() -> None:
    assert answer("what is the enharmonic of G flat").facts[0].startswith(
        "G♭ can also be spelled F♯ (or E♯♯ with a double accidental):")
    assert answer("enharmonic equivalent of E#").facts[0].startswith("E♯ can also be spelled F:")
    assert answer("another name for D").facts[0].startswith(
        "D can also be spelled E♭♭ or C♯♯, with double accidentals only:")
    # a chord question that mentions a note is not about spellings
    assert answer("is a C major chord the same as C").kind == "chord"


def test_a_chord_quality_on_a_named_root_is_that_chord() -> None:
    assert answer("spell a diminished seventh on B").notes == ["B", "D", "F", "A♭"]
    assert answer("build a major triad on F#").notes == ["F♯", "A♯", "C♯"]
    assert answer("the notes of a minor seventh chord on D").title == "D minor seventh chord"
    assert answer("a minor scale on A").kind == "scale"  # a scale on a note is no chord


def test_an_interval_after_the_article_a_is_not_read_as_a_chord_on_a() -> None:
    assert answer("how many semitones in a minor seventh") is None  # the concept answers it
    assert answer("is a minor third bigger than a major second") is None
    assert answer("what is A minor seventh").title == "A minor seventh chord"


@pytest.mark.parametrize(
    ("text", "notes", "dominant"),
    [
        ("what is a german sixth in C", ["A♭", "C", "E♭", "F♯"], "G"),
        ("the italian augmented sixth of A minor", ["F", "A", "D♯"], "E"),
        ("french 6th in E flat", ["C♭", "E♭", "F", "A"], "B♭"),
    ],
)
def test_an_augmented_sixth_chord_is_spelled_in_the_key_asked(
    text: str, notes: list[str], dominant: str
) -> None:
    found = answer(text)
    assert found.kind == "augmented_sixth" and found.notes == notes
    assert f"octave on {dominant}, the dominant" in found.facts[1]
    # the chord's outer notes span an augmented sixth, as music21 measures it
    low, high = (pitch.Pitch(n.replace("♭", "-").replace("♯", "#") + octave)
                 for n, octave in ((notes[0], "3"), (notes[-1], "4")))
    assert interval.Interval(low, high).simpleName == "A6"


def test_an_applied_chord_is_the_dominant_of_its_target_in_the_key() -> None:
    found = answer("what's V of V in D")
    assert found.title == "V/V in D major" and found.notes == ["E", "G♯", "B"]
    assert found.facts[1] == "It is the dominant of V (A), built on the 2nd degree of the scale."
    assert answer("what is V7/ii in C").notes == ["A", "C♯", "E", "G"]
    assert answer("vii°7/V in C").facts[1] == "It is the leading-tone chord of V (G)."
    # without a target it is the plain numeral: "of A minor" names the key
    assert answer("what is the V7 of A minor").title == "V7 in A minor"


def test_a_numeral_title_keeps_its_case_at_the_start_of_a_sentence() -> None:
    from kg.schema import capitalized

    assert capitalized("vi in F major") == "vi in F major" and capitalized("i in A minor") == "i in A minor"
    assert capitalized("major scale") == "Major scale"


@pytest.mark.parametrize(("text", "inverse", "semitones"), [
    ("what is the inversion of a minor second", "major seventh (M7)", (1, 11)),
    ("what does a major third invert to", "minor sixth (m6)", (4, 8)),
    ("inversion of a perfect fifth?", "perfect fourth (P4)", (7, 5)),
    ("what's the inversion of a tritone", "diminished fifth (d5)", (6, 6)),
    ("an augmented second inverted", "diminished seventh (d7)", (3, 9)),
])
def test_an_intervals_inversion_completes_it_to_the_octave(text: str, inverse: str,
                                                           semitones: tuple[int, int]) -> None:
    found = answer(text)
    assert found is not None and found.kind == "interval"
    assert f"is a {inverse}:" in found.facts[0]
    low, high = semitones
    assert f"spans {low} semitone" in found.facts[1] and f"{high} semitones" in found.facts[1]
    realised = [pitch.Pitch(p) for p in found.example["pitches"].split()]
    assert interval.Interval(*realised).directedName == inverse.split("(")[1].rstrip(")")


@pytest.mark.parametrize("text", ["what is the second inversion of a C major seventh chord",
                                  "what is a minor second", "a perfect third inverted"])
def test_a_chord_inversion_or_a_plain_interval_is_no_interval_inversion(text: str) -> None:
    found = answer(text)
    assert found is None or not found.title.startswith("Inversion of")


@pytest.mark.parametrize(("text", "first_fact"), [
    ("what is the fifth of B flat", "The 5th of B♭ is F, in B♭ major and in B♭ minor alike."),
    ("fifth of D?", "The 5th of D is A, in D major and in D minor alike."),
    ("what is the third of C", "In C major the 3rd degree is E; in C minor it is E♭."),
    ("what's the sixth of E", "In E major the 6th degree is C♯; in E minor it is C."),
    ("what is the 7th of F sharp", "In F♯ major the 7th degree is E♯; in F♯ minor it is E."),
])
def test_a_degree_of_a_bare_note_is_given_for_its_major_and_minor_keys(text: str, first_fact: str) -> None:
    found = answer(text)
    assert found is not None and found.kind == "scale_degree"
    assert found.facts[0] == first_fact


@pytest.mark.parametrize(("text", "title"), [
    ("what is the seventh of G7", "G dominant seventh chord"),  # a chord member, not a degree
    ("what is the fifth of A minor", "dominant of A minor"),
])
def test_a_degree_of_a_chord_or_a_key_is_not_read_as_of_a_bare_note(text: str, title: str) -> None:
    found = answer(text)
    assert found is not None and found.title == title
