#!/usr/bin/env bash
# Benchmark of `irmer assess --json` (issue 2). Prints the figures recorded
# in BENCHMARKS.md: end-to-end rate and peak memory over N generated
# incidents, parsing alone, and the instruction counts (callgrind) that stay
# comparable when the machine is noisy.
#
#   scripts/bench-assess.sh [N]        (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
mkdir -p bench-data
cargo build --release --locked -p irmer -p irmer-bench
data=bench-data/incidents-$N.jsonl
[ -f "$data" ] || target/release/irmer-bench generate "$N" > "$data"
echo "input: $data, $(wc -c < "$data") bytes, $N incidents"

echo "-- parsing alone (3 runs)"
for _ in 1 2 3; do target/release/irmer-bench parse "$data"; done

echo "-- parsing and assessing, no printing (3 runs)"
for _ in 1 2 3; do target/release/irmer-bench assess "$data"; done

echo "-- end to end: irmer assess --json FILE > /dev/null (3 runs)"
for _ in 1 2 3; do
  /usr/bin/time -f "%e s elapsed, %U s user, %M KB peak RSS" target/release/irmer assess --json "$data" > /dev/null
done
echo "output size: $(target/release/irmer assess --json "$data" | wc -c) bytes"

echo "-- peak memory against input size (flat when streaming)"
for n in 10000 100000 "$N"; do
  head -n "$n" "$data" > bench-data/head.jsonl
  /usr/bin/time -f "$n incidents: %M KB peak RSS" target/release/irmer assess --json bench-data/head.jsonl > /dev/null
done

if command -v valgrind > /dev/null; then
  echo "-- instructions per incident (callgrind, first 20000 incidents)"
  head -n 20000 "$data" > bench-data/head.jsonl
  p=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/irmer-bench parse bench-data/head.jsonl 2>&1 | awk '/refs:/ {gsub(",", "", $4); print $4}')
  e=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/irmer assess --json bench-data/head.jsonl 2>&1 > /dev/null | awk '/refs:/ {gsub(",", "", $4); print $4}')
  echo "parse only: $((p / 20000)) instructions/incident; end to end: $((e / 20000)) instructions/incident"
fi
rm -f bench-data/head.jsonl
