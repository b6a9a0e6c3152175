"""Rasa 3 NLU data: loading, writing back and validating against domain.yml and config.yml.

Supported markup in examples: `[text](type)`, `[text](type:value)` and
`[text]{"entity": "type", "value": "..."}`. Synonyms, lookup tables and regexes are read as well.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

INTENTS = (
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "help",
    "explain_concept",
    "compare_concepts",
    "ask_example",
    "ask_prerequisites",
    "learning_path",
    "next_lesson",
    "start_quiz",
    "request_hint",
    "my_progress",
    "inform_profile",
    "too_easy",
    "too_hard",
    "recommend_music",
    "music_fact",
    "practice_feedback",
    "bot_challenge",
    "out_of_scope",
)
ENTITY_TYPES = ("concept", "instrument", "skill_level", "person", "work", "genre", "era")
FALLBACK = "nlu_fallback"
MIN_EXAMPLES = 25

_ARTICLE = re.compile(r"(?:the|an|a)\s+", re.I)
_NOTE_A = re.compile(
    r"A\s+(?:major|minor|flat|sharp|natural|maj|min|dim|aug|sus|blues|dorian|phrygian|lydian|mixolydian|"
    r"aeolian|locrian|ionian|harmonic|melodic|natural|pentatonic|string|chord|scale|note|key)\b"
)
_A_TERM = re.compile(r"a\s+(?:tempo|cappella|capella|piacere|due)\b", re.I)


def article_length(text: str) -> int:
    """Length of a leading article ("the ", "a ") in `text`, or 0.

    A capital A naming a note ("A minor", "A string") and Italian terms ("a tempo", "a cappella")
    are not articles: trimming them would cut the entity's name.
    """
    m = _ARTICLE.match(text)
    if not m or _NOTE_A.match(text) or _A_TERM.match(text):
        return 0
    return m.end()


_MARKUP = re.compile(
    r"\[(?P<text>[^\]]+)\]"
    r"(?:\((?P<type>[\w-]+)(?::(?P<value>[^)]+))?\)|(?P<json>\{[^}]*\}))"
)


@dataclass(slots=True)
class Entity:
    start: int
    end: int
    entity: str
    value: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "entity": self.entity, "value": self.value}


@dataclass(slots=True)
class Example:
    text: str
    intent: str
    entities: list[Entity] = field(default_factory=list)


@dataclass(slots=True)
class NLUData:
    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, list[str]] = field(default_factory=dict)  # canonical -> variants
    lookups: dict[str, list[str]] = field(default_factory=dict)
    regexes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})

    @property
    def entity_types(self) -> list[str]:
        return sorted({x.entity for e in self.examples for x in e.entities})

    def synonym_map(self) -> dict[str, str]:
        """Lowercased variant (and canonical) -> canonical value."""
        out: dict[str, str] = {}
        for canonical, variants in self.synonyms.items():
            out[canonical.lower()] = canonical
            for v in variants:
                out[v.strip().lower()] = canonical
        return out

    def digest(self) -> str:
        blob = json.dumps(
            [[e.text, e.intent, [x.to_dict() for x in e.entities]] for e in self.examples] + [self.synonyms],
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(blob.encode()).hexdigest()


def parse_example(line: str, intent: str = "") -> Example:
    """Strip markup from one example line, keeping each entity's character span in the plain text."""
    plain: list[str] = []
    entities: list[Entity] = []
    cursor = 0
    length = 0
    for m in _MARKUP.finditer(line):
        before = line[cursor : m.start()]
        plain.append(before)
        length += len(before)
        text = m.group("text")
        if m.group("json"):
            try:
                spec = json.loads(m.group("json"))
            except json.JSONDecodeError as exc:
                raise ValueError(f"bad entity JSON in {line!r}: {exc}") from exc
            etype, value = spec.get("entity"), spec.get("value", text)
            if not etype:
                raise ValueError(f"entity JSON without 'entity' in {line!r}")
        else:
            etype, value = m.group("type"), m.group("value") or text
        entities.append(Entity(length, length + len(text), str(etype), str(value)))
        plain.append(text)
        length += len(text)
        cursor = m.end()
    plain.append(line[cursor:])
    return Example("".join(plain), intent, entities)


def _items(block: Any) -> list[str]:
    if isinstance(block, list):
        return [str(x) for x in block]
    out = []
    for raw in str(block or "").splitlines():
        s = raw.strip()
        if s.startswith("- "):
            out.append(s[2:].strip())
        elif s == "-":
            continue
    return out


def load_nlu(*paths: str | Path) -> NLUData:
    """Read one or more Rasa 3 NLU files into one `NLUData`."""
    data = NLUData()
    for path in paths:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu") or []:
            if "intent" in item:
                intent = str(item["intent"])
                data.examples += [parse_example(line, intent) for line in _items(item.get("examples"))]
            elif "synonym" in item:
                data.synonyms.setdefault(str(item["synonym"]), []).extend(_items(item.get("examples")))
            elif "lookup" in item:
                data.lookups.setdefault(str(item["lookup"]), []).extend(_items(item.get("examples")))
            elif "regex" in item:
                data.regexes.setdefault(str(item["regex"]), []).extend(_items(item.get("examples")))
    # Rasa also reads synonyms from annotated values that differ from the text.
    for ex in data.examples:
        for ent in ex.entities:
            surface = ex.text[ent.start : ent.end]
            if ent.value != surface:
                variants = data.synonyms.setdefault(ent.value, [])
                if surface not in variants:
                    variants.append(surface)
    return data


def markup(example: Example) -> str:
    """An example back in Rasa markup (the inverse of `parse_example`)."""
    out, cursor = [], 0
    for ent in sorted(example.entities, key=lambda e: e.start):
        surface = example.text[ent.start : ent.end]
        out.append(example.text[cursor : ent.start])
        if ent.value == surface:
            out.append(f"[{surface}]({ent.entity})")
        else:
            spec = json.dumps({"entity": ent.entity, "value": ent.value}, ensure_ascii=False)
            out.append(f"[{surface}]{spec}")
        cursor = ent.end
    out.append(example.text[cursor:])
    return "".join(out)


class _Literal(str):
    pass


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


def write_nlu(data: NLUData, path: str | Path) -> None:
    """Write `data` as a Rasa 3 NLU file (examples grouped by intent, then synonyms, lookups, regexes)."""
    Path(path).write_text(dump_nlu(data), encoding="utf-8")


def dump_nlu(data: NLUData) -> str:
    """`data` as the text of a Rasa 3 NLU file (what `write_nlu` writes)."""
    dumper = type("_Dumper", (yaml.SafeDumper,), {})
    dumper.add_representer(_Literal, _literal)
    by_intent: dict[str, list[Example]] = defaultdict(list)
    for ex in data.examples:
        by_intent[ex.intent].append(ex)

    def block(lines: list[str]) -> _Literal:
        return _Literal("".join(f"- {line}\n" for line in lines))

    nlu: list[dict[str, Any]] = [
        {"intent": intent, "examples": block([markup(e) for e in exs])} for intent, exs in by_intent.items()
    ]
    nlu += [{"synonym": k, "examples": block(v)} for k, v in data.synonyms.items() if v]
    nlu += [{"lookup": k, "examples": block(v)} for k, v in data.lookups.items() if v]
    nlu += [{"regex": k, "examples": block(v)} for k, v in data.regexes.items() if v]
    return yaml.dump(
        {"version": "3.1", "nlu": nlu}, Dumper=dumper, sort_keys=False, allow_unicode=True, width=1000
    )


def load_config(path: str | Path) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def component(config: dict[str, Any], name: str) -> dict[str, Any]:
    """The settings of the pipeline component called `name` (empty when absent)."""
    for item in config.get("pipeline") or []:
        if isinstance(item, dict) and item.get("name") == name:
            return {k: v for k, v in item.items() if k != "name"}
    return {}


def validate(data_path: str | Path, domain_path: str | Path, config_path: str | Path) -> list[str]:
    """Problems where the training data, domain.yml and config.yml disagree (empty when they agree)."""
    problems: list[str] = []
    try:
        data = load_nlu(data_path)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        return [f"{data_path}: cannot be read: {exc}"]
    try:
        domain = yaml.safe_load(Path(domain_path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        return [f"{domain_path}: cannot be read: {exc}"]
    try:
        config = load_config(config_path)
    except (OSError, yaml.YAMLError) as exc:
        return [f"{config_path}: cannot be read: {exc}"]

    counts = Counter(e.intent for e in data.examples)
    domain_intents = {
        str(i) if not isinstance(i, dict) else next(iter(i)) for i in domain.get("intents") or []
    }
    domain_entities = {
        str(e) if not isinstance(e, dict) else next(iter(e)) for e in domain.get("entities") or []
    }
    for intent in INTENTS:
        if intent not in domain_intents:
            problems.append(f"domain: intent {intent!r} (CONTRACTS) is missing")
        if counts[intent] < MIN_EXAMPLES:
            problems.append(f"data: intent {intent!r} has {counts[intent]} examples (needs ≥ {MIN_EXAMPLES})")
    for intent in sorted(set(counts) - domain_intents):
        problems.append(f"data: intent {intent!r} is not in the domain")
    for intent in sorted(domain_intents - set(counts)):
        problems.append(f"domain: intent {intent!r} has no training examples")
    for etype in ENTITY_TYPES:
        if etype not in domain_entities:
            problems.append(f"domain: entity type {etype!r} (CONTRACTS) is missing")
    for etype in sorted(set(data.entity_types) - domain_entities):
        problems.append(f"data: entity type {etype!r} is not in the domain")
    for etype in sorted(domain_entities - set(data.entity_types)):
        problems.append(f"domain: entity type {etype!r} is never annotated in the data")
    for ex in data.examples:
        for ent in ex.entities:
            surface = ex.text[ent.start : ent.end]
            if surface != surface.strip() or article_length(surface) or re.search(r"[.,!?;:]$", surface):
                problems.append(
                    f"data: span {surface!r} in {ex.text!r} includes an article, space or punctuation"
                )
    if not config.get("language"):
        problems.append("config: no language")
    if not config.get("pipeline"):
        problems.append("config: no pipeline")
    if "policies" not in config:
        problems.append("config: no policies section")
    model = component(config, "JointTransformerClassifier")
    if config.get("pipeline") and not model:
        problems.append("config: the pipeline has no JointTransformerClassifier")
    for key in ("intents", "entities"):
        listed = model.get(key)
        if listed is not None:
            want = domain_intents if key == "intents" else domain_entities
            if set(map(str, listed)) != want:
                problems.append(f"config: JointTransformerClassifier {key} differ from the domain")
    return problems
