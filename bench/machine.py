"""What every benchmark report says about the machine it ran on."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """CPU, cores, Python, system and the load when the run started (other jobs slow it)."""
    return {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def machine_line(m: dict[str, Any]) -> str:
    """The report sentence about the machine (`machine_info()`'s fields)."""
    return (f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, {m['system']}; 1-min load "
            f"average at start {m['load_average_1min']} (shared with other jobs).")


def save_report(directory: Path, name: str, report: dict[str, Any], lines: list[str]) -> None:
    """Write a benchmark's report as JSON (every number) and Markdown (what a reader needs)."""
    import json

    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (directory / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
