"""Administering the running service's NLU: retraining in the background, the model history,
activation, rollback, and switching the model being served without a restart.

Retraining (`NLUAdmin.train`) is a job of the service's `JobRunner`: it trains on `data/nlu.yml`
plus the reviewed corrections (the review queue's export: the latest correction of each corrected
turn; a correction replaces a training example with the same text), through `nlu.train.train_nlu`
and its gate (activated only if not worse than the active model on the same held-out split). An
activated version is loaded and swapped into the parse path (`swap`, e.g. `Tutor.switch_nlu`).
An admin may also activate any complete version, or roll back; that is an explicit decision, so
the gate does not apply to it.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.jobs import Job, JobRunner
from nlu.data import NLUData, load_nlu, write_nlu
from nlu.service import nlu_versions

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
TRAINING = "NLU retraining"
METRICS = ("examples", "intent_accuracy", "intent_macro_f1", "entity_f1", "fallback_rate")


class UnknownVersion(LookupError):
    pass


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def merge_training_data(
    base: Path, corrections: Sequence[dict[str, Any]], out_dir: Path
) -> tuple[Path, dict[str, Any]]:
    """`base` plus the corrections (as the review export writes them) in one Rasa file in `out_dir`;
    a correction replaces every base example with the same text (any case and spacing)."""
    from bot.console.review import export_training_data

    out_dir.mkdir(parents=True, exist_ok=True)
    exported = out_dir / "corrections.yml"
    exported.write_text(export_training_data(corrections), encoding="utf-8")
    data = load_nlu(base)
    corrected = load_nlu(exported).examples
    texts = {_key(example.text) for example in corrected}
    kept = [example for example in data.examples if _key(example.text) not in texts]
    merged = NLUData(kept + corrected, data.synonyms, data.lookups, data.regexes)
    path = out_dir / "nlu.yml"
    write_nlu(merged, path)
    info = {"base": str(base), "base_examples": len(data.examples), "corrections": len(corrected),
            "replaced": len(data.examples) - len(kept), "examples": len(merged.examples)}
    return path, info


class NLUAdmin:
    """The service's NLU versions and training jobs.

    `load(version)` builds a servable NLU of a version; `swap(nlu)` makes the service parse with it;
    `corrections()` reads the reviewed corrections; `trainer` is `nlu.train.train_nlu` (its keyword
    arguments), `train_options` extra keyword arguments for it (e.g. `epochs`).
    """

    def __init__(
        self,
        home: Path,
        *,
        load: Callable[[str], Any],
        swap: Callable[[Any], None],
        corrections: Callable[[], Sequence[dict[str, Any]]] | None = None,
        data: Path | None = None,
        config: Path | None = None,
        trainer: Callable[..., dict[str, Any]] | None = None,
        train_options: dict[str, Any] | None = None,
        runner: JobRunner | None = None,
    ) -> None:
        self.home = Path(home)
        self.load = load
        self.swap = swap
        self.corrections = corrections
        self.data = Path(data or REPO_ROOT / "data" / "nlu.yml")
        self.config = Path(config or REPO_ROOT / "config.yml")
        self.trainer = trainer
        self.train_options = dict(train_options or {})
        self.runner = runner or JobRunner()
        self._switching = threading.Lock()  # one activation at a time: pointer and served model agree

    # the model history ---------------------------------------------------------------------------

    @property
    def versions_dir(self):
        return nlu_versions(self.home)

    def versions(self) -> dict[str, Any]:
        """Every complete version, newest first, with its metrics; the active one and the history."""
        store = self.versions_dir
        state = store.read_active()
        active = store.active()
        rows = []
        if store.root.exists():
            for path in sorted(store.root.iterdir(), key=lambda p: p.name, reverse=True):
                if path.is_dir() and store.complete(path.name):
                    rows.append(self._summary(path, active))
        history = [v for v in state.get("history", []) if store.complete(v)]
        return {"active": active, "previous": history[-1] if history else None, "history": history,
                "versions": rows}

    def _summary(self, path: Path, active: str | None) -> dict[str, Any]:
        try:
            meta = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        metrics = meta.get("metrics") or {}
        split = meta.get("split") or {}
        return {
            "version": path.name,
            "active": path.name == active,
            "trained_at": meta.get("trained_at"),
            "seconds": meta.get("seconds"),
            "metrics": {k: metrics[k] for k in METRICS if k in metrics},
            "score": meta.get("score"),
            "data_size": sum(int(split.get(k, 0)) for k in ("train", "validation", "test")),
            "training_data": meta.get("training_data"),
            "activated_on_training": meta.get("activated"),
            "gate": meta.get("gate"),
        }

    def exists(self, version: str) -> bool:
        return version in {row["version"] for row in self.versions()["versions"]}

    # activation ----------------------------------------------------------------------------------

    def activate(self, version: str, by: str | None = None) -> dict[str, Any]:
        """Serve `version` now (an explicit decision: the gate does not apply); UnknownVersion if it is
        not a complete version. The model is loaded before the pointer moves, so a version that
        cannot be loaded leaves everything as it was."""
        with self._switching:
            store = self.versions_dir
            if not version or "/" in version or version.startswith(".") or not store.complete(version):
                raise UnknownVersion(f"there is no NLU model version {version!r}")
            replaced = store.active()
            nlu = self.load(version)
            store.activate(version)
            self.swap(nlu)
        log.info("NLU model %s activated by %s (was %s)", version, by or "?", replaced)
        return {"active": version, "replaced": replaced,
                "note": "activated by an admin: the gate applies to retraining only"}

    def rollback(self, by: str | None = None) -> dict[str, Any]:
        """Serve the version that was active before the current one; ValueError if there is none."""
        with self._switching:
            store = self.versions_dir
            history = [v for v in store.read_active().get("history", []) if store.complete(v)]
            if not history:
                raise ValueError("there is no earlier NLU model to roll back to")
            nlu = self.load(history[-1])
            result = store.rollback()
            self.swap(nlu)
        log.info("NLU model rolled back by %s to %s (was %s)", by or "?", result["active"],
                 result["replaced"])
        return result

    # retraining ----------------------------------------------------------------------------------

    def train(self, by: str | None = None) -> Job:
        """Start a retraining job (Busy if one has not finished)."""
        return self.runner.submit(TRAINING, self._retrain, requested_by=by)

    def _retrain(self, job: Job) -> dict[str, Any]:
        trainer = self.trainer
        if trainer is None:
            from nlu.train import train_nlu as trainer
        job.progress("reading the reviewed corrections", 0, 1)
        found = list(self.corrections()) if self.corrections is not None else []
        with tempfile.TemporaryDirectory(prefix="etude-nlu-train-") as tmp:
            data, info = merge_training_data(self.data, found, Path(tmp))
            job.say(f"training data: {info['examples']} examples, {info['corrections']} from reviewed "
                    f"corrections ({info['replaced']} replaced)")
            result = trainer(data=data, config=self.config, home=self.home, force=False, show_progress=False,
                             progress=job.progress, extra_meta={"training_data": info}, **self.train_options)
        version, activated, reason = result["version"], bool(result["activated"]), result.get("reason", "")
        job.say(f"version {version}: " + ("activated" if activated else "not activated") + f" ({reason})")
        serving = None
        if activated:
            job.progress("switching the service to the new model", 0, 1)
            with self._switching:
                try:
                    nlu = self.load(version)
                except Exception:
                    # the pointer must not name a model the service could not load: put it back
                    self.versions_dir.rollback()
                    raise
                self.swap(nlu)
            serving = version
            job.say(f"the service now parses with {version}")
        return {"version": version, "activated": activated, "reason": reason,
                "metrics": result.get("metrics"), "active_metrics": result.get("active_metrics"),
                "active": result.get("active"), "serving": serving, "training_data": info,
                "seconds": result.get("seconds")}
