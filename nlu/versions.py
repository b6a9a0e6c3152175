"""Versioned model directories with an active pointer: how Etude keeps every trained model.

A kind of model (the NLU, the recommender) lives under one root, `ETUDE_HOME/models/<kind>/`:
one directory per training run, named by its UTC time (`20250301-120000`, `-2`, `-3` when runs
share a second), and `active.json` naming the version in use plus the ones active before it, so
a rollback walks back through them. A version counts only when its `marker` file exists, so a
run that died half-way is never activated or rolled back to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HISTORY = 20  # earlier active versions remembered for rollbacks


@dataclass(frozen=True, slots=True)
class VersionDir:
    """The versions of one kind of model under `root`; `marker` is a file every complete one has."""

    root: Path
    marker: str
    what: str = "model"  # how errors name the kind ("NLU model")

    @property
    def pointer(self) -> Path:
        return self.root / "active.json"

    def path(self, version: str) -> Path:
        return self.root / version

    def complete(self, version: str) -> bool:
        return bool(version) and (self.root / version / self.marker).exists()

    def new_version(self) -> str:
        """A fresh name for a run starting now (the directory is not created)."""
        base = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        name, n = base, 1
        while (self.root / name).exists():
            n += 1
            name = f"{base}-{n}"
        return name

    def read_active(self) -> dict[str, Any]:
        """The pointer as stored: `{"version", "history", "updated"}` (empty when there is none)."""
        try:
            return json.loads(self.pointer.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return {"version": None, "history": []}

    def active(self) -> str | None:
        """The active version, when it names a complete one."""
        version = self.read_active().get("version")
        return version if version and self.complete(version) else None

    def _write(self, version: str, history: list[str]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        state = {"version": version, "history": history,
                 "updated": datetime.now(UTC).isoformat(timespec="seconds")}
        tmp = self.pointer.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(self.pointer)  # readers see the old pointer or the new one, never half of one

    def activate(self, version: str) -> None:
        """Make `version` the active one; the one it replaces joins the history."""
        state = self.read_active()
        history = [v for v in state.get("history", []) if v != version]
        if state.get("version") and state["version"] != version:
            history.append(state["version"])
        self._write(version, history[-HISTORY:])

    def rollback(self) -> dict[str, Any]:
        """Activate the version that was active before the current one; ValueError if none is left."""
        state = self.read_active()
        history = [v for v in state.get("history", []) if self.complete(v)]
        if not history:
            raise ValueError(f"no earlier {self.what} to roll back to")
        previous = history.pop()
        self._write(previous, history)
        return {"active": previous, "replaced": state.get("version")}
