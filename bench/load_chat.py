"""Load benchmark of the chat service: N concurrent simulated learners over the REST channel.

    .venv/bin/python bench/load_chat.py [--learners 1,5,20] [--duration 30] [--turns-per-learner N]
        [--think-ms 150] [--nlu-cache N] [--home var/load-chat] [--database-url URL] [--port 0]

Starts the real service (`etude serve`) in a subprocess on a free 127.0.0.1 port with its own
ETUDE_HOME (kept between runs, so the knowledge graph and the NLU model are built only by the first
run; the conversation database is new each run), then lets each learner hold varied conversations
drawn with a seeded RNG from ~60 messages (greetings, concept questions, follow-ups, quizzes and
answers, difficulty feedback, progress, music facts, chit-chat), so texts repeat across learners as
real traffic does. Per turn it measures latency and checks the reply; afterwards it counts each
sender's turns in the conversation store and compares them with the replies received, because a
reply the learner saw must never be missing from the store.

A learner sends a message, waits for the reply, pauses (`--think-ms`, exponential mean, default
150 ms) and sends the next. At 150 ms, 20 learners offer about 120 turns/s: the load the target
names (≥ 100 turns/s from 20 learners means each sends one message every 200 ms at most).
`--think-ms 0` is the closed loop, a saturation test: every learner always has a request in flight,
so latency there is queueing by construction. `--nlu-cache 0` turns the service's parse cache off,
as if no learner ever repeated a message.

Prints a table and writes bench/reports/load_chat.md and bench/reports/load_chat.json. Target (the
issue): ≥ 100 turns/s with p95 ≤ 60 ms at 20 concurrent learners, 0 errors, 0 lost turns.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import httpx  # noqa: E402
from machine import machine_info  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from service_home import free_port, start_server, stop_server, wait_healthy  # noqa: E402

from bot.store import ConversationStore  # noqa: E402

REPORTS = ROOT / "bench" / "reports"
console = Console(stderr=True)

TARGET_LEARNERS = 20
TARGET_TURNS_PER_S = 100.0
TARGET_P95_MS = 60.0

# What learners say, by what they are doing. Scenarios below string them into conversations.
MESSAGES: dict[str, list[str]] = {
    "greet": ["hi", "hello", "hey there", "good morning", "hi etude!"],
    "explain": [
        "what is a perfect fifth?",
        "explain the circle of fifths",
        "what's a major third?",
        "what is syncopation?",
        "tell me about the dorian mode",
        "what is a cadence?",
        "what is a tritone?",
        "explain seventh chords",
        "what does legato mean?",
    ],
    "theory": [
        "what notes are in the D minor scale?",
        "notes of the C major scale",
        "which notes are in an A minor chord?",
        "what notes make up a G7 chord?",
        "what interval is C to G?",
        "how many sharps does E major have?",
    ],
    "followup": [
        "and its prerequisites?",
        "what should I learn before that?",
        "play it",
        "can you play an example?",
        "give me an example",
        "what comes after that?",
    ],
    "facts": [
        "who composed the Moonlight Sonata?",
        "who wrote the Goldberg Variations?",
        "tell me something about Chopin",
        "recommend me some jazz",
        "what should I listen to?",
        "tell me a fun music fact",
    ],
    "quiz": ["quiz me", "quiz me on intervals", "test me on scales", "give me a quiz about chords"],
    "answer": ["C E G", "a perfect fifth", "3", "D minor", "I don't know", "hint please", "F sharp"],
    "difficulty": [
        "too hard",
        "this is too easy",
        "that's too difficult for me",
        "can we do something harder?",
    ],
    "progress": ["my progress", "how am I doing?", "what should I learn next?", "what's my next lesson?"],
    "profile": [
        "I'm a beginner on piano",
        "I play guitar at an intermediate level",
        "I'm an advanced violinist",
    ],
    "social": [
        "thanks",
        "thank you!",
        "yes",
        "no",
        "ok",
        "bye",
        "are you a bot?",
        "what's the weather like?",
    ],
}
ALL_MESSAGES = [text for group in MESSAGES.values() for text in group]
SCENARIOS: list[list[str]] = [
    ["greet", "explain", "followup", "followup", "social"],
    ["theory", "followup", "difficulty", "social"],
    ["quiz", "answer", "answer", "answer", "progress"],
    ["facts", "facts", "social"],
    ["greet", "profile", "progress", "explain", "followup"],
    ["explain", "difficulty", "explain", "social"],
    ["social"],
]


@dataclass
class Learner:
    """One simulated learner: a conversation plan from its own seeded RNG, and what happened."""

    sender: str
    rng: random.Random
    latencies_ms: list[float] = field(default_factory=list)
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    empty_replies: int = 0
    _plan: list[str] = field(default_factory=list)
    # Set to a list to keep every turn: {"text", "outcome" ("ok" or the error), "replies" when ok}
    # (bench/crash_test.py checks the acknowledged ones against the store).
    journal: list[dict[str, Any]] | None = None

    def next_message(self) -> str:
        if not self._plan:
            self._plan = list(self.rng.choice(SCENARIOS))
        return self.rng.choice(MESSAGES[self._plan.pop(0)])

    def error(self, kind: str, text: str | None = None) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if self.journal is not None and text is not None:
            self.journal.append({"text": text, "outcome": kind})

    def acknowledged(self, text: str, replies: list[Any], latency_ms: float) -> None:
        self.ok += 1
        self.latencies_ms.append(latency_ms)
        self.empty_replies += not replies
        if self.journal is not None:
            self.journal.append({"text": text, "outcome": "ok", "replies": replies})


def check_reply(data: Any, sender: str) -> str | None:
    """What is wrong with a REST reply (None when it is well formed)."""
    if not isinstance(data, list):
        return "malformed: not a list"
    for item in data:
        if not isinstance(item, dict) or item.get("recipient_id") != sender:
            return "malformed: bad message"
        if not any(item.get(k) for k in ("text", "buttons", "image", "attachment", "custom")):
            return "malformed: empty message"
    return None


async def run_learner(
    client: httpx.AsyncClient, learner: Learner, turns: int | None, stop_at: float, think_ms: float
) -> None:
    done = 0
    while (turns is None or done < turns) and time.perf_counter() < stop_at:
        text = learner.next_message()
        started = time.perf_counter()
        try:
            body = {"sender": learner.sender, "message": text}
            response = await client.post("/webhooks/rest/webhook", json=body)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                learner.error(f"HTTP {response.status_code}", text)
            else:
                replies = response.json()
                problem = check_reply(replies, learner.sender)
                if problem:
                    learner.error(problem, text)
                else:
                    learner.acknowledged(text, replies, elapsed)
        except (httpx.HTTPError, ValueError) as exc:
            learner.error(type(exc).__name__, text)
        done += 1
        if think_ms > 0:
            await asyncio.sleep(learner.rng.expovariate(1000.0 / think_ms))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process (Linux /proc), to report server CPU per turn."""
    if pid is None:
        return float("nan")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


async def run_point(
    base_url: str,
    n: int,
    *,
    turns: int | None,
    duration: float | None,
    think_ms: float,
    seed: int,
    run_id: str,
    server_pid: int | None,
    timeout: float,
) -> tuple[dict[str, Any], list[Learner]]:
    learners = [Learner(f"load-{run_id}-n{n}-L{i:03d}", random.Random(seed * 1000 + i)) for i in range(n)]
    limits = httpx.Limits(max_connections=n + 4, max_keepalive_connections=n + 4)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits) as client:
        cpu_before, started, client_before = cpu_seconds(server_pid), time.perf_counter(), time.process_time()
        stop_at = started + duration if duration else float("inf")
        await asyncio.gather(*(run_learner(client, le, turns, stop_at, think_ms) for le in learners))
        wall = time.perf_counter() - started
        cpu_used = cpu_seconds(server_pid) - cpu_before
        client_used = time.process_time() - client_before
    latencies = [ms for le in learners for ms in le.latencies_ms]
    ok = sum(le.ok for le in learners)
    errors: dict[str, int] = {}
    for le in learners:
        for kind, count in le.errors.items():
            errors[kind] = errors.get(kind, 0) + count
    result = {
        "learners": n,
        "turns_sent": ok + sum(errors.values()),
        "turns_ok": ok,
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "empty_replies": sum(le.empty_replies for le in learners),
        "wall_s": round(wall, 2),
        "turns_per_s": round(ok / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies, default=float("nan")), 1),
        "mean_ms": round(sum(latencies) / len(latencies), 1) if latencies else float("nan"),
        "server_cpu_ms_per_turn": round(cpu_used * 1000 / ok, 1) if ok else float("nan"),
        # the simulated learners run on the same cores and take this much of them
        "client_cpu_ms_per_turn": round(client_used * 1000 / ok, 1) if ok else float("nan"),
    }
    return result, learners


def count_lost(database_url: str, learners: list[Learner]) -> tuple[int, int]:
    """(lost, unacknowledged): replied turns missing from the store, and stored turns never replied.

    An unacknowledged turn is allowed (the reply may have been lost after the commit, e.g. a client
    timeout); a lost turn is not: the learner saw a reply the store does not have.
    """
    store = ConversationStore(database_url, migrate=False)
    lost = extra = 0
    try:
        for le in learners:
            stored = store.count_turns(le.sender)
            lost += max(0, le.ok - stored)
            extra += max(0, stored - le.ok)
    finally:
        store.close()
    return lost, extra


async def warm_up(base_url: str, run_id: str, turns: int) -> None:
    """A few turns over every message kind so first-call costs (caches, lazy imports) are not measured."""
    texts = ALL_MESSAGES * (1 + turns // len(ALL_MESSAGES))
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as client:
        for i, text in enumerate(texts[:turns]):
            body = {"sender": f"warm-{run_id}-{i % 4}", "message": text}
            await client.post("/webhooks/rest/webhook", json=body)


def fresh_sqlite(home: Path) -> str:
    path = home / "load_chat.db"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def target_met(point: dict[str, Any]) -> bool:
    return (
        point["turns_per_s"] >= TARGET_TURNS_PER_S
        and point["p95_ms"] <= TARGET_P95_MS
        and point["errors"] == 0
        and point["lost_turns"] == 0
    )


def render(points: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    for name in (
        "learners",
        "turns",
        "errors",
        "lost",
        "turns/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "server CPU ms/turn",
        f"target ({TARGET_LEARNERS})",
    ):
        table.add_column(name, justify="right")
    for p in points:
        verdict = ("yes" if p["target_met"] else "no") if p["learners"] == TARGET_LEARNERS else "—"
        table.add_row(
            str(p["learners"]),
            str(p["turns_ok"]),
            str(p["errors"]),
            str(p["lost_turns"]),
            f"{p['turns_per_s']:.1f}",
            f"{p['p50_ms']:.1f}",
            f"{p['p95_ms']:.1f}",
            f"{p['p99_ms']:.1f}",
            f"{p['max_ms']:.1f}",
            f"{p['server_cpu_ms_per_turn']:.1f}",
            verdict,
        )
    return table


def _cache_words(cache: Any) -> str:
    if cache == 0:
        return "off (every message is parsed, as if no text repeated)"
    if isinstance(cache, int):
        return f"{cache} texts"
    return (
        f"on (the service's default; the {len(ALL_MESSAGES)} texts repeat, so after warm-up parses "
        "are cache hits)"
    )


def markdown(report: dict[str, Any]) -> str:
    m, s = report["machine"], report["settings"]
    limit = f", at most {s['duration_s']:g} s" if s["duration_s"] else ""
    lines = [
        "# Chat service load benchmark",
        "",
        f"`{report['command']}`",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, {m['system']}; "
        f"1-min load average at start {m['load_average_1min']}, at the end {report['load_average_end']} "
        "(the machine is shared: other jobs compete for the cores, so throughput and latency are bounds; "
        "server CPU ms/turn is the least load-sensitive number).",
        "",
        f"Service: `etude serve` (one uvicorn process), database `{s['database']}`, NLU model "
        f"{report['nlu_version']}, rate limit raised to {s['rate_per_second']:g}/s per sender (learners "
        f"here send back to back), NLU parse cache {_cache_words(s.get('nlu_cache'))}. "
        f"Learners: {s['turns_per_learner'] or '∞'} turns each"
        f"{limit}, think time "
        f"{s['think_ms']:g} ms (exponential mean; 0 = closed loop), seed {s['seed']}.",
        "",
        f"Target: ≥ {TARGET_TURNS_PER_S:g} turns/s with p95 ≤ {TARGET_P95_MS:g} ms at {TARGET_LEARNERS} "
        "concurrent learners, 0 errors, 0 lost turns.",
        "",
        "| learners | turns | errors | lost | unacked stored | turns/s | p50 ms | p95 ms | p99 ms | max ms "
        "| server CPU ms/turn | client CPU ms/turn | target met |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for p in report["points"]:
        verdict = ("yes" if p["target_met"] else "no") if p["learners"] == TARGET_LEARNERS else "—"
        lines.append(
            f"| {p['learners']} | {p['turns_ok']} | {p['errors']} | {p['lost_turns']} | "
            f"{p['unacknowledged_stored']} | {p['turns_per_s']:.1f} | {p['p50_ms']:.1f} | "
            f"{p['p95_ms']:.1f} | {p['p99_ms']:.1f} | {p['max_ms']:.1f} | "
            f"{p['server_cpu_ms_per_turn']:.1f} | {p['client_cpu_ms_per_turn']:.1f} | {verdict} |"
        )
    errors = {k: v for p in report["points"] for k, v in p["error_kinds"].items()}
    if errors:
        lines += ["", "Errors: " + ", ".join(f"{k} × {v}" for k, v in errors.items())]
    if report.get("notes"):
        lines += ["", report["notes"]]
    return "\n".join(lines) + "\n"


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    home = Path(args.home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    database_url = args.database_url or fresh_sqlite(home)
    port = args.port or free_port()
    base_url = args.url or f"http://127.0.0.1:{port}"
    run_id = time.strftime("%Y%m%d%H%M%S")
    machine = machine_info()
    server: subprocess.Popen[bytes] | None = None
    if args.url:
        if not args.database_url:
            raise SystemExit("--url needs --database-url: lost turns are counted in the service's store")
        console.print(f"using the service at {base_url} …")
    else:
        console.print(f"starting the service on {base_url} (home {home}) …")
        server = start_server(home, database_url, port, args.rate, args.nlu_cache)
    try:
        health = await wait_healthy(base_url, server, args.start_timeout)
        await warm_up(base_url, run_id, args.warmup)
        points = []
        for n in args.learners:
            console.print(f"{n} learner(s) …")
            point, learners = await run_point(
                base_url,
                n,
                turns=args.turns_per_learner,
                duration=args.duration,
                think_ms=args.think_ms,
                seed=args.seed,
                run_id=run_id,
                server_pid=server.pid if server else None,
                timeout=args.request_timeout,
            )
            point["lost_turns"], point["unacknowledged_stored"] = count_lost(database_url, learners)
            point["target_met"] = target_met(point)
            points.append(point)
            Console(stderr=True, width=max(140, console.width)).print(render(points[-1:], f"{n} learner(s)"))
    finally:
        if server is not None:
            stop_server(server)
    safe_url = database_url if database_url.startswith("sqlite") else database_url.split("@")[-1]
    return {
        "command": "bench/load_chat.py " + " ".join(sys.argv[1:]),
        "machine": machine,
        "settings": {
            "learners": args.learners,
            "turns_per_learner": args.turns_per_learner,
            "duration_s": args.duration,
            "think_ms": args.think_ms,
            "seed": args.seed,
            "database": safe_url,
            "rate_per_second": args.rate,
            "warmup_turns": args.warmup,
            "distinct_messages": len(ALL_MESSAGES),
            "nlu_cache": "service default" if args.nlu_cache is None else args.nlu_cache,
        },
        "nlu_version": health.get("nlu"),
        "load_average_end": round(os.getloadavg()[0], 2),
        "points": points,
        "target": {"learners": TARGET_LEARNERS, "turns_per_s": TARGET_TURNS_PER_S, "p95_ms": TARGET_P95_MS},
        "target_met": any(p["target_met"] for p in points if p["learners"] == TARGET_LEARNERS),
        "notes": args.notes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--learners",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1, 5, 20],
        help="concurrent learners; a comma-separated list is a sweep (default 1,5,20)",
    )
    parser.add_argument(
        "--turns-per-learner", type=int, default=None, help="stop a learner after this many turns"
    )
    parser.add_argument(
        "--duration", type=float, default=30.0, help="stop each point after this many seconds (0: no limit)"
    )
    parser.add_argument(
        "--think-ms", type=float, default=150.0, help="mean pause between a learner's turns (0: closed loop)"
    )
    parser.add_argument(
        "--home", default=str(ROOT / "var" / "load-chat"), help="ETUDE_HOME (kept between runs)"
    )
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in the home")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--url", default=None, help="load a service that is already running instead")
    parser.add_argument("--rate", type=float, default=1000.0, help="the service's per-sender rate limit")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--nlu-cache",
        type=int,
        default=None,
        help="the service's NLU parse cache (distinct texts); 0 parses every message, as if each were new",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=len(ALL_MESSAGES),
        help="turns sent before measuring (default: every message once)",
    )
    parser.add_argument(
        "--start-timeout",
        type=float,
        default=1800.0,
        help="seconds to wait for the service (the first run trains the NLU model)",
    )
    parser.add_argument("--request-timeout", type=float, default=30.0)
    parser.add_argument("--notes", default="", help="a line added to the report")
    parser.add_argument("--report", default="load_chat", help="report name under bench/reports (.md, .json)")
    parser.add_argument("--no-write", action="store_true", help="print only; keep the reports")
    args = parser.parse_args()
    if not args.duration and args.turns_per_learner is None:
        parser.error("give --duration or --turns-per-learner (or both: whichever comes first)")
    report = asyncio.run(bench(args))
    Console(width=max(140, Console().width)).print(render(report["points"], "chat service under load"))
    if not args.no_write:
        REPORTS.mkdir(parents=True, exist_ok=True)
        stem = REPORTS / args.report
        Path(f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        Path(f"{stem}.md").write_text(markdown(report), encoding="utf-8")
        console.print(f"wrote {stem}.md and {stem}.json")
    failed = any(p["errors"] or p["lost_turns"] for p in report["points"])
    missed = any(not p["target_met"] for p in report["points"] if p["learners"] == TARGET_LEARNERS)
    sys.exit(1 if failed or missed else 0)


if __name__ == "__main__":
    main()
