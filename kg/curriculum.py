"""The authored curriculum: loading `data/curriculum/*.yml`, realising examples, validation."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kg.schema import CATEGORIES, is_slug

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

EXAMPLE_TYPES = ("melody", "scale", "interval", "chord", "progression", "rhythm", "notation")
CLEFS = {"treble": "G2", "bass": "F4", "alto": "C3", "tenor": "C4", "percussion": "percussion"}


@dataclass(slots=True)
class Concept:
    id: str
    name: str
    category: str
    grade: int
    description: str
    aliases: list[str] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    instrument: str | None = None
    example: dict[str, Any] | None = None
    source: str = ""


def load_yaml_list(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        items = yaml.safe_load(handle) or []
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a YAML list at the top level")
    return items


def load_curriculum(directory: Path | None = None) -> list[Concept]:
    """Read every curriculum file; structural problems surface later in `validate_curriculum`."""
    directory = directory or DATA_DIR / "curriculum"
    concepts: list[Concept] = []
    for path in sorted(directory.glob("*.yml")):
        for raw in load_yaml_list(path):
            concepts.append(
                Concept(
                    id=str(raw.get("id", "")),
                    name=str(raw.get("name", "")),
                    category=str(raw.get("category", "")),
                    grade=raw.get("grade", 0),
                    description=" ".join(str(raw.get("description") or "").split()),
                    aliases=[str(a) for a in raw.get("aliases") or []],
                    requires=list(raw.get("requires") or []),
                    related=list(raw.get("related") or []),
                    instrument=raw.get("instrument"),
                    example=raw.get("example"),
                    source=path.name,
                )
            )
    return concepts


def realize_example(example: dict[str, Any]) -> Any:
    """Turn an example into a music21 object; raises ValueError when it does not parse."""
    from music21 import chord, clef, converter, key, meter, note, roman, stream

    kind = example.get("type")
    try:
        if kind in ("melody", "scale", "interval"):
            names = str(example["pitches"]).split()
            durations = example.get("durations") or [1.0] * len(names)
            if len(durations) != len(names):
                raise ValueError("durations and pitches differ in length")
            if kind == "interval" and len(names) != 2:
                raise ValueError("an interval example has exactly two pitches")
            play = example.get("play", "both") if kind == "interval" else "melodic"
            if play not in ("both", "melodic", "harmonic"):
                raise ValueError(f"an interval plays melodic, harmonic or both, not {play!r}")
            part = stream.Stream()
            if play != "harmonic":  # the notes one after the other, in the order written
                for name, dur in zip(names, durations, strict=True):
                    part.append(note.Note(name, quarterLength=float(dur)))
            if play != "melodic":  # then (or only) both together
                part.append(chord.Chord(names, quarterLength=2.0))
            return part
        if kind == "chord":
            return chord.Chord(str(example["pitches"]).split())
        if kind == "progression":
            tonality = key.Key(str(example["key"]))
            figures = str(example["numerals"]).split()
            voicings = example.get("voicings")  # optional: each chord's notes from the bass up
            if voicings is not None and len(voicings) != len(figures):
                raise ValueError("voicings and numerals differ in length")
            part = stream.Stream()
            for i, figure in enumerate(figures):
                rn = roman.RomanNumeral(figure, tonality)
                if not rn.pitches:
                    raise ValueError(f"numeral {figure!r} has no pitches")
                if voicings is None:
                    part.append(rn)
                    continue
                spaced = chord.Chord(str(voicings[i]).split())
                if {p.name for p in spaced.pitches} != {p.name for p in rn.pitches} or (
                    spaced.bass().name != rn.bass().name
                ):
                    raise ValueError(f"the voicing {voicings[i]!r} is not {figure} in {tonality}")
                part.append(spaced)
            return part
        if kind in ("rhythm", "notation"):
            text = str(example["tiny"])
            if example.get("meter"):
                meter.TimeSignature(str(example["meter"]))
                text = f"{example['meter']} {text}"
            parsed = converter.parse("tinyNotation: " + text)
            if not parsed.flatten().notesAndRests:
                raise ValueError("the passage has no notes")
            if example.get("clef"):
                if example["clef"] not in CLEFS:
                    raise ValueError(f"unknown clef {example['clef']!r}; use one of {', '.join(CLEFS)}")
                first = parsed.getElementsByClass("Measure").first() or parsed
                for old in first.getElementsByClass("Clef"):
                    first.remove(old)
                first.insert(0, clef.clefFromString(CLEFS[example["clef"]]))
            return parsed
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{kind} example is missing or has a bad field: {exc}") from exc
    except ValueError:
        raise
    except Exception as exc:  # music21 raises many exception types for bad notation
        raise ValueError(f"music21 cannot realise the {kind} example: {exc}") from exc
    raise ValueError(f"unknown example type {kind!r}; use one of {', '.join(EXAMPLE_TYPES)}")


def _check_expectations(example: dict[str, Any], realised: Any) -> list[str]:
    """Compare the `expect` facts with what music21 computes from the example itself."""
    from music21 import chord, interval, meter, pitch

    expect = example.get("expect") or {}
    problems: list[str] = []
    names = str(example.get("pitches", "")).split()
    if "interval" in expect or "semitones" in expect:
        if len(names) != 2:
            problems.append("interval/semitones expectations need exactly two pitches")
        else:
            ivl = interval.Interval(pitch.Pitch(names[0]), pitch.Pitch(names[1]))
            if "interval" in expect and ivl.name != str(expect["interval"]):
                problems.append(f"interval is {ivl.name}, example says {expect['interval']}")
            if "semitones" in expect and abs(ivl.semitones) != int(expect["semitones"]):
                problems.append(f"spans {abs(ivl.semitones)} semitones, not {expect['semitones']}")
    chord_keys = {"chord", "root", "inversion", "quality"}
    if chord_keys & expect.keys():
        if not names:
            problems.append("chord expectations need `pitches`")
        else:
            ch = chord.Chord(names)
            if "chord" in expect and ch.commonName != str(expect["chord"]):
                problems.append(f"chord is a {ch.commonName}, example says {expect['chord']}")
            if "root" in expect and ch.root().name != str(expect["root"]):
                problems.append(f"root is {ch.root().name}, example says {expect['root']}")
            if "inversion" in expect and ch.inversion() != int(expect["inversion"]):
                problems.append(f"inversion is {ch.inversion()}, not {expect['inversion']}")
            if "quality" in expect and ch.quality != str(expect["quality"]):
                problems.append(f"quality is {ch.quality}, example says {expect['quality']}")
    if "pitch_classes" in expect:
        pcs = sorted({pitch.Pitch(n).pitchClass for n in names})
        if pcs != sorted(int(p) for p in expect["pitch_classes"]):
            problems.append(f"pitch classes are {pcs}, example says {expect['pitch_classes']}")
    if "measure_length" in expect:
        ts = meter.TimeSignature(str(example.get("meter")))
        if abs(ts.barDuration.quarterLength - float(expect["measure_length"])) > 1e-9:
            problems.append(
                f"a bar of {example.get('meter')} lasts {ts.barDuration.quarterLength} quarters"
            )
    unknown = set(expect) - {
        "interval", "semitones", "chord", "root", "inversion", "quality", "pitch_classes",
        "measure_length",
    }
    if unknown:
        problems.append(f"unknown expectations: {', '.join(sorted(unknown))}")
    return problems


def validate_curriculum(
    concepts: list[Concept],
    instruments: set[str] | None = None,
    check_examples: bool = True,
) -> list[str]:
    """Every problem found, as readable lines; an empty list means the curriculum is sound."""
    problems: list[str] = []
    by_id: dict[str, Concept] = {}
    for c in concepts:
        where = f"{c.source}:{c.id or '<no id>'}"
        if not c.id or not is_slug(c.id):
            problems.append(f"{where}: id must be a lowercase slug")
        if c.id in by_id:
            problems.append(f"{where}: duplicate id (also in {by_id[c.id].source})")
        by_id[c.id] = c
        if not c.name.strip():
            problems.append(f"{where}: empty name")
        if c.category not in CATEGORIES:
            problems.append(f"{where}: unknown category {c.category!r}")
        if not isinstance(c.grade, int) or not 1 <= c.grade <= 8:
            problems.append(f"{where}: grade must be an integer 1-8")
        if not c.description:
            problems.append(f"{where}: empty description")
        else:
            sentences = [s for s in c.description.replace("?", ".").split(". ") if s.strip()]
            if len(c.description) < 60 or len(sentences) > 8:
                problems.append(f"{where}: description should be 2-5 factual sentences")
        if c.category == "technique" and not c.instrument:
            problems.append(f"{where}: technique concepts name their instrument")
        if instruments is not None and c.instrument and c.instrument not in instruments:
            problems.append(f"{where}: unknown instrument {c.instrument!r}")
        if c.category not in ("technique", "form", "practice") and not c.example:
            problems.append(f"{where}: theory concepts need a machine-readable example")
        if c.example and check_examples:
            try:
                realised = realize_example(c.example)
                problems += [f"{where}: {p}" for p in _check_expectations(c.example, realised)]
            except ValueError as exc:
                problems.append(f"{where}: example does not parse: {exc}")
    for c in concepts:
        for ref_field in ("requires", "related"):
            for ref in getattr(c, ref_field):
                if ref not in by_id:
                    problems.append(f"{c.source}:{c.id}: {ref_field} unknown concept {ref!r}")
                elif ref == c.id:
                    problems.append(f"{c.source}:{c.id}: {ref_field} itself")
        for ref in c.requires:
            if ref in by_id and isinstance(c.grade, int) and by_id[ref].grade > c.grade:
                problems.append(
                    f"{c.source}:{c.id}: grade {c.grade} below its prerequisite {ref} "
                    f"(grade {by_id[ref].grade})"
                )
    problems += _cycle_problems(by_id)
    problems += _reachability_problems(by_id)
    return problems


def _cycle_problems(by_id: dict[str, Concept]) -> list[str]:
    """Kahn's algorithm: whatever cannot be ordered sits on a prerequisite cycle."""
    indegree = {cid: 0 for cid in by_id}
    for c in by_id.values():
        for ref in c.requires:
            if ref in by_id:
                indegree[c.id] += 1
    dependants: dict[str, list[str]] = {cid: [] for cid in by_id}
    for c in by_id.values():
        for ref in c.requires:
            if ref in by_id:
                dependants[ref].append(c.id)
    queue = deque(cid for cid, d in indegree.items() if d == 0)
    ordered = 0
    while queue:
        cid = queue.popleft()
        ordered += 1
        for dep in dependants[cid]:
            indegree[dep] -= 1
            if indegree[dep] == 0:
                queue.append(dep)
    stuck = sorted(cid for cid, d in indegree.items() if d > 0)
    return [f"prerequisite cycle through: {', '.join(stuck)}"] if stuck else []


def _reachability_problems(by_id: dict[str, Concept]) -> list[str]:
    roots = [c.id for c in by_id.values() if not c.requires]
    problems = [
        f"{by_id[r].source}:{r}: a root (no prerequisites) must be grade 1"
        for r in roots
        if by_id[r].grade != 1
    ]
    dependants: dict[str, list[str]] = {cid: [] for cid in by_id}
    for c in by_id.values():
        for ref in c.requires:
            if ref in by_id:
                dependants[ref].append(c.id)
    seen = set(r for r in roots if by_id[r].grade == 1)
    queue = deque(seen)
    while queue:
        for dep in dependants[queue.popleft()]:
            if dep not in seen:
                seen.add(dep)
                queue.append(dep)
    unreachable = sorted(set(by_id) - seen)
    if unreachable:
        problems.append(f"not reachable from a grade-1 root: {', '.join(unreachable)}")
    return problems
