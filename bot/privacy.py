"""Erasing a learner's data: what every way in (the learner's `/me/delete`, the console, the API,
`etude learner delete`) calls, so each erases the same things.

- The conversation store: their conversation, turns (with the tracker events, which hold the learner
  model as slots), behaviour events, and reviews and corrections of their turns
  (`ConversationStore.erase_learner`, which also records that an erasure happened).
- Their recordings: the channels keep a recording under a hash of its content and name it in the
  turn's user event (`metadata.recording`); those files go, unless another learner's turn names the
  same file (the same bytes, uploaded by both). Media the tutor generates (rendered examples) come
  from the knowledge graph, are shared and say nothing of a learner, so they stay.
- In-memory state, through the `forget` callables: the engine's cached tracker, the recommender's
  online history. The knowledge tracer keeps nothing per learner (it reads the tracker's history).
- Trained models: every trainer (`etude rec train`, `etude learner train`, NLU retraining from
  corrections) reads its inputs from the store, so the learner is absent from the next training.
  Saved recommender versions also list each learner's history (to serve them after a restart):
  with `home` given, the learner's history is blanked in every saved version
  (`recommender.registry.erase_learner`); what the weights learnt goes with the next training.

The store is erased first and the caches after it, so a message that arrives meanwhile cannot
rebuild the learner's state from rows about to go. A message being processed at that very moment
may still store its own turn afterwards, as a new conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Text, cast, select

from bot.store import ID_LENGTH, ConversationStore, UnknownLearner, turns

log = logging.getLogger(__name__)

Forget = Callable[[str], object]

__all__ = ["Eraser", "ErasureReport", "Forget", "UnknownLearner", "erase_learner", "recordings_named"]


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure removed: rows per table, recording files, and when."""

    sender: str
    counts: dict[str, int]
    recordings: int
    erased_at: datetime
    model_versions: tuple[str, ...] = ()  # saved recommender versions whose copy was blanked

    def to_json(self) -> dict[str, Any]:
        return {"learner": self.sender, "erased_at": self.erased_at.isoformat(),
                "deleted": {**self.counts, "recordings": self.recordings},
                "recommender_versions_rewritten": list(self.model_versions)}


def recordings_named(events: Iterable[dict[str, Any]]) -> set[str]:
    """The recording files the learner's user events name (only well-formed names: nothing outside
    the recordings folder can be named)."""
    from actions.services import RECORDING_NAME

    found = set()
    for item in events:
        metadata = item.get("metadata") if item.get("event") == "user" else None
        name = metadata.get("recording") if isinstance(metadata, dict) else None
        if isinstance(name, str) and RECORDING_NAME.fullmatch(name):
            found.add(name)
    return found


def _named_elsewhere(store: ConversationStore, name: str) -> bool:
    """Whether any stored turn still names the recording (run after the learner's turns are gone,
    so a match is someone else's). The name is hex and a suffix: no LIKE wildcard in it."""
    query = select(turns.c.id).where(cast(turns.c.events, Text).like(f"%{name}%")).limit(1)
    with store.transaction(write=False) as conn:
        return conn.execute(query).first() is not None


def _remove_recordings(store: ConversationStore, names: set[str], directory: Path | None) -> int:
    if directory is None:
        return 0
    removed = 0
    for name in sorted(names):
        path = directory / name
        if not path.is_file() or _named_elsewhere(store, name):
            continue
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def erase_learner(
    sender: str,
    store: ConversationStore,
    *,
    recordings_dir: Path | None,
    forget: Sequence[Forget] = (),
    home: Path | None = None,
    by: int | None = None,
    via: str = "cli",
    at: datetime | None = None,
) -> ErasureReport:
    """Erase everything of `sender` (see the module docstring); `by` is the account that asked
    (None: the learner themselves, or the CLI). `UnknownLearner` when the store holds nothing of
    them, and then nothing is touched; ValueError for an id no learner can have."""
    if not isinstance(sender, str) or not sender or len(sender) > ID_LENGTH or "\x00" in sender:
        raise ValueError(f"a learner id is 1 to {ID_LENGTH} characters without NUL, not {sender!r:.80}")
    at = at or datetime.now(UTC)
    names = recordings_named(store.events(sender))
    counts = store.erase_learner(sender, via=via, by=by, at=at)
    recordings = _remove_recordings(store, names, recordings_dir)
    versions: list[str] = []
    if home is not None:
        from recommender.registry import erase_learner as erase_from_versions

        versions = erase_from_versions(home, sender)
    for drop in forget:
        try:
            drop(sender)
        except Exception:  # the rows are gone; a cache that failed to forget is rebuilt from them
            log.exception("could not make %r forget an erased learner", drop)
    log.info("erased a learner's data (%s): %s, %d recordings, %d saved recommender versions", via, counts,
             recordings, len(versions))
    return ErasureReport(sender, counts, recordings, at, tuple(versions))


@dataclass
class Eraser:
    """`erase_learner` with what the running app erases: its store, recordings folder and caches
    (`create_app(eraser=...)` keeps it for the routes)."""

    store: ConversationStore
    recordings_dir: Path | None = None
    forget: list[Forget] = field(default_factory=list)
    home: Path | None = None  # ETUDE_HOME: its saved recommender versions are rewritten too

    def __call__(self, sender: str, *, via: str, by: int | None = None) -> ErasureReport:
        return erase_learner(sender, self.store, recordings_dir=self.recordings_dir, forget=self.forget,
                             home=self.home, by=by, via=via)
