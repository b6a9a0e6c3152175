"""What the learner is talking about: entities of the latest message resolved against the graph,
with the conversation's current concept, person or work filling in for "it", "him" and
"the minor one".
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz
from rasa_sdk import Tracker

from actions.services import services
from kg.schema import CONCEPT, GENRE, PERSON, WORK, Node

LINK_THRESHOLD = 0.8
EXACT = 0.95  # exact names and aliases (fuzzy matches score at most 0.9)
SEMANTIC_BELOW = 0.7  # looser matches need meaning, not spelling (the NLU already links semantically)
ENTITY_LABELS = {
    "concept": CONCEPT,
    "person": PERSON,
    "work": WORK,
    "genre": GENRE,
    "era": "Era",
    "instrument": "Instrument",
}
# Words that pick a variant of the current concept: "what about the minor one?"
QUALITIES = (
    "half-diminished",
    "half diminished",
    "major",
    "minor",
    "dominant",
    "diminished",
    "augmented",
    "perfect",
    "harmonic",
    "melodic",
    "natural",
    "suspended",
    "sus2",
    "sus4",
    "simple",
    "compound",
    "ascending",
    "descending",
    "parallel",
    "relative",
    "plagal",
    "authentic",
    "deceptive",
    "half",
)
# "when was he born?" after a question about a work is about its composer, not the work
PERSON_WORDS = re.compile(
    r"\b(he|him|his|she|her|they|them|their|composer|born|died|die|taught|teachers?|students?)\b", re.I
)
_PERSONAL = re.compile(r"\b(he|him|his|she|her|hers|they|them|their)\b", re.I)
QUALITY = re.compile(r"\b(" + "|".join(re.escape(q) for q in QUALITIES) + r")\b", re.IGNORECASE)


# words that point back at the conversation's topic when the tagger marks them as a concept
PRONOUNS = frozenset({"it", "that", "this", "them", "those", "these", "one", "the one", "that one",
                      "this one"})


# Words of follow-ups that ask about the current topic without naming one ("what should I know
# first?", "explain it more simply", "and its prerequisites?", "quiz me"): a message made of these
# and at most one other word is about the conversation's concept.
FOLLOW_UP_WORDS = frozenset({
    "a", "an", "the", "and", "or", "but", "so", "then", "now", "ok", "okay", "well", "please", "pls",
    "can", "could", "would", "will", "should", "shall", "do", "does", "did", "is", "are", "was",
    "were", "be", "it", "its", "it's", "that", "that's", "this", "these", "those", "them", "they",
    "one", "ones", "what", "what's", "whats", "how", "why", "when", "where", "which", "who", "i",
    "i'm", "me", "my", "you", "your", "we", "us", "let", "let's", "tell", "explain", "show", "give",
    "play", "hear", "quiz", "test", "ask", "know", "learn", "understand", "get", "mean", "means",
    "meaning", "again", "more", "less", "simpler", "simply", "easier", "harder", "deeper", "detail",
    "details", "example", "examples", "another", "other", "first", "next", "before", "after",
    "prerequisites", "prerequisite", "need", "needs", "about", "on", "of", "for", "to", "in", "with",
    "by", "from", "at", "as", "up", "like", "just", "also", "still", "really", "go", "going", "say",
    "said", "some", "any", "much", "many", "very", "too", "bit", "little", "yes", "no", "not", "don't",
    "dont", "something", "thing",
})
_WORD = re.compile(r"[a-z']+")


def refers_back(text: str) -> bool:
    """Whether a message that names no concept is a follow-up on the current one: it points back
    ("is it used in jazz?") or says nothing but the follow-up words. "how do I read sheet music"
    names another topic the tagger did not catch, and is not about the previous one."""
    words = _WORD.findall(text.lower())
    if any(w in PRONOUNS or w in ("its", "it's") for w in words):
        return True
    rest = _ASKING_ABOUT.sub("", text.strip())
    if rest != text.strip():  # "what is X", "explain X": about X unless X is only follow-up words
        return all(w in FOLLOW_UP_WORDS for w in _WORD.findall(rest.lower()))
    return sum(1 for w in words if w not in FOLLOW_UP_WORDS) <= 1


def entities(tracker: Tracker, kind: str) -> list[dict[str, Any]]:
    return [e for e in tracker.latest_message.get("entities") or [] if e.get("entity") == kind]


def node(entity_id: str | None) -> Node | None:
    return services().graph.entity(entity_id) if entity_id else None


def link(mention: str, kind: str, threshold: float = LINK_THRESHOLD) -> Node | None:
    """The best graph entity of the right label for a mention, when the match is good enough."""
    return node(_linked_id(services().graph, mention, kind, threshold))


@lru_cache(maxsize=8192)
def _linked_id(graph: Any, mention: str, kind: str, threshold: float) -> str | None:
    """Cached per graph: fuzzy matching against thousands of names is the costly part of a turn."""
    label = ENTITY_LABELS.get(kind)
    matches = graph.link(mention, k=1, labels=[label] if label else None, semantic=threshold < SEMANTIC_BELOW)
    return matches[0].id if matches and matches[0].score >= threshold else None


# "how many semitones ...": what follows names the unit the answer counts in, not the topic
_COUNTED = re.compile(r"\bhow\s+(?:many|much)\s+$", re.IGNORECASE)


def mentioned(tracker: Tracker, kind: str) -> list[Node]:
    """The latest message's entities of one type, as graph nodes (by the NLU's id, else linked).

    The topic comes first: a unit the question counts in ("how many semitones is a tritone") goes
    after the thing it asks about, whatever their order in the message."""
    found: list[Node] = []
    units: list[Node] = []
    text = tracker.latest_message.get("text") or ""
    for entity in entities(tracker, kind):
        words = _span(text, entity)
        # the learner's own words, when they name something exactly, beat the NLU's looser guess
        item = link(words, kind, threshold=EXACT) if words else None
        if item is None and entity.get("id"):
            item = node(entity["id"])
        if item is None and entity.get("id") and ":" not in str(entity["id"]):
            item = node(f"{kind}:{entity['id']}")
        if item is None and entity.get("value"):
            item = link(str(entity["value"]), kind)
        if item is None and kind == "concept":
            item = technique_named(str(words or entity.get("value") or ""), tracker)
        if item is None and words:
            item = _part_named(words, kind)
        if item is not None and item.label == ENTITY_LABELS.get(kind, item.label) \
                and item not in found and item not in units:
            start = entity.get("start")
            counted = isinstance(start, int) and _COUNTED.search(text[:start]) is not None
            (units if counted else found).append(item)
    return found + [u for u in units if u not in found]


def _part_named(words: str, kind: str) -> Node | None:
    """The leading words of a mention that name an entity exactly when the words after them only
    say what about it is asked ("treble clef lines": the treble clef), and the whole mention names
    none. Other words would make it something else: "counterpoint grooves" are no counterpoint,
    "quantum harmony" no harmony the graph knows."""
    tokens = words.split()
    for size in range(len(tokens) - 1, 0, -1):
        part = " ".join(tokens[:size])
        if part.lower() in FOLLOW_UP_WORDS or any(w.lower() not in ASPECT_WORDS for w in tokens[size:]):
            continue
        found = link(part, kind, threshold=EXACT)
        if found is not None:
            return found
    return None


# Words that name an aspect of a concept rather than another thing ("the treble clef lines").
ASPECT_WORDS = frozenset({
    "line", "lines", "space", "spaces", "note", "notes", "name", "names", "symbol", "symbols", "sign",
    "signs", "shape", "shapes", "pattern", "patterns", "sound", "sounds", "rule", "rules", "step",
    "steps", "degree", "degrees", "position", "positions", "fingering", "fingerings", "chart",
    "diagram", "meaning", "definition", "formula", "structure", "spelling",
    # what a yes-or-no question asks of it ("is a minor third consonant")
    "consonant", "dissonant", "consonance", "dissonance", "stable", "unstable",
})


_ASKING = re.compile(
    r"^\s*(what|what's|whats|who|who's|whose|how|why|when|where|which|can|could|would|will|do|does|"
    r"did|is|are|should|recommend|suggest|play|show|give|tell|explain|quiz|test|help)\b",
    re.IGNORECASE,
)


def asks_something(text: str) -> bool:
    """Whether a message is phrased as a question or a request ("recommend me some music", "what is
    a fifth?") rather than a statement ("i'd like to play folk tunes")."""
    return text.rstrip().endswith("?") or _ASKING.match(text) is not None


def answered_this_turn(tracker: Tracker, own: set[str]) -> bool:
    """Whether an action other than a form's `own` ones ran since the learner's message: the form
    is resuming after a digression, not reading a new answer."""
    for item in reversed(tracker.events):
        if item.get("event") == "user":
            return False
        if item.get("event") == "action" and item.get("name") not in own | {"action_listen"}:
            return True
    return False


def technique_named(word: str, tracker: Tracker) -> Node | None:
    """A technique of the instrument the message names, picked by a word of it ("how do I hold
    the bow" + violin → bow hold; "sticks" + drums → drumstick grip): the word alone names no
    concept, but among one instrument's techniques it is enough."""
    word = word.strip().lower()
    if len(word) < 3:
        return None
    graph = services().graph
    said = {w for w in re.findall(r"[a-z]+", str(tracker.latest_message.get("text") or "").lower())
            if len(w) >= 3}
    for instrument in mentioned(tracker, "instrument"):
        best: tuple[int, float, str] | None = None
        for _, technique in graph.neighbours(instrument.id, "TECHNIQUE_FOR", "in"):
            for form in (technique.name, *(technique.props.get("aliases") or [])):
                form = form.lower()
                if fuzz.partial_ratio(word, form) < 90:
                    continue
                # of the forms containing the word, the one sharing most words with the message
                # ("hold ... bow": bow hold), then the closest whole ("pedal": sustain pedal)
                score = (len(said & set(re.findall(r"[a-z]+", form))), fuzz.ratio(word, form))
                if best is None or score > best[:2]:
                    best = (*score, technique.id)
        if best is not None:
            return node(best[2])
    return None


def said(tracker: Tracker, kind: str) -> list[str]:
    """The learner's own words for each entity of `kind` in the latest message (values are
    normalised to the graph's names: "intervals" becomes "interval")."""
    text = str(tracker.latest_message.get("text") or "")
    return [_span(text, e) or str(e.get("value") or "") for e in entities(tracker, kind)]


def _span(text: str, entity: dict[str, Any]) -> str | None:
    start, end = entity.get("start"), entity.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        return text[start:end]
    return None


def variant_of(current: Node, text: str) -> Node | None:
    """The sibling of `current` that a quality word in `text` picks: dominant seventh + "minor"
    → minor seventh chord; perfect fifth + "diminished" → diminished fifth."""
    words = [m.group(1).lower() for m in QUALITY.finditer(text)]
    if not words:
        return None
    name = current.name.lower()
    for word in words:
        if word in name.split():
            continue
        replaced = QUALITY.sub(word, name, count=1) if QUALITY.search(name) else f"{word} {name}"
        if replaced == name:
            continue
        candidate = link(replaced, "concept", threshold=0.9)
        if candidate is not None and candidate.id != current.id:
            return candidate
    return None


def concepts(tracker: Tracker, allow_context: bool = True) -> list[Node]:
    """Concepts the learner means: named ones, else a variant of the current one, else the current one."""
    named = mentioned(tracker, "concept")
    current = node(tracker.get_slot("concept")) if allow_context else None
    text = tracker.latest_message.get("text") or ""
    if current is not None:
        quality_only = [
            e for e in entities(tracker, "concept") if QUALITY.fullmatch(str(e.get("value", "")).strip())
        ]
        if quality_only or not named:
            variant = variant_of(current, text)
            if variant is not None:
                return [variant]
            # a quality word that is itself a concept's name ("the dominant of A major") names it
            words = {str(e.get("value", "")).strip().lower() for e in quality_only}
            if any(n.name.lower() in words for n in named):
                return named
            if quality_only:
                return []  # "the minor one" of something that has none: not the current concept again
    if named:
        return named
    if any(str(e.get("value", "")).strip().lower() not in PRONOUNS for e in entities(tracker, "concept")):
        return []  # something was named and is not known: never answer about the previous topic instead
    if text.startswith("/"):  # a button: its payload names what it is about, or means the topic
        return [current] if current is not None else []
    topic = topic_in(text)
    if topic is not None:
        return [topic]
    return [current] if current is not None and refers_back(text) else []


_ASKING_ABOUT = re.compile(
    r"^(?:(?:can|could|would) you\s+|please\s+)?(?:how (?:do|can|should) (?:i|you|we)|how to|"
    r"what(?:'s| is| are)|whats|explain|tell me about|teach me(?: about)?|help me (?:with|understand)|"
    r"i want to learn(?: about)?)"
    r"\s+(?:the\s+|a\s+|an\s+)?", re.I)


def topic_in(text: str, kind: str = "concept") -> Node | None:
    """What the whole question names when the tagger marked nothing, or marked it in pieces: "how
    do I read sheet music" is the concept whose alias is "read sheet music", "what is Kind of
    Blue" the album (tagged as "Kind" and "of Blue"). Only an exact name or alias counts."""
    rest = _ASKING_ABOUT.sub("", text.strip()).strip(" ?!.")
    if not rest or rest.lower() == text.strip(" ?!.").lower() or len(rest.split()) > 5:
        return None
    return link(rest, kind, threshold=EXACT)


def named_in(text: str) -> Node | None:
    """The work, else the person, that the whole question names exactly ("what is Kind of Blue")."""
    return topic_in(text, "work") or topic_in(text, "person")


def subject(tracker: Tracker) -> Node | None:
    """A person or work the message is about, else the conversation's current one."""
    for kind in ("work", "person"):
        found = mentioned(tracker, kind)
        if found:
            return found[0]
    # an unlabelled mention may still name a person or work ("tell me about Clara Schumann")
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") in ("concept", "genre", "era"):
            continue
        for kind in ("person", "work"):
            item = link(str(entity.get("value", "")), kind, threshold=0.9)
            if item is not None:
                return item
    text = str(tracker.latest_message.get("text") or "")
    whole = None if text.startswith("/") else named_in(text)
    if whole is not None:
        return whole
    if unknown_names(tracker):  # "what key is Wonderwall in": not the work of the last question
        return None
    if _PERSONAL.search(text) is None:
        if not refers_back(text):
            return None  # "who is the greatest composer ever" is not about the person of the last answer
        if latest_topic(tracker) == "concept":
            return None  # "who plays it" after a concept's explanation: "it" is the concept
    order = ("person", "work") if PERSON_WORDS.search(text) else ("work", "person")
    for slot in order:
        current = node(tracker.get_slot(slot))
        if current is not None:
            return current
    return None


def latest_topic(tracker: Tracker) -> str | None:
    """Which of the concept, person and work slots the conversation set last (to a value)."""
    for item in reversed(tracker.events):
        if item.get("event") == "slot" and item.get("name") in ("concept", "person", "work") \
                and item.get("value"):
            return str(item["name"])
    return None


def unknown_names(tracker: Tracker, kinds: tuple[str, ...] = ("person", "work")) -> list[str]:
    """The learner's words for the people and works the message names that the graph does not
    hold (pronouns aside): an answer about someone else would state a wrong fact."""
    text = str(tracker.latest_message.get("text") or "")
    out: list[str] = []
    for kind in kinds:
        known = mentioned(tracker, kind)
        for entity in entities(tracker, kind):
            words = (_span(text, entity) or str(entity.get("value") or "")).strip()
            if not words or words.lower() in PRONOUNS or known or link(words, "concept", threshold=EXACT):
                continue  # "composer of counterpoint": a concept the tagger took for a work
            if link(words, "person", threshold=0.9) is None and link(words, "work", threshold=0.9) is None:
                out.append(words)
    return list(dict.fromkeys(out))


def credited(work_id: str) -> list[Node]:
    """Who a work goes by in a list of works: a band's song by the band ("Smells Like Teen Spirit
    by Nirvana"), other works by their composers, else their performers; in name order."""
    graph = services().graph
    performers = {n.id: n for _, n in graph.neighbours(work_id, "PERFORMED_BY", "out")}
    bands = [n for n in performers.values() if n.props.get("kind") == "band"]
    composers = {n.id: n for _, n in graph.neighbours(work_id, "COMPOSED_BY", "out")}
    return sorted(bands or list(composers.values()) or list(performers.values()), key=lambda n: n.name)


def first_sentences(text: str, n: int = 1) -> str:
    """The first `n` sentences of a description, ending in a full stop."""
    parts = [p.strip() for p in text.replace("\n", " ").split(". ") if p.strip()]
    joined = ". ".join(parts[:n])
    return joined if joined.endswith((".", "!", "?")) else joined + "."


def bare_id(concept_id: str) -> str:
    return concept_id.split(":", 1)[1] if ":" in concept_id else concept_id


def names(nodes: list[Node], limit: int = 6) -> str:
    """'A, B and C' (with '… and N more' past the limit); 'A; B and C' when a name has a comma
    of its own ("Goldberg Variations, BWV 988"), so the list still reads as a list."""
    items = [n.name for n in nodes[:limit]]
    if len(nodes) > limit:
        items.append(f"{len(nodes) - limit} more")
    if len(items) <= 1:
        return "".join(items)
    separator = "; " if any("," in item for item in items) else ", "
    return separator.join(items[:-1]) + " and " + items[-1]


def plural(count: int, noun: str) -> str:
    """'1 step', '40 steps'."""
    return f"{count} {noun}" + ("" if count == 1 else "s")


def remember(tracker: Tracker, slot: str, *item_ids: str, limit: int = 20) -> list[str]:
    """The list slot with each of `item_ids` moved to the end (newest, in the order given), bounded."""
    values = [v for v in tracker.get_slot(slot) or [] if v not in item_ids]
    return [*values, *dict.fromkeys(item_ids)][-limit:]
