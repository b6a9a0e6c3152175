"""The gazetteer: every name and alias of the graph's entities, matched as whole words.

Matching is case-insensitive and accent-insensitive over words (`kg.extract.text.tokenize`), takes
the longest match at each place, and resolves overlaps and ambiguity by preferring, in order:
longer spans, exact-cased matches, names over aliases, and better-connected nodes. Three guards
keep ordinary words from becoming entities: a capitalised one-word name ("Queen", "Cream", "Yes")
is not matched by the same word in lower case, nor a title by its capitalised function words in
lower case ("in C minor" is not Riley's In C) (people and works only; "jazz" is the genre Jazz),
unless the whole text is in lower case (a chat message typed without capitals); a word that is
only part of a hyphenated compound is not matched ("the 21-string harp-lute"); and entries made
only of function words are dropped.

Besides names and aliases, instruments get their player nouns ("pianist", "violinist",
"drummer"), because prose names an instrument that way far more often than by its name; such a
match links to the instrument ("the pianist Bill Evans" -> instrument:piano).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from kg.extract.text import fold, tokenize
from kg.extract.types import LABEL_TYPE, Mention
from kg.schema import Node

_STOPWORDS = frozenset(
    [
        "a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "by", "with", "from",
        "as", "is", "was", "be", "it", "its", "this", "that", "these", "those", "he", "she", "they",
        "his", "her", "their", "i", "you", "we", "my", "our", "your", "not", "no", "yes", "but",
        "so", "if", "then", "than"
    ]
)

# Types whose names are proper nouns (the case guard applies to them only).
_PROPER = frozenset({"PERSON", "WORK"})
# Types whose names are common nouns: capitalised inside a longer name, they are part of it.
COMMON_NOUN_TYPES = frozenset({"GENRE", "CONCEPT", "ERA", "INSTRUMENT"})

# Player nouns of instruments whose regular form ("-ist") is wrong or not the usual one.
_PLAYERS: dict[str, list[str]] = {
    "piano": ["pianist"],
    "organ": ["organist"],
    "harpsichord": ["harpsichordist"],
    "guitar": ["guitarist"],
    "electric guitar": ["electric guitarist"],
    "bass guitar": ["bass guitarist", "bassist", "electric bassist"],
    "voice": ["singer", "vocalist"],
    "violin": ["violinist", "fiddler"],
    "viola": ["violist"],
    "cello": ["cellist", "violoncellist"],
    "double bass": ["double bassist", "bassist"],
    "harp": ["harpist"],
    "lute": ["lutenist", "lutanist"],
    "flute": ["flautist", "flutist"],
    "clarinet": ["clarinettist", "clarinetist"],
    "oboe": ["oboist"],
    "bassoon": ["bassoonist"],
    "saxophone": ["saxophonist"],
    "trumpet": ["trumpeter", "trumpet player"],
    "trombone": ["trombonist"],
    "french horn": ["horn player", "hornist"],
    "tuba": ["tubist", "tuba player"],
    "drums": ["drummer"],
    "percussion": ["percussionist"],
    "synthesizer": ["synthesist"],
    "harmonica": ["harmonica player"],
    "banjo": ["banjoist", "banjo player"],
    "mandolin": ["mandolinist"],
    "sitar": ["sitarist", "sitar player"],
    "tabla": ["tabla player"],
    "kora": ["kora player"],
    "oud": ["oud player"],
    "ukulele": ["ukulele player"],
}


def player_nouns(name: str) -> list[str]:
    """Nouns for someone who plays the instrument `name` ("piano" -> ["pianist"])."""
    key = fold(name)
    if key in _PLAYERS:
        return list(_PLAYERS[key])
    if " " in key:
        return [f"{key} player"]
    if key.endswith(("o", "e")):
        return [key[:-1] + "ist", f"{key} player"]
    return [key + "ist", f"{key} player"]


@dataclass(slots=True)
class Entry:
    """One surface form of one entity."""

    form: str  # as written in the graph
    id: str
    type: str  # NER type
    name: str  # the entity's name
    is_name: bool  # the form is the name itself (not an alias or player noun)
    derived: bool  # a player noun made from an instrument name
    rank: int  # the node's degree, to prefer well-connected entities
    kind: str | None = None  # person kind (composer/performer/band)

    @property
    def cased(self) -> bool:
        return any(ch.isupper() for ch in self.form)


class Gazetteer:
    """Name/alias index over words; see the module docstring for the matching rules."""

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._index: dict[tuple[str, ...], list[Entry]] = defaultdict(list)
        self._forms: dict[tuple[str, ...], list[str]] = {}  # key -> cased words per entry
        self.max_len = 1
        self.entries: list[Entry] = []
        self.add(entries)

    # building --------------------------------------------------------------------------------

    @classmethod
    def from_nodes(cls, nodes: Iterable[Node], degrees: dict[str, int] | None = None) -> Gazetteer:
        return cls(entries_for(nodes, degrees or {}))

    @classmethod
    def from_graph(cls, graph: Any) -> Gazetteer:
        """From a `KnowledgeGraph` (or a store): every usable node with its degree as rank."""
        store = getattr(graph, "store", graph)
        nodes = [n for n in store.nodes() if usable(n)]
        degrees = store.degrees([n.id for n in nodes]) if nodes else {}
        return cls.from_nodes(nodes, degrees)

    def add(self, entries: Iterable[Entry]) -> None:
        for entry in entries:
            key = form_key(entry.form)
            if not key or all(w in _STOPWORDS or not w.isalnum() for w in key):
                continue
            if len(key) == 1 and len(key[0]) < 2:
                continue
            bucket = self._index[key]
            if any(e.id == entry.id and e.form == entry.form for e in bucket):
                continue
            bucket.append(entry)
            self.entries.append(entry)
            self.max_len = max(self.max_len, len(key))

    def to_json(self) -> list[dict[str, Any]]:
        return [asdict(e) for e in self.entries]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> Gazetteer:
        return cls(Entry(**item) for item in data)

    def __len__(self) -> int:
        return len(self.entries)

    def forms_of(self, entity_id: str) -> list[Entry]:
        return [e for e in self.entries if e.id == entity_id]

    # matching --------------------------------------------------------------------------------

    def find(self, text: str, offset: int = 0, lower_text: bool | None = None) -> list[Mention]:
        """Non-overlapping mentions in `text` (offsets plus `offset`), in text order."""
        tokens = tokenize(text)
        folded = [fold(t.text) for t in tokens]
        if lower_text is None:
            lower_text = not any(ch.isupper() for ch in text)
        candidates: list[tuple[tuple[int, int, int, int, int], int, int, Entry, bool]] = []
        for i in range(len(tokens)):
            for length in range(min(self.max_len, len(tokens) - i), 0, -1):
                key = tuple(folded[i : i + length])
                bucket = self._index.get(key)
                if not bucket:
                    continue
                if in_compound(tokens, i, i + length):
                    continue  # "the 21-string harp-lute": neither 21 nor the harp
                common_noun = all(e.type in COMMON_NOUN_TYPES for e in bucket)
                if common_noun and not lower_text and in_longer_name(tokens, i, i + length):
                    continue  # "the Jazz Messengers", "Monterey Pop Festival": part of another name
                written = [t.text for t in tokens[i : i + length]]
                best: tuple[tuple[int, int, int, int, int], Entry, bool] | None = None
                for entry in bucket:
                    exact = _cased_words(entry.form) == [_unquote(w) for w in written]
                    if (entry.cased and entry.type in _PROPER and not exact and not lower_text
                            and _common_words(entry.form, written)):
                        continue  # "queen" is not the band Queen, "in C minor" not Riley's In C
                    score = (length, int(exact), int(entry.is_name), int(not entry.derived),
                             entry.rank)
                    if best is None or score > best[0]:
                        best = (score, entry, exact)
                if best is not None:
                    candidates.append((best[0], i, i + length, best[1], best[2]))
        candidates.sort(key=lambda c: (-c[0][0], -c[0][1], -c[0][2], c[1]))
        taken = [False] * len(tokens)
        chosen: list[Mention] = []
        for _score, i, j, entry, exact in candidates:
            if any(taken[i:j]):
                continue
            for k in range(i, j):
                taken[k] = True
            start, end = tokens[i].start, tokens[j - 1].end
            chosen.append(
                Mention(
                    start + offset, end + offset, text[start:end], entry.type, entry.id,
                    entry.name, True, "gazetteer", 1.0 if exact else 0.9, entry.kind,
                )
            )
            # Keep how the match was made for the merge with the tagger.
            chosen[-1].method = "gazetteer" if (exact and not entry.derived) else "gazetteer~"
            if not entry.is_name and not entry.derived:
                chosen[-1].method += "alias"
        chosen.sort(key=lambda m: m.start)
        return chosen


def in_compound(tokens: list[Any], i: int, j: int) -> bool:
    """Whether words i..j are only part of a hyphenated compound with a common word ("21-string",
    "harp-lute", "Bach-inspired"); two names joined ("Lennon-McCartney") are still two names."""
    def glued(a: int, other: int) -> bool:  # tokens a-1, a ("-") and a+1 written without spaces
        return (0 < a < len(tokens) - 1 and tokens[a].text == "-"
                and tokens[a - 1].end == tokens[a].start and tokens[a].end == tokens[a + 1].start
                and tokens[a + 1].text[:1].isalnum() and tokens[a - 1].text[-1:].isalnum()
                and not tokens[other].text[:1].isupper())
    return glued(j, j + 1) or glued(i - 1, i - 2)


def in_longer_name(tokens: list[Any], i: int, j: int) -> bool:
    """Whether words i..j are capitalised inside a run of capitalised words mid-sentence, and so
    part of a longer proper name the graph does not hold: "Jazz" in "the Jazz Messengers" or
    "Creole Jazz Band" names no genre. A sentence's first word is capitalised anyway, so it
    counts as no evidence."""
    def capital(k: int) -> bool:
        return 0 <= k < len(tokens) and tokens[k].text[:1].isupper() and tokens[k].text[:1].isalpha()

    def starts_sentence(k: int) -> bool:
        return k == 0 or tokens[k - 1].text in (".", "!", "?", ":", ";", '"', "“")

    if not all(capital(k) for k in range(i, j)):
        return False
    if starts_sentence(i):
        return False
    return (capital(i - 1) and not starts_sentence(i - 1)) or capital(j)


def _common_words(form: str, written: list[str]) -> bool:
    """Whether a proper name's capitals are written as ordinary words: a one-word name in lower
    case ("queen"), or a capitalised function word of a title in lower case ("in C" for In C).
    A leading article is left alone: prose writes "the Girl from Ipanema"."""
    words = _cased_words(form)
    if len(words) == 1:
        return all(w.islower() for w in written if w.isalpha())
    for k, (word, seen) in enumerate(zip(words, written, strict=False)):
        if k == 0 and fold(word) in ("the", "a", "an"):
            continue
        if fold(word) in _STOPWORDS and word[:1].isupper() and seen[:1].islower():
            return True
    return False


def form_key(form: str) -> tuple[str, ...]:
    return tuple(fold(t.text) for t in tokenize(form))


def _unquote(word: str) -> str:
    return word.replace("’", "'").replace("‘", "'")


def _cased_words(form: str) -> list[str]:
    return [_unquote(t.text) for t in tokenize(form)]


def usable(node: Node) -> bool:
    """Nodes the extractor knows by name: authored entities of the six labels (no corpus files)."""
    if node.label not in LABEL_TYPE:
        return False
    return str(node.props.get("source", "")) != "music21" or node.label != "Work"


def entries_for(nodes: Iterable[Node], degrees: dict[str, int]) -> list[Entry]:
    entries: list[Entry] = []
    for node in nodes:
        if not usable(node):
            continue
        kind = LABEL_TYPE[node.label]
        name = node.name
        rank = int(degrees.get(node.id, 0))
        person_kind = node.props.get("kind") if kind == "PERSON" else None
        forms = {name}
        entries.append(Entry(name, node.id, kind, name, True, False, rank, person_kind))
        for alias in node.props.get("aliases") or []:
            alias = str(alias).strip()
            if alias and alias not in forms:
                forms.add(alias)
                entries.append(Entry(alias, node.id, kind, name, False, False, rank, person_kind))
        if kind == "INSTRUMENT":
            for noun in player_nouns(name):
                if noun not in forms:
                    forms.add(noun)
                    entries.append(Entry(noun, node.id, kind, name, False, True, rank, None))
    return entries
