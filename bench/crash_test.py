"""Crash test of the chat service: kill -9 the server under load, restart it, check nothing
acknowledged was lost.

    .venv/bin/python bench/crash_test.py [--runs 3] [--learners 20] [--kill-after 8] [--think-ms 150]
        [--database sqlite|postgresql] [--postgres-url URL] [--report crash_test]

Per run: a throwaway ETUDE_HOME (bench/service_home.py: the graph copied, the NLU model linked from
var/load-chat) and a new database (SQLite in the home; with `--database postgresql`, a database of
its own on the server, created for the run and dropped afterwards). It starts `etude serve`, lets N
simulated learners of the load benchmark (bench/load_chat.py) talk to it over REST while recording
every turn the server acknowledged with a 200 (sender, text, replies), sends SIGKILL to the server
mid-load (at `--kill-after` seconds plus a seeded jitter of up to a second, so runs hit different
moments of a turn, and only while a request is in flight), restarts it on the same home and
database and checks, through /health and `bot.store.ConversationStore`:

- the database opens cleanly (SQLite: `PRAGMA integrity_check` is `ok`; PostgreSQL: a query runs);
- every acknowledged turn is stored: same sender, same text, in order, with the same replies
  (`lost` must be 0);
- turns stored but never acknowledged (their reply died with the server) are counted apart: allowed;
- every conversation continues: one more message per learner gets a 200 and is stored.

Writes bench/reports/crash_test.md and .json; exits 1 if a turn was lost, a reply differs, the
database is damaged or a conversation did not continue.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import httpx  # noqa: E402
from load_chat import Learner, check_reply, run_learner, warm_up  # noqa: E402
from machine import machine_info, machine_line, save_report  # noqa: E402
from rich.console import Console  # noqa: E402
from service_home import free_port, prepare_home, start_server, stop_server, wait_healthy  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402

from bot.store import ConversationStore  # noqa: E402

REPORTS = ROOT / "bench" / "reports"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
console = Console(stderr=True)


# -- databases ------------------------------------------------------------------------------------
class Database:
    """The run's database: a SQLite file in the home, or a PostgreSQL database made for the run."""

    def __init__(self, kind: str, home: Path, postgres_url: str) -> None:
        self.kind = kind
        self.name: str | None = None
        self.path: Path | None = None
        if kind == "sqlite":
            self.path = home / "etude.db"
            self.url = f"sqlite:///{self.path}"
            return
        base = make_url(postgres_url)
        self.admin = create_engine(base, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        self.name = f"etude_crash_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = base.set(database=self.name).render_as_string(hide_password=False)

    @property
    def shown(self) -> str:
        return str(self.path) if self.kind == "sqlite" else f"postgresql://…/{self.name}"

    def check(self) -> str:
        """'ok' when the database opens and reads cleanly, else what is wrong."""
        if self.kind == "sqlite":
            assert self.path is not None
            try:
                with sqlite3.connect(self.path) as conn:
                    rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
                    conn.execute("SELECT count(*) FROM turns").fetchone()
            except sqlite3.Error as exc:
                return f"{type(exc).__name__}: {exc}"
            return "ok" if rows == ["ok"] else "; ".join(rows)[:500]
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT count(*) FROM turns")).scalar_one()
                conn.execute(text("SELECT count(*) FROM behavior_events")).scalar_one()
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
        finally:
            engine.dispose()
        return "ok"

    def files(self) -> dict[str, int]:
        """Sizes of the SQLite file and its journal right after the kill (what recovery starts from)."""
        if self.path is None:
            return {}
        out = {}
        for suffix in ("", "-wal", "-shm", "-journal"):
            candidate = Path(f"{self.path}{suffix}")
            if candidate.exists():
                out[candidate.name] = candidate.stat().st_size
        return out

    def drop(self) -> None:
        if self.kind == "postgresql":
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.admin.dispose()


# -- checking -------------------------------------------------------------------------------------
# how a request fails when the server dies under it or is down (a pooled connection to the dead
# server fails at the read, a new one at connect)
CONNECTION_ERRORS = {"RemoteProtocolError", "ReadError", "WriteError", "ReadTimeout", "ConnectError"}


def compare(journal: list[dict[str, Any]], stored: list[Any]) -> dict[str, Any]:
    """Match a learner's journal against their stored turns, in order.

    Each acknowledged turn must be the next stored turn with its text (stored turns passed over on
    the way are unacknowledged ones: their request failed, yet the turn was committed).
    """
    lost, differing, matched, skipped = [], [], 0, []
    position = 0
    for entry in journal:
        if entry["outcome"] != "ok":
            continue
        found = next((i for i in range(position, len(stored)) if stored[i].text == entry["text"]), None)
        if found is None:
            lost.append(entry["text"])
            continue
        if stored[found].replies != entry["replies"]:
            differing.append(entry["text"])
        skipped += [turn.text for turn in stored[position:found]]
        position = found + 1
        matched += 1
    skipped += [turn.text for turn in stored[position:]]
    acked = sum(1 for e in journal if e["outcome"] == "ok")
    return {
        "acknowledged": acked,
        "found": matched,
        "lost": lost,
        "replies_differ": differing,
        "unacknowledged_stored": len(stored) - matched,
        "unacknowledged_texts": skipped,
        "stored": len(stored),
    }


async def drive(
    base_url: str, learners: list[Learner], server: subprocess.Popen[bytes], kill_at: float, think_ms: float
) -> tuple[float, list[tuple[str, str]]]:
    """Learners talk until `kill_at` (perf_counter); then the server gets SIGKILL, as soon as at least
    one request is in flight (waiting up to a second). Returns the kill time and the (sender, text) of
    the requests in flight then. Learners keep trying for a second after the kill (and fail)."""
    pending: dict[int, tuple[str, str]] = {}

    async def sent(request: httpx.Request) -> None:
        body = json.loads(request.content)
        pending[id(request)] = (body["sender"], body["message"])

    async def answered(response: httpx.Response) -> None:
        pending.pop(id(response.request), None)

    limits = httpx.Limits(max_connections=len(learners) + 4, max_keepalive_connections=len(learners) + 4)
    hooks = {"request": [sent], "response": [answered]}
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0, limits=limits, event_hooks=hooks) as client:

        async def killer() -> tuple[float, list[tuple[str, str]]]:
            await asyncio.sleep(max(0.0, kill_at - time.perf_counter()))
            deadline = time.perf_counter() + 1.0
            while not pending and time.perf_counter() < deadline:
                await asyncio.sleep(0.001)
            caught = list(pending.values())
            os.kill(server.pid, signal.SIGKILL)
            return time.perf_counter(), caught

        results = await asyncio.gather(
            killer(), *(run_learner(client, le, None, kill_at + 1.0, think_ms) for le in learners)
        )
    return results[0]


async def continue_conversations(base_url: str, learners: list[Learner]) -> dict[str, Any]:
    """One more message per learner after the restart: each must get a well-formed 200."""
    sent: dict[str, str] = {}
    problems: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as client:

        async def one(le: Learner) -> None:
            message = le.next_message()
            sent[le.sender] = message
            try:
                response = await client.post(
                    "/webhooks/rest/webhook", json={"sender": le.sender, "message": message}
                )
            except httpx.HTTPError as exc:
                problems[le.sender] = type(exc).__name__
                return
            if response.status_code != 200:
                problems[le.sender] = f"HTTP {response.status_code}: {response.text[:200]}"
            elif (problem := check_reply(response.json(), le.sender)) is not None:
                problems[le.sender] = problem

        await asyncio.gather(*(one(le) for le in learners))
    return {"sent": sent, "problems": problems}


async def one_run(args: argparse.Namespace, index: int, work: Path) -> dict[str, Any]:
    run_id = f"{time.strftime('%H%M%S')}-{index}"
    rng = random.Random(args.seed * 7919 + index)
    home = prepare_home(work / f"home-{index}")
    db = Database(args.database, home, args.postgres_url)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = work / f"server-{index}.log"
    result: dict[str, Any] = {"run": index + 1, "database": db.shown}
    server: subprocess.Popen[bytes] | None = None
    try:
        with log_path.open("ab") as log:
            server = start_server(home, db.url, port, args.rate, burst=int(args.rate), log=log)
            health = await wait_healthy(base_url, server, args.start_timeout)
            await warm_up(base_url, run_id, args.warmup)
            learners = [
                Learner(
                    f"crash-{run_id}-L{i:03d}", random.Random(args.seed * 1000 + index * 100 + i), journal=[]
                )
                for i in range(args.learners)
            ]
            kill_after = args.kill_after + rng.uniform(0.0, 1.0)
            console.print(f"run {index + 1}: {args.learners} learners, SIGKILL after {kill_after:.2f} s …")
            started = time.perf_counter()
            killed_at, caught = await drive(base_url, learners, server, started + kill_after, args.think_ms)
            server.wait(timeout=30)
            result["killed_after_s"] = round(killed_at - started, 2)
            result["in_flight_at_kill"] = len(caught)
            result["exit_signal"] = -server.returncode if server.returncode < 0 else None
            result["files_after_kill"] = db.files()

            restart = time.perf_counter()
            server = start_server(home, db.url, port, args.rate, burst=int(args.rate), log=log)
            health = await wait_healthy(base_url, server, args.start_timeout)
            result["restart_to_healthy_s"] = round(time.perf_counter() - restart, 1)
            result["health_after_restart"] = health.get("status")
            result["database_check"] = db.check()

            store = ConversationStore(db.url, migrate=False)
            try:
                per_learner = {
                    le.sender: compare(le.journal or [], store.turns(le.sender)) for le in learners
                }
                continued = await continue_conversations(base_url, learners)
                after = {le.sender: store.turns(le.sender) for le in learners}
            finally:
                store.close()
            result["database_check_after_continuing"] = db.check()
    finally:
        if server is not None:
            stop_server(server)
        db.drop()

    failed = [e for le in learners for e in (le.journal or []) if e["outcome"] != "ok"]
    # a turn stored without a reply must be one that was in flight at the kill
    unexplained = [
        (sender, text)
        for sender, p in per_learner.items()
        for text in p["unacknowledged_texts"]
        if (sender, text) not in caught
    ]
    continued_stored = sum(
        1
        for le in learners
        if le.sender not in continued["problems"]
        and len(after[le.sender]) == per_learner[le.sender]["stored"] + 1
        and after[le.sender][-1].text == continued["sent"][le.sender]
    )
    result.update(
        {
            "learners": len(learners),
            "acknowledged": sum(p["acknowledged"] for p in per_learner.values()),
            "found": sum(p["found"] for p in per_learner.values()),
            "lost": sum(len(p["lost"]) for p in per_learner.values()),
            "replies_differ": sum(len(p["replies_differ"]) for p in per_learner.values()),
            "unacknowledged_not_in_flight": unexplained,
            "sent_while_down": sum(1 for e in failed if e["outcome"] in CONNECTION_ERRORS) - len(caught),
            "in_flight_stored": sum(p["unacknowledged_stored"] for p in per_learner.values()),
            "other_errors": sorted({e["outcome"] for e in failed if e["outcome"] not in CONNECTION_ERRORS}),
            "turns_per_s_before_kill": round(
                sum(p["acknowledged"] for p in per_learner.values()) / max(result["killed_after_s"], 1e-9), 1
            ),
            "continued": len(learners) - len(continued["problems"]),
            "continued_stored": continued_stored,
            "continue_problems": continued["problems"],
            "lost_turns": {s: p["lost"] for s, p in per_learner.items() if p["lost"]},
            "differing_replies": {
                s: p["replies_differ"] for s, p in per_learner.items() if p["replies_differ"]
            },
            "nlu_version": health.get("nlu"),
        }
    )
    result["passed"] = (
        result["lost"] == 0
        and result["replies_differ"] == 0
        and result["database_check"] == "ok"
        and result["database_check_after_continuing"] == "ok"
        and result["continued"] == result["learners"]
        and result["continued_stored"] == result["learners"]
        and result["health_after_restart"] == "ok"
        and not result["other_errors"]
        and not result["unacknowledged_not_in_flight"]
    )
    return result


def markdown(report: dict[str, Any]) -> list[str]:
    m, s = report["machine"], report["settings"]
    lines = [
        "# Crash test: kill -9 under load",
        "",
        f"`{report['command']}`",
        "",
        machine_line(m),
        "",
        f"Each run: `etude serve` (NLU model {report['nlu_version']}) on a throwaway home and a new "
        f"{s['database']} database; {s['learners']} simulated learners of the load benchmark "
        f"(think time {s['think_ms']:g} ms, rate limit raised to {s['rate']:g}/s) talk to it over REST; "
        f"the server gets SIGKILL after {s['kill_after_s']:g} s plus a seeded jitter of up to 1 s, "
        "while a request is in flight, is restarted on the same home and database, and then: the "
        "database is checked "
        + ("(`PRAGMA integrity_check`), " if s["database"] == "sqlite" else "(queries on the tables), ")
        + "every acknowledged turn (a 200 the learner saw) is looked up in the store (same sender, "
        "same text, in order, same replies), and each learner sends one more message.",
        "",
        "| run | killed after s | acknowledged | found | lost | replies differ | in flight at kill "
        "| of those stored | sent while down | database | restart s | conversations continued | passed |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|:---:|",
    ]
    for r in report["runs"]:
        lines.append(
            f"| {r['run']} | {r['killed_after_s']:.2f} | {r['acknowledged']} | {r['found']} | {r['lost']} | "
            f"{r['replies_differ']} | {r['in_flight_at_kill']} | {r['in_flight_stored']} | "
            f"{r['sent_while_down']} | "
            f"{r['database_check']} | {r['restart_to_healthy_s']:.1f} | "
            f"{r['continued_stored']}/{r['learners']} | {'yes' if r['passed'] else 'NO'} |"
        )
    lines += [
        "",
        "*In flight at kill*: requests sent and not yet answered when the SIGKILL went out (the kill "
        "waits, up to a second, for at least one); *of those stored*: how many of them are in the store "
        "although no learner saw their reply (the commit came before the kill and the reply died with "
        "the process: allowed; any other unacknowledged stored turn fails the run); *sent while "
        "down*: messages the learners sent in the second after the kill, which failed at once. *Lost* "
        "(acknowledged but not stored) must be 0, and so must *replies differ* (stored replies other "
        "than the ones the learner got).",
    ]
    for r in report["runs"]:
        if r["files_after_kill"]:
            files = ", ".join(f"{k} {v:,} B" for k, v in r["files_after_kill"].items())
            lines.append(f"\nRun {r['run']}: files right after the kill: {files}.")
        if r["other_errors"]:
            lines.append(f"\nRun {r['run']}: other errors before the kill: {', '.join(r['other_errors'])}.")
        if r["unacknowledged_not_in_flight"]:
            lines.append(
                f"\nRun {r['run']}: stored turns no learner saw a reply to that were not in flight at the "
                f"kill: {r['unacknowledged_not_in_flight']}."
            )
        if r["continue_problems"]:
            lines.append(f"\nRun {r['run']}: conversations that did not continue: {r['continue_problems']}.")
    lines += ["", f"Result: **{'passed' if report['passed'] else 'FAILED'}**."]
    if report.get("notes"):
        lines += ["", report["notes"]]
    return lines


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    machine = machine_info()
    runs = []
    with tempfile.TemporaryDirectory(prefix="etude-crash.") as tmp:
        for index in range(args.runs):
            result = await one_run(args, index, Path(tmp))
            runs.append(result)
            console.print(
                f"run {result['run']}: acknowledged {result['acknowledged']}, found {result['found']}, "
                f"lost {result['lost']}, in flight at kill {result['in_flight_at_kill']} (stored "
                f"{result['in_flight_stored']}), sent while down {result['sent_while_down']}, "
                f"database {result['database_check']}, "
                f"continued {result['continued_stored']}/{result['learners']}: "
                f"{'passed' if result['passed'] else 'FAILED'}"
            )
    return {
        "command": "bench/crash_test.py " + " ".join(sys.argv[1:]),
        "machine": machine,
        "settings": {
            "runs": args.runs,
            "learners": args.learners,
            "kill_after_s": args.kill_after,
            "think_ms": args.think_ms,
            "database": args.database,
            "rate": args.rate,
            "seed": args.seed,
        },
        "nlu_version": runs[0]["nlu_version"] if runs else None,
        "runs": runs,
        "passed": all(r["passed"] for r in runs),
        "notes": args.notes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--kill-after", type=float, default=8.0, help="seconds of load before the SIGKILL")
    parser.add_argument("--think-ms", type=float, default=150.0, help="mean pause between a learner's turns")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("ETUDE_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
        help="server to make the run's database on (it is created and dropped; nothing else is touched)",
    )
    parser.add_argument("--rate", type=float, default=1000.0, help="the service's per-sender rate limit")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=20, help="turns sent before the learners start")
    parser.add_argument("--start-timeout", type=float, default=1800.0)
    parser.add_argument("--notes", default="")
    parser.add_argument(
        "--report", default=None, help="report name under bench/reports (default crash_test[.postgresql])"
    )
    args = parser.parse_args()
    report = asyncio.run(bench(args))
    name = args.report or ("crash_test" if args.database == "sqlite" else "crash_test.postgresql")
    save_report(REPORTS, name, report, markdown(report))
    console.print(f"wrote {REPORTS / name}.md and .json")
    sys.exit(0 if report["passed"] else 1)


if __name__ == "__main__":
    main()
