"""Eras, genres and instruments: what they are and who and what belongs to them in the graph.

Learners ask about them the way they ask about concepts ("what is the Baroque era?", "tell me
about jazz") and people ("who are some Romantic composers?"); both the explain and the fact
actions answer from here, so an era is never "not in my graph" because the NLU picked the other
intent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from actions.context import names
from actions.services import services
from kg.extract.gazetteer import player_nouns
from kg.paths import display_name
from kg.schema import ERA, GENRE, INSTRUMENT, PERSON, WORK, Node, capitalized

_MEMBERSHIP = {ERA: "IN_ERA", GENRE: "IN_GENRE", INSTRUMENT: "PLAYS"}


def era_names(eras: list[Node]) -> str:
    """'Romantic era', 'Modern jazz era'; 'Classical period', '20th century' as they are (the
    caller puts "the" before them)."""
    return names([Node(e.id, e.label, {"name": display_name(e)}) for e in eras])


def _where(group: Node) -> str:
    if group.label == ERA:
        return "the " + era_names([group])
    return group.name if group.label == GENRE else f"the {group.name}"


def members_sentences(group: Node, asks: Sequence[str] = (), players_of: Node | None = None) -> list[str]:
    """Who and what belongs to an era, genre or instrument in the graph, best connected first;
    works first when the question asks for works; only the players of `players_of`, when given
    ("jazz pianists"), and then no works."""
    graph = services().graph
    members = [other for _, other in graph.neighbours(group.id, _MEMBERSHIP[group.label], "in")]
    degree = graph.store.degrees([m.id for m in members])
    members.sort(key=lambda m: (-degree.get(m.id, 0), m.name))
    people = [m for m in members if m.label == PERSON]
    works = [m for m in members if m.label == WORK]
    where = _where(group)
    if players_of is not None and group.label != INSTRUMENT:
        plays = {n.id for _, n in graph.neighbours(players_of.id, "PLAYS", "in")}
        players = [m for m in people if m.id in plays]
        noun = player_nouns(players_of.name)[0]
        if not players:
            return [f"My graph knows no {noun}s of {where}.", *members_sentences(group, asks)]
        return [f"{capitalized(noun)}s of {where} in my graph include {names(players, 8)}."]
    start, end = group.props.get("start"), group.props.get("end")
    if group.label == ERA and start is not None and end is not None and ("year" in asks or "life" in asks):
        # "when did the Baroque period end": its dates, then who and what belongs to it
        dates = f"{capitalized(where)} spans about {start} to {end}."
        return [dates, *members_sentences(group, [a for a in asks if a not in ("year", "life")])]
    said = {
        "people": (f"Players of {where} in my graph include {names(people, 8)}." if group.label == INSTRUMENT
                   else f"People of {where} in my graph include {names(people, 8)}.") if people else "",
        "works": f"Works of {where} in my graph include {names(works, 5)}." if works else "",
    }
    order = ("works", "people") if "works" in asks else ("people", "works")
    return [said[k] for k in order if said[k]]


def heading(item: Node) -> str:
    """"**Baroque** (1600–1750)": the bold name, and an era's dates."""
    props = item.props
    title = f"**{capitalized(item.name)}**"
    if item.label == ERA and props.get("start") is not None and props.get("end") is not None:
        title += f" ({props['start']}–{props['end']})"
    return title


def describe(group: Node) -> str:
    """An era, genre or instrument: its description and dates, then its people and works."""
    title = heading(group)
    description = str(group.props.get("description") or "").strip()
    lines = [f"{title}: {description}" if description else title]
    lines += members_sentences(group)
    return "\n".join(lines)


def named_instrument(text: str) -> tuple[Node, str] | None:
    """The instrument a message names, with the word it was named by ("who played drums in
    Nirvana"): a player noun first, else the longest name or alias written as a whole word."""
    player = played_instrument(text)
    if player is not None:
        return player, player.name
    lowered = text.lower()
    best: tuple[Node, str] | None = None
    for instrument in services().graph.store.nodes(INSTRUMENT):
        for name in [instrument.name, *(instrument.props.get("aliases") or [])]:
            word = str(name).lower()
            if len(word) > 2 and re.search(rf"\b{re.escape(word)}s?\b", lowered) and \
                    (best is None or len(word) > len(best[1])):
                best = (instrument, word)
    return best


def played_instrument(text: str) -> Node | None:
    """The instrument whose player a message names ("a famous violinist", "jazz drummers")."""
    lowered = text.lower()
    for instrument in services().graph.store.nodes(INSTRUMENT):
        for noun in player_nouns(instrument.name):
            if re.search(rf"\b{re.escape(noun.lower())}s?\b", lowered):
                return instrument
    return None
