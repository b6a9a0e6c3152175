"""What the running service's versioned models (the NLU, the recommender) share: the version history
with each version's summary, activation, rollback, and switching the served model after a training
run that its gate activated, without a restart.

A subclass says how its versions are stored (`version_dir`), what a version's summary row holds
(`_details`) and how its messages name it; the training itself stays in the subclass. Activating a
version or rolling back is an admin's explicit decision, so the training gate does not apply to it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypedDict

from bot.jobs import Job, JobRunner
from nlu.versions import VersionDir

log = logging.getLogger(__name__)


class TrainingOptions(TypedDict, total=False):
    """The keyword arguments every kind's admin takes after its own (see `VersionedModelAdmin`)."""

    trainer: Callable[..., dict[str, Any]] | None
    train_options: dict[str, Any] | None
    runner: JobRunner | None


class UnknownVersion(LookupError):
    """The name is not one of the complete versions."""


class VersionedModelAdmin(ABC):
    """One kind of model's versions under `home`, served through `load(version)` and `swap(model)`.

    `trainer` and `train_options` are the subclass's training function and its extra keyword
    arguments; `runner` runs the training jobs (the service has one for all its admin jobs).
    """

    what: ClassVar[str]  # how messages name the kind ("NLU model", "recommender")
    earlier: ClassVar[str]  # how a rollback names an earlier version ("NLU model", "recommender version")
    unit: ClassVar[str]  # a new "model" or "version", while switching to it after training
    serving: ClassVar[str]  # what the service does with it ("parses", "recommends")
    metadata: ClassVar[str] = "metadata.json"  # a version's file of metrics and settings

    def __init__(
        self,
        home: Path,
        *,
        load: Callable[[str], Any],
        swap: Callable[[Any], None],
        trainer: Callable[..., dict[str, Any]] | None = None,
        train_options: dict[str, Any] | None = None,
        runner: JobRunner | None = None,
    ) -> None:
        self.home = Path(home)
        self.load = load
        self.swap = swap
        self.trainer = trainer
        self.train_options = dict(train_options or {})
        self.runner = runner or JobRunner()
        self._switching = threading.Lock()  # one activation at a time: pointer and served model agree

    @staticmethod
    @abstractmethod
    def version_dir(home: Path) -> VersionDir:
        """Where the kind's versions and active pointer live under `home`."""

    # the version history -------------------------------------------------------------------------

    @property
    def store(self) -> VersionDir:
        return self.version_dir(self.home)

    def versions(self) -> dict[str, Any]:
        """Every complete version, newest first, with its metrics; the active one and the history."""
        store = self.store
        active = store.active()
        rows = []
        if store.root.exists():
            for path in sorted(store.root.iterdir(), key=lambda p: p.name, reverse=True):
                if path.is_dir() and store.complete(path.name):
                    rows.append(self._summary(path, active))
        history = self._history()
        return {"active": active, "previous": history[-1] if history else None, "history": history,
                "versions": rows}

    def _history(self) -> list[str]:
        """The versions active before the current one that are still complete, oldest first."""
        store = self.store
        return [v for v in store.read_active().get("history", []) if store.complete(v)]

    def _summary(self, path: Path, active: str | None) -> dict[str, Any]:
        try:
            meta = json.loads((path / self.metadata).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        return {"version": path.name, "active": path.name == active, "trained_at": meta.get("trained_at"),
                "seconds": meta.get("seconds"), **self._details(meta)}

    @abstractmethod
    def _details(self, meta: dict[str, Any]) -> dict[str, Any]:
        """The kind's own columns of a version's summary row, from its metadata."""

    def exists(self, version: str) -> bool:
        """Whether `version` names a complete version (and nothing outside the versions' folder)."""
        return bool(version) and "/" not in version and not version.startswith(".") \
            and self.store.complete(version)

    # activation ----------------------------------------------------------------------------------

    def activate(self, version: str, by: str | None = None) -> dict[str, Any]:
        """Serve `version` now (the gate does not apply); UnknownVersion if it is not a complete
        version. It is loaded before the pointer moves: one that cannot load changes nothing."""
        with self._switching:
            if not self.exists(version):
                raise UnknownVersion(f"there is no {self.what} version {version!r}")
            store = self.store
            replaced = store.active()
            model = self.load(version)
            store.activate(version)
            self.swap(model)
        log.info("%s %s activated by %s (was %s)", self.what, version, by or "?", replaced)
        return {"active": version, "replaced": replaced,
                "note": "activated by an admin: the gate applies to retraining only"}

    def rollback(self, by: str | None = None) -> dict[str, Any]:
        """Serve the version that was active before the current one; ValueError if there is none."""
        with self._switching:
            history = self._history()
            if not history:
                raise ValueError(f"there is no earlier {self.earlier} to roll back to")
            model = self.load(history[-1])
            result = self.store.rollback()
            self.swap(model)
        log.info("%s rolled back by %s to %s (was %s)", self.what, by or "?", result["active"],
                 result["replaced"])
        return result

    # after training ------------------------------------------------------------------------------

    def _serve_trained(self, job: Job, result: dict[str, Any]) -> tuple[str, bool, str, str | None]:
        """The trained version, whether its gate activated it, why, and the version now served: an
        activated one is loaded and swapped in; one that cannot load is deactivated again."""
        version, activated, reason = result["version"], bool(result["activated"]), result.get("reason", "")
        job.say(f"version {version}: " + ("activated" if activated else "not activated") + f" ({reason})")
        if not activated:
            return version, activated, reason, None
        job.progress(f"switching the service to the new {self.unit}", 0, 1)
        with self._switching:
            try:
                model = self.load(version)
            except Exception:
                # the pointer must not name a version the service could not load: put it back
                with contextlib.suppress(ValueError):  # (the first version has nothing before it)
                    self.store.rollback()
                raise
            self.swap(model)
        job.say(f"the service now {self.serving} with {version}")
        return version, activated, reason, version
