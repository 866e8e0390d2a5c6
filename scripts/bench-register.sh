#!/usr/bin/env bash
# Benchmark of the register (issue 3), recorded in BENCHMARKS.md:
# - import of 100,000 generated incidents into SQLite and PostgreSQL;
# - with them stored, p50/p99 latency of GET one incident and of the
#   deadlines list (first page, soonest first) at 1,000 requests/s from an
#   open-loop load generator on loopback.
#
#   scripts/bench-register.sh [POSTGRES_URL]
# Without a URL, scripts/start-postgres.sh starts PostgreSQL (root needed).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p irmer -p irmer-bench
N=100000
RATE=1000
SECONDS_=10
mkdir -p bench-data
data=bench-data/register-$N.jsonl
[ -f "$data" ] || target/release/irmer-bench generate $N 7 > "$data"
pg=${1:-$(scripts/start-postgres.sh)}
irmer=target/release/irmer

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
  target/release/irmer-bench load "${auth[@]}" "$port" $RATE $SECONDS_ '/api/v1/incidents/BENCH-{n}'
  echo "-- GET /api/v1/deadlines (first page of 50), $RATE/s for $SECONDS_ s"
  target/release/irmer-bench load "${auth[@]}" "$port" $RATE $SECONDS_ '/api/v1/deadlines'
  echo "-- GET /api/v1/incidents?overdue=true&modality=ct (filtered page), $RATE/s for $SECONDS_ s"
  target/release/irmer-bench load "${auth[@]}" "$port" $RATE $SECONDS_ '/api/v1/incidents?overdue=true&modality=ct'
  kill "$pid"; wait "$pid" || true
  rm -f "$log"
}

rm -rf bench-data/register-sqlite
measure bench-data/register-sqlite/irmer.db
echo "-- import again (idempotent: nothing new)"
/usr/bin/time -f "%e s elapsed" $irmer --database bench-data/register-sqlite/irmer.db import "$data"

# A schema of its own in PostgreSQL, dropped first.
schema=bench_register
psql "$pg" -q -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema;"
measure "$pg?options=-csearch_path%3D$schema"
