#!/usr/bin/env bash
# `irmer assess --json` against a straightforward Python implementation of
# the same rules (scripts/baseline/assess.py), on the same generated file,
# each on one core (issue 16). The two outputs' decisions are compared line
# by line first: a faster program that decides differently is no yardstick.
#
#   scripts/bench-assess-python.sh [N]          # N incidents, default 200,000
#   IRMER_BENCH_BIN=DIR scripts/bench-assess-python.sh   # binaries already built
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${IRMER_BENCH_BIN:-target/release}
[ -n "${IRMER_BENCH_BIN:-}" ] || cargo build --release --locked -p irmer -p irmer-bench
N=${1:-200000}
mkdir -p bench-data
data=bench-data/assess-$N.jsonl
[ -f "$data" ] || "$bin/irmer-bench" generate "$N" > "$data"
core=$(( $(nproc) - 1 ))

seconds() { # command... : wall seconds of one run, output to /dev/null
  local t
  t=$( { /usr/bin/time -f "%e" taskset -c "$core" "$@" > /dev/null; } 2>&1 | tail -n 1)
  echo "$t"
}

"$bin/irmer" assess --json "$data" > bench-data/assess-irmer.jsonl
python3 scripts/baseline/assess.py "$data" > bench-data/assess-python.jsonl
python3 scripts/baseline/assess.py --compare bench-data/assess-irmer.jsonl bench-data/assess-python.jsonl

for run in 1 2 3; do
  r=$(seconds "$bin/irmer" assess --json "$data")
  p=$(seconds python3 scripts/baseline/assess.py "$data")
  awk -v n="$N" -v r="$r" -v p="$p" -v run="$run" 'BEGIN {
    printf "run %d: irmer %.2f s (%.0f/s), Python %.1f s (%.0f/s): %.0f times\n", run, r, n / r, p, n / p, p / r
  }'
done
