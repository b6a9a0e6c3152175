"""Running the real service for a benchmark: a home with the graph and an NLU model, a free port,
`etude serve` in a subprocess, and waiting for `/health`.

Training the NLU model takes minutes, so one home is kept (`var/load-chat`, built by the first
benchmark that needs it) and a throwaway home for a single run copies its graph and links its
models. Used by bench/load_chat.py, bench/crash_test.py and, from the shell, bench/fuzz_api.sh:

    .venv/bin/python bench/service_home.py prepare HOME   # a throwaway home (built base if missing)
    .venv/bin/python bench/service_home.py free-port
    .venv/bin/python bench/service_home.py wait URL [--pid PID] [--timeout S]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import httpx  # noqa: E402

KEPT_HOME = ROOT / "var" / "load-chat"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_base(base: Path = KEPT_HOME) -> Path:
    """`base` with a built knowledge graph and an active NLU model, building what is missing
    (the model trains once, for minutes, with progress on stderr)."""
    from bot.service import ensure_graph
    from bot.settings import Settings
    from nlu.service import ensure_model

    base.mkdir(parents=True, exist_ok=True)
    ensure_graph(Settings(home=base)).store.close()
    ensure_model(base)
    return base


def prepare_home(home: Path, base: Path = KEPT_HOME) -> Path:
    """A fresh home for one run: its own copy of the base's graph and caches (the service may write
    to them), the base's trained models linked (`link_tree`), and no database, media or secret key."""
    ensure_base(base)
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    for name in ("kg", "cache"):
        if (base / name).is_dir():
            shutil.copytree(base / name, home / name)
    link_tree(base / "models", home / "models")
    return home


def link_tree(source: Path, target: Path, copy_below: int = 64 * 1024) -> None:
    """`target` as real folders whose large files link to `source`'s and whose small files (version
    pointers, metadata) are copies: whatever a run writes there (a new version, a moved pointer, a
    rewritten catalog) stays in `target`, and the base is never written through a link."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.is_dir():
            link_tree(entry, target / entry.name, copy_below)
        elif entry.stat().st_size < copy_below:
            shutil.copy2(entry, target / entry.name)
        else:
            (target / entry.name).symlink_to(entry.resolve())


def service_env(
    home: Path,
    database_url: str,
    *,
    rate: float,
    burst: int | None = None,
    nlu_cache: int | None = None,
) -> dict[str, str]:
    """The environment of `etude serve` for a benchmark: its home and database, the per-sender rate
    limit raised to `rate` (benchmarks send faster than a person), no Telegram."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETUDE_TELEGRAM")}
    env.update(
        ETUDE_HOME=str(home),
        ETUDE_DATABASE_URL=database_url,
        ETUDE_RATE_PER_SECOND=str(rate),
        ETUDE_RATE_BURST=str(burst if burst is not None else max(20, int(rate))),
        HF_HUB_OFFLINE="1",
    )
    if nlu_cache is not None:
        env["ETUDE_NLU_CACHE_SIZE"] = str(nlu_cache)
    return env


def start_server(
    home: Path,
    database_url: str,
    port: int,
    rate: float,
    nlu_cache: int | None = None,
    *,
    burst: int | None = None,
    log: Any = None,
) -> subprocess.Popen[bytes]:
    """`etude serve` with its own home and database; its progress and logs go to `log` (default: our
    stderr). `python -m bot.cli` from this checkout, not the `etude` script, which may point at another."""
    env = service_env(home, database_url, rate=rate, burst=burst, nlu_cache=nlu_cache)
    command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)


async def wait_healthy(
    base_url: str, server: subprocess.Popen[bytes] | int | None, timeout: float
) -> dict[str, Any]:
    """The service's `/health` once it answers 200; fails early if the server process exits."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base_url, timeout=5.0) as client:
        while time.monotonic() < deadline:
            if _exited(server):
                raise RuntimeError("the service exited before it was ready")
            try:
                response = await client.get("/health")
                if response.status_code == 200:
                    return dict(response.json())
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    raise TimeoutError(f"the service was not healthy within {timeout:.0f} s")


def _exited(server: subprocess.Popen[bytes] | int | None) -> bool:
    if server is None:
        return False
    if isinstance(server, int):
        try:
            os.kill(server, 0)
        except ProcessLookupError:
            return True
        # a zombie (exited, not yet reaped by its parent shell) still has a pid
        try:
            return Path(f"/proc/{server}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            return True
    return server.poll() is not None


def stop_server(server: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGTERM (uvicorn shuts down cleanly), SIGKILL if it does not exit in time."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    prepare = commands.add_parser("prepare", help="make a throwaway home (building the kept one if needed)")
    prepare.add_argument("home", type=Path)
    prepare.add_argument("--base", type=Path, default=KEPT_HOME, help="the kept home (default var/load-chat)")
    commands.add_parser("free-port", help="print a free 127.0.0.1 port")
    wait = commands.add_parser("wait", help="wait until URL/health answers 200; print it (JSON)")
    wait.add_argument("url")
    wait.add_argument("--pid", type=int, default=None, help="fail as soon as this process exits")
    wait.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()
    if args.command == "prepare":
        print(prepare_home(args.home.resolve(), args.base.resolve()))
    elif args.command == "free-port":
        print(free_port())
    else:
        try:
            health = asyncio.run(wait_healthy(args.url, args.pid, args.timeout))
        except (RuntimeError, TimeoutError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(1)
        print(json.dumps(health))


if __name__ == "__main__":
    main()
