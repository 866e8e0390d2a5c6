#!/usr/bin/env bash
# Benchmark of the register (issue 3), recorded in BENCHMARKS.md:
# - import of 100,000 generated incidents into SQLite and PostgreSQL;
# - with them stored, p50/p99 latency of GET one incident and of the
#   deadlines list (first page, soonest first) at 1,000 requests/s from an
#   open-loop load generator on loopback.
#
#   scripts/bench-register.sh [POSTGRES_URL]
# Without a URL, scripts/start-postgres.sh starts PostgreSQL (root needed).
# IRMER_BENCH_BIN=DIR uses the binaries built there instead of building.
# Each load also prints the server's CPU time a request (user and system,
# from /proc), which the latency at a fixed rate hides until it saturates.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${IRMER_BENCH_BIN:-target/release}
[ -n "${IRMER_BENCH_BIN:-}" ] || cargo build --release --locked -p irmer -p irmer-bench
N=100000
RATE=1000
SECONDS_=10
mkdir -p bench-data
data=bench-data/register-$N.jsonl
# A second mix: another generator's incidents (dated over 44 months, most
# with causes coded), imported too.
other=bench-data/register-other-$N.jsonl
[ -f "$data" ] || "$bin/irmer-bench" generate $N 7 > "$data"
[ -f "$other" ] || "$bin/irmer-bench" generate-register $N 7 > "$other"
pg=${1:-$(scripts/start-postgres.sh)}
irmer=$bin/irmer

# The CPU seconds (user + system) process $1 has used, in clock ticks.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# load PID ARGS...: irmer-bench load, then the server's CPU a request.
load() {
  local pid=$1 before after counter="" counts
  shift
  counts=$(mktemp)
  # The server's context switches, where perf is installed: on this
  # project's virtual machines they cost more CPU than the queries.
  if command -v perf > /dev/null; then
    perf stat -e context-switches -p "$pid" -o "$counts" 2> /dev/null &
    counter=$!
  fi
  before=$(ticks "$pid")
  "$bin/irmer-bench" load "$@"
  after=$(ticks "$pid")
  echo "server CPU: $(( (after - before) * 1000000 / $(getconf CLK_TCK) / (RATE * SECONDS_) )) µs a request"
  if [ -n "$counter" ]; then
    kill -INT "$counter"; wait "$counter" || true
    awk -v n=$((RATE * SECONDS_)) '/context-switches/ { gsub(",", "", $1); printf "server context switches: %.1f a request\n", $1 / n }' "$counts"
  fi
  rm -f "$counts"
}

measure() { # $1 database
  local db=$1 log port pid token auth
  echo "-- import of $N incidents into ${db%%:*}"
  /usr/bin/time -f "%e s elapsed, %M KB peak RSS" $irmer --database "$db" import "$data"
  log=$(mktemp)
  $irmer --database "$db" serve --bind 127.0.0.1:0 > "$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do grep -q "one-time password" "$log" && break; sleep 0.1; done
  port=$(grep -o '127.0.0.1:[0-9]*' "$log" | head -n 1)
  # The API needs a token (issue 4).
  token=$($irmer --database "$db" token create admin | tail -n 1)
  auth=(-H "Authorization: Bearer $token")
  echo "-- GET /api/v1/incidents/{reference}, $RATE/s for $SECONDS_ s"
  load "$pid" "${auth[@]}" "$port" $RATE $SECONDS_ '/api/v1/incidents/BENCH-{n}'
  echo "-- GET /api/v1/deadlines (first page of 50), $RATE/s for $SECONDS_ s"
  load "$pid" "${auth[@]}" "$port" $RATE $SECONDS_ '/api/v1/deadlines'
  echo "-- GET /api/v1/incidents?overdue=true&modality=ct (filtered page), $RATE/s for $SECONDS_ s"
  load "$pid" "${auth[@]}" "$port" $RATE $SECONDS_ '/api/v1/incidents?overdue=true&modality=ct'
  kill "$pid"; wait "$pid" || true
  rm -f "$log"
}

echo "-- import of the other mix ($N incidents) into SQLite"
rm -rf bench-data/register-other
/usr/bin/time -f "%e s elapsed, %M KB peak RSS" $irmer --database bench-data/register-other/irmer.db import "$other"
rm -rf bench-data/register-sqlite
measure bench-data/register-sqlite/irmer.db
echo "-- import again (idempotent: nothing new)"
/usr/bin/time -f "%e s elapsed" $irmer --database bench-data/register-sqlite/irmer.db import "$data"

# A schema of its own in PostgreSQL, dropped first.
schema=bench_register
psql "$pg" -q -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema;"
measure "$pg?options=-csearch_path%3D$schema"
