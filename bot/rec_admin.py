"""Administering the running service's recommender: retraining in the background, the version
history with metrics, activation, rollback, and switching the served version without a restart.

Retraining (`RecAdmin.train`) is a job of the service's one `JobRunner` and does what
`etude rec train` does: the platform's data set from the graph and the stored behaviour, then
`recommender.publish.train_version`, which checks the new version on held-out behaviour and
activates it only if it is not worse than the active one. An activated version is loaded (caught
up with the behaviour stored since it was trained) and swapped into the actions (`swap`, e.g.
`Tutor.switch_recommender`). An admin may also activate any complete version, or roll back; that
is an explicit decision, so the gate does not apply to it (`bot.model_admin` holds the history,
activation and rollback that the NLU's admin shares).

With a separate action server (ETUDE_ACTION_ENDPOINT) the recommender the actions ask lives in
that process: restart it (`etude actions`) to serve a new version there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Unpack

from bot.jobs import Job
from bot.model_admin import TrainingOptions, VersionedModelAdmin
from bot.model_admin import UnknownVersion as UnknownVersion  # re-exported: the pages catch it
from recommender.registry import METADATA, rec_versions

TRAINING = "recommender retraining"
WORKS = ("all", "catalog", "none")
MAX_EPOCHS = 50
DEFAULT_EPOCHS = 10  # MKGAT's own default
Platform = Callable[[str], tuple[Any, Any]]  # works -> (RecData, histories)


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
        from bot.behaviour import platform

        return platform(graph, store, cache_dir=cache_dir, works=works, media=media)  # type: ignore[arg-type]

    return build


class RecAdmin(VersionedModelAdmin):
    """The service's recommender versions and training jobs.

    `load(version)` builds a servable recommender of a version; `swap(recommender)` makes the service
    recommend with it; `platform(works)` gives the data set and histories to train on; `trainer` is
    `recommender.publish.train_version` (its keyword arguments), `train_options` extra model settings
    (e.g. a small `dim` in tests).
    """

    what = "recommender"
    earlier = "recommender version"
    unit = "version"
    serving = "recommends"
    metadata = METADATA
    version_dir = staticmethod(rec_versions)

    def __init__(self, home: Path, *, load: Callable[[str], Any], swap: Callable[[Any], None],
                 platform: Platform, **options: Unpack[TrainingOptions]) -> None:
        super().__init__(home, load=load, swap=swap, **options)
        self.platform = platform

    def _details(self, meta: dict[str, Any]) -> dict[str, Any]:
        metrics = meta.get("metrics") or {}
        gate = meta.get("gate") or {}
        key = gate.get("metric") or "ndcg@10"
        cut = key.split("@")[-1]
        data = meta.get("data") or {}
        return {
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
        version, activated, reason, serving = self._serve_trained(job, result)
        return {"version": version, "activated": activated, "reason": reason, "serving": serving,
                "metrics": result.get("metrics"), "active_metrics": result.get("active_metrics"),
                "active": result.get("active"), "epochs": epochs, "works": works,
                "split": result.get("split"), "seconds": result.get("seconds")}
