"""Which questions test which curriculum concept: the skills a concept draws from, and its focus.

A concept id maps to (skills, focus): the generators (music.quiz.SKILLS) that can test it and what
narrows them to the concept (the major third, the Dorian mode, first inversion, the plagal cadence).
A concept missing here borrows the nearest covered prerequisite's questions (music.quiz).
"""

from __future__ import annotations

from typing import Any

from music.quiz_base import SEVENTHS, TRIADS

_UNISON_SKILLS = ("interval_name", "interval_semitones", "interval_build")
_INTERVAL_SKILLS = ("interval_name", "interval_name_down", "interval_harmonic", "interval_semitones",
                    "interval_build", "interval_build_down")
_ONE_INTERVAL = {
    "unison": "P1", "minor_second": "m2", "major_second": "M2", "minor_third": "m3", "major_third": "M3",
    "perfect_fourth": "P4", "perfect_fifth": "P5", "minor_sixth": "m6", "major_sixth": "M6",
    "minor_seventh": "m7", "major_seventh": "M7", "octave_interval": "P8", "tritone": "A4",
    "augmented_fourth": "A4", "diminished_fifth": "d5", "augmented_second": "A2",
    "diminished_seventh_interval": "d7", "augmented_sixth_interval": "A6", "chromatic_semitone": "A1",
    "diatonic_semitone": "m2", "minor_ninth": "m9", "major_ninth": "M9", "minor_tenth": "m10",
    "major_tenth": "M10", "perfect_eleventh": "P11", "augmented_eleventh": "A11", "perfect_twelfth": "P12",
    "major_thirteenth": "M13",
}
_ONE_QUALITY = {
    "major_triad": "major", "minor_triad": "minor", "diminished_triad": "diminished",
    "augmented_triad": "augmented", "dominant_seventh_chord": "dominant seventh",
    "major_seventh_chord": "major seventh", "minor_seventh_chord": "minor seventh",
    "half_diminished_seventh_chord": "half-diminished seventh",
    "diminished_seventh_chord": "diminished seventh",
}
_ONE_SCALE = {
    "major_scale": "major", "natural_minor_scale": "natural minor", "harmonic_minor_scale": "harmonic minor",
    "melodic_minor_scale": "melodic minor", "ionian_mode": "ionian", "dorian_mode": "dorian",
    "phrygian_mode": "phrygian", "lydian_mode": "lydian", "mixolydian_mode": "mixolydian",
    "aeolian_mode": "aeolian", "locrian_mode": "locrian", "major_pentatonic_scale": "major pentatonic",
    "minor_pentatonic_scale": "minor pentatonic",
}
_ONE_VALUE_METERS = {
    "common_time": ["4/4"], "cut_time": ["2/2"], "three_four_time": ["3/4"], "six_eight_time": ["6/8"],
    "twelve_eight_time": ["12/8"], "simple_meter": ["2/4", "3/4", "4/4"],
    "compound_meter": ["6/8", "9/8", "12/8"], "duple_meter": ["2/4", "2/2", "6/8"],
    "triple_meter": ["3/4", "9/8"], "quadruple_meter": ["4/4", "12/8"],
}

_INVERSION_SKILLS = ("chord_inversion", "inversion_spell")
_NUMERAL_SKILLS = ("roman_numeral", "roman_chord")
_CADENCE_SKILLS = ("cadence_type", "ear_cadence")
_AUTHENTIC = ["perfect authentic", "imperfect authentic"]
_ONE_DEGREE = {"supertonic": 2, "mediant": 3, "subdominant": 4, "dominant": 5, "submediant": 6}

# concept id -> (skills, focus)
COVERAGE: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    **{cid: (_UNISON_SKILLS if name[1:] == "1" else _INTERVAL_SKILLS, {"intervals": [name]})
       for cid, name in _ONE_INTERVAL.items()},
    "semitone": (("interval_semitones", "note_step"), {"intervals": ["m2"], "step": "half step"}),
    "whole_step": (("interval_semitones", "note_step"), {"intervals": ["M2"], "step": "whole step"}),
    "interval": (_INTERVAL_SKILLS, {}),
    "generic_interval": (("interval_name",), {}),
    "interval_quality": (("interval_name", "interval_semitones"), {}),
    "simple_intervals": (_INTERVAL_SKILLS, {}),
    "melodic_interval": (("interval_name", "interval_name_down", "interval_build", "interval_build_down",
                          "ear_interval"), {"play": ["ascending", "descending"]}),
    "harmonic_interval": (("interval_harmonic", "ear_interval"), {"play": ["harmonic"]}),
    "perfect_intervals": (_UNISON_SKILLS, {"intervals": ["P1", "P4", "P5", "P8"]}),
    "augmented_and_diminished_intervals": (_INTERVAL_SKILLS, {"intervals": ["A4", "d5", "A2", "d7", "A6"]}),
    "enharmonic_intervals": (("interval_name",), {"intervals": ["A4", "d5", "A2", "m3"]}),
    "compound_intervals": (_INTERVAL_SKILLS, {"intervals": ["m9", "M9", "m10", "M10", "P11", "P12"]}),
    "interval_inversion": (("interval_inversion",), {}),
    **{cid: (("chord_notes", "chord_quality"), {"qualities": [q]}) for cid, q in _ONE_QUALITY.items()},
    "chord": (("chord_notes", "chord_quality"), {"qualities": list(TRIADS)}),
    "triad": (("chord_notes", "chord_quality"), {"qualities": list(TRIADS)}),
    "chord_members": (("chord_notes",), {"qualities": ["major", "minor"]}),
    "seventh_chords": (("chord_notes", "chord_quality"), {"qualities": list(SEVENTHS)}),
    "arpeggio": (("chord_notes",), {"qualities": ["major", "minor"]}),
    "root_position": (_INVERSION_SKILLS, {"positions": [0], "triads": True}),
    "chord_inversions": (_INVERSION_SKILLS, {}),
    "first_inversion": (_INVERSION_SKILLS, {"positions": [1], "triads": True}),
    "second_inversion": (_INVERSION_SKILLS, {"positions": [2], "triads": True}),
    "seventh_chord_inversions": (_INVERSION_SKILLS, {"sevenths": True}),
    "first_inversion_seventh_chord": (_INVERSION_SKILLS, {"positions": [1], "sevenths": True}),
    "second_inversion_seventh_chord": (_INVERSION_SKILLS, {"positions": [2], "sevenths": True}),
    "third_inversion_seventh_chord": (_INVERSION_SKILLS, {"positions": [3], "sevenths": True}),
    **{cid: (("scale_notes",), {"scales": [s]}) for cid, s in _ONE_SCALE.items()},
    "scale": (("scale_notes",), {}),
    "diatonic_scale": (("scale_notes",), {"scales": ["major", "natural minor"]}),
    "modes": (("scale_notes",), {"scales": ["dorian", "phrygian", "lydian", "mixolydian", "locrian"]}),
    "key_signature": (("key_signature",), {}),
    "key_signature_identification": (("key_signature",), {}),
    "order_of_sharps": (("key_signature",), {}),
    "order_of_flats": (("key_signature",), {}),
    "relative_keys": (("related_key",), {"relation": "relative"}),
    "parallel_keys": (("related_key",), {"relation": "parallel"}),
    "scale_degrees": (("scale_degree",), {}),
    **{cid: (("scale_degree",), {"degrees": [n]}) for cid, n in _ONE_DEGREE.items()},
    "leading_tone": (("scale_degree",), {"degrees": [7], "seventh": "leading tone"}),
    "subtonic": (("scale_degree",), {"degrees": [7], "seventh": "subtonic", "modes": ["minor"]}),
    "roman_numerals": (_NUMERAL_SKILLS, {}),
    "diatonic_chords": (_NUMERAL_SKILLS, {"chords": "triads", "modes": ["major"]}),
    "diatonic_chords_minor": (_NUMERAL_SKILLS, {"chords": "triads", "modes": ["minor"]}),
    "diatonic_seventh_chords": (_NUMERAL_SKILLS, {"chords": "sevenths", "modes": ["major"]}),
    "primary_chords": (_NUMERAL_SKILLS, {"chords": "primary"}),
    "cadence": (_CADENCE_SKILLS, {}),
    "authentic_cadence": (_CADENCE_SKILLS, {"cadences": _AUTHENTIC,
                                            "others": ["half", "plagal", "deceptive"]}),
    "perfect_authentic_cadence": (_CADENCE_SKILLS, {"cadences": ["perfect authentic"],
                                                    "others": ["imperfect authentic"], "precise": True}),
    "imperfect_authentic_cadence": (_CADENCE_SKILLS, {"cadences": ["imperfect authentic"],
                                                      "others": ["perfect authentic"], "precise": True}),
    "half_cadence": (_CADENCE_SKILLS, {"cadences": ["half"], "others": [*_AUTHENTIC, "plagal"]}),
    "plagal_cadence": (_CADENCE_SKILLS, {"cadences": ["plagal"], "others": [*_AUTHENTIC, "half"]}),
    "deceptive_cadence": (_CADENCE_SKILLS, {"cadences": ["deceptive"], "others": [*_AUTHENTIC, "half"]}),
    "phrygian_half_cadence": (_CADENCE_SKILLS, {"cadences": ["phrygian half"], "others": ["half"],
                                                "precise": True, "modes": ["minor"]}),
    "note_names": (("note_step",), {}),
    "keyboard_layout": (("note_step",), {}),
    "accidentals": (("alteration", "note_step"), {}),
    "sharp": (("alteration",), {"way": "raise"}),
    "flat": (("alteration",), {"way": "lower"}),
    "enharmonic_equivalents": (("enharmonic",), {}),
    "note_values": (("beats",), {}),
    "whole_note": (("beats",), {"meters": ["4/4"]}),
    "half_note": (("beats",), {"meters": ["4/4", "3/4"]}),
    "quarter_note": (("beats",), {"meters": ["4/4", "3/4", "2/4"]}),
    "dotted_notes": (("beats",), {"dots": 1}),
    "double_dotted_notes": (("beats",), {"dots": 2}),
    "time_signature": (("beats",), {}),
    "meter": (("beats",), {}),
    **{cid: (("beats",), {"meters": m}) for cid, m in _ONE_VALUE_METERS.items()},
    "interval_recognition": (("ear_interval",), {}),
    "relative_pitch": (("ear_interval",), {}),
    "chord_quality_recognition": (("ear_chord",), {"qualities": list(TRIADS)}),
    "major_minor_discrimination": (("ear_chord", "ear_scale"), {"qualities": ["major", "minor"],
                                                               "scales": ["major", "natural minor"]}),
    "scale_recognition": (("ear_scale",), {}),
}

# Where a concept with no covered prerequisite borrows its questions.
CATEGORY_FALLBACK = {
    "intervals": "interval", "chords": "triad", "scales": "major_scale", "keys": "key_signature",
    "rhythm": "note_values", "notation": "note_names", "ear_training": "interval_recognition",
    "harmony": "triad", "jazz_pop": "seventh_chords", "counterpoint": "interval",
    "expression": "note_values", "form": "note_values", "technique": "note_names",
    "practice": "note_names",
}

# The level a skill starts at: below it a concept asks with its other skills.
SKILL_LEVELS = {"interval_name_down": 2, "interval_build_down": 2}
