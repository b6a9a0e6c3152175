"""Contrastive copies of training examples: the music topic swapped for another subject.

A classifier trained on a few dozen phrasings per intent learns the phrasing: "what are the
prerequisites for calculus" looks like a question about a music concept. Copies of topical
examples with a non-music subject in the concept's place, labelled out of scope, make it read the
topic too. They are made from the training split only, so the held-out examples stay unseen.

Measured on the held-out split with two model seeds each (validation / test intent accuracy):
without the copies 0.915 / 0.903 and 0.915 / 0.928, with them (share 0.3) 0.948 / 0.915 and
0.934 / 0.909: over both splits +0.9 points, within seed noise; the look-alike questions about
other subjects in the test split answered as music went from 6 per run to 3-4, and in-scope
messages taken for out of scope from 2 and 0 to 2 and 2. Turning difficulty
complaints round by their direction word ("too hard" -> "too easy") was tried the same way and
did not help (0.901 / 0.903 and 0.929 / 0.912 together with the off-topic copies).

The subjects (`data/off_topic.yml`) were written after this class of errors showed on the held-out
split; no subject is named by a held-out message (a test checks it), so the split still measures
topics the model never saw.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from nlu.data import Example, article_length


def load_off_topic(path: Path) -> list[str]:
    """The non-music subjects of `path` (a YAML file with an `off_topic` list)."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    topics = data.get("off_topic") if isinstance(data, dict) else None
    if not isinstance(topics, list) or not all(isinstance(t, str) and t.strip() for t in topics):
        raise ValueError(f"{path}: expected an 'off_topic' list of non-empty strings")
    return [t.strip() for t in topics]


# Intents whose messages are about a topic and nothing else: with the topic swapped, the rest
# ("explain ...", "quiz me on ...") says nothing about music.
TOPICAL_INTENTS = ("explain_concept", "compare_concepts", "ask_prerequisites", "start_quiz", "learning_path")
_NGRAM_WORD = re.compile(r"[a-z0-9#'-]+")
_ENDS_IN_ARTICLE = re.compile(r"\b(the|a|an)\s*$", re.I)


def _mentions(text: str, terms: set[str]) -> bool:
    """Whether a run of one to three words of `text` is one of `terms` (lower-case)."""
    words = _NGRAM_WORD.findall(text.lower())
    return any(
        " ".join(words[i : i + n]) in terms for n in (1, 2, 3) for i in range(len(words) - n + 1)
    )


def off_topic_copies(
    examples: list[Example],
    topics: list[str],
    share: float,
    seed: int = 13,
    music_terms: set[str] | frozenset[str] = frozenset(),
    intents: tuple[str, ...] = TOPICAL_INTENTS,
    label: str = "out_of_scope",
) -> list[Example]:
    """Out-of-scope copies of a random `share` of the topical examples, each concept replaced by
    a non-music subject.

    "what are the prerequisites for the Dorian mode" and "... for organic chemistry" read alike;
    only the topic tells the tutor's questions from the ones it cannot answer. Without such pairs
    the model learns the phrasing and answers a question about chemistry as if it were music.
    Examples with other entities, or whose remaining words still name music (`music_terms`, e.g.
    the graph's concept and instrument names: "... in my sheet music"), are not copied.
    """
    rng = random.Random(seed)
    out: list[Example] = []
    if not topics or share <= 0:
        return out
    for ex in examples:
        if ex.intent not in intents or not ex.entities or any(e.entity != "concept" for e in ex.entities):
            continue
        spans = sorted(ex.entities, key=lambda e: e.start)
        bounds = zip([0] + [e.end for e in spans], [e.start for e in spans] + [len(ex.text)], strict=True)
        rest = " ".join(ex.text[a:b] for a, b in bounds)
        if _mentions(rest, music_terms) or rng.random() >= share:
            continue
        pieces, cursor = [], 0
        for ent in spans:
            before, topic = ex.text[cursor : ent.start], rng.choice(topics)
            if _ENDS_IN_ARTICLE.search(before):
                topic = topic[article_length(topic) :]  # not "what is a the cold war"
            pieces += [before, topic]
            cursor = ent.end
        pieces.append(ex.text[cursor:])
        out.append(Example("".join(pieces), label, []))
    return out
