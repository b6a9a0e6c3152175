"""What the custom actions need from outside the dialogue: the graph, the curriculum, the media dir,
the recommender.

The service (or `etude actions`) configures this once at start; actions stay free of any import
from the service layer, so they run the same in-process and in rasa_sdk's action server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from kg.curriculum import Concept, load_curriculum
from kg.graph import KnowledgeGraph
from recommender.learner.mastery import Prerequisites
from recommender.learner.tracer import Tracer, active_tracer
from recommender.service import RecommenderService

Events = list[dict[str, Any]]  # what an action returns
# How channels name the recordings they keep (content hash + the format's suffix): a name that
# does not match can never reach outside the recordings folder.
RECORDING_NAME = re.compile(r"[0-9a-f]{32}\.[a-z0-9]{2,5}")
DomainDict = dict[str, Any]  # rasa_sdk's `domain` argument


@dataclass
class Services:
    graph: KnowledgeGraph
    media_dir: Path
    curriculum_dir: Path | None = None
    audio_format: str = "wav"  # free to encode; the Telegram channel makes an MP3 twin when it sends
    recommender_service: RecommenderService | None = None  # the tutor loads the active model version
    recordings_dir: Path | None = None  # learners' recordings; default: `recordings` beside media_dir
    models_dir: Path | None = None  # trained models (`kt/`: the attention knowledge tracer, if activated)

    def recording(self, name: str) -> Path | None:
        """The file of a recording a channel stored, or None for a bad or unknown name."""
        if not RECORDING_NAME.fullmatch(name):
            return None
        path = (self.recordings_dir or self.media_dir.parent / "recordings") / name
        return path if path.is_file() else None

    @cached_property
    def curriculum(self) -> dict[str, Concept]:
        """Curriculum concepts by bare id (`perfect_fifth`); the graph's ids are `concept:<id>`."""
        return {c.id: c for c in load_curriculum(self.curriculum_dir)}

    @cached_property
    def prerequisites(self) -> Prerequisites:
        """The curriculum's prerequisite edges by graph id, along which mastery evidence travels."""
        return Prerequisites({
            f"concept:{c.id}": [f"concept:{r}" for r in c.requires] for c in self.curriculum.values()
        })

    @cached_property
    def tracer(self) -> Tracer | None:
        """The activated attention model (`etude learner train`), or None: then the online model decides."""
        if self.models_dir is None:
            return None
        return active_tracer(self.models_dir / "kt", self.prerequisites)

    @cached_property
    def recommender(self) -> RecommenderService:
        """The configured recommender; without one, the graph ranking over this graph."""
        return self.recommender_service or RecommenderService(self.graph)

    def use_recommender(self, recommender: RecommenderService) -> None:
        """Recommend with `recommender` from now on (a newly trained version, or a rollback)."""
        self.recommender_service = recommender
        self.__dict__["recommender"] = recommender  # what the cached property answers from now on


_current: Services | None = None


def configure(services: Services) -> None:
    global _current
    _current = services


def services() -> Services:
    if _current is None:
        raise RuntimeError(
            "the actions are not configured: call actions.services.configure(...) at start "
            "(`etude serve` and `etude actions` do this)"
        )
    return _current
