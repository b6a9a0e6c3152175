#!/usr/bin/env bash
# API fuzzing of the tutor service: schemathesis over every operation of /openapi.json.
#
#   bench/fuzz_api.sh [--max-examples N] [--seed S] [--workers W] [--notes TEXT] [--report NAME]
#
# Starts the real `etude serve` on a free 127.0.0.1 port with a throwaway ETUDE_HOME (the graph and
# caches copied and the NLU model linked from var/load-chat, which bench/service_home.py builds once
# when it is missing), waits for /health, runs every schemathesis phase (examples, coverage, fuzzing,
# stateful) with positive and negative data and all checks, stops the server and writes
# bench/reports/fuzz_api.md and .json (+ schemathesis's own run report, fuzz_api.schemathesis.json;
# --report NAME writes NAME.* instead).
# The per-sender rate limit is raised for the run (ETUDE_RATE_PER_SECOND / ETUDE_RATE_BURST) so
# requests reach the handlers instead of a 429.
#
# Exits 1 on any server error (a 5xx, a request left unanswered, an error in the server log, a
# server that died) or when fewer than 1,000 cases ran; other checks' failures are reported only.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
ST=${SCHEMATHESIS:-$ROOT/.venv/bin/schemathesis}
MAX_EXAMPLES=300
SEED=20261126
WORKERS=1
NOTES=""
REPORT=fuzz_api
RATE=1000000
BURST=1000000
ARGS="$*"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --max-examples) MAX_EXAMPLES=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --workers) WORKERS=$2; shift 2 ;;
        --notes) NOTES=$2; shift 2 ;;
        --report) REPORT=$2; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done

export HF_HUB_OFFLINE=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/etude-fuzz.XXXXXX")
SERVER=""
cleanup() {
    if [[ -n "$SERVER" ]] && kill -0 "$SERVER" 2>/dev/null; then
        kill -TERM "$SERVER" 2>/dev/null
        for _ in $(seq 60); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$SERVER" 2>/dev/null
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

cd "$ROOT" || exit 2
HOME_DIR=$("$PY" bench/service_home.py prepare "$WORK/home") || exit 2
PORT=$("$PY" bench/service_home.py free-port)
URL="http://127.0.0.1:$PORT"

echo "starting the service on $URL (home $HOME_DIR) …" >&2
env -u ETUDE_TELEGRAM_TOKEN -u ETUDE_TELEGRAM_SECRET -u ETUDE_TELEGRAM_WEBHOOK_URL \
    ETUDE_HOME="$HOME_DIR" ETUDE_DATABASE_URL="sqlite:///$HOME_DIR/etude.db" \
    ETUDE_RATE_PER_SECOND=$RATE ETUDE_RATE_BURST=$BURST \
    "$PY" -m bot.cli serve --host 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
if ! HEALTH=$("$PY" bench/service_home.py wait "$URL" --pid "$SERVER" --timeout 1800); then
    echo "the service did not start; its log:" >&2
    tail -50 "$WORK/server.log" >&2
    exit 1
fi

# An admin account and an API token, so the routes behind a login (/api/…, /me/…) are fuzzed past
# their 401 too. Without the accounts commands the fuzzer goes in anonymous (and says so).
AUTH=()
AUTH_NOTE="anonymous (no account could be made)"
users() {
    ETUDE_HOME="$HOME_DIR" ETUDE_DATABASE_URL="sqlite:///$HOME_DIR/etude.db" "$PY" -m bot.cli users "$@"
}
PASSWORD=$("$PY" -c "import secrets; print(secrets.token_urlsafe(24))")
if printf '%s\n' "$PASSWORD" | users add fuzzer --role admin --password-stdin >/dev/null 2>"$WORK/users.log" \
    && TOKEN=$(users token fuzzer --label fuzz 2>>"$WORK/users.log") && [[ -n "$TOKEN" ]]; then
    AUTH=(-H "Authorization: Bearer $TOKEN")
    AUTH_NOTE="with an admin's API token (Authorization: Bearer …) on every request"
else
    echo "no account for the fuzzer: $(tail -1 "$WORK/users.log")" >&2
fi

echo "fuzzing $URL/openapi.json (at most $MAX_EXAMPLES examples per operation and phase; $AUTH_NOTE) …" >&2
# Run from the work folder: schemathesis keeps nothing in the checkout (no example database).
(cd "$WORK" && "$ST" run "$URL/openapi.json" \
    --checks all \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --workers "$WORKERS" \
    --continue-on-failure \
    --suppress-health-check all \
    "${AUTH[@]}" \
    --request-timeout 60 \
    --generation-database none \
    --report ndjson,json \
    --report-ndjson-path "$WORK/events.ndjson" \
    --report-json-path "$WORK/run.json" \
    --no-color) | tee "$WORK/schemathesis.log" | tail -40 >&2

ALIVE=no
if kill -0 "$SERVER" 2>/dev/null && curl -fsS "$URL/health" >/dev/null 2>&1; then ALIVE=yes; fi
kill -TERM "$SERVER" 2>/dev/null
wait "$SERVER" 2>/dev/null
SERVER=""

if [[ ! -s "$WORK/run.json" ]]; then
    echo "schemathesis wrote no report; its output:" >&2
    tail -40 "$WORK/schemathesis.log" >&2
    exit 1
fi
mkdir -p bench/reports
cp "$WORK/run.json" "bench/reports/$REPORT.schemathesis.json"
"$PY" bench/fuzz_report.py \
    --ndjson "$WORK/events.ndjson" \
    --run-report "$WORK/run.json" \
    --server-log "$WORK/server.log" \
    --server-alive "$ALIVE" \
    --health "$HEALTH" \
    --command "bench/fuzz_api.sh${ARGS:+ $ARGS}" \
    --rate "$RATE" --burst "$BURST" \
    --max-examples "$MAX_EXAMPLES" \
    --auth-note "$AUTH_NOTE" \
    --report "$REPORT" \
    --notes "$NOTES"
STATUS=$?
if [[ $STATUS -ne 0 ]]; then
    grep -n -B2 -A25 "Traceback" "$WORK/server.log" | head -120 >&2
fi
exit $STATUS
