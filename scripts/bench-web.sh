#!/usr/bin/env bash
# Benchmark of the web application (issue 4), recorded in BENCHMARKS.md:
# with 100,000 incidents stored, p50/p99 latency of the dashboard and of
# filtered register pages, signed in as an administrator (who sees every
# incident), from an open-loop load generator on loopback, on SQLite and on
# PostgreSQL.
#
#   scripts/bench-web.sh [POSTGRES_URL]
# Without a URL, scripts/start-postgres.sh starts PostgreSQL (root needed).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p irmer -p irmer-bench
N=100000
RATE=${RATE:-20}
SECONDS_=${SECONDS_:-15}
mkdir -p bench-data
data=bench-data/register-$N.jsonl
[ -f "$data" ] || target/release/irmer-bench generate $N 7 > "$data"
pg=${1:-$(scripts/start-postgres.sh)}
irmer=target/release/irmer
bench=target/release/irmer-bench

PAGES=(
  '/'
  '/incidents?modality=ct&outcome=notifiable'
  '/incidents?status=reported&overdue=true&sort=next-due'
  '/incidents?code=2.2'
  '/incidents?code=M7&sort=reference'
  '/incidents?discovered_from=2026-01-01&discovered_to=2026-03-31&modality=ct&sort=discovered-oldest'
  '/incidents?status=closed'
)

measure() { # $1 database
  local db=$1 log addr pid password cookie
  echo "-- import of $N incidents into ${db%%:*}"
  /usr/bin/time -f "%e s elapsed, %M KB peak RSS" $irmer --database "$db" import "$data"
  log=$(mktemp)
  $irmer --database "$db" serve --bind 127.0.0.1:0 > "$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do grep -q "one-time password" "$log" && break; sleep 0.1; done
  addr=$(grep -o '127.0.0.1:[0-9]*' "$log" | head -n 1)
  password=$(grep -o 'one-time password [^ ]*' "$log" | head -n 1 | cut -d' ' -f3)
  cookie=$($bench session "$addr" admin "$password" 'a benchmark password')
  for page in "${PAGES[@]}"; do
    echo "-- GET $page, $RATE/s for $SECONDS_ s"
    $bench load -H "$cookie" "$addr" "$RATE" "$SECONDS_" "$page"
  done
  echo "-- GET / at 100/s for 10 s"
  $bench load -H "$cookie" "$addr" 100 10 /
  kill "$pid"; wait "$pid" || true
  rm -f "$log"
}

rm -rf bench-data/web-sqlite
measure bench-data/web-sqlite/irmer.db

schema=bench_web
psql "$pg" -q -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema;"
measure "$pg?options=-csearch_path%3D$schema"
