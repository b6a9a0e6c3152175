"""Administering the running service's NLU: retraining in the background, the model history,
activation, rollback, and switching the model being served without a restart.

Retraining (`NLUAdmin.train`) is a job of the service's `JobRunner`: it trains on `data/nlu.yml`
plus the reviewed corrections (the review queue's export: the latest correction of each corrected
turn; a correction replaces a training example with the same text), through `nlu.train.train_nlu`
and its gate (activated only if not worse than the active model on the same held-out split). An
activated version is loaded and swapped into the parse path (`swap`, e.g. `Tutor.switch_nlu`).
An admin may also activate any complete version, or roll back; that is an explicit decision, so
the gate does not apply to it (`bot.model_admin` holds the history, activation and rollback that
the recommender's admin shares).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Unpack

from bot.jobs import Job
from bot.model_admin import TrainingOptions, VersionedModelAdmin
from bot.model_admin import UnknownVersion as UnknownVersion  # re-exported: the pages catch it
from nlu.data import NLUData, load_nlu, write_nlu
from nlu.service import nlu_versions

REPO_ROOT = Path(__file__).resolve().parent.parent
TRAINING = "NLU retraining"
METRICS = ("examples", "intent_accuracy", "intent_macro_f1", "entity_f1", "fallback_rate")


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


class NLUAdmin(VersionedModelAdmin):
    """The service's NLU versions and training jobs.

    `load(version)` builds a servable NLU of a version; `swap(nlu)` makes the service parse with it;
    `corrections()` reads the reviewed corrections; `trainer` is `nlu.train.train_nlu` (its keyword
    arguments), `train_options` extra keyword arguments for it (e.g. `epochs`).
    """

    what = "NLU model"
    earlier = "NLU model"
    unit = "model"
    serving = "parses"
    version_dir = staticmethod(nlu_versions)

    def __init__(
        self,
        home: Path,
        *,
        load: Callable[[str], Any],
        swap: Callable[[Any], None],
        corrections: Callable[[], Sequence[dict[str, Any]]] | None = None,
        data: Path | None = None,
        config: Path | None = None,
        **options: Unpack[TrainingOptions],
    ) -> None:
        super().__init__(home, load=load, swap=swap, **options)
        self.corrections = corrections
        self.data = Path(data or REPO_ROOT / "data" / "nlu.yml")
        self.config = Path(config or REPO_ROOT / "config.yml")

    def _details(self, meta: dict[str, Any]) -> dict[str, Any]:
        metrics = meta.get("metrics") or {}
        split = meta.get("split") or {}
        return {
            "metrics": {k: metrics[k] for k in METRICS if k in metrics},
            "score": meta.get("score"),
            "data_size": sum(int(split.get(k, 0)) for k in ("train", "validation", "test")),
            "training_data": meta.get("training_data"),
            "activated_on_training": meta.get("activated"),
            "gate": meta.get("gate"),
        }

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
        version, activated, reason, serving = self._serve_trained(job, result)
        return {"version": version, "activated": activated, "reason": reason,
                "metrics": result.get("metrics"), "active_metrics": result.get("active_metrics"),
                "active": result.get("active"), "serving": serving, "training_data": info,
                "seconds": result.get("seconds")}
