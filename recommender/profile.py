"""A learner as the recommender sees them: what they did, what they said they like, what they know.

Everything is a graph id. A learner's *history* (the model's input) is the items they engaged
with, least recent first; stated interests that are not items (a composer, a genre, an era, an
instrument) enter it through the graph as *seeds*: the works of a composer, of a genre or era,
the technique lessons of an instrument. That is how a learner with no behaviour yet (cold
start) gets a representation from what the dialogue learnt about them. Each history entry keeps
the *anchor* it stands for and how the learner relates to it, which is what explanations are
paths to ("Because you like Chopin: ...").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kg.schema import CONCEPT, ERA, GENRE, INSTRUMENT, PERSON, WORK
from kg.store import GraphStore

SEEDS_PER_INTEREST = 4  # items a stated interest puts into the history
# How items are reached from a stated interest that is not an item: (relation, direction).
SEED_EDGES: dict[str, tuple[tuple[str, str], ...]] = {
    PERSON: (("COMPOSED_BY", "in"), ("PERFORMED_BY", "in")),
    GENRE: (("IN_GENRE", "in"),),
    ERA: (("IN_ERA", "in"),),
    INSTRUMENT: (("TECHNIQUE_FOR", "in"),),
}
# How explanations word the learner's relation to an anchor, by the event that made it a positive.
VERBS: dict[str, str] = {
    "explain_concept": "you studied",
    "give_example": "you studied",
    "prerequisites": "you are working towards",
    "learning_path": "you are working towards",
    "quiz_answer": "you answered a question on",
    "example_played": "you listened to",
    "work_asked": "you asked about",
}


@dataclass(frozen=True, slots=True)
class Profile:
    """What the dialogue knows about a learner (graph ids; the actions link names to ids)."""

    instrument: str | None = None  # the Instrument they play
    level: float | None = None  # working grade, 1-8
    likes: tuple[str, ...] = ()  # stated favourites: people, genres, eras, works
    asked: tuple[str, ...] = ()  # what they asked about (people, genres, eras, works), newest last
    known: tuple[str, ...] = ()  # concepts they have shown they master
    # concepts below their working grade, taken as known without evidence: left out of lessons
    # like the known ones, but never a reason ("you mastered ...")
    assumed: tuple[str, ...] = ()
    studied: tuple[str, ...] = ()  # concepts and works of this conversation, newest last


@dataclass(frozen=True, slots=True)
class Entry:
    """One history item, and the anchor and wording an explanation of it leads to."""

    item: str
    anchor: str  # the item itself, or the stated interest it was seeded from
    verb: str  # "you studied", "you like", ...
    engaged: bool  # the learner engaged with the item itself (so it is not recommended back)


def verb_for(kind: str, label: str) -> str:
    """How an explanation words a positive of event `kind` on a node of `label`."""
    if kind in VERBS:
        return VERBS[kind]
    return "you studied" if label == CONCEPT else "you asked about"


class Seeds:
    """Items a stated interest stands for, looked up in the graph once per interest."""

    def __init__(self, store: GraphStore, items: set[str], per_interest: int = SEEDS_PER_INTEREST) -> None:
        self.store = store
        self.items = items
        self.per_interest = per_interest
        self._cache: dict[str, list[str]] = {}

    def __call__(self, interest: str) -> list[str]:
        found = self._cache.get(interest)
        if found is None:
            found = self._cache[interest] = self._lookup(interest)
        return found

    def _lookup(self, interest: str) -> list[str]:
        if interest in self.items:
            return [interest]
        node = self.store.get_node(interest)
        if node is None:
            return []
        linked: list[str] = []
        for rel, direction in SEED_EDGES.get(node.label, ()):
            edges = self.store.edges([interest], rel, direction)  # type: ignore[arg-type]
            linked += [t.head if t.tail == interest else t.tail for t in edges]
        linked = [i for i in dict.fromkeys(linked) if i in self.items]
        # the best-connected first: a composer's famous works before his juvenilia
        degree = self.store.degrees(linked)
        return sorted(linked, key=lambda i: (-degree.get(i, 0), i))[: self.per_interest]


def entries(profile: Profile, seeds: Seeds, labels: dict[str, str],
            behaviour: Iterable[tuple[str, str]] = ()) -> list[Entry]:
    """The learner's history, least recent first: stated interests' seeds, then what they know
    and studied, then `behaviour` ((item, event kind) pairs, oldest first). An item keeps its
    latest position."""
    found: dict[str, Entry] = {}

    def add(entry: Entry) -> None:
        found.pop(entry.item, None)
        found[entry.item] = entry

    for verb, interests in (("you like", profile.likes), ("you asked about", profile.asked)):
        for interest in interests:
            for item in seeds(interest):
                add(Entry(item, interest, verb, engaged=item == interest))
    if profile.instrument:
        for item in seeds(profile.instrument):
            add(Entry(item, profile.instrument, "you play the", engaged=False))
    for verb, items in (("you mastered", profile.known), ("you studied", profile.studied)):
        for item in items:
            if item in seeds.items:
                add(Entry(item, item, verb, engaged=True))
    for item, kind in behaviour:
        if item in seeds.items:
            add(Entry(item, item, verb_for(kind, labels.get(item, WORK)), engaged=True))
    return list(found.values())


def stated_anchors(profile: Profile) -> list[tuple[str, str]]:
    """Stated interests as (anchor, verb): the learner's instrument, then what they asked about
    and like, most recent first. Explanations take the first few, so the instrument, which stands
    for the whole profile, is never crowded out by a run of questions about people and works (a
    guitar technique lesson is "because you play the guitar", not a chain through a guitarist)."""
    out = [(profile.instrument, "you play the")] if profile.instrument else []
    out += [(i, "you asked about") for i in reversed(profile.asked)]
    out += [(i, "you like") for i in reversed(profile.likes)]
    seen: set[str] = set()
    return [(a, v) for a, v in out if not (a in seen or seen.add(a))]
