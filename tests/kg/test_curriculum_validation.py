"""The validator catches every kind of defect in authored curriculum data."""

from __future__ import annotations

import pytest

from kg.curriculum import Concept, realize_example, validate_curriculum


def concept(cid: str, grade: int = 1, requires=(), **extra) -> Concept:
    fields = {
        "id": cid, "name": cid.replace("_", " "), "category": "intervals", "grade": grade,
        "description": f"The {cid} is a test concept with a defining fact. It has a second sentence.",
        "requires": list(requires),
        "example": {"type": "melody", "pitches": "C4 D4"},
        "source": "test.yml",
    }
    fields.update(extra)
    return Concept(**fields)


def test_a_sound_curriculum_has_no_problems():
    assert validate_curriculum([concept("pitch"), concept("fifth", 2, ["pitch"])]) == []


def test_duplicate_ids_are_reported():
    problems = validate_curriculum([concept("pitch"), concept("pitch")])
    assert any("duplicate id" in p for p in problems)


def test_a_reference_to_an_unknown_concept_is_reported():
    problems = validate_curriculum([concept("pitch"), concept("fifth", 2, ["nowhere"])])
    assert any("unknown concept 'nowhere'" in p for p in problems)


def test_prerequisite_cycles_are_reported():
    problems = validate_curriculum(
        [concept("root"), concept("a", 2, ["root", "b"]), concept("b", 2, ["a"])]
    )
    assert any("cycle" in p and "a, b" in p for p in problems)


def test_every_concept_must_be_reachable_from_a_grade_one_root():
    problems = validate_curriculum([concept("pitch"), concept("island", 3)])
    assert any("a root (no prerequisites) must be grade 1" in p for p in problems)
    assert any("not reachable" in p and "island" in p for p in problems)


def test_a_concept_cannot_be_easier_than_its_prerequisite():
    problems = validate_curriculum([concept("pitch"), concept("hard", 5, ["pitch"]),
                                    concept("easy", 2, ["hard"])])
    assert any("grade 2 below its prerequisite hard" in p for p in problems)


def test_empty_descriptions_are_reported():
    problems = validate_curriculum([concept("pitch", description="")])
    assert any("empty description" in p for p in problems)


def test_theory_concepts_need_an_example_but_technique_does_not():
    problems = validate_curriculum([concept("pitch", example=None)])
    assert any("machine-readable example" in p for p in problems)
    technique = concept("posture", category="technique", instrument="piano", example=None)
    assert validate_curriculum([technique], instruments={"piano"}) == []


def test_an_example_music21_cannot_parse_is_reported():
    problems = validate_curriculum([concept("pitch", example={"type": "melody", "pitches": "H9 Q"})])
    assert any("does not parse" in p for p in problems)


@pytest.mark.parametrize(
    ("example", "complaint"),
    [
        ({"type": "interval", "pitches": "C4 F#4", "expect": {"interval": "P5"}}, "interval is A4"),
        ({"type": "interval", "pitches": "C4 G4", "expect": {"semitones": 6}}, "spans 7 semitones"),
        ({"type": "chord", "pitches": "C4 E-4 G4", "expect": {"quality": "major"}}, "quality is minor"),
        ({"type": "chord", "pitches": "E4 G4 C5", "expect": {"inversion": 0}}, "inversion is 1"),
        ({"type": "rhythm", "meter": "6/8", "tiny": "c8 c c c4.", "expect": {"measure_length": 2}},
         "lasts 3.0 quarters"),
    ],
)
def test_stated_facts_are_checked_against_music21(example, complaint):
    problems = validate_curriculum([concept("pitch", example=example)])
    assert any(complaint in p for p in problems), problems


@pytest.mark.parametrize(
    "example",
    [
        {"type": "scale", "pitches": "D4 E4 F4 G4 A4 B4 C5 D5"},
        {"type": "chord", "pitches": "G3 B3 D4 F4"},
        {"type": "progression", "key": "C", "numerals": "ii65 V7 I"},
        {"type": "progression", "key": "a", "numerals": "It+6 V i"},
        {"type": "rhythm", "meter": "7/8", "tiny": "c8 c c c c c c"},
        {"type": "notation", "tiny": "c4 d e f", "clef": "bass"},
    ],
)
def test_every_example_type_is_realised_by_music21(example):
    realised = realize_example(example)
    assert realised is not None


def test_a_notation_example_carries_its_clef():
    realised = realize_example({"type": "notation", "tiny": "c4 d e f", "clef": "alto"})
    assert realised.flatten().getElementsByClass("Clef").first().sign == "C"
    with pytest.raises(ValueError, match="unknown clef"):
        realize_example({"type": "notation", "tiny": "c4", "clef": "soprano-ish"})
