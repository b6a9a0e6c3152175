"""Learners for the serving tests: the small authored graph of the kg tests and behaviour on it.

Two kinds of learner take turns: theory learners work up the interval chain to ground bass and
ask about Pachelbel's Canon; pianists start with posture and ask about nothing. Nobody ever
touches Dido and Aeneas or the perfect fifth, so both are items without interactions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.store import BehaviorEvent
from kg.build import build_graph
from kg.embedded import EmbeddedStore
from kg.graph import KnowledgeGraph
from kg.stores import embedded_path
from tests.kg.conftest import write_authored_data

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
THEORY = ["concept:pitch", "concept:interval", "work:canon_in_d", "concept:ground_bass"]
PIANO = ["concept:piano_posture", "concept:pitch", "concept:interval"]
UNTOUCHED = ("work:dido_and_aeneas", "concept:perfect_fifth")
# Small enough to train in seconds on the 2-core machine, big enough to exercise every part.
TINY = {"dim": 8, "epochs": 2, "neighbours": 4, "history": 8, "heads": 2, "batch_size": 64}


def build_home(home: Path) -> KnowledgeGraph:
    """ETUDE_HOME with that graph built into its embedded store; the graph opened on it."""
    with EmbeddedStore(embedded_path(home)) as store:
        build_graph(store, data_dir=write_authored_data(home / "data"), corpus=False)
    return KnowledgeGraph(EmbeddedStore(embedded_path(home)))


def behaviour(n_learners: int = 10) -> list[BehaviorEvent]:
    """What the learners did, one event a minute, as the conversation store records it."""
    events = []
    for n in range(n_learners):
        for m, item in enumerate(THEORY if n % 2 == 0 else PIANO):
            at = T0 + timedelta(minutes=10 * n + m)
            if item.startswith("work:"):
                events.append(BehaviorEvent(f"learner{n}", "example_played", item=item, at=at))
            else:
                events.append(BehaviorEvent(f"learner{n}", "explain_concept", concept=item, at=at))
    return events
