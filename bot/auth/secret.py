"""The service's secret key, which signs session and learner cookies.

`ETUDE_SECRET_KEY` sets it. Unset, one is generated on first start and kept in
`$ETUDE_HOME/secret_key` (mode 0600), so restarts (and several workers sharing ETUDE_HOME) keep
everyone's cookies valid. Changing or deleting the key logs everyone out and gives web learners new
identities.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "secret_key"
MIN_CHARS = 32


class SecretKeyError(RuntimeError):
    """The configured or stored secret key cannot be used; the message says how to fix it."""


def load_secret_key(configured: str | None, home: Path) -> bytes:
    """The configured key, else the one stored under `home` (created there when missing)."""
    if configured is not None:
        if len(configured.strip()) < MIN_CHARS:
            raise SecretKeyError(
                f"ETUDE_SECRET_KEY must be at least {MIN_CHARS} characters; generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return configured.strip().encode()
    path = home / FILE_NAME
    if not path.exists():
        _create(path)
    return _read(path)


def _create(path: Path) -> None:
    """Write a new key next to `path` and link it into place: the key file appears complete or not
    at all, and of several workers starting together one key wins and all read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, path)
            log.info("generated a secret key in %s", path)
        except FileExistsError:
            pass
    finally:
        draft.unlink(missing_ok=True)


def _read(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s is readable by other users (mode %o); it should be 0600", path, mode)
    key = path.read_text(encoding="ascii", errors="replace").strip()
    if len(key) < MIN_CHARS:  # e.g. read while another worker was still writing it
        raise SecretKeyError(
            f"{path} holds no usable key (under {MIN_CHARS} characters); delete it to have a new one "
            "generated, or set ETUDE_SECRET_KEY"
        )
    return key.encode()
