"""The extractor's labelled training sentences: distant supervision from the graph, and prose.

Three sources; the first two are labelled from the graph and nothing else:

1. Descriptions. Every description of a person, work, concept, instrument, genre or era is split
   into sentences and the gazetteer marks the entities in them. Each ordered pair of mentions that
   includes the described entity is labelled with the graph's relation between the two, or NONE
   when the graph has none (the classic distant-supervision assumption, noisy by nature). Pairs of
   two other entities are not labelled: a description of Menuhin that mentions "Elgar's Violin
   Concerto" says nothing about Elgar playing the violin, though the graph says he did. A
   description that never names its own subject ("A German organist and composer ...") gets it
   as the subject ("Johann Sebastian Bach was a German organist and composer ..."), so its facts
   about the subject can align.
2. Generated sentences. Each fact of the eight relations is rendered with the phrasings in
   `kg.extract.templates` (several per relation, active and passive, some stating two or three
   facts at once), and sentences pairing unrelated entities are made from the NONE phrasings.
   Here the labels are exact: a pair is labelled with what the template states, every other pair
   is NONE, both orders included, which is what teaches direction.
3. Hand-annotated prose (`kg.extract.prose`, `data/relext/train/`), the one source not made from
   the graph: real sentences with every entity and every stated relation, added to the corpus as
   written and renamed (`renamed`).

Augmentation: a share of the generated sentences has its people replaced by recombined, unseen
names (and surface forms alternate between names and aliases), so neither model can get by on
remembering which names go together; they must read the words between the names.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kg.extract.gazetteer import Gazetteer, player_nouns, usable
from kg.extract.tagger import IGNORE, TaggedSentence, spans_to_tags
from kg.extract.templates import (
    BAND_ADJECTIVES,
    BAND_NOUNS,
    CITIES,
    CLAUSES,
    ENSEMBLE_WORDS,
    FIRST_NAMES,
    INSTITUTIONS,
    KEYS,
    MIDDLES,
    NONE_TEMPLATES,
    OPENERS,
    ORDINALS,
    PREFIXES,
    SONG_WORDS,
    SUFFIXES,
    SURNAMES,
    SYLLABLES,
    TEMPLATES,
    TITLE_ADJECTIVES,
    TITLE_NOUNS,
    TITLE_PATTERNS,
    TITLE_VERBS,
    WORK_FORMS,
    WORK_INSTRUMENTS,
)
from kg.extract.text import split_sentences, tokenize
from kg.extract.types import LABEL_TYPE, NONE, RELATIONS, Mention, allowed_relations
from kg.schema import Node

_SLOT = re.compile(r"\{(\w+)\}")
_SLOT_TYPE = {"P": "PERSON", "B": "PERSON", "X": "PERSON", "W": "WORK", "I": "INSTRUMENT",
              "J": "INSTRUMENT", "G": "GENRE", "C": "CONCEPT", "E": "ERA"}
_PLAIN_SLOTS = ("form", "year", "nat", "city", "institution", "year2", "decade")


@dataclass(slots=True)
class Annotated:
    """A sentence with its entity mentions and the relations it states between them."""

    text: str
    mentions: list[Mention]
    relations: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    source: str = "template"
    anchor: str | None = None  # when set, only pairs with this entity are labelled


@dataclass(slots=True)
class GraphFacts:
    """The part of the graph the extractor learns from: usable nodes and the eight relations."""

    nodes: dict[str, Node]
    out: dict[str, dict[str, list[str]]]
    inc: dict[str, dict[str, list[str]]]
    facts: dict[str, list[tuple[str, str]]]
    by_type: dict[str, list[str]]

    @classmethod
    def from_graph(cls, graph: Any) -> GraphFacts:
        store = getattr(graph, "store", graph)
        nodes = {n.id: n for n in store.nodes() if usable(n)}
        out: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        inc: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        facts: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for rel in RELATIONS:
            for t in store.triples(rel):
                if t.head in nodes and t.tail in nodes:
                    out[t.head][rel].append(t.tail)
                    inc[t.tail][rel].append(t.head)
                    facts[rel].append((t.head, t.tail))
        by_type: dict[str, list[str]] = defaultdict(list)
        for node in nodes.values():
            by_type[LABEL_TYPE[node.label]].append(node.id)
            if node.props.get("kind") == "band":
                by_type["BAND"].append(node.id)
        for ids in by_type.values():
            ids.sort()
        return cls(nodes, out, inc, facts, by_type)

    def relations_between(self, a: str, b: str) -> list[str]:
        return [rel for rel, tails in self.out.get(a, {}).items() if b in tails]

    def type_of(self, node_id: str) -> str:
        return LABEL_TYPE[self.nodes[node_id].label]

    def kind_of(self, node_id: str) -> str | None:
        kind = self.nodes[node_id].props.get("kind")
        return str(kind) if kind else None


# descriptions --------------------------------------------------------------------------------


def description_sentences(facts: GraphFacts, gazetteer: Gazetteer) -> list[Annotated]:
    out: list[Annotated] = []
    for node in facts.nodes.values():
        description = " ".join(str(node.props.get("description") or "").split())
        if not description or node.props.get("source") == "music21":
            continue
        for k, sent in enumerate(split_sentences(description)):
            text = sent.text
            mentions = gazetteer.find(text)
            if k == 0 and node.label in ("Person", "Work") and all(m.id != node.id for m in mentions):
                text = with_subject(node, text)
                mentions = gazetteer.find(text)
            if not mentions:
                continue
            relations: dict[tuple[int, int], list[str]] = {}
            for i, a in enumerate(mentions):
                for j, b in enumerate(mentions):
                    if i != j and a.id != b.id and a.id and b.id:
                        rels = facts.relations_between(a.id, b.id)
                        if rels:
                            relations[(i, j)] = rels
            out.append(Annotated(text, mentions, relations, f"description:{node.id}", node.id))
    return out


def with_subject(node: Node, text: str) -> str:
    """Name the subject of a description that leaves it implicit.

    "A German composer ..." becomes "Johann Sebastian Bach was a German composer ..." (a work or a
    living person "is"); anything else gets the name as a heading ("Bach: German composer ...").
    """
    first, _, rest = text.partition(" ")
    if first in ("A", "An", "The") and rest:
        alive = node.label == "Person" and not node.props.get("died") and \
            node.props.get("kind") != "band" and isinstance(node.props.get("born"), int) and \
            node.props["born"] > 1920
        verb = "is" if node.label == "Work" or alive else "was"
        return f"{node.name} {verb} {first.lower()} {rest}"
    return f"{node.name}: {text}"


# generated sentences -------------------------------------------------------------------------


class Generator:
    """Renders facts with the templates; see the module docstring."""

    def __init__(self, facts: GraphFacts, gazetteer: Gazetteer, seed: int = 0,
                 augment: float = 0.3, adjunct: float = 0.5, coordinate: float = 0.12) -> None:
        self.f = facts
        self.gaz = gazetteer
        self.rng = random.Random(seed)
        self.augment = augment  # share of sentences with made-up names and titles
        self.adjunct = adjunct  # share with a place, institution or date added
        self.coordinate = coordinate  # chance a person slot becomes "A and B" (same facts)
        self.related_none = 0.5  # share of NONE sentences about entities the graph relates
        self.clause = 0.3  # chance a generated sentence gets a relative clause with another fact
        self.middle = 0.4  # chance of an aside between two entities of the statement
        people = [facts.nodes[i] for i in facts.by_type.get("PERSON", [])
                  if facts.nodes[i].props.get("kind") != "band"]
        firsts = [n.name.split()[0] for n in people if len(n.name.split()) >= 2]
        lasts = [n.name.split()[-1] for n in people if len(n.name.split()) >= 2]
        self.first_names = sorted(set(firsts) | set(FIRST_NAMES))
        self.surnames = sorted(set(lasts) | set(SURNAMES))
        self.real_names = {n.name.lower() for n in people}

    # surface forms ---------------------------------------------------------------------------

    def surface(self, node_id: str, slot: str) -> str:
        node = self.f.nodes[node_id]
        kind = LABEL_TYPE[node.label]
        aliases = [str(a) for a in node.props.get("aliases") or [] if len(str(a)) >= 2]
        if slot.startswith("J"):
            return self.rng.choice(player_nouns(node.name))
        p_alias = {"PERSON": 0.4, "WORK": 0.3}.get(kind, 0.2)
        name = self.rng.choice(aliases) if aliases and self.rng.random() < p_alias else node.name
        if kind in ("GENRE", "INSTRUMENT", "CONCEPT", "ERA") and not name.isupper():
            # common nouns in running text ("a jazz pianist"); keep "French horn", "R&B"
            name = name if kind == "ERA" or any(w[:1].isupper() for w in name.split()[1:]) \
                else name[:1].lower() + name[1:]
        return name

    def fake_person(self) -> str:
        for _ in range(10):
            name = f"{self.rng.choice(self.first_names)} {self.rng.choice(self.surnames)}"
            if name.lower() not in self.real_names:
                return name
        return name

    # filling a template ----------------------------------------------------------------------

    def fill(self, template: str, facts: list[tuple[str, str, str]],
             bound: dict[str, str]) -> dict[str, str] | None:
        """Bind every entity slot: stated facts from the graph, other slots at random."""
        slots = [s for s in _SLOT.findall(template) if s not in _PLAIN_SLOTS]
        binding = dict(bound)
        pending = list(facts)
        for _ in range(len(pending) + 1):
            progress = False
            for a, rel, b in list(pending):
                if a in binding and b in binding:
                    if binding[b] not in self.f.out.get(binding[a], {}).get(rel, []):
                        return None
                    pending.remove((a, rel, b))
                    progress = True
                elif a in binding:
                    choices = [t for t in self.f.out.get(binding[a], {}).get(rel, [])
                               if t not in binding.values() and self._fits(b, t)]
                    if not choices:
                        return None
                    binding[b] = self.rng.choice(choices)
                    pending.remove((a, rel, b))
                    progress = True
                elif b in binding:
                    choices = [h for h in self.f.inc.get(binding[b], {}).get(rel, [])
                               if h not in binding.values() and self._fits(a, h)]
                    if not choices:
                        return None
                    binding[a] = self.rng.choice(choices)
                    pending.remove((a, rel, b))
                    progress = True
            if pending and not progress:
                # a fact about two slots nothing binds yet ("{P2} played {I} on {P}'s recording"):
                # any pair the graph relates that way, other than the entities already bound
                a, rel, b = pending[0]
                pairs = [(h, t) for h, t in self.f.facts.get(rel, [])
                         if h not in binding.values() and t not in binding.values()
                         and self._fits(a, h) and self._fits(b, t)]
                if not pairs:
                    return None
                binding[a], binding[b] = self.rng.choice(pairs)
                pending.remove((a, rel, b))
                progress = True
            if not pending:
                break
        if pending:
            return None
        for slot in slots:
            if slot in binding:
                continue
            pool = self.f.by_type.get("BAND" if slot[0] == "B" else _SLOT_TYPE[slot[0]], [])
            pool = [x for x in pool if x not in binding.values()]
            if not pool:
                return None
            binding[slot] = self.rng.choice(pool)
        return binding

    def _fits(self, slot: str, node_id: str) -> bool:
        """The node has the slot's type (`B` only bands, `J` nobody's band)."""
        if self.f.type_of(node_id) != _SLOT_TYPE[slot[0]]:
            return False
        return slot[0] != "B" or self.f.kind_of(node_id) == "band"

    def consistent(self, binding: dict[str, str], stated: list[tuple[str, str, str]]) -> bool:
        if not all(self._fits(slot, node) for slot, node in binding.items()):
            return False
        for a, rel, b in stated:
            ha, hb = binding[a], binding[b]
            if rel not in allowed_relations(self.f.type_of(ha), self.f.type_of(hb),
                                            self.f.kind_of(ha), self.f.kind_of(hb)):
                return False
        return True

    def render(self, template: str, binding: dict[str, str], stated: list[tuple[str, str, str]],
               source: str, fake: bool = False) -> Annotated | None:
        plain = self._plain_values(template, binding)
        if plain is None:
            return None
        template = self._with_adjuncts(template)
        plain.update(self._adjunct_values())
        # what each entity slot is written as: one name, or several coordinated names
        values: dict[str, list[str]] = {}
        stated_slots = {a for a, _, _ in stated} | {b for _, _, b in stated}
        for slot, node_id in binding.items():
            kind = self.f.kind_of(node_id)
            if fake and slot[0] in "PX" and kind != "band":
                names = [self.fake_person()]
            elif fake and kind == "band" and self.rng.random() < 0.7:
                names = [self.fake_band()]
            elif fake and slot[0] == "W" and self.rng.random() < 0.5:
                names = [self.fake_work(node_id)]
            else:
                names = [self.surface(node_id, slot)]
            if slot[0] == "P" and kind != "band" and slot in stated_slots \
                    and self.rng.random() < self.coordinate:
                names += [self.fake_person() for _ in range(self.rng.choice((1, 1, 2)))]
            values[slot] = names
        opener = self.rng.choice(OPENERS) if self.rng.random() < 0.15 else ""
        text = opener
        spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
        pos = 0
        for m in _SLOT.finditer(template):
            literal = template[pos : m.start()]
            if opener and len(text) == len(opener) and literal:
                literal = literal[:1].lower() + literal[1:]
            text += literal
            slot = m.group(1)
            if slot in plain:
                text += plain[slot]
            else:
                names = values[slot]
                for k, value in enumerate(names):
                    if k:
                        text += " and " if k == len(names) - 1 else ", "
                    if value.startswith("The ") and text:
                        value = "the " + value[4:]  # "joined the Beatles"
                    spans[slot].append((len(text), len(text) + len(value)))
                    text += value
            pos = m.end()
        text += template[pos:]
        text = text[:1].upper() + text[1:]
        mentions: list[Mention] = []
        index: dict[str, list[int]] = defaultdict(list)
        for slot, slot_spans in spans.items():
            node_id = binding[slot]
            kind = LABEL_TYPE[self.f.nodes[node_id].label]
            for s, e in slot_spans:
                # extra coordinated names are made up: give them an id of their own
                own = node_id if (s, e) == slot_spans[0] else f"{node_id}#{len(mentions)}"
                index[slot].append(len(mentions))
                mentions.append(Mention(s, e, text[s:e], kind, own, text[s:e], True, "template",
                                        1.0, self.f.kind_of(node_id)))
        relations: dict[tuple[int, int], list[str]] = defaultdict(list)
        for a, rel, b in stated:
            for i in index[a]:
                for j in index[b]:
                    relations[(i, j)].append(rel)
        mentions, relations = self._with_gazetteer(text, mentions, dict(relations))
        return Annotated(text, mentions, relations, source)

    def add_clause(self, sent: Annotated, fake: bool = False) -> Annotated:
        """Insert a relative or appositive clause stating one more fact about an entity of the
        sentence, right after its mention (see `kg.extract.templates.CLAUSES`)."""
        order = list(range(len(sent.mentions)))
        self.rng.shuffle(order)
        present = {m.id for m in sent.mentions}
        for k in order:
            m = sent.mentions[k]
            if m.id not in self.f.nodes:
                continue
            options = []
            for rel, frames in CLAUSES.items():
                if "head" in frames:
                    options += [(rel, "head", o) for o in self.f.out.get(m.id, {}).get(rel, [])
                                if o not in present]
                if "tail" in frames:
                    options += [(rel, "tail", o) for o in self.f.inc.get(m.id, {}).get(rel, [])
                                if o not in present]
            if not options:
                continue
            rel, role, other = self.rng.choice(options)
            frame = self.rng.choice(CLAUSES[rel][role])
            clause = self._clause_text(frame, m.id, other, role, fake)
            if clause is None:
                continue
            text_clause, (cs, ce) = clause
            pos = m.end
            after = sent.text[pos : pos + 1]
            if after in ("'", "’"):
                continue  # a possessive: "Nirvana's bassist"
            insert = text_clause if after in (",", ".", ";", "") else text_clause + ","
            text = sent.text[:pos] + insert + sent.text[pos:]
            shift = len(insert)
            mentions = [
                Mention(x.start + shift, x.end + shift, x.text, x.type, x.id, x.name, x.linked,
                        x.method, x.score, x.kind) if x.start >= pos else x
                for x in sent.mentions
            ]
            node = self.f.nodes[other]
            mentions.append(Mention(pos + cs, pos + ce, text[pos + cs : pos + ce],
                                    LABEL_TYPE[node.label], other, node.name, True, "template",
                                    1.0, self.f.kind_of(other)))
            new = len(mentions) - 1
            relations = dict(sent.relations)
            relations[(k, new) if role == "head" else (new, k)] = [rel]
            return Annotated(text, mentions, relations, sent.source)
        return sent

    def _clause_text(self, frame: str, anchor: str, other: str, role: str,
                     fake: bool) -> tuple[str, tuple[int, int]] | None:
        node = self.f.nodes[other]
        kind = LABEL_TYPE[node.label]
        if LABEL_TYPE[self.f.nodes[anchor].label] == "WORK":
            frame = frame.replace(" artist", " {form}")  # "a jazz standard", not "artist"
        slot = "J" if "{T_player}" in frame else {"PERSON": "P", "WORK": "W"}.get(kind, "I")
        if fake and kind == "PERSON" and self.f.kind_of(other) != "band":
            value = self.fake_person()
        else:
            value = self.surface(other, slot)
        work = anchor if LABEL_TYPE[self.f.nodes[anchor].label] == "WORK" else other
        year = self.f.nodes[work].props.get("year")
        if "{year}" in frame and not isinstance(year, int):
            return None
        form = str(self.f.nodes[work].props.get("form") or "piece").lower()
        marker = "{T_player}" if "{T_player}" in frame else ("{T}" if role == "head" else "{H}")
        before, _, after = frame.partition(marker)
        before = before.replace("{year}", str(year)).replace("{form}", form)
        after = after.replace("{year}", str(year)).replace("{form}", form)
        if value.startswith("The "):
            value = "the " + value[4:]
        return before + value + after, (len(before), len(before) + len(value))

    def _with_adjuncts(self, template: str) -> str:
        """Sometimes add a place, institution or date before, inside or after the statement."""
        slots = list(_SLOT.finditer(template))
        if len(slots) >= 2 and self.rng.random() < self.middle:
            # at a space between the first and the last entity slot
            lo, hi = slots[0].end(), slots[-1].start()
            spaces = [k for k in range(lo, hi) if template[k] == " "
                      and not any(m.start() <= k < m.end() for m in slots)]
            if spaces:
                k = self.rng.choice(spaces)
                template = template[:k] + self.rng.choice(MIDDLES) + template[k:]
        r = self.rng.random()
        if r < self.adjunct / 2 and template[:1] == "{":
            return self.rng.choice(PREFIXES) + template
        if r < self.adjunct and template.endswith("."):
            return template[:-1] + self.rng.choice(SUFFIXES) + "."
        return template

    def _adjunct_values(self) -> dict[str, str]:
        return {
            "city": self.rng.choice(CITIES),
            "institution": self.rng.choice(INSTITUTIONS),
            "year2": str(self.rng.randint(1700, 2020)),
            "decade": f"{self.rng.randint(185, 201)}0s",
        }

    def fake_band(self) -> str:
        """A made-up group name in one of the ways groups are named (see
        `kg.extract.templates.BAND_NOUNS`)."""
        rng = self.rng
        choice = rng.random()
        if choice < 0.3:
            return f"The {rng.choice(BAND_ADJECTIVES)} {rng.choice(BAND_NOUNS)}"
        if choice < 0.5:
            return f"{self.fake_person()} {rng.choice(ENSEMBLE_WORDS)}"
        if choice < 0.6:
            return f"{self.fake_person()} and the {rng.choice(BAND_NOUNS)}"
        if choice < 0.75:
            return f"{rng.choice(BAND_ADJECTIVES)} {rng.choice(BAND_NOUNS)}"
        if choice < 0.88:
            word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3))))
            return word.capitalize() if rng.random() < 0.6 else f"The {word.capitalize()}s"
        letters = "".join(rng.choice("ABCDEFGKLMNPRSTVWXZ") for _ in range(rng.choice((2, 3, 4))))
        return ".".join(letters) if rng.random() < 0.4 else letters

    def fake_title(self) -> str:
        """A made-up song or album title from `kg.extract.templates.TITLE_PATTERNS`."""
        rng = self.rng
        ing, base = rng.choice(TITLE_VERBS)
        title = rng.choice(TITLE_PATTERNS)
        for slot, pick in (("{A}", lambda: rng.choice(TITLE_ADJECTIVES)),
                           ("{N}", lambda: rng.choice(TITLE_NOUNS)), ("{V}", lambda: ing),
                           ("{v}", lambda: base)):
            while slot in title:
                title = title.replace(slot, pick(), 1)
        return title

    def fake_work(self, node_id: str) -> str:
        """A made-up title in the style of the work's form (classical forms get catalogue-like
        titles, songs and albums get short phrases)."""
        form = str(self.f.nodes[node_id].props.get("form") or "").lower()
        rng = self.rng
        if form in ("song", "album", "single", "standard", "ballad", "instrumental", "blues"):
            if rng.random() < 0.5:
                return self.fake_title()
            words = rng.sample(SONG_WORDS, rng.choice((1, 2, 2, 3)))
            return " ".join(words) if rng.random() < 0.7 else "The " + " ".join(words)
        kind = rng.choice(WORK_FORMS)
        choice = rng.random()
        if choice < 0.3:
            return f"{rng.choice(ORDINALS)} {kind}"
        if choice < 0.6:
            return f"{rng.choice(WORK_INSTRUMENTS)} {kind} No. {rng.randint(1, 12)}"
        if choice < 0.8:
            return f"{kind} in {rng.choice(KEYS)}"
        return f"{rng.choice(WORK_INSTRUMENTS)} {kind} in {rng.choice(KEYS)}"

    def _plain_values(self, template: str, binding: dict[str, str]) -> dict[str, str] | None:
        values: dict[str, str] = {}
        work = next((binding[s] for s in binding if s.startswith("W")), None)
        person = next((binding[s] for s in binding if s.startswith("P")), None)
        if "{year}" in template:
            year = self.f.nodes[work].props.get("year") if work else None
            if not isinstance(year, int):
                return None
            values["year"] = str(year)
        if "{form}" in template:
            form = str(self.f.nodes[work].props.get("form") or "") if work else ""
            values["form"] = form.lower() if form else "piece"
        if "{nat}" in template:
            nat = self.f.nodes[person].props.get("nationality") if person else None
            if not nat:
                return None
            values["nat"] = str(nat)
        return values

    def _with_gazetteer(
        self, text: str, mentions: list[Mention], relations: dict[tuple[int, int], list[str]]
    ) -> tuple[list[Mention], dict[tuple[int, int], list[str]]]:
        """Add the gazetteer's other mentions (a concept named by `{form}`, say) as NONE pairs."""
        extra = [
            m for m in self.gaz.find(text)
            if all(m.end <= x.start or m.start >= x.end for x in mentions)
        ]
        return mentions + extra, relations

    # the data set ----------------------------------------------------------------------------

    def relation_sentences(self, per_relation: int) -> list[Annotated]:
        out: list[Annotated] = []
        for rel in RELATIONS:
            facts = self.f.facts.get(rel, [])
            if not facts:
                continue
            templates = TEMPLATES[rel]
            made, tries = 0, 0
            while made < per_relation and tries < per_relation * 6:
                tries += 1
                head, tail = self.rng.choice(facts)
                text, stated = self.rng.choice(templates)
                first = stated[0]
                start = {first[0]: head, first[2]: tail}
                if not all(self._fits(slot, node) for slot, node in start.items()):
                    continue
                binding = self.fill(text, stated, start)
                if binding is None or not self.consistent(binding, stated):
                    continue
                fake = self.rng.random() < self.augment
                sentence = self.render(text, binding, stated, f"template:{rel}", fake)
                if sentence is not None:
                    if self.rng.random() < self.clause:
                        sentence = self.add_clause(sentence, fake)
                    out.append(sentence)
                    made += 1
        return out

    def _related_pair(self, slots: list[str]) -> dict[str, str]:
        """Bind two of `slots` to a pair of entities that the graph relates, when there is one."""
        for _ in range(20):
            rel = self.rng.choice(list(self.f.facts))
            head, tail = self.rng.choice(self.f.facts[rel])
            for a in slots:
                for b in slots:
                    if a != b and self._fits(a, head) and self._fits(b, tail):
                        return {a: head, b: tail}
        return {}

    def none_sentences(self, count: int) -> list[Annotated]:
        out: list[Annotated] = []
        tries = 0
        while len(out) < count and tries < count * 6:
            tries += 1
            template = self.rng.choice(NONE_TEMPLATES)
            start: dict[str, str] = {}
            if self.rng.random() < self.related_none:
                # two entities the graph relates, in a sentence that does not say so: the label
                # is what the sentence states, not what is true of the pair
                slots = [x for x in _SLOT.findall(template) if x not in _PLAIN_SLOTS]
                start = self._related_pair(slots)
            binding = self.fill(template, [], start)
            if binding is None or not self.consistent(binding, []):
                continue
            fake = self.rng.random() < self.augment
            sentence = self.render(template, binding, [], "template:NONE", fake)
            if sentence is not None:
                out.append(sentence)
        return out


_JOINS = (", and ", "; ", ", while ", ", whereas ", " and ", ", but ")


def conjoin(a: Annotated, b: Annotated, join: str) -> Annotated:
    """One sentence made of two: "A played drums, and B played bass". Pairs across the two halves
    are NONE, which is what teaches the classifier to read which name goes with which verb."""
    left = a.text.rstrip(".!? ")
    right = b.text
    if right[:1].isupper() and not any(m.start == 0 for m in b.mentions):
        right = right[:1].lower() + right[1:]
    shift = len(left) + len(join)
    text = left + join + right
    moved = [replace(m, start=m.start + shift, end=m.end + shift,
                     text=text[m.start + shift : m.end + shift]) for m in b.mentions]
    n = len(a.mentions)
    relations = dict(a.relations)
    relations.update({(i + n, j + n): rels for (i, j), rels in b.relations.items()})
    return Annotated(text, a.mentions + moved, relations, a.source)


def renamed(item: Annotated, gen: Generator) -> Annotated:
    """The sentence with its people and bands replaced by made-up names (each name consistently),
    so that a copy of a hand-annotated sentence teaches its wording, not its names."""
    fakes: dict[str, str] = {}
    text, shift, mentions = item.text, 0, []
    for m in item.mentions:
        start, end = m.start + shift, m.end + shift
        if m.type == "PERSON":
            key = m.name or m.text
            if key not in fakes:
                fake = gen.fake_band() if m.kind == "band" else gen.fake_person()
                if m.kind == "band" and text[:start].endswith(("the ", "The ")):
                    fake = fake.removeprefix("The ")
                fakes[key] = fake
            new = fakes[key]
            text = text[:start] + new + text[end:]
            shift += len(new) - (end - start)
            end = start + len(new)
            mentions.append(replace(m, start=start, end=end, text=new, id=f"{m.id}~{new}", name=new,
                                    linked=False))
        else:
            mentions.append(replace(m, start=start, end=end))
    return Annotated(text, mentions, dict(item.relations), item.source, item.anchor)


def build_corpus(
    graph: Any, gazetteer: Gazetteer, per_relation: int = 500, none_share: float = 0.15,
    seed: int = 0, augment: float = 0.3, conjoined: float = 0.3,
    prose: Sequence[Annotated] = (), prose_copies: int = 1,
) -> list[Annotated]:
    """All training sentences: descriptions, hand-annotated prose and generated ones, shuffled.

    A share (`conjoined`) of the generated sentences are pairs of generated sentences joined into
    one, so that sentences with several people, works and instruments are common in training.
    Each prose sentence comes `prose_copies` times: as written, then with made-up names.
    """
    facts = GraphFacts.from_graph(graph)
    gen = Generator(facts, gazetteer, seed, augment)
    rng = random.Random(seed)
    data = description_sentences(facts, gazetteer)
    for item in prose:
        data += [item] + [renamed(item, gen) for _ in range(prose_copies - 1)]
    generated = gen.relation_sentences(per_relation)
    generated += gen.none_sentences(int(none_share * per_relation * len(RELATIONS)))
    rng.shuffle(generated)
    n_joined = int(conjoined * len(generated) / 2)
    for k in range(n_joined):
        generated[k] = conjoin(generated[k], generated[-1 - k], rng.choice(_JOINS))
    data += generated[: len(generated) - n_joined]
    rng.shuffle(data)
    return data


# conversions for the two models --------------------------------------------------------------


def tagged(data: Iterable[Annotated]) -> list[TaggedSentence]:
    """Word-level BIO sequences from annotated sentences."""
    out = []
    for item in data:
        tokens = tokenize(item.text)
        spans = []
        for m in item.mentions:
            idx = [k for k, t in enumerate(tokens) if t.start >= m.start and t.end <= m.end]
            if idx:
                spans.append((idx[0], idx[-1] + 1, m.type))
        spans.sort()
        tags = spans_to_tags(len(tokens), spans)
        if item.source.startswith("description"):
            # Descriptions name people and works the graph does not have; the gazetteer leaves
            # them untagged, and training on that would teach the tagger to skip unknown names.
            # Capitalised words it did not tag (after the first word) are left out of the loss.
            for k, t in enumerate(tokens):
                if k and tags[k] == "O" and t.text[:1].isupper():
                    tags[k] = IGNORE
        out.append(TaggedSentence([t.text for t in tokens], tags))
    return out


@dataclass(slots=True)
class PairExample:
    text: str
    head: Mention
    tail: Mention
    labels: list[str]  # relations stated (soft target spread over them) or [NONE]
    source: str
    weight: float = 1.0  # description pairs are noisier (distant labels) and count less


def pair_examples(data: Iterable[Annotated], seed: int = 0, description_none_keep: float = 0.5,
                  description_weight: float = 0.3) -> list[PairExample]:
    """Every ordered pair a relation could hold for, labelled; see the module docstring."""
    rng = random.Random(seed)
    out = []
    for item in data:
        for i, a in enumerate(item.mentions):
            for j, b in enumerate(item.mentions):
                if i == j or (a.id and a.id == b.id):
                    continue
                if item.anchor and item.anchor not in (a.id, b.id):
                    continue  # two entities a description mentions in passing: no label
                if not allowed_relations(a.type, b.type, a.kind, b.kind):
                    continue
                labels = [r for r in item.relations.get((i, j), [])
                          if r in allowed_relations(a.type, b.type, a.kind, b.kind)]
                if not labels:
                    if item.source.startswith("description") and rng.random() > description_none_keep:
                        continue
                    labels = [NONE]
                weight = description_weight if item.source.startswith("description") else 1.0
                out.append(PairExample(item.text, a, b, labels, item.source, weight))
    return out
