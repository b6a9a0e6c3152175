"""Administering the running service's recommender: retraining in the background, the version
history with metrics, activation, rollback, and switching the served version without a restart.

Retraining (`RecAdmin.train`) is a job of the service's one `JobRunner` and does what
`etude rec train` does: the platform's data set from the graph and the stored behaviour, then
`recommender.publish.train_version`, which checks the new version on held-out behaviour and
activates it only if it is not worse than the active one. An activated version is loaded (caught
up with the behaviour stored since it was trained) and swapped into the actions (`swap`, e.g.
`Tutor.switch_recommender`). An admin may also activate any complete version, or roll back; that
is an explicit decision, so the gate does not apply to it.

With a separate action server (ETUDE_ACTION_ENDPOINT) the recommender the actions ask lives in
that process: restart it (`etude actions`) to serve a new version there.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.jobs import Job, JobRunner
from recommender.registry import METADATA, rec_versions

log = logging.getLogger(__name__)

TRAINING = "recommender retraining"
WORKS = ("all", "catalog", "none")
MAX_EPOCHS = 50
DEFAULT_EPOCHS = 10  # MKGAT's own default
Platform = Callable[[str], tuple[Any, Any]]  # works -> (RecData, histories)


class UnknownVersion(LookupError):
    pass


def check_options(epochs: Any = DEFAULT_EPOCHS, works: Any = "all") -> tuple[int, str]:
    """Epochs (1..50) and which works are items; ValueError saying what is wrong otherwise."""
    if isinstance(epochs, str):
        epochs = epochs.strip() or str(DEFAULT_EPOCHS)
        if not epochs.isdigit():
            raise ValueError(f"epochs must be a whole number from 1 to {MAX_EPOCHS}")
        epochs = int(epochs)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= MAX_EPOCHS:
        raise ValueError(f"epochs must be a whole number from 1 to {MAX_EPOCHS}")
    if works not in WORKS:
        raise ValueError(f"works must be one of {', '.join(WORKS)}")
    return epochs, works


def platform_source(graph: Any, store: Any, cache_dir: Path | None = None, media: bool = True) -> Platform:
    """What `etude rec train` reads, from the running service's graph and conversation store."""

    def build(works: str) -> tuple[Any, Any]:
        from recommender.behaviour import store_events
        from recommender.platform import platform_data
        from recommender.publish import histories

        events = store_events(store)
        data = platform_data(graph, events, cache_dir=cache_dir, works=works, media=media)  # type: ignore[arg-type]
        return data, histories(data, events)

    return build


class RecAdmin:
    """The service's recommender versions and training jobs.

    `load(version)` builds a servable recommender of a version; `swap(recommender)` makes the service
    recommend with it; `platform(works)` gives the data set and histories to train on; `trainer` is
    `recommender.publish.train_version` (its keyword arguments), `train_options` extra model settings
    (e.g. a small `dim` in tests).
    """

    def __init__(
        self,
        home: Path,
        *,
        load: Callable[[str], Any],
        swap: Callable[[Any], None],
        platform: Platform,
        trainer: Callable[..., dict[str, Any]] | None = None,
        train_options: dict[str, Any] | None = None,
        runner: JobRunner | None = None,
    ) -> None:
        self.home = Path(home)
        self.load = load
        self.swap = swap
        self.platform = platform
        self.trainer = trainer
        self.train_options = dict(train_options or {})
        self.runner = runner or JobRunner()
        self._switching = threading.Lock()  # one activation at a time: pointer and served model agree

    # the version history ------------------------------------------------------------------------

    @property
    def store(self):
        return rec_versions(self.home)

    def versions(self) -> dict[str, Any]:
        """Every complete version, newest first, with its metrics; the active one and the history."""
        store = self.store
        active = store.active()
        rows = []
        if store.root.exists():
            for path in sorted(store.root.iterdir(), key=lambda p: p.name, reverse=True):
                if path.is_dir() and store.complete(path.name):
                    rows.append(self._summary(path, active))
        history = [v for v in store.read_active().get("history", []) if store.complete(v)]
        return {"active": active, "previous": history[-1] if history else None, "history": history,
                "versions": rows}

    @staticmethod
    def _summary(path: Path, active: str | None) -> dict[str, Any]:
        try:
            meta = json.loads((path / METADATA).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        metrics = meta.get("metrics") or {}
        gate = meta.get("gate") or {}
        key = gate.get("metric") or "ndcg@10"
        cut = key.split("@")[-1]
        data = meta.get("data") or {}
        return {
            "version": path.name,
            "active": path.name == active,
            "trained_at": meta.get("trained_at"),
            "seconds": meta.get("seconds"),
            "gate_metric": key,
            "metrics": {k: round(float(metrics[k]), 4) for k in (key, f"hit@{cut}", f"recall@{cut}")
                        if isinstance(metrics.get(k), int | float)},
            "learners": data.get("users"),
            "items": data.get("items"),
            "positives": data.get("positives"),
            "epochs": (meta.get("config") or {}).get("epochs"),
            "best_epoch": meta.get("best_epoch"),
            "activated_on_training": meta.get("activated"),
            "gate": gate.get("reason"),
        }

    def exists(self, version: str) -> bool:
        return bool(version) and "/" not in version and not version.startswith(".") \
            and self.store.complete(version)

    # activation ---------------------------------------------------------------------------------

    def activate(self, version: str, by: str | None = None) -> dict[str, Any]:
        """Serve `version` now (the gate does not apply); UnknownVersion if it is not a complete
        version. It is loaded before the pointer moves: one that cannot load changes nothing."""
        with self._switching:
            if not self.exists(version):
                raise UnknownVersion(f"there is no recommender version {version!r}")
            store = self.store
            replaced = store.active()
            recommender = self.load(version)
            store.activate(version)
            self.swap(recommender)
        log.info("recommender %s activated by %s (was %s)", version, by or "?", replaced)
        return {"active": version, "replaced": replaced,
                "note": "activated by an admin: the gate applies to retraining only"}

    def rollback(self, by: str | None = None) -> dict[str, Any]:
        """Serve the version that was active before the current one; ValueError if there is none."""
        with self._switching:
            store = self.store
            history = [v for v in store.read_active().get("history", []) if store.complete(v)]
            if not history:
                raise ValueError("there is no earlier recommender version to roll back to")
            recommender = self.load(history[-1])
            result = store.rollback()
            self.swap(recommender)
        log.info("recommender rolled back by %s to %s (was %s)", by or "?", result["active"],
                 result["replaced"])
        return result

    # retraining ---------------------------------------------------------------------------------

    def train(self, by: str | None = None, epochs: Any = DEFAULT_EPOCHS, works: Any = "all") -> Job:
        """Start a retraining job (ValueError for bad options, Busy if a job has not finished)."""
        epochs, works = check_options(epochs, works)
        return self.runner.submit(TRAINING, lambda job: self._retrain(job, epochs, works), requested_by=by)

    def _retrain(self, job: Job, epochs: int, works: str) -> dict[str, Any]:
        trainer = self.trainer
        if trainer is None:
            from recommender.publish import train_version as trainer
        job.progress("building the data set from the graph and the stored behaviour", 0, 1)
        data, order = self.platform(works)
        job.say(f"data set: {data.n_users} learners, {data.n_items} items ({works} works), "
                f"{len(data.positives)} positives")

        def on_epoch(epoch: int, scores: dict[str, float]) -> None:
            job.progress(f"training: epoch {epoch} of at most {epochs}", epoch, epochs)

        job.progress(f"training: epoch 0 of at most {epochs}", 0, epochs)
        result = trainer(data, self.home, order, config={**self.train_options, "epochs": epochs},
                         on_epoch=on_epoch)
        version, activated, reason = result["version"], bool(result["activated"]), result.get("reason", "")
        job.say(f"version {version}: " + ("activated" if activated else "not activated") + f" ({reason})")
        serving = None
        if activated:
            job.progress("switching the service to the new version", 0, 1)
            with self._switching:
                try:
                    recommender = self.load(version)
                except Exception:
                    # the pointer must not name a version the service could not load: put it back
                    with contextlib.suppress(ValueError):  # (the first version has nothing before it)
                        self.store.rollback()
                    raise
                self.swap(recommender)
            serving = version
            job.say(f"the service now recommends with {version}")
        return {"version": version, "activated": activated, "reason": reason, "serving": serving,
                "metrics": result.get("metrics"), "active_metrics": result.get("active_metrics"),
                "active": result.get("active"), "epochs": epochs, "works": works,
                "split": result.get("split"), "seconds": result.get("seconds")}
