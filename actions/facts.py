"""Music facts about people and works, and music recommendations with their reasons, from the graph."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import (
    EXACT,
    credited,
    latest_topic,
    link,
    mentioned,
    names,
    node,
    refers_back,
    remember,
    said,
    subject,
    unknown_names,
)
from actions.explain import answer_concrete
from actions.groups import describe, era_names, members_sentences, named_instrument, played_instrument
from actions.learner import because, learner_profile
from actions.services import DomainDict, Events, services
from kg.schema import PERSON, WORK, Node

# What a question asks for, by its wording: (pattern, fact keys to answer with).
ASKS = (
    (re.compile(r"\b(who|which composer)\b.*\b(compose|wrote|write|written|composer)", re.I), "composers"),
    (re.compile(r"\b(who|which)\b.*\b(perform|sang|sing|sung|recorded|record|played)", re.I), "performers"),
    # "who did Bach teach", "Haydn's pupils", "who studied with Haydn": the students
    (re.compile(r"\b(students?|pupils?|who did .* teach|(?:who|which \w+) (?:studied|learn(?:ed|t)|trained)"
                r" (?:with|under|from))\b", re.I), "students"),
    # "who taught Bach", "Bach's teacher", "who did Bach study with": the teachers
    (re.compile(r"\b(taught|teachers?|learn(ed|t)? from)\b|(?<!who )\b(study|studied)\b", re.I), "teachers"),
    (re.compile(r"\b(influence[sd]?|inspired)\b", re.I), "influences"),
    (re.compile(r"\b(how old|age|aged)\b", re.I), "age"),  # the life, with the age it implies
    (re.compile(r"\b(born|birth|died|death|die|lived?|how old|when was)\b", re.I), "life"),
    (re.compile(r"\b(instruments?|play(ed|s)? what|what did .* play)\b", re.I), "instruments"),
    (re.compile(r"\b(genres?|kind of music|type of music|style of music|what music)\b", re.I), "genres"),
    (re.compile(r"\b(era|period|century|style)\b", re.I), "eras"),
    (re.compile(r"\b(when|what year|which year|date)\b", re.I), "year"),
    (re.compile(r"\b(key)\b", re.I), "key"),
    (re.compile(r"\b(time signature|meter|metre|time sig)\b", re.I), "meter"),
    (re.compile(r"\b(tempo|how fast|bpm)\b", re.I), "tempo"),
    (re.compile(r"\b(works?|pieces?|compositions?|wrote|write|written|compose[ds]?|famous for|songs?|"
                r"albums?)\b", re.I), "works"),
    (re.compile(r"\b(band|group|members?)\b|\bwho(?:'s|\s+is|\s+are|\s+was|\s+were)?\s+(?:in|part\s+of)\b",
                re.I), "bands"),
)


# a work's facts the catalog may lack, as the answer names them
UNRECORDED = {"key": "key", "meter": "time signature", "tempo": "tempo", "performers": "performers"}
PERSON_ASKS = ["life", "eras", "instruments", "lineage", "works"]  # what "who was X?" is told


def _title(item: Node) -> str:
    return item.name


def _year(value: Any, approx: Any) -> str:
    return f"c. {value}" if approx else str(value)


# How a work's year is worded: the catalog says what it dates (`year_event`), and a premiere,
# publication or recording year must never be told as the year the work was composed.
DATED = {"premiered": "first performed", "published": "published", "recorded": "recorded",
         "released": "released"}


_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?=\s|$)")


def _stops(sentences: list[str]) -> list[str]:
    """One full stop where a name ending in one closes the sentence ("The Notorious B.I.G."),
    an ellipsis in a title left alone."""
    return [_DOUBLE_STOP.sub(".", sentence) for sentence in sentences]


def _event(facts: dict[str, Any]) -> str | None:
    """'first performed', 'published', ... for a year that is not the composition year, else None."""
    return DATED.get(str(facts.get("year_event") or "composed"))


def _life(facts: dict[str, Any], item: Node, age: bool = False) -> str | None:
    """Born and died (or active from/to); with `age`, the age those years imply: a range of two,
    since the catalog keeps years, not dates."""
    born, died = facts.get("born"), facts.get("died")
    if born is None and facts.get("active_from") is not None:
        end = facts.get("active_to")
        return (
            f"{item.name} {'were' if facts.get('kind') == 'band' else 'was'} active "
            f"from {facts['active_from']}"
            + (f" to {end}." if end else " and still are." if facts.get("kind") == "band" else ".")
        )
    if born is None:
        return None
    text = f"{item.name} was born in {_year(born, facts.get('born_approx'))}"
    text += f" and died in {died}" if died else ""
    if age and not facts.get("born_approx"):
        years = int(died or datetime.now(UTC).year) - int(born)
        aged = f"{years - 1} or {years}"
        return text + (f", aged {aged}." if died else f" and is {aged} now.")
    return text + "."


def _list(facts: dict[str, Any], key: str) -> list[Node]:
    return [n for n in (node(e["id"]) for e in facts.get(key, [])) if n is not None]


def person_sentences(item: Node, asks: list[str]) -> list[str]:
    facts = services().graph.facts(item.id)
    out: list[str] = []
    for ask in asks:
        if ask == "age" and "life" in asks:
            continue  # "how old was he when he died": one sentence, told with the life
        if ask in ("life", "age") and (life := _life(facts, item, age="age" in asks)):
            out.append(life)
        elif ask in ("teachers", "students", "lineage"):
            out += _lineage(item, facts, ask, asks)
        elif ask == "influences":
            if infl := _list(facts, "influences"):
                verb = "were" if item.props.get("kind") == "band" else "was"  # as they "were active"
                out.append(f"{item.name} {verb} influenced by {names(infl)}.")
            if infd := _list(facts, "influenced"):
                out.append(f"{item.name} influenced {names(infd)}.")
        elif ask == "instruments" and (inst := _list(facts, "instruments")):
            played = [i for i in inst if i.name.lower() != "voice"]  # one plays an instrument, sings
            sang = len(played) < len(inst)
            living = facts.get("born") is not None and facts.get("died") is None  # Yo-Yo Ma plays
            plays, sings = ("plays", "sings") if living else ("played", "sang")
            if played:
                also = (f", and {sings}" if len(played) > 1 else f" and {sings}") if sang else ""
                out.append(f"{item.name} {plays} the {names(played)}{also}.")
            else:
                out.append(f"{item.name} {sings}.")
        elif ask == "eras" and (eras := _list(facts, "eras")):
            verb = "belong" if item.props.get("kind") == "band" else "belongs"
            out.append(f"{item.name} {verb} to the {era_names(eras)}.")
        elif ask == "genres" and (genres := _list(facts, "genres")):
            # genre names are common nouns mid-sentence ("cool jazz"), acronyms stay ("R&B")
            plain = [Node(g.id, g.label, {"name": g.name[:1].lower() + g.name[1:]
                                          if g.name[1:2].islower() else g.name}) for g in genres]
            out.append(f"{item.name}'s music is {names(plain)}.")
        elif ask == "works":
            works = _list(facts, "composed") or _list(facts, "performed")
            if works:
                out.append(f"Works by {item.name} in my graph include {names(works, 5)}.")
        elif ask == "bands":
            if bands := _list(facts, "bands"):
                out.append(f"{item.name} was a member of {names(bands)}.")
            if members := _list(facts, "members"):
                out.append(f"The members of {item.name} include {names(members, 8)}.")
    return _stops(out)


def _lineage(item: Node, facts: dict[str, Any], ask: str, asks: list[str]) -> list[str]:
    """Teachers or students as asked; "who was X?" gets whichever the graph has ("lineage"). Asked
    for one side the graph lacks, the answer says so before offering the other side: "who was
    Bach's teacher" must not read as if his students had taught him."""
    teachers, students = _list(facts, "teachers"), _list(facts, "students")
    taught = f"{item.name} taught {names(students)}."
    studied = f"{item.name} studied with {names(teachers)}."
    if ask == "lineage":
        return ([studied] if teachers else []) + ([taught] if students else [])
    if ask == "students":
        if "teachers" in asks:  # "who taught and who studied with X": the teachers' turn says both
            return []
        return [taught] if students else [f"My graph records no students of {item.name}."]
    if teachers:
        return [studied] + ([taught] if "students" in asks and students else [])
    out = [f"My graph records no teacher of {item.name}."]
    if students:
        out.append(f"It does record {item.name}'s students: {names(students)}.")
    return out


# Words that make a kind of an instrument, not another instrument ("electric guitar" is a guitar,
# "bass guitar" is not).
_KINDS_OF = frozenset({"electric", "acoustic", "classical", "lead", "rhythm", "slide", "steel", "tenor",
                       "alto", "baritone", "soprano", "grand", "upright", "hammond", "pipe"})


def word_names(word: str, instrument: str) -> bool:
    """Whether a learner's word for an instrument names this one: its name, the first word of a
    longer name ("bass": bass guitar), or its last after a kind ("guitar": electric guitar)."""
    parts, word = instrument.lower().split(), word.lower().strip()
    return (word == " ".join(parts) or (len(parts) > 1 and word == parts[0])
            or (len(parts) == 2 and word == parts[1] and parts[0] in _KINDS_OF))


def band_players(band: Node, instrument: Node, words: list[str]) -> list[str]:
    """The members of `band` who play `instrument`, or an instrument the learner's own word names
    ("bass": the bass guitar, whichever bass the word was linked to; "guitar": an electric guitar,
    but not the bass guitar)."""
    graph = services().graph
    wanted = {w.lower().strip() for w in words if w.strip()}

    def plays(member: Node, in_band: bool = False) -> bool:
        main = part_in_band(member)
        return any(p.id == instrument.id or any(word_names(w, p.name) for w in wanted)
                   for _, p in graph.neighbours(member.id, "PLAYS", "out") if not in_band or p.id in main)

    members = sorted((m for _, m in graph.neighbours(band.id, "MEMBER_OF", "in")), key=lambda m: m.name)
    # Dave Grohl plays the guitar, but in Nirvana he was the drummer: members whose part in the
    # band it is come first, the others only when no member has it as their part
    players = [m for m in members if plays(m, in_band=True)] or [m for m in members if plays(m)]
    if not players:
        return [f"My graph records no member of {band.name} on the {instrument.name}."]
    verb = "were" if len(players) > 1 else "was"
    return [f"{names(players)} {verb} on the {instrument.name} in {band.name}."]


def part_in_band(member: Node) -> list[str]:
    """The instruments a member plays in a band, by the catalog's order (main first): the first,
    and for a singer the one after the voice too (Kurt Cobain: voice and electric guitar)."""
    order = [str(i) for i in member.props.get("instrument_order") or []]
    return order[:2] if order[:1] == ["instrument:voice"] else order[:1]


def key_name(key: str) -> str:
    """A key as the catalog writes it ("C# minor", "Bb major") in the tutor's spelling ("C♯ minor")."""
    tonic, _, rest = key.strip().partition(" ")
    if not tonic or tonic[0].upper() not in "ABCDEFG" or len(tonic) > 2:
        return key
    sign = {"#": "♯", "b": "♭", "-": "♭"}.get(tonic[1:], tonic[1:])
    return f"{tonic[0].upper()}{sign} {rest}".strip()


def work_sentences(item: Node, asks: list[str]) -> list[str]:
    facts = services().graph.facts(item.id)
    out: list[str] = []
    composers, performers = _list(facts, "composers"), _list(facts, "performers")
    event = _event(facts)
    for ask in asks:
        year = _year(facts["year"], facts.get("year_approx")) if facts.get("year") else None
        if ask in ("composers", "works", "life", "age") and composers:
            dated = "" if year is None else f" and {event} in {year}" if event else f" in {year}"
            out.append(f"{item.name} was composed by {names(composers)}{dated}.")
        elif ask == "performers" and performers:
            out.append(f"{item.name} is by {names(performers)}.")
        elif ask == "year" and year and not any(f" in {year}" in said for said in out):
            out.append(f"{item.name} was {event} in {year}." if event else f"{item.name} dates from {year}.")
        elif ask == "key" and facts.get("key"):
            out.append(f"{item.name} is in {key_name(str(facts['key']))}.")
        elif ask == "meter" and facts.get("meter"):
            out.append(f"{item.name} is in {facts['meter']} time.")
        elif ask == "eras" and (eras := _list(facts, "eras")):
            out.append(f"{item.name} belongs to the {era_names(eras)}.")
    unknown = [UNRECORDED[a] for a in asks if a in UNRECORDED]
    if not out and unknown:  # "what's the time signature of Take Five": its description may say
        out.append(f"My catalog does not record the {' or '.join(unknown)} of {item.name}.")
        if item.props.get("description"):
            out.append(str(item.props["description"]).strip())
    if not out:
        by = composers or performers
        parts = [f"{item.name}"]
        if by:
            parts.append(f"by {names(by)}")
        if facts.get("year"):
            year = _year(facts["year"], facts.get("year_approx"))
            parts.append(f"({event} {year})" if event else f"({year})")
        out.append(" ".join(parts) + ".")
        if facts.get("form"):
            out.append(f"Form: {facts['form']}.")
        if facts.get("key"):
            out.append(f"Key: {key_name(str(facts['key']))}.")
    if examples := _list(facts, "examples_of"):
        out.append(f"It is a famous example of {names(examples)}.")
    return _stops(list(dict.fromkeys(out)))  # two wordings of one question give one answer


class ActionMusicFact(Action):
    def name(self) -> str:
        return "action_music_fact"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        text = tracker.latest_message.get("text") or ""
        groups = mentioned(tracker, "era") + mentioned(tracker, "genre")
        if groups and not (mentioned(tracker, "person") or mentioned(tracker, "work")):
            # "who are some Romantic composers?": about the era, not the work of the conversation
            asks = [key for pattern, key in ASKS if pattern.search(text)]
            players_of = played_instrument(text)  # "famous jazz pianists": the pianists among them
            told = " ".join(s for g in groups[:2] for s in members_sentences(g, asks, players_of))
            dispatcher.utter_message(text=told or describe(groups[0]))  # nobody in it: what it is
            return [SlotSet("interests", remember(tracker, "interests", *(g.id for g in groups[:2])))]
        item = subject(tracker)
        if item is None:  # "how many sharps does D major have": about no person or work
            theory = answer_concrete(dispatcher, tracker, domain)
            if theory is not None:
                return theory
        instrument = played_instrument(text) if item is None else None
        if instrument is not None:  # "who is a famous violinist?"
            dispatcher.utter_message(text=" ".join(members_sentences(instrument)) or describe(instrument))
            return [SlotSet("interests", remember(tracker, "interests", instrument.id))]
        if item is None:
            topic = next(iter(mentioned(tracker, "concept")), None)
            if topic is None:  # "the most famous composer of counterpoint": a concept tagged as a work
                topic = next((found for words in said(tracker, "work") + said(tracker, "person")
                              if (found := link(words, "concept", threshold=EXACT)) is not None), None)
            if topic is None and refers_back(text) and latest_topic(tracker) == "concept":
                topic = node(tracker.get_slot("concept"))  # "who plays it" after a power chord
            shown = services().graph.neighbours(topic.id, "EXAMPLE_OF", "in") if topic else []
            if topic is not None and shown:  # "a famous piece in 5/4": the concept's famous examples
                works = best_connected([w for _, w in shown])[:5]
                listed = "; ".join(f"{w.name} by {names(by, 3)}" if by else w.name
                                   for w, by in ((w, credited(w.id)) for w in works))
                dispatcher.utter_message(text=f"Famous examples of {topic.name}: {listed}.")
                return [SlotSet("concept", topic.id), SlotSet("work", works[0].id)]
            unknown = unknown_names(tracker)
            if unknown:
                dispatcher.utter_message(text=(
                    f"{' and '.join(f'“{w}”' for w in unknown[:2])} {'is' if len(unknown) == 1 else 'are'} "
                    "not in my music catalog, so I can't tell you about "
                    f"{'it' if len(unknown) == 1 else 'them'}: I only state what my knowledge graph "
                    "holds. Ask me about another piece or musician?"))
                return [SlotSet("work", None), SlotSet("person", None)]  # "it" is the unknown one now
            dispatcher.utter_message(text="Which composer, performer or work do you mean?")
            return []
        asks = [key for pattern, key in ASKS if pattern.search(text)]
        played: list[Node] = []
        if item.label == WORK:
            sentences = work_sentences(item, asks or ["composers"])
        else:
            band = item.props.get("kind") == "band"  # a band has members, not teachers
            default = ["bands", "life", "eras", "works"] if band else PERSON_ASKS
            words = said(tracker, "instrument")
            if band:
                played = mentioned(tracker, "instrument")
                named = None if played else named_instrument(text)
                if named is not None:  # the NLU did not tag it: "who played drums in Nirvana"
                    played, words = [named[0]], [named[1]]
            if played:  # "who played bass in the Beatles", "the drummer of Led Zeppelin"
                sentences = band_players(item, played[0], words)
            else:
                sentences = person_sentences(item, asks or default)
            if not sentences:
                sentences = person_sentences(item, ["life", "eras", "works"])
        if not sentences:
            description = str(item.props.get("description") or "").strip()
            sentences = [description or f"My graph has {item.name} but nothing more about that."]
        elif not asks and not played and item.props.get("description"):
            sentences.insert(0, str(item.props["description"]).strip())
        dispatcher.utter_message(text=" ".join(sentences))
        slot = "work" if item.label == WORK else "person"
        events = [SlotSet(slot, item.id), SlotSet("interests", remember(tracker, "interests", item.id))]
        if item.label == WORK:
            composers = services().graph.neighbours(item.id, "COMPOSED_BY", "out")
            if composers:
                events.append(SlotSet("person", composers[0][1].id))
        return events


def varied(picks: list[Any], k: int, per_artist: int | None) -> list[Any]:
    """The first `k` picks, in the recommender's order, with at most `per_artist` credited to any
    one artist: five Bach works are a poor answer to "recommend some baroque music". Picks held
    back fill the list when there are too few others."""
    if per_artist is None:
        return picks[:k]
    chosen, held, count = [], [], Counter()
    for pick in picks:
        by = [n.id for n in credited(pick.item)[:1]]
        if by and count[by[0]] >= per_artist:
            held.append(pick)
            continue
        count.update(by)
        chosen.append(pick)
    return (chosen + held)[:k]


class ActionRecommendMusic(Action):
    """Works the recommender ranks best for the learner, each with its reason: a graph path to
    what they asked about, studied or mastered. Genres, people, eras and instruments named in the
    message narrow the works to those linked to them ("recommend violin music": works of people
    who play it)."""

    def name(self) -> str:
        return "action_recommend_music"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        liked = mentioned(tracker, "work")  # "something like Clair de Lune": works near it, not it
        asked = (mentioned(tracker, "genre") + mentioned(tracker, "person") + mentioned(tracker, "era")
                 + mentioned(tracker, "instrument") + liked)
        topics = mentioned(tracker, "concept")  # "a song to practise syncopation": works showing it
        seeds = asked or [n for n in (node(i) for i in reversed(tracker.get_slot("interests") or [])) if n]
        profile = learner_profile(tracker, also_asked=[n.id for n in asked + topics])
        recommender = services().recommender
        intro = "You might enjoy:"
        picks = []
        # asked for one person's music, the list may be all theirs; else two works per artist at most
        per_artist = None if any(n.label == PERSON for n in asked) else 2
        if topics:  # only the works the graph holds as examples of it, in the model's order
            graph = services().graph
            shown = {w.id for t in topics for _, w in graph.neighbours(t.id, "EXAMPLE_OF", "in")}
            picks = varied([p for p in recommender.recommend(
                tracker.sender_id, k=50, kind="work", profile=profile,
                related_to=[n.id for n in asked + topics]) if p.item in shown], 5, per_artist)
            if not picks:
                intro = (f"I don't know pieces that show {names(topics, 2)} yet. "
                         "Here is music for you instead:")
        # "music like Ludovico Einaudi": said first, not a list as if it were like him
        if not picks and (unknown := unknown_names(tracker)):
            intro = (f"I don't know {' or '.join(unknown[:2])}: not in my music catalog. "
                     "Here is music picked for you instead:")
        if not picks:
            picks = varied(recommender.recommend(
                tracker.sender_id, k=25, kind="work", profile=profile, related_to=[n.id for n in asked],
                exclude=[n.id for n in liked]), 5, per_artist)
        if not picks:
            dispatcher.utter_message(
                text="Tell me a composer, artist or genre you like and I'll suggest music linked to it."
            )
            return []
        lines = []
        for pick in picks:
            by = credited(pick.item)
            clause = because(pick, {n.id for n in by[:3]})
            reason = f"because {clause}" if clause else _listening_reason(pick.item)
            title = f"• {pick.name}{' by ' + names(by, 3) if by else ''}"
            lines.append(f"{title}: {reason}." if reason else f"{title}.")
        artists = related_artists(seeds[:3])
        if artists:
            lines.append("Artists to explore: " + "; ".join(f"{a.name} ({why})" for a, why in artists) + ".")
        dispatcher.utter_message(text=f"{intro}\n" + "\n".join(lines))
        return [
            SlotSet("interests", remember(tracker, "interests", *(n.id for n in asked))),
            SlotSet(
                "last_outcome",
                {
                    "kind": "recommendation_shown",
                    "item": picks[0].item,
                    "outcome": "shown",
                    "value": float(len(picks)),
                },
            ),
        ]


def _listening_reason(work_id: str) -> str | None:
    """What the graph says a work illustrates, for a learner with nothing to relate it to yet."""
    examples = services().graph.neighbours(work_id, "EXAMPLE_OF", "out")
    return f"a famous example of {names([n for _, n in examples], 2)}" if examples else None


def best_connected(items: list[Node]) -> list[Node]:
    """`items` with the most edges in the graph first (then by name): the graph's best-known."""
    degree = services().graph.store.degrees([n.id for n in items])
    return sorted(items, key=lambda n: (-degree.get(n.id, 0), n.name))


def related_artists(seeds: list[Node], limit: int = 3) -> list[tuple[Node, str]]:
    """People linked in the graph to what the learner likes: influences and those influenced for a
    person, teachers and students, and people of a genre or era."""
    graph = services().graph
    found: list[tuple[Node, str]] = []
    seen = {s.id for s in seeds}
    for seed in seeds:
        if seed.label == PERSON:
            links = [
                ("INFLUENCED_BY", "out", f"an influence on {seed.name}"),
                ("INFLUENCED_BY", "in", f"influenced by {seed.name}"),
                ("STUDIED_WITH", "out", f"{seed.name}'s teacher"),
                ("STUDIED_WITH", "in", f"a student of {seed.name}"),
                ("MEMBER_OF", "in", f"a member of {seed.name}"),
            ]
        else:
            rel = {"Genre": "IN_GENRE", "Era": "IN_ERA", "Instrument": "PLAYS"}.get(seed.label)
            links = [(rel, "in", f"{seed.name}")] if rel else []
        for rel, direction, why in links:
            people = [o for _, o in graph.neighbours(seed.id, rel, direction)  # type: ignore[arg-type]
                      if o.label == PERSON and o.id not in seen]
            if people:  # the best-connected: for jazz Miles Davis before a singer who touched it
                other = best_connected(people)[0]
                seen.add(other.id)
                found.append((other, why))
            if len(found) >= limit:
                return found
    return found
