"""Trained recommender versions on disk, versioned the way the NLU's are (`nlu.versions`).

`ETUDE_HOME/models/rec/<version>/` holds what serving needs and nothing it does not:

- `model.pt`: the model's name, config and weights, without the raw audio and video (hundreds of
  MB for the platform's items) and without the content encoders that read them;
- `content.pt`: every item's content vectors as the trained encoders made them, so serving never
  runs an encoder (and scores items the same as the trained model did);
- `catalog.json` + `graph.npz`: the items, learners and graph triples the model was built on, so
  it loads without reading the data set again;
- `metadata.json` (written last: a version is complete once it exists): data hash, config,
  metrics, time, library versions, and how the activation gate decided.
"""

from __future__ import annotations

import contextlib
import json
import platform
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nlu.versions import VersionDir
from recommender.base import Recommender, TrainingSet
from recommender.data import RecData
from recommender.models import MAIN, create
from recommender.models.mkgat import MKGAT

METADATA = "metadata.json"
SPARE = "\x00spare"  # learner ids of the empty rows serving adds (no sender id starts with NUL)
# Per learner: the items they engaged with, oldest first, each with the kind of event that made
# it a positive (it words explanations: "you studied", "you asked about").
Histories = dict[str, list[tuple[str, str]]]


def rec_dir(home: Path | str) -> Path:
    return Path(home) / "models" / "rec"


def rec_versions(home: Path | str) -> VersionDir:
    return VersionDir(rec_dir(home), METADATA, "recommender model")


@dataclass(slots=True)
class ServedModel:
    """A loaded version: the model (content served from its cache) and what it was built on."""

    model: MKGAT
    item_ids: list[str]
    histories: Histories
    meta: dict[str, Any] = field(default_factory=dict)
    version: str | None = None


def _flags(data: RecData) -> dict[str, Any]:
    """The data set's plain settings (e.g. whether histories are in time order), which can shape
    the model built from it; ids, arrays and content are saved on their own."""
    skip = {"name", "n_entities", "n_context"}
    return {f.name: getattr(data, f.name) for f in fields(data)
            if f.name not in skip and isinstance(getattr(data, f.name), bool | int | float | str)}


def _skeleton(item_ids: list[str], item_names: list[str], learners: list[str], relation_names: list[str],
              n_entities: int, triples: np.ndarray, item_entity: np.ndarray,
              flags: dict[str, Any] | None = None) -> RecData:
    """The data a model is built from, minus behaviour and raw media: enough to load weights into."""
    known = {f.name for f in fields(RecData)}
    return RecData(
        name="etude",
        positives=np.zeros((0, 2), dtype=np.int64),
        triples=triples,
        item_entity=item_entity,
        user_ids=learners,
        item_ids=item_ids,
        item_names=item_names,
        relation_names=relation_names,
        n_entities=n_entities,
        **{k: v for k, v in (flags or {}).items() if k in known},
    )


@torch.no_grad()
def content_vectors(model: Recommender, batch: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """Every item's `item_modalities` in eval mode (the encoders run once, in batches)."""
    model.eval()
    vectors, present = [], []
    for start in range(0, model.n_items, batch):
        v, p = model.item_modalities(torch.arange(start, min(model.n_items, start + batch)))
        vectors.append(v.float().cpu())
        present.append(p.cpu())
    return torch.cat(vectors), torch.cat(present)


def save_version(path: Path, model: Recommender, data: RecData, histories: Histories,
                 content: tuple[torch.Tensor, torch.Tensor] | None = None) -> None:
    """Write everything but the metadata (`finish_version` adds it, which completes the version);
    `content` is `content_vectors(model)` when the caller has it already."""
    path.mkdir(parents=True, exist_ok=True)
    learners = list(histories)
    skeleton = _skeleton(list(data.item_ids), list(data.item_names), learners, list(data.relation_names),
                         data.n_entities, data.triples, data.item_entity, _flags(data))
    kept = set(create(model.name, skeleton, model.config).state_dict()) - {"history_items"}
    state = {k: v.detach().cpu() for k, v in model.state_dict().items() if k in kept}
    torch.save({"model": model.name, "config": model.config, "state": state}, path / "model.pt")
    vectors, present = content if content is not None else content_vectors(model)
    torch.save({"vectors": vectors, "present": present}, path / "content.pt")
    np.savez_compressed(path / "graph.npz", triples=data.triples, item_entity=data.item_entity)
    catalog = {
        "item_ids": list(data.item_ids),
        "item_names": list(data.item_names),
        "relation_names": list(data.relation_names),
        "n_entities": data.n_entities,
        "flags": _flags(data),
        "histories": {u: [list(pair) for pair in h] for u, h in histories.items()},
    }
    (path / "catalog.json").write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")


def finish_version(path: Path, meta: dict[str, Any]) -> None:
    tmp = path / f".{METADATA}.tmp"
    tmp.write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=float), encoding="utf-8")
    tmp.replace(path / METADATA)


def load_version(path: Path, spare_rows: int = 0, rows: np.ndarray | None = None) -> ServedModel:
    """A saved version ready to serve: eval mode, content from its cache, one history row per
    learner it was trained with (their whole history, read as the model reads training rows) and
    `spare_rows` empty rows after them for learners it never saw. `rows` ((learner row, item)
    pairs) replace those histories (the trainer checks the version with its training rows).
    Raises on missing or mismatched files."""
    saved = torch.load(path / "model.pt", map_location="cpu", weights_only=False)
    catalog = json.loads((path / "catalog.json").read_text(encoding="utf-8"))
    with np.load(path / "graph.npz") as graph:
        triples, item_entity = graph["triples"], graph["item_entity"]
    histories: Histories = {u: [(i, kind) for i, kind in h] for u, h in catalog["histories"].items()}
    learners = [*histories, *(f"{SPARE}{n}" for n in range(spare_rows))]
    skeleton = _skeleton(catalog["item_ids"], catalog["item_names"], learners, catalog["relation_names"],
                         int(catalog["n_entities"]), triples, item_entity, catalog.get("flags"))
    model = create(saved["model"], skeleton, saved["config"])
    if not isinstance(model, MKGAT):
        raise ValueError(f"{path}: serving needs the {MAIN} model, not {saved['model']}")
    if rows is None:
        index = {item: k for k, item in enumerate(catalog["item_ids"])}
        rows = np.array([(u, index[i]) for u, h in enumerate(histories.values()) for i, _ in h if i in index],
                        dtype=np.int64).reshape(-1, 2)
    # what the model derives from behaviour (histories, graph neighbours, neighbourhood counts) first,
    # then the weights, so statistics saved with them (as trained) are not derived again
    model.prepare(TrainingSet("topk", rows, model.n_users, model.n_items))
    missing, unexpected = model.load_state_dict(saved["state"], strict=False)
    if unexpected or set(missing) - {"history_items"}:
        raise ValueError(f"{path}: weights do not fit the model (missing {missing}, unexpected {unexpected})")
    content = torch.load(path / "content.pt", map_location="cpu", weights_only=True)
    model.cache_content(content["vectors"], content["present"])
    model.eval()
    meta_path = path / METADATA
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    return ServedModel(model, catalog["item_ids"], histories, meta, path.name)


ERASED = "erased:"


def erase_learner(home: Path | str, learner: str) -> list[str]:
    """Blank `learner`'s history in every saved version (their data was erased, `bot.privacy`),
    so no version loaded later serves it again; returns the versions rewritten.

    The history becomes empty under a placeholder name (`erased:<row>`) rather than disappearing:
    each learner is a row of the saved model, and rows must keep their order to fit its weights.
    What the weights learnt from them goes with the next training, which no longer reads them.
    """
    root = rec_dir(home)
    changed: list[str] = []
    if not root.is_dir():
        return changed
    for version in sorted(p for p in root.iterdir() if p.is_dir() and (p / "catalog.json").is_file()):
        path = version / "catalog.json"
        catalog = json.loads(path.read_text(encoding="utf-8"))
        histories = catalog.get("histories") or {}
        if learner not in histories:
            continue
        catalog["histories"] = {
            (f"{ERASED}{row}" if name == learner else name): ([] if name == learner else history)
            for row, (name, history) in enumerate(histories.items())
        }
        tmp = version / ".catalog.json.tmp"
        tmp.write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
        changed.append(version.name)
    return changed


def load_active(home: Path | str, spare_rows: int = 0) -> ServedModel | None:
    """The active version, or None when none is trained (or activated) yet."""
    versions = rec_versions(home)
    active = versions.active()
    return load_version(versions.path(active), spare_rows) if active else None


def library_versions() -> dict[str, str]:
    """The versions a saved model depends on, for its metadata."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__}
    for name in ("pykeen", "etude"):
        with contextlib.suppress(PackageNotFoundError):  # not installed as a distribution
            out[name] = version(name)
    return out
