"""Teaching actions: explain, compare, example, prerequisites, learning path.

Every sentence is built from the graph (descriptions, REQUIRES / RELATED_TO / EXAMPLE_OF edges)
or computed by music21 (music.theory) — nothing is made up here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import audio
from actions.context import (
    EXACT,
    PRONOUNS,
    QUALITY,
    bare_id,
    concepts,
    credited,
    entities,
    first_sentences,
    link,
    mentioned,
    named_in,
    names,
    node,
    plural,
    remember,
    said,
    topic_in,
)
from actions.groups import describe, heading
from actions.learner import path_knowledge
from actions.services import DomainDict, Events, services
from kg.schema import CONCEPT, ERA, GENRE, INSTRUMENT, PERSON, Node, capitalized
from music.theory import article

QUIZ_BUTTON = "Quiz me on this"
# concepts that, asked of a named work, ask for its facts: "what's the key of Clair de Lune"
WORK_ATTRIBUTES = frozenset({"concept:key", "concept:key_signature", "concept:time_signature",
                             "concept:meter", "concept:tempo"})
# comparisons of two notes that music21 answers better than two concept descriptions would
COMPUTED_COMPARISONS = frozenset({"enharmonic", "interval"})


def _direct(item: Node, rel: str, direction: str) -> list[Node]:
    found: dict[str, Node] = {}
    for _, other in services().graph.neighbours(item.id, rel, direction):  # type: ignore[arg-type]
        found.setdefault(other.id, other)
    return list(found.values())


def _famous_example(item: Node) -> str | None:
    works = _direct(item, "EXAMPLE_OF", "in")
    if not works:
        return None
    work = _best_known(item, works)
    authors = credited(work.id)  # all of them up to three: never "Dave Grohl and 1 more"
    by = f" by {names(authors, 3)}" if authors else ""
    return f"A famous example: {work.name}{by}."


def _best_known(item: Node, works: list[Node]) -> Node:
    """The example to name: the first the concept's own description names by its title or an
    alias (the waltz's names The Blue Danube), else the one the graph connects most, then by name,
    so the choice is stable."""
    description = str(item.props.get("description") or "").lower()

    def position(work: Node) -> int:
        titles = [work.name.split(",")[0], *(str(a) for a in work.props.get("aliases") or [])]
        found = [description.find(t.strip().lower()) for t in titles if len(t.strip()) > 3]
        return min((f for f in found if f >= 0), default=-1)

    named = [(at, w.name, w) for w in works if (at := position(w)) >= 0]
    if named:
        return min(named, key=lambda x: x[:2])[2]
    graph = services().graph
    return min(works, key=lambda w: (-len(graph.neighbours(w.id)), w.name))


def _theory(tracker: Tracker) -> Any:
    text = tracker.latest_message.get("text") or ""
    if not text or text.startswith("/"):
        return None
    return theory_answer(text) or _concrete_variant(tracker, text)


def _concrete_variant(tracker: Tracker, text: str) -> Any:
    """"now a minor one" after the C major triad: the C minor triad, not the minor triad in
    general. The last concrete subject with the message's quality word in place of its own,
    computed again; None when the message names something else or the result means nothing."""
    subject = tracker.get_slot("theory_subject")
    words = [m.group(1).lower() for m in QUALITY.finditer(text)]
    if not subject or not words:
        return None
    named = [str(e.get("value", "")).strip() for e in tracker.latest_message.get("entities") or []
             if e.get("entity") == "concept"]
    if any(not QUALITY.fullmatch(value) for value in named):
        return None  # "what about the dorian mode": a new subject, not a variant of the last
    found = QUALITY.search(subject)
    for word in words:
        if word in subject.lower().split():
            continue
        if found:
            replaced = subject[: found.start()] + word + subject[found.end():]
        else:  # "C7 chord" has no quality word: the root keeps, the kind is the word's
            replaced = f"{subject.split()[0]} {word} {subject.split()[-1]}"
        result = theory_answer(replaced)
        if result is not None:
            return result
    return None


@lru_cache(maxsize=4096)
def theory_answer(text: str) -> Any:
    """music.theory's answer (immutable, computed by music21), cached: learners ask alike."""
    from music.theory import answer

    return answer(text)


_NOT_PLURAL = {"blues", "species", "series"}


def what_is(name: str) -> str:
    """The question that asks for a concept: "What is a major triad?", "What are diatonic triads
    in major?" (a head noun in the plural)."""
    head = re.split(r"\s+(?:in|of|on|for)\s+", name, maxsplit=1)[0].split()
    last = head[-1].lower() if head else ""
    if last.endswith("s") and not last.endswith(("ss", "us", "is")) and last not in _NOT_PLURAL:
        return f"What are {name}?"
    return f"What is {article(name)} {name}?"


def _concept_for_theory(result: Any) -> Node | None:
    """The general curriculum concept a concrete answer is an instance of (C major scale → major scale)."""
    if result.kind == "diatonic_chords":
        return node("concept:diatonic_chords_minor" if result.title.endswith("minor")
                    else "concept:diatonic_chords")
    if result.kind == "augmented_sixth":  # "German augmented sixth chord in C major"
        return node(f"concept:{result.title.split()[0].lower()}_sixth")
    if result.kind == "enharmonic":
        return node("concept:enharmonic_equivalents")
    if result.kind == "modes":  # "Lydian mode" is the Lydian mode, not modes in general
        general = result.title.startswith("Modes")
        return node("concept:modes") if general else link(result.title, "concept", 0.9)
    if result.kind == "progression":
        return node("concept:ii_v_i" if result.title.lower().startswith("ii v i ")
                    else "concept:chord_progression")
    title = str(result.title)
    words = title.split()
    for start in range(1, len(words)):
        found = link(" ".join(words[start:]), "concept", threshold=0.9)
        if found is not None:
            return found
    return link(title, "concept", threshold=0.9)


_INTENT_OF = {"explain": "explain_concept", "play an example of": "ask_example",
              "list the prerequisites of": "ask_prerequisites", "plan a path to": "learning_path"}


def _named_within(mention: str) -> list[Node]:
    """Concepts whose name holds the mention as a whole word ("vibrato": violin vibrato, vocal
    vibrato), most basic first; none for a mention of one letter or a very common word."""
    words = mention.strip().lower()
    if len(words) < 4:
        return []
    pattern = re.compile(rf"\b{re.escape(words)}\b")
    found = [n for n in services().graph.concepts() if pattern.search(n.name.lower())]
    return sorted(found, key=lambda n: (float(n.props.get("grade") or 0), n.name)) if len(found) <= 6 else []


def _not_found(dispatcher: CollectingDispatcher, tracker: Tracker, what: str) -> list[dict[str, Any]]:
    # only a concept mention can be a concept the graph lacks ("piano" is an instrument it has)
    mention = next((e.get("value") for e in entities(tracker, "concept")), None)
    current = node(tracker.get_slot("concept"))
    if mention and current is not None and QUALITY.fullmatch(str(mention).strip()):
        dispatcher.utter_message(text=f"I don't know {article(mention)} {mention} kind of {current.name}.")
    elif mention and (narrower := _named_within(str(mention))):
        # "vibrato": the graph holds violin vibrato and vocal vibrato, not vibrato on its own
        intent, said_as = _INTENT_OF.get(what, "explain_concept"), str(mention).strip()
        dispatcher.utter_message(
            text=f'I know "{said_as}" as {names(narrower, 4)}: which one do you mean?' if len(narrower) > 1
            else f'I know "{said_as}" only as {narrower[0].name}: is that it?',
            buttons=[{"title": capitalized(n.name), "payload": f'/{intent}{{"concept": "{n.id}"}}'}
                     for n in narrower[:4]])
    elif mention:
        dispatcher.utter_message(
            text=f'I don\'t have "{mention}" in my music knowledge graph yet. Could you name it another way?'
        )
    else:
        dispatcher.utter_message(text=f'Which concept should I {what}? For example "a perfect fifth".')
    return []


def _context(item: Node | None, tracker: Tracker, subject: str | None = None) -> list[dict[str, Any]]:
    """The conversation's topic after an answer: the concept, and the concrete thing a theory
    answer was about ("C major triad", for "now a minor one"), cleared by any other answer."""
    events: list[dict[str, Any]] = [SlotSet("theory_subject", subject)]
    if item is not None:
        seen = remember(tracker, "concepts_seen", item.id)
        events += [SlotSet("concept", item.id), SlotSet("concepts_seen", seen)]
    return events


_HOW_TO_LEARN = re.compile(
    r"\bhow (?:do|can|should|would) (?:i|we|one)\s+(?:start\s+|begin\s+)?(?:to\s+)?"
    r"(?:learn|play|get (?:into|started))\b|\bhow to (?:learn|play|get into)\b|"
    r"\bwhere (?:do|should|can) i (?:start|begin)\b", re.I)


def _in_genre(general: Node, genre: Node, broad: int = 40) -> Node | None:
    """For a broad concept asked about within a genre ("what chords are in a blues"), the genre's
    characteristic concept nearest above it (the twelve-bar blues; the modes for "what scales are
    used in jazz"); None for a narrow concept ("the blues scale in jazz" stays the blues scale:
    few concepts build on it) or when none of the genre's concepts builds on it."""
    graph = services().graph
    depth, frontier, level = {general.id: 0}, [general.id], 0
    while frontier:  # what builds on it, transitively, by the number of steps
        level += 1
        above = (n.id for c in frontier for _, n in graph.neighbours(c, "REQUIRES", "in"))
        frontier = [i for i in dict.fromkeys(above) if i not in depth]
        depth.update((i, level) for i in frontier)
    if len(depth) <= broad:
        return None
    builds_on = [c for c in genre_concepts(genre.id, k=5) if depth.get(c.id, 0) > 0]
    return min(builds_on, key=lambda c: depth[c.id]) if builds_on else None


def _unmarked_in_genre(tracker: Tracker, text: str) -> Node | None:
    """The genre's own concept for a broad concept word the tagger left unmarked beside a genre it
    did mark ("what chords are in a blues": the twelve-bar blues); None when no word of the message
    is exactly a concept's name or alias, or the concept is not broad (then the genre is the topic)."""
    genres = mentioned(tracker, "genre")
    if not genres or text.startswith("/"):
        return None
    skip = {w for words in said(tracker, "genre") for w in words.lower().split()}
    general = concept_word(text, skip)
    return _in_genre(general, genres[0]) if general is not None else None


def concept_word(text: str, skip: set[str] | frozenset[str] = frozenset()) -> Node | None:
    """The concept that a word of the message (four letters or more, not in `skip`) names exactly,
    by its name or an alias: what the tagger left unmarked ("which mode sounds the darkest")."""
    for word in re.findall(r"[a-z][a-z'-]{3,}", text.lower()):
        found = None if word in skip else link(word, "concept", threshold=EXACT)
        if found is not None:
            return found
    return None


def _beside_topic(tracker: Tracker) -> Node | None:
    """A concept next to the current one that the message names by a word the NLU took for an
    instrument, genre or era: "and piano?" after forte is the dynamic, not the instrument."""
    current = node(tracker.get_slot("concept"))
    if current is None:
        return None
    graph = services().graph
    near = {n.id: n for _, n in graph.neighbours(current.id)}
    for _, parent in graph.neighbours(current.id, "REQUIRES", "out"):  # its siblings too
        near.update({n.id: n for _, n in graph.neighbours(parent.id, "REQUIRES", "in")})
    near.pop(current.id, None)
    for wanted in _said_as_things(tracker):
        for item in near.values():
            if item.label == CONCEPT and wanted in _plain_names(item):
                return item
    return None


def _said_as_things(tracker: Tracker) -> list[str]:
    """The message's words that the NLU took for an instrument, genre or era, lower-cased."""
    return [w.strip().lower() for kind in ("instrument", "genre", "era") for w in said(tracker, kind)]


def _plain_names(item: Node) -> set[str]:
    """A concept's name, the name without its parenthesis ("piano (p)": "piano") and aliases."""
    plain = [item.name, re.sub(r"\s*\([^)]*\)", "", item.name), *(item.props.get("aliases") or [])]
    return {str(n).strip().lower() for n in plain}


def _not_a_concept(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events | None:
    """"What is the Baroque era?", "tell me about jazz", "who is Clara Schumann?" asked as an
    explanation: an era, genre or instrument is described with its people and works, a person or
    work answered as a fact; None when the message names none of them."""
    text = str(tracker.latest_message.get("text") or "")
    for kind in ("era", "genre", "instrument"):
        found = mentioned(tracker, kind)
        if found:
            interests = SlotSet("interests", remember(tracker, "interests", found[0].id))
            if kind == "instrument" and _HOW_TO_LEARN.search(text):
                # "how do I learn the piano" asks for a way in, not for what a piano is
                return [*_technique_path(dispatcher, tracker, found[0]), interests]
            dispatcher.utter_message(text=describe(found[0]))
            return [interests]
    if mentioned(tracker, "person") or mentioned(tracker, "work"):
        from actions.facts import ActionMusicFact  # facts asks this module for theory answers

        return ActionMusicFact().run(dispatcher, tracker, domain)
    return None


class ActionExplainConcept(Action):
    def name(self) -> str:
        return "action_explain_concept"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        result = _theory(tracker)
        if result is None and mentioned(tracker, "work") and \
                {n.id for n in mentioned(tracker, "concept")} & WORK_ATTRIBUTES:
            from actions.facts import ActionMusicFact  # facts.py imports this module

            return ActionMusicFact().run(dispatcher, tracker, domain)  # "the time signature of Take Five"
        if result is not None:
            general = _concept_for_theory(result)
            title = capitalized(result.title)
            message: dict[str, Any] = {"text": f"{title}: " + " ".join(result.facts)}
            sound = audio.attachment(result.example, result.title)
            if sound:
                message["attachment"] = sound
            buttons = []
            if general is not None:
                buttons.append(
                    {
                        "title": what_is(general.name),
                        "payload": f'/explain_concept{{"concept": "{general.id}"}}',
                    }
                )
            if buttons:
                message["buttons"] = buttons
            dispatcher.utter_message(**message)
            events = _context(general, tracker, result.title)
            return [
                *events,
                SlotSet(
                    "offer", {"action": "action_explain_concept", "concept": general.id} if general else None
                ),
            ]
        text = str(tracker.latest_message.get("text") or "")
        named = mentioned(tracker, "concept")
        beside = None if named else _beside_topic(tracker)
        topic = None if text.startswith("/") else topic_in(text)
        if topic is not None and any(w in _plain_names(topic) for w in _said_as_things(tracker)):
            topic = None  # "tell me about the piano": the instrument heard, not the dynamic of that name
        unmarked = not named and beside is None and topic is None
        within = _unmarked_in_genre(tracker, text) if unmarked else None
        if unmarked and within is None:
            # "how do I tune a violin" names the technique (an alias), not just the instrument
            other = _not_a_concept(dispatcher, tracker, domain)
            if other is not None:
                return other
        found = [beside] if beside is not None else [within] if within is not None else concepts(tracker)
        if not found and not text.startswith("/") and named_in(text) is not None:
            from actions.facts import ActionMusicFact  # "what is Kind of Blue", tagged in pieces

            return ActionMusicFact().run(dispatcher, tracker, domain)
        if not found and not text.startswith("/") and not said(tracker, "concept"):
            # nothing tagged (a tagged unknown is admitted, not swapped for a word beside it)
            found = [w for w in [concept_word(text)] if w is not None]
        if not found:
            return _not_found(dispatcher, tracker, "explain")
        if within is None and len(found) == 1 and (genres := mentioned(tracker, "genre")):
            found = [_in_genre(found[0], genres[0]) or found[0]]  # "what chords are in a blues"
        item = most_specific(found)
        lines = [f"**{capitalized(item.name)}**: {item.props.get('description', '').strip()}"]
        prereqs = _direct(item, "REQUIRES", "out")
        if prereqs:
            lines.append(f"It builds on {names(prereqs)}.")
        related = _direct(item, "RELATED_TO", "both")
        if related:
            lines.append(f"Related: {names(related, 4)}.")
        famous = _famous_example(item)
        if famous:
            lines.append(famous)
        example = audio.example_of(item)
        message = {"text": "\n".join(lines)}
        sound = audio.attachment(example, item.name)
        if sound:
            message["attachment"] = sound
            lines.append(f"Listen: {audio.describe(example)}.")  # type: ignore[arg-type]
            message["text"] = "\n".join(lines)
        message["buttons"] = [
            {"title": QUIZ_BUTTON, "payload": f'/start_quiz{{"concept": "{item.id}"}}'},
            {
                "title": "What should I know first?",
                "payload": f'/ask_prerequisites{{"concept": "{item.id}"}}',
            },
        ]
        dispatcher.utter_message(**message)
        return [*_context(item, tracker), SlotSet("offer", {"action": "quiz_form", "concept": item.id})]


def most_specific(found: list[Node]) -> Node:
    """Of the concepts a question names, the first that none of the others builds on: "what
    intervals make up a minor triad" asks about the triad, through the intervals it is built from.
    An attribute such as a time signature or key is asked of the other concept: "what time
    signature is a minuet in" is about the minuet."""
    if len(found) < 2:
        return found[0]
    graph = services().graph
    basics = {p.id for n in found for p in graph.prerequisites(n.id)}
    candidates = [n for n in found if n.id not in basics] or found
    return next((n for n in candidates if n.id not in WORK_ATTRIBUTES), candidates[0])


def answer_concrete(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                    kinds: frozenset[str] | None = None) -> Events | None:
    """The explanation of a concrete theory question ("how many sharps does D major have")
    whatever intent it was taken for, when its answer is of one of `kinds` (any, by default);
    None for any other message, a button's included."""
    text = str(tracker.latest_message.get("text") or "")
    found = None if text.startswith("/") else theory_answer(text)
    if found is None or (kinds is not None and found.kind not in kinds):
        return None
    return ActionExplainConcept().run(dispatcher, tracker, domain)


class ActionAnswerConcrete(Action):
    """What the unsure NLU's fallback tries first: a concrete theory question is answered from
    music21; anything else gets no reply here, and the fallback asks to rephrase."""

    def name(self) -> str:
        return "action_answer_concrete"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        return answer_concrete(dispatcher, tracker, domain) or []


# Words that compare one thing with another ("how does it differ from a tritone", "X or Y").
COMPARING = re.compile(
    r"\b(vs\.?|versus|compar\w*|differ\w*|same|between|like|unlike|or|and|than|similar\w*|"
    r"contrast\w*|relat\w*|connect\w*)\b", re.I)


def _one_thing_two_names(tracker: Tracker) -> tuple[Node, list[str]] | None:
    """The one concept a message names in two different ways ("gigue" and "jig", "P5" and
    "perfect fifth"), with the words as written; None for anything else."""
    found = mentioned(tracker, "concept")
    if len(found) != 1:
        return None
    item = found[0]
    written: list[str] = []
    for words, entity in zip(said(tracker, "concept"), entities(tracker, "concept"), strict=True):
        named = link(words, "concept") or link(str(entity.get("value") or ""), "concept")
        if named is None or named.id != item.id:
            return None  # a word the graph does not place on this concept
        if words.lower() not in (w.lower() for w in written):
            written.append(words)
    return (item, written) if len(written) >= 2 else None


_THINGS = ("era", "genre", "instrument", "person", "work")
_HARDER = re.compile(r"\b(harder|easier|more difficult|less difficult|difficulty)\b", re.I)


def _named_things(tracker: Tracker) -> list[Node]:
    """The eras, genres, instruments, people and works a message names, in the order said."""
    said = sorted((e for e in tracker.latest_message.get("entities") or [] if e.get("entity") in _THINGS),
                  key=lambda e: e.get("start") or 0)
    found: list[Node] = []
    for kind in dict.fromkeys(e["entity"] for e in said):
        found += [n for n in mentioned(tracker, kind) if n not in found]
    order = {e.get("id"): i for i, e in enumerate(said)}
    found.sort(key=lambda n: order.get(n.id, len(order)))
    if any(n.label == ERA for n in found):  # "baroque vs classical": beside an era, the Classical period
        found = [(_era_named(n) or n) if n.label == GENRE else n for n in found]
    return found


def _era_named(genre: Node) -> Node | None:
    """The era that shares a genre's name ("Classical" and the Classical period), if one does."""
    wanted = genre.name.lower()
    for era in services().graph.store.nodes(ERA):
        for name in [era.name, *(era.props.get("aliases") or [])]:
            if re.sub(r"\s+(?:period|era)$", "", str(name).lower()) == wanted:
                return era
    return None


def _compare_things(dispatcher: CollectingDispatcher, tracker: Tracker, a: Node, b: Node) -> Events:
    """Two eras, genres, instruments, people or works side by side: what each is, how the graph
    connects them and, for instruments, what each one's technique lessons ask of a learner."""
    graph = services().graph
    lines = [_headline(a), _headline(b)]
    paths = graph.explain(a.id, b.id, k=2, max_len=3)
    if paths:
        lines.append("How they connect: " + " ".join(p.sentence for p in paths))
    buttons = []
    if a.label == b.label == INSTRUMENT:
        text = str(tracker.latest_message.get("text") or "")
        if _HARDER.search(text):
            lines.append("Which is harder depends on the learner and the music; here is what each asks "
                         "for in my lessons:")
        lines += [_technique_summary(n) for n in (a, b)]
        buttons = [{"title": f"Learn the {n.name}", "payload": f'/learning_path{{"instrument": "{n.id}"}}'}
                   for n in (a, b)]
    dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
    asked = [n.id for n in (a, b) if n.label in (ERA, GENRE, INSTRUMENT, PERSON)]
    return [SlotSet("interests", remember(tracker, "interests", *asked))] if asked else []


def _headline(item: Node) -> str:
    """"**Baroque** (1600–1750): its first sentence" for a comparison."""
    description = first_sentences(str(item.props.get("description") or ""))
    return f"{heading(item)}: {description}" if description else heading(item)


def _technique_summary(instrument: Node) -> str:
    lessons = [n for _, n in services().graph.neighbours(instrument.id, "TECHNIQUE_FOR", "in")]
    if not lessons:
        return f"The {instrument.name}: no technique lessons in my curriculum yet."
    grades = sorted(float(n.props.get("grade") or 0) for n in lessons)
    first = sorted(lessons, key=lambda n: (float(n.props.get("grade") or 0), n.name))[:2]
    return (f"The {instrument.name}: {plural(len(lessons), 'technique lesson')} from grade {int(grades[0])} "
            f"to {int(grades[-1])}, starting with {names(first)}.")


class ActionCompareConcepts(Action):
    def name(self) -> str:
        return "action_compare_concepts"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        computed = answer_concrete(dispatcher, tracker, domain, COMPUTED_COMPARISONS)
        if computed is not None:  # "is E sharp the same as F"
            return computed
        text = tracker.latest_message.get("text") or ""
        same = _one_thing_two_names(tracker)
        if same is not None:  # "is a gigue the same as a jig"
            item, written = same
            answer = "Yes: " if re.search(r"\b(same|equal|identical|another name)\b", text, re.I) else ""
            dispatcher.utter_message(text=(
                f"{answer}{' and '.join(f'“{w}”' for w in written)} are two names for one thing, the "
                f"{item.name}. {first_sentences(str(item.props.get('description', '')))}"))
            return [SlotSet("concept", item.id),
                    SlotSet("concepts_seen", remember(tracker, "concepts_seen", item.id))]
        found = concepts(tracker, allow_context=False)
        shared = compared_pair(text, shared_head_only=True)
        loose = any(link(words, "concept", threshold=EXACT) is None for words in said(tracker, "concept"))
        if shared and loose:
            # "harmonic and melodic minor": "harmonic" alone is no concept (it was linked to
            # enharmonic equivalents), the harmonic minor is
            found = shared
        if len(found) < 2:
            pair = compared_pair(text)
            if pair:
                found = pair
        if len(found) == 1 and not COMPARING.search(text):
            # "is a tritone dissonant": one concept and nothing compared, a question about it
            return ActionExplainConcept().run(dispatcher, tracker, domain)
        if len(found) < 2 and not entities(tracker, "concept"):
            things = _named_things(tracker)
            if len(things) >= 2:  # "baroque vs classical music", "is violin harder than piano"
                return _compare_things(dispatcher, tracker, things[0], things[1])
        unknown = [] if len(found) >= 2 else [
            w for w in said(tracker, "concept") if w.strip().lower() not in PRONOUNS
            and link(w, "concept") is None and not any(w.lower() in n.name.lower() for n in found)]
        # what the NLU tagged but could not link ("sonata" read as a work of no id) is no knowledge
        linked = [e for e in tracker.latest_message.get("entities") or [] if e.get("id")]
        sides = compared_sides(text) if not found and not linked else None
        if not unknown and sides is not None and all(_unheard_of(side) for side in sides):
            unknown = list(sides)  # nothing linked, and the graph knows neither side by any name
        if unknown:  # "a sonata and a symphony": not the last two concepts instead
            named = " or ".join(f'"{w.strip()}"' for w in unknown[:2])
            dispatcher.utter_message(text=f"I can't compare those: I don't have {named} in my music "
                                          "knowledge graph yet. Could you name them another way?")
            return []
        if len(found) < 2:
            seen = [node(i) for i in reversed(tracker.get_slot("concepts_seen") or [])]
            for other in seen:
                if other is not None and other not in found:
                    found.append(other)
                if len(found) == 2:
                    break
        if len(found) < 2:
            dispatcher.utter_message(
                text='Which two concepts should I compare? For example "major vs minor scale".'
            )
            return []
        a, b = found[:2]
        graph = services().graph
        lines = [
            f"**{a.name}** (grade {a.props.get('grade', '?')}): "
            f"{first_sentences(str(a.props.get('description', '')))}",
            f"**{b.name}** (grade {b.props.get('grade', '?')}): "
            f"{first_sentences(str(b.props.get('description', '')))}",
        ]
        paths = graph.explain(a.id, b.id, k=2, max_len=3)
        said_paths = " ".join(p.sentence for p in paths)  # each ends with "."
        if paths:
            lines.append("How they connect: " + said_paths)
        shared = {n.id for n in _direct(a, "REQUIRES", "out")} & {n.id for n in _direct(b, "REQUIRES", "out")}
        both = f"both build on {names([n for n in map(node, sorted(shared)) if n])}"
        if shared and both not in said_paths.lower():  # a path may have said it already
            lines.append(f"{both[:1].upper()}{both[1:]}.")
        # "quiz me on that" would take the first; a button per concept lets the learner pick
        buttons = [{"title": f"Quiz me on {n.name}", "payload": f'/start_quiz{{"concept": "{n.id}"}}'}
                   for n in (a, b)]
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
        return [SlotSet("concept", a.id), SlotSet("concepts_seen", remember(tracker, "concepts_seen", b.id))]


def _music_asked_for(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events | None:
    """"Play me something by Miles Davis", "give me an example of baroque music": an example asked
    of music, not of a concept, gets music: works by the person, of the genre or era, for the
    instrument; a work named alone is answered as a fact. None when the message names none."""
    from actions.facts import ActionMusicFact, ActionRecommendMusic  # facts.py imports this module

    if any(mentioned(tracker, kind) for kind in ("person", "genre", "era", "instrument")):
        return ActionRecommendMusic().run(dispatcher, tracker, domain)
    if mentioned(tracker, "work"):
        return ActionMusicFact().run(dispatcher, tracker, domain)
    return None


class ActionGiveExample(Action):
    def name(self) -> str:
        return "action_give_example"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        result = _theory(tracker)
        if result is not None and result.example:
            sound = audio.attachment(result.example, result.title)
            title = f"the {result.title}" if result.kind in ("scale", "chord") else result.title
            text = f"Here is {title}: {' '.join(result.notes)}." if result.notes else f"Here is {title}."
            dispatcher.utter_message(text=text, attachment=sound) if sound else dispatcher.utter_message(
                text=text
            )
            return _context(_concept_for_theory(result), tracker, result.title)
        found = concepts(tracker)
        if not found and not entities(tracker, "concept"):
            music = _music_asked_for(dispatcher, tracker, domain)
            if music is not None:
                return music
        if not found:
            return _not_found(dispatcher, tracker, "play an example of")
        item = found[0]
        example = audio.example_of(item)
        sound = audio.attachment(example, item.name)
        famous = _famous_example(item)
        if sound:
            text = f"Here is an example of {item.name}: {audio.describe(example)}."  # type: ignore[arg-type]
            if famous:
                text += f" {famous}"
            dispatcher.utter_message(text=text, attachment=sound)
        elif famous:
            dispatcher.utter_message(text=f"I have no sound example of {item.name}, but: {famous}")
        else:
            # "how do I play a barre chord?": what it is and how it is done, said instead of played
            description = str(item.props.get("description") or "").strip()
            dispatcher.utter_message(
                text=f"**{capitalized(item.name)}**: {description}\nI have no sound example of it yet."
                if description else f"I don't have an example of {item.name} yet."
            )
        return _context(item, tracker)


class ActionPrerequisites(Action):
    def name(self) -> str:
        return "action_prerequisites"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        found = concepts(tracker)
        if not found:
            return _not_found(dispatcher, tracker, "list the prerequisites of")
        item = found[0]
        graph = services().graph
        direct = _direct(item, "REQUIRES", "out")
        if not direct:
            dispatcher.utter_message(
                text=f"{capitalized(item.name)} is a starting point: it has no prerequisites."
            )
            return _context(item, tracker)
        known, doubtful = path_knowledge(tracker)
        todo = graph.learning_path(item.id, known, include_target=False, doubtful=doubtful)
        text = f"Right before {item.name} {'come' if len(direct) > 1 else 'comes'} {names(direct)}."
        if todo:
            text += (
                f" Counting what those build on, you still have {plural(len(todo), 'concept')} to"
                f" learn, starting with {names(todo, 3)}."
            )
            text += " Shall I plan the path?"
            offer = {"action": "action_learning_path", "concept": item.id}
        else:
            text += " You already know all of them, so you're ready for it. Shall I explain it?"
            offer = {"action": "action_explain_concept", "concept": item.id}
        dispatcher.utter_message(text=text)
        return [*_context(item, tracker), SlotSet("offer", offer)]


class ActionLearningPath(Action):
    def name(self) -> str:
        return "action_learning_path"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        from actions.learning import goal_of  # learning.py imports this module

        found = concepts(tracker)
        intro = ""
        genres = mentioned(tracker, "genre")
        works = mentioned(tracker, "work") if not found and not genres else []
        if not found and not genres and not works:
            for instrument in mentioned(tracker, "instrument"):  # "how do I learn the piano"
                return _technique_path(dispatcher, tracker, instrument)
            goals = tracker.get_slot("goals")  # "make me a plan": towards the learner's own goal
            goal, genre = goal_of(goals)
            if goal is not None:
                found, intro = [goal], f'For your goal "{goals}": '
            elif genre is not None:
                genres, intro = [genre], f'For your goal "{goals}": '
        if not found:  # "a plan to learn jazz": toward what the genre's famous works exemplify
            for genre in genres:
                found = genre_concepts(genre.id)
                if found:
                    intro += (f"{genre.name} pieces in my catalogue are most often famous examples of "
                             f"{names(found)}, so a path into {genre.name.lower()} starts with "
                             f"{found[0].name}. ")
                    break
        for work in works:  # "path to playing Giant Steps": toward what the piece is famous for
            return _work_path(dispatcher, tracker, work)
        if not found:
            return _not_found(dispatcher, tracker, "plan a path to")
        goal = found[0]
        known, doubtful = path_knowledge(tracker)
        path = services().graph.learning_path(goal.id, known, doubtful=doubtful)
        if not path:
            dispatcher.utter_message(text=f"You already know {goal.name} and everything it builds on.")
            return _context(goal, tracker)
        steps = numbered(path)
        left_out = len(services().graph.learning_path(goal.id, [], doubtful=doubtful)) - len(path)
        level = int(float(tracker.get_slot("level") or 1))
        below = f" or that lie below your grade ({level})" if level >= 2 else ""
        skipped = f" I skipped {plural(left_out, 'concept')} you already know{below}." if left_out else ""
        first = path[0]
        dispatcher.utter_message(
            text=f"{intro}Your path to {goal.name} has {plural(len(path), 'step')}:{skipped}\n{steps}\n"
            f"Shall we start with {first.name}?",
            buttons=[
                {"title": f"Explain {first.name}", "payload": f'/explain_concept{{"concept": "{first.id}"}}'}
            ],
        )
        return [
            SlotSet("concept", goal.id),
            SlotSet("offer", {"action": "action_explain_concept", "concept": first.id}),
        ]


def numbered(steps: list[Node], shown: int = 12) -> str:
    """A path as a numbered list with grades, the first `shown` steps and a count of the rest."""
    lines = "\n".join(f"{i}. {n.name} (grade {n.props.get('grade', '?')})"
                      for i, n in enumerate(steps[:shown], 1))
    return lines + (f"\n… and {len(steps) - shown} more steps." if len(steps) > shown else "")


def _paths_to(tracker: Tracker, targets: list[Node]) -> list[Node]:
    """One path through several targets: each with its unmet prerequisites first, none twice."""
    graph = services().graph
    known, doubtful = path_knowledge(tracker)
    steps: list[Node] = []
    for target in targets:
        for step in graph.learning_path(target.id, [*known, *(s.id for s in steps)], doubtful=doubtful):
            if step not in steps:
                steps.append(step)
    return steps


def _work_path(dispatcher: CollectingDispatcher, tracker: Tracker, work: Node) -> Events:
    """The path to what a piece is a famous example of (Take Five: odd meter and ostinato), the
    concepts in grade order, each after what it builds on."""
    shown = sorted((c for _, c in services().graph.neighbours(work.id, "EXAMPLE_OF", "out")),
                   key=lambda c: (float(c.props.get("grade") or 0), c.name))
    if not shown:
        dispatcher.utter_message(text=(
            f"I don't know which concepts {work.name} is an example of, so I can't plan a path to it. "
            "Name a concept it uses and I'll plan the path to that."))
        return []
    steps = _paths_to(tracker, shown)
    about = f"{work.name} is a famous example of {names(shown)}"
    if not steps:
        dispatcher.utter_message(text=f"{about}, and you already know {'it' if len(shown) == 1 else 'them'} "
                                 "and everything they build on.")
        return [SlotSet("work", work.id)]
    first = _say_path(dispatcher, f"{about}. Your path to {'it' if len(shown) == 1 else 'them'} has "
                      f"{plural(len(steps), 'step')}", steps)
    return [
        SlotSet("work", work.id),
        SlotSet("concept", shown[-1].id),
        SlotSet("offer", {"action": "action_explain_concept", "concept": first.id}),
    ]


def _say_path(dispatcher: CollectingDispatcher, lead: str, steps: list[Node]) -> Node:
    """Say a path: `lead`, the numbered steps and an offer to explain the first; returns it."""
    first = steps[0]
    dispatcher.utter_message(
        text=f"{lead}:\n{numbered(steps)}\nShall we start with {first.name}?",
        buttons=[{"title": f"Explain {first.name}",
                  "payload": f'/explain_concept{{"concept": "{first.id}"}}'}],
    )
    return first


def _technique_path(dispatcher: CollectingDispatcher, tracker: Tracker, instrument: Node) -> Events:
    """The instrument's technique lessons the learner has not mastered, each after what it builds
    on: the curriculum's path on that instrument."""
    lessons = sorted((n for _, n in services().graph.neighbours(instrument.id, "TECHNIQUE_FOR", "in")),
                     key=lambda n: (float(n.props.get("grade") or 0), n.name))
    steps = _paths_to(tracker, lessons)
    if not steps:
        text = (f"I have no technique lessons for the {instrument.name} you don't already know."
                if lessons else f"I have no technique lessons for the {instrument.name} yet; "
                "theory lessons work for any instrument.")
        dispatcher.utter_message(text=text)
        return []
    first = _say_path(dispatcher, f"Your path in {instrument.name} technique has "
                      f"{plural(len(steps), 'step')}, each after what it builds on", steps)
    return [SlotSet("concept", first.id),
            SlotSet("offer", {"action": "action_explain_concept", "concept": first.id})]


def genre_concepts(genre_id: str, k: int = 3) -> list[Node]:
    """The concepts a genre's works are most often famous examples of (jazz: twelve-bar blues,
    the ii-V-I, ...), most first: what the graph says learning that genre is about."""
    graph = services().graph
    counts: dict[str, int] = {}
    for _, work in graph.neighbours(genre_id, "IN_GENRE", "in"):
        for _, concept in graph.neighbours(work.id, "EXAMPLE_OF", "out"):
            counts[concept.id] = counts.get(concept.id, 0) + 1
    ranked = sorted(counts, key=lambda i: (-counts[i], i))[:k]
    return [n for n in map(node, ranked) if n is not None]


_PAIR = re.compile(
    r"(?:between|compare|comparing|differ(?:ence)?s?(?: between)?|vs\.?)?\s*(?:the |a |an )?"
    r"(?P<left>[\w#♯♭ -]+?)\s+(?:and|vs\.?|versus|with|to|from|or)\s+"
    r"(?:the |a |an )?(?P<right>[\w#♯♭ -]+?)\s*[?.!]*$",
    re.I,
)


def compared_sides(text: str) -> tuple[str, str] | None:
    """The two things a comparison names, as written ("between a sonata and a symphony": sonata,
    symphony), without articles; None when the message is not shaped "X and / vs / or Y"."""
    match = _PAIR.search(text.split(":")[-1])
    if not match:
        return None
    left, right = match["left"].strip(), match["right"].strip()
    left = re.sub(r"^.*\b(?:between|compare|is|are|'s)\s+", "", left, flags=re.I)
    left = re.sub(r"^(?:the|a|an)\s+|\s+(?:different|differs?)$", "", left.strip(), flags=re.I).strip()
    return (left, right) if left and right else None


def compared_pair(text: str, shared_head_only: bool = False) -> list[Node]:
    """Two concepts named as "X and Y" / "X vs Y"; a shared head noun is distributed:
    "major and minor scales" compares the major scale with the minor scale (with
    `shared_head_only`, only such a pair is returned)."""
    sides = compared_sides(text)
    if sides is None:
        return []
    left, right = sides
    tail = right.split()[-1] if right.split() else ""
    candidates = [(left, right)]
    if len(left.split()) == 1 and len(right.split()) > 1:
        candidates.append((f"{left} {tail}", right))
    if shared_head_only:
        candidates = candidates[1:]
    found: list[Node] = []
    for a, b in reversed(candidates):
        first, second = link(a, "concept"), link(b, "concept")
        if first is not None and second is not None and first.id != second.id:
            found = [first, second]
            break
    if not found and not shared_head_only and len(left.split()) == len(right.split()) == 1:
        found = _qualities(left, right)
    return found


def _unheard_of(words: str) -> bool:
    """Whether the graph has nothing of any kind under these words (at most three of them, none a
    pronoun): a concept, person, work, instrument, genre or era would have been compared."""
    return 0 < len(words.split()) <= 3 and words.lower() not in PRONOUNS and link(words, "") is None


def _qualities(left: str, right: str) -> list[Node]:
    """Two bare qualities ("major and minor", "augmented vs diminished"): the scales when both
    name one, else the triads. A concept counts only when its name keeps the learner's word, so
    "diminished" never becomes the octatonic scale that some call the diminished scale."""
    for head in ("scale", "triad"):
        pair = [link(f"{word} {head}", "concept") for word in (left, right)]
        kept = [n for n, word in zip(pair, (left, right), strict=True)
                if n is not None and word.lower() in n.name.lower()]
        if len(kept) == 2 and kept[0].id != kept[1].id:
            return kept
    return []


def quiz_topic(item: Node) -> str:
    return bare_id(item.id)
