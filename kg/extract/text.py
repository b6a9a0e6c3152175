"""Text plumbing shared by the extraction pipeline: words with offsets, sentences, slugs, names.

Everything here keeps character offsets into the caller's text, so spans found on words can be
reported as `start`/`end` offsets of the original string.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A word is a run of letters/digits; every other non-space character is a word of its own, so
# "Bach's" is `Bach ' s` and "rock 'n' roll" lines up with the same alias written in the graph.
_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    {
        "no", "nos", "op", "opp", "st", "mr", "mrs", "ms", "dr", "prof", "jr", "sr", "vs", "etc",
        "c", "ca", "cf", "vol", "ed", "eds", "bwv", "k", "hob", "feat", "ft", "e", "g", "i",
        "approx", "mt", "rev", "sgt", "lt", "col", "gen", "fr",
    }
)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


@dataclass(slots=True, frozen=True)
class Token:
    text: str
    start: int
    end: int


@dataclass(slots=True, frozen=True)
class Sentence:
    text: str
    start: int  # offset of the sentence in the document
    end: int


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Words and punctuation with character offsets (plus `offset`)."""
    return [Token(m.group(), m.start() + offset, m.end() + offset) for m in _WORD.finditer(text)]


def fold(word: str) -> str:
    """The comparison form of one word: typographic quotes unified, lower case, no accents."""
    word = word.translate(_QUOTES)
    word = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in word if not unicodedata.combining(ch)).lower()


def split_sentences(text: str) -> list[Sentence]:
    """Sentence boundaries by punctuation, aware of initials ("J. S. Bach") and abbreviations.

    A boundary is `.`, `!` or `?` (optionally followed by a closing quote or bracket), then space,
    then something that can start a sentence. A full stop after a single capital letter or a known
    abbreviation ("No.", "Op.", "c.") is not a boundary. Blank lines always are.
    """
    sentences: list[Sentence] = []
    start = 0
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        boundary_end = None
        if ch == "\n" and text[i + 1 : i + 2] == "\n":
            boundary_end = i
        elif ch in ".!?":
            j = i + 1
            while j < n and text[j] in "\"')]’”":
                j += 1
            ends = j >= n or (text[j].isspace() and _starts_sentence(text, j))
            if ends and (ch != "." or not _abbreviation_before(text, i)):
                boundary_end = j
        if boundary_end is not None:
            _add(sentences, text, start, boundary_end)
            start = boundary_end
        i += 1
    _add(sentences, text, start, n)
    return sentences


def _starts_sentence(text: str, j: int) -> bool:
    k = j
    while k < len(text) and text[k].isspace():
        k += 1
    return k < len(text) and (text[k].isupper() or text[k].isdigit() or text[k] in "\"'‘“([")


def _abbreviation_before(text: str, dot: int) -> bool:
    k = dot
    while k > 0 and (text[k - 1].isalnum()):
        k -= 1
    word = text[k:dot]
    if not word:
        return False
    if len(word) == 1 and word.isupper():
        return True  # an initial: "J. S. Bach"
    return word.lower() in _ABBREVIATIONS


def _add(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if not stripped:
        return
    lead = len(chunk) - len(chunk.lstrip())
    s = start + lead
    sentences.append(Sentence(stripped, s, s + len(stripped)))


def slugify(text: str) -> str:
    """`[a-z0-9_]+` slug of a name, as the graph's ids use: "Florence Price" -> florence_price."""
    folded = fold(text)
    slug = re.sub(r"[^a-z0-9]+", "_", folded).strip("_")
    return slug or "unnamed"


_ARTICLES = ("the ", "a ", "an ")


def norm_name(text: str) -> str:
    """A loose comparison form of a name: folded words, no punctuation, no leading article."""
    words = [fold(t.text) for t in tokenize(text)]
    words = [w for w in words if w.isalnum()]
    joined = " ".join(words)
    for article in _ARTICLES:
        if joined.startswith(article):
            joined = joined[len(article) :]
            break
    return joined


def shape(word: str) -> int:
    """A casing class of a word for the tagger: 0 lower, 1 Title, 2 UPPER, 3 digit, 4 punct, 5 mixed."""
    if not word:
        return 4
    if word.isdigit():
        return 3
    if not any(ch.isalnum() for ch in word):
        return 4
    if word.islower():
        return 0
    if word.isupper():
        return 2
    if word[0].isupper() and (len(word) == 1 or word[1:].islower()):
        return 1
    return 5


N_SHAPES = 6
