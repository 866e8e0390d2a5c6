#!/usr/bin/env bash
# Benchmark: does password hashing keep the server's other work waiting?
# With CLIENTS threads signing in over and over (an argon2 hash each), the
# latency of GET /healthz at 20 requests a second (irmer-bench sign-ins),
# for 0 and 8 clients, on a fresh SQLite register. Recorded in
# BENCHMARKS.md.
#
#   scripts/bench-sign-in.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p irmer -p irmer-bench
seconds=${1:-15}
irmer=target/release/irmer
bench=target/release/irmer-bench
dir=$(mktemp -d)
log=$dir/serve.log
$irmer --database "$dir/irmer.db" serve --bind 127.0.0.1:0 > "$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do grep -q "one-time password" "$log" && break; sleep 0.1; done
addr=$(grep -o '127.0.0.1:[0-9]*' "$log" | sed -n 1p)
password=$(grep -o 'one-time password [^ ]*' "$log" | sed -n 1p | cut -d' ' -f3)
$bench session "$addr" admin "$password" 'a benchmark password' > /dev/null
for clients in 0 8; do
  echo "-- $clients clients signing in, /healthz at 20/s for $seconds s"
  $bench sign-ins "$addr" admin 'a benchmark password' "$clients" "$seconds"
done
