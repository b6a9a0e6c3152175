"""Logging to stderr (stdout is reserved for command output such as `--json`)."""

from __future__ import annotations

import logging

from rich.console import Console
from rich.logging import RichHandler

stderr = Console(stderr=True)


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(message)s",
        datefmt="[%X]",
        handlers=[RichHandler(console=stderr, show_path=False, rich_tracebacks=False)],
        force=True,
    )
    for noisy in ("neo4j", "sentence_transformers", "transformers", "urllib3", "numba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
