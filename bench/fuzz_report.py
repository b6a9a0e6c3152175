"""The report of bench/fuzz_api.sh: reads schemathesis's NDJSON event stream and JSON run report,
writes bench/reports/fuzz_api.md and fuzz_api.json, and exits 1 on any server error.

    .venv/bin/python bench/fuzz_report.py --ndjson EVENTS --run-report JSON --server-log LOG \
        --command "bench/fuzz_api.sh ..." [--rate N] [--max-examples N] [--report fuzz_api]

A server error is a 5xx reply, a request the server did not answer (a schemathesis error of the
network kind: a reset or refused connection, as after a crash, or a timeout), an error in the
server's log, or a server that was not running any more at the end (`--server-alive no`). Failures
of the other checks (status codes, content types and reply bodies against the schema, negative and
positive data) and the fuzzer's own errors (a schema it cannot generate data for) are listed too,
but only server errors fail the run.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine import machine_info, machine_line  # noqa: E402

REPORTS = ROOT / "bench" / "reports"
PHASES = ("examples", "coverage", "fuzzing", "stateful")
SERVER_ERROR_CHECK = "not_a_server_error"
# schemathesis error titles that mean the service did not answer (the others are the fuzzer's own)
UNANSWERED = {"Network Error", "Unhealthy API", "Unresponsive Operation", "Server Unavailable"}
ERROR_RECORD = re.compile(r"^(?:\[[\d:]+\])?\s*(?:ERROR|CRITICAL)(?::|\s)\s*(?P<message>.*)$")


def read_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _body_text(response: dict[str, Any]) -> str:
    content = response.get("content") or {}
    if "$base64" in content:
        return base64.b64decode(content["$base64"]).decode("utf-8", "replace")
    return str(content.get("text", content)) if content else ""


def summarise(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Per operation: cases by phase, reply statuses, server errors and the other checks' failures."""
    routes: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"cases": Counter(), "statuses": Counter(), "server_errors": [], "failures": Counter()}
    )
    examples: dict[tuple[str, str], dict[str, Any]] = {}
    errors = []
    for event in events:
        if "NonFatalError" in event:
            error = event["NonFatalError"]
            errors.append(
                {
                    "operation": error.get("label"),
                    "phase": error.get("phase"),
                    "error": str(error.get("value"))[:300],
                }
            )
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder") or {}
        label, phase = recorder.get("label", "?"), finished.get("phase", "?")
        route = routes[label]
        cases = recorder.get("cases") or {}
        route["cases"][phase] += len(cases)
        interactions = recorder.get("interactions") or {}
        for case_id, interaction in interactions.items():
            response = interaction.get("response") or {}
            status = response.get("status_code")
            route["statuses"][str(status)] += 1
            if isinstance(status, int) and status >= 500:
                request = interaction.get("request") or {}
                route["server_errors"].append(
                    {
                        "case": case_id,
                        "phase": phase,
                        "status": status,
                        "request": f"{request.get('method')} {request.get('uri')}",
                        "request_body": _request_body(request)[:300],
                        "reply": _one_line(_body_text(response))[:300],
                    }
                )
        for case_id, checks in (recorder.get("checks") or {}).items():
            for check in checks:
                if check.get("status") != "failure":
                    continue
                failure = (check.get("failure_info") or {}).get("failure") or {}
                key = f"{failure.get('code', '?')} {failure.get('title', check.get('name'))}"
                if check.get("name") == SERVER_ERROR_CHECK:  # counted from the replies themselves
                    continue
                route["failures"][key] += 1
                if (label, key) not in examples:
                    interaction = interactions.get(case_id) or {}
                    request = interaction.get("request") or {}
                    response = interaction.get("response") or {}
                    examples[(label, key)] = {
                        "operation": label,
                        "failure": key,
                        "check": check.get("name"),
                        "message": failure.get("message", ""),
                        "request": f"{request.get('method')} {request.get('uri')}",
                        "request_body": _request_body(request)[:300],
                        "status": response.get("status_code"),
                        "reply": _one_line(_body_text(response))[:300],
                    }
    out = {}
    for label in sorted(routes):
        route = routes[label]
        out[label] = {
            "cases": sum(route["cases"].values()),
            "cases_by_phase": {p: route["cases"][p] for p in PHASES if route["cases"][p]},
            "statuses": dict(sorted(route["statuses"].items())),
            "server_errors": route["server_errors"],
            "check_failures": dict(route["failures"]),
        }
    return {"operations": out, "failure_examples": list(examples.values()), "errors": errors}


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("`", "'")


def _request_body(request: dict[str, Any]) -> str:
    """The request body as one line of text (binary bodies by their size)."""
    body = request.get("body")
    if body is None:
        return ""
    if isinstance(body, dict) and "$base64" in body:
        raw = base64.b64decode(body["$base64"])
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return f"<{len(raw)} bytes of binary>"
    else:
        text = str(body)
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text) and not text.lstrip().startswith(("{", "[")):
        return f"<{len(text)} characters with control characters>"
    return _one_line(text)


def logged_errors(log: Path | None) -> list[str]:
    """The first line of every ERROR or CRITICAL record in the server's log (ours, through rich's
    handler: `[12:00:00] ERROR    message`, or uvicorn's: `ERROR:    message`), in order."""
    if log is None or not log.exists():
        return []
    found = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        match = ERROR_RECORD.match(line)
        if match:
            found.append(match["message"].strip()[:200])
    return found


def markdown(report: dict[str, Any]) -> str:
    m, s, run = report["machine"], report["settings"], report["schemathesis"]
    ops = report["operations"]
    lines = [
        "# API fuzzing",
        "",
        f"`{report['command']}`",
        "",
        machine_line(m),
        "",
        f"Fuzzer: schemathesis {run['version']} (`{run['command']}`), seed {run['seed']}, every phase "
        f"({', '.join(run['phases'])}), positive and negative data, all checks, at most "
        f"{s['max_examples']} examples per operation and phase; {run['running_time_s']:.0f} s.",
        "",
        f"Service: the real `etude serve` (NLU model {report['nlu_version']}, knowledge graph, "
        "dialogue engine and actions, conversation store on SQLite) with a throwaway ETUDE_HOME; "
        f"**the per-sender rate limit was raised to {s['rate_per_second']:g}/s (burst "
        f"{s['rate_burst']})** through ETUDE_RATE_PER_SECOND / ETUDE_RATE_BURST, so the fuzzer reaches "
        "the handlers instead of a 429. Requests went "
        f"{report['auth']}. Telegram is off (its webhook is mounted only with a token); the console "
        "pages, the widget, /metrics and /media are not in the OpenAPI schema, so not fuzzed.",
        "",
        f"**{report['total_cases']} test cases** over {len(ops)} operations; "
        f"**{report['server_errors']} server errors** (5xx replies), {report['unanswered']} requests "
        f"without a reply, {len(report['logged_errors'])} errors logged by the server, server running at the "
        f"end: {'yes' if report['server_alive'] else 'NO'}; {len(report['fuzzer_errors'])} errors of the "
        "fuzzer's own.",
        "",
        "| operation | cases | by phase | replies | 5xx | other check failures |",
        "|---|---:|---|---|---:|---|",
    ]
    for label, op in ops.items():
        phases = ", ".join(f"{p} {n}" for p, n in op["cases_by_phase"].items())
        statuses = ", ".join(f"{code} × {n}" for code, n in op["statuses"].items())
        others = "; ".join(f"{k} × {n}" for k, n in sorted(op["check_failures"].items())) or "—"
        lines.append(
            f"| `{label}` | {op['cases']} | {phases} | {statuses} | {len(op['server_errors'])} | {others} |"
        )
    errors = [e for op in ops.values() for e in op["server_errors"]]
    if errors:
        lines += ["", "## Server errors", ""]
        for e in errors[:30]:
            body = f" body `{e['request_body']}`" if e["request_body"] else ""
            lines.append(f"- {e['status']} on `{e['request']}`{body} ({e['phase']}): `{e['reply']}`")
    if run["error_details"]:
        lines += ["", "## Errors reported by schemathesis", ""]
        lines += [f"- {e['title']} × {e['count']}" for e in run["error_details"]]
        lines += [f"  - `{e['operation']}` ({e['phase']}): {e['error']}" for e in report["error_events"]]
    if report["logged_errors"]:
        lines += ["", "## Errors in the server log", ""]
        lines += [f"- `{t}` × {n}" for t, n in Counter(report["logged_errors"]).most_common()]
    examples = report["failure_examples"]
    if examples:
        lines += [
            "",
            "## Other check failures (one example each)",
            "",
            "These are not server errors: a status code, content type or body the schema does not "
            "describe, or a request the schema allows that the service refuses with a 4xx naming why "
            "(ST202): the schema cannot say that no string in the body may hold a NUL character (the "
            "service refuses them everywhere: PostgreSQL cannot store them) or that the recording's "
            "`sender` query parameter must not be empty.",
            "",
        ]
        for e in examples:
            body = f" body `{e['request_body']}`" if e["request_body"] else ""
            message = " ".join(e["message"].split())
            lines.append(
                f"- `{e['operation']}` {e['failure']}: {message} — `{e['request']}`{body} → "
                f"{e['status']} `{e['reply']}`"
            )
    if report.get("notes"):
        lines += ["", report["notes"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ndjson", type=Path, required=True)
    parser.add_argument("--run-report", type=Path, required=True, help="schemathesis's JSON run report")
    parser.add_argument("--server-log", type=Path, default=None)
    parser.add_argument("--server-alive", choices=("yes", "no"), default="yes")
    parser.add_argument("--health", default="{}", help="the service's /health reply (JSON)")
    parser.add_argument("--command", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--burst", type=int, required=True)
    parser.add_argument("--max-examples", type=int, required=True)
    parser.add_argument("--min-cases", type=int, default=1000)
    parser.add_argument("--auth-note", default="anonymous", help="how the fuzzer authenticated")
    parser.add_argument("--notes", default="")
    parser.add_argument("--report", default="fuzz_api", help="report name under bench/reports (.md, .json)")
    args = parser.parse_args()

    run = json.loads(args.run_report.read_text(encoding="utf-8"))
    summary = summarise(read_events(args.ndjson))
    ops = summary["operations"]
    try:
        health = json.loads(args.health)
    except ValueError:
        health = {}
    report = {
        "command": args.command,
        "machine": machine_info(),
        "auth": args.auth_note,
        "settings": {
            "max_examples": args.max_examples,
            "rate_per_second": args.rate,
            "rate_burst": args.burst,
        },
        "nlu_version": health.get("nlu"),
        "schemathesis": {
            "version": run.get("schemathesis_version"),
            "command": run.get("command"),
            "seed": run.get("seed"),
            "running_time_s": run.get("running_time", 0.0),
            "phases": [p for p, v in (run.get("phases") or {}).items() if v.get("status") != "skip"],
            "generated": (run.get("test_cases") or {}).get("generated"),
            "errors": len(run.get("errors") or []),
            "error_details": run.get("errors") or [],
            "failures": run.get("failures") or [],
            "operations": run.get("operations"),
        },
        "total_cases": sum(op["cases"] for op in ops.values()),
        "server_errors": sum(len(op["server_errors"]) for op in ops.values()),
        "unanswered": sum(e.get("count", 1) for e in run.get("errors") or [] if e.get("title") in UNANSWERED),
        "fuzzer_errors": [e for e in run.get("errors") or [] if e.get("title") not in UNANSWERED],
        "error_events": summary["errors"],
        "logged_errors": logged_errors(args.server_log),
        "server_alive": args.server_alive == "yes",
        "operations": ops,
        "failure_examples": summary["failure_examples"],
        "notes": args.notes,
    }
    REPORTS.mkdir(parents=True, exist_ok=True)
    stem = REPORTS / args.report
    Path(f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    Path(f"{stem}.md").write_text(markdown(report), encoding="utf-8")
    print(
        f"{report['total_cases']} cases over {len(ops)} operations; {report['server_errors']} server errors, "
        f"{report['unanswered']} unanswered, {len(report['logged_errors'])} logged errors; "
        f"wrote {stem}.md and {stem}.json",
        file=sys.stderr,
    )
    bad = (
        report["server_errors"]
        or report["unanswered"]
        or report["logged_errors"]
        or not report["server_alive"]
    )
    if report["total_cases"] < args.min_cases:
        print(f"only {report['total_cases']} cases, fewer than {args.min_cases}", file=sys.stderr)
        bad = True
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
