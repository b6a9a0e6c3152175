"""The platform's own recommendation data: Etude's lessons and works, its learners, its graph.

- Items are the tutor's curriculum concepts (lessons) and works, dense ids in that order (each
  sorted by graph id); `item_ids` keeps the graph node ids.
- Entities are every node of the tutor's graph, items first, so item i is entity i; triples are
  every edge (REQUIRES, RELATED_TO, EXAMPLE_OF, COMPOSED_BY, ...), relations numbered by sorted name.
- Users are the learners (sender ids, sorted) with any behaviour event; positives and their
  weights (event counts) come from `recommender.behaviour` (its docstring has the mapping).
- `item_text` is a concept's name and description, or a work's title, composers and description.
- Modalities "audio" ([n_items, S, n_mels, frames] log-mel segments) and "video" ([n_items, T, C, H,
  W] keyboard frames) come from `recommender.media`, present for items with something to play;
  padding (and every absent item's row) is `PAD`, so `encoders.padding_mask` recovers the masks.

With no events (a fresh install) there are no users and no positives, and the rest is complete.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kg.schema import CONCEPT, Node
from music.synth import DEFAULT_TEMPO
from recommender.behaviour import BehaviorEvent, positive_item
from recommender.catalog import Works, platform_items
from recommender.data import Modality, RecData
from recommender.encoders.audio import DEFAULT_MEL, MelConfig
from recommender.encoders.steps import PAD
from recommender.keyboard import DEFAULT_KEYBOARD, KeyboardConfig
from recommender.media import MediaCache, node_media

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

log = logging.getLogger(__name__)

def platform_data(
    graph: KnowledgeGraph,
    events: Iterable[BehaviorEvent],
    *,
    cache_dir: Path | str | None = None,
    works: Works = "all",
    media: bool = True,
    render_works: bool = False,
    mel: MelConfig = DEFAULT_MEL,
    keyboard: KeyboardConfig = DEFAULT_KEYBOARD,
    tempo: int = DEFAULT_TEMPO,
) -> RecData:
    """Etude's data set (see the module docstring); `events` as the service's store
    reads them (`bot.behaviour.store_events`).

    `cache_dir` (e.g. ETUDE_HOME/cache/rec) keeps computed media features; `media=False` leaves the
    modalities out; `render_works` also renders the opening of music21 corpus works (slow the
    first time: every score is parsed).
    """
    items = platform_items(graph, works)
    item_index = {n.id: k for k, n in enumerate(items)}
    entity_index = dict(item_index)
    nodes = {n.id: n for n in graph.store.nodes()}
    others = sorted((n for n in nodes.values() if n.id not in item_index), key=lambda n: n.id)
    for node in others:
        entity_index[node.id] = len(entity_index)
    edges = list(graph.store.triples())
    relations = sorted({t.rel for t in edges})
    rel_index = {r: k for k, r in enumerate(relations)}
    triples = np.array(
        sorted((entity_index[t.head], rel_index[t.rel], entity_index[t.tail]) for t in edges
               if t.head in entity_index and t.tail in entity_index),
        dtype=np.int64,
    ).reshape(-1, 3)
    makers: dict[str, list[str]] = {}
    for t in edges:
        if t.rel == "COMPOSED_BY" and t.tail in nodes:
            makers.setdefault(t.head, []).append(nodes[t.tail].name)
    users, positives, weights = _positives(events, item_index)
    data = RecData(
        ordered=True,  # each learner's positives in the time order of their latest interaction
        name="etude",
        positives=positives,
        triples=triples,
        item_entity=np.arange(len(items), dtype=np.int64),
        user_ids=users,
        item_ids=[n.id for n in items],
        item_names=[n.name for n in items],
        relation_names=relations,
        n_entities=len(entity_index),
        entity_names={k: n.name for k, n in enumerate([*items, *others])},
        item_text=[_text(n, sorted(makers.get(n.id, []))) for n in items],
        modalities=_modalities(items, cache_dir, mel, keyboard, tempo, render_works) if media else {},
        weights=weights,
    )
    data.check()
    return data


def _positives(
    events: Iterable[BehaviorEvent], items: dict[str, int]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    learners: set[str] = set()
    counts: Counter[tuple[str, int]] = Counter()
    latest: dict[tuple[str, int], int] = {}  # events arrive oldest first
    for position, event in enumerate(events):
        learners.add(event.learner_id)
        item = positive_item(event, items)
        if item is not None:
            counts[(event.learner_id, item)] += 1
            latest[(event.learner_id, item)] = position
    users = sorted(learners)
    user_index = {u: k for k, u in enumerate(users)}
    # per learner in time order of their latest interaction, so "the latest" means what it says
    pairs = [(user_index[u], i) for (u, i) in sorted(counts, key=lambda p: (user_index[p[0]], latest[p]))]
    positives = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    weights = np.array([counts[(users[u], i)] for u, i in pairs], dtype=np.float32)
    return users, positives, weights


def _text(node: Node, makers: list[str]) -> str:
    """What a text encoder should read: a lesson's description, a work's title, makers and story."""
    description = str(node.props.get("description") or "").strip()
    if node.label == CONCEPT:
        return f"{node.name}: {description}" if description else node.name
    if not makers and node.props.get("composer_name"):
        makers = [str(node.props["composer_name"])]
    text = node.name + (f" by {', '.join(makers)}" if makers else "")
    details = [str(node.props[k]) for k in ("form", "key") if node.props.get(k)]
    if details:
        text += f" ({', '.join(details)})"
    return f"{text}. {description}" if description else text


def _modalities(
    items: list[Node],
    cache_dir: Path | str | None,
    mel: MelConfig,
    keyboard: KeyboardConfig,
    tempo: int,
    render_works: bool,
) -> dict[str, Modality]:
    n = len(items)
    audio = np.full((n, mel.max_segments, mel.n_mels, mel.segment_frames), PAD, dtype=np.float32)
    video = np.full(
        (n, keyboard.max_frames, keyboard.channels, keyboard.height, keyboard.width), PAD, dtype=np.float32
    )
    has_audio = np.zeros(n, dtype=bool)
    has_video = np.zeros(n, dtype=bool)
    cache = MediaCache(Path(cache_dir) / "media") if cache_dir is not None else None
    started = time.perf_counter()
    for k, node in enumerate(items):
        found = node_media(node, cache, mel=mel, keyboard=keyboard, tempo=tempo, render_works=render_works)
        if found is not None:
            audio[k], video[k] = found.audio, found.video
            has_audio[k], has_video[k] = found.audio_mask.any(), found.video_mask.any()
    log.info("media of %d of %d items in %.1f s", int(has_audio.sum()), n, time.perf_counter() - started)
    return {"audio": Modality(audio, has_audio), "video": Modality(video, has_video)}
