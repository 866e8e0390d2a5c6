#!/usr/bin/env bash
# The API against its own OpenAPI document: schemathesis (pinned, from
# PyPI, in .cache/schemathesis) with every check and every phase (examples,
# coverage, fuzzing, stateful), on a live server with a fresh SQLite
# register and an administrator's token; it fails on any finding. Valid
# requests that break a rule JSON Schema cannot state are repaired by
# scripts/schemathesis_hooks.py (each rule documented there and in the
# document's descriptions). Part of scripts/test.sh.
#
#   scripts/schemathesis.sh [MAX_EXAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=4.32.5
venv=.cache/schemathesis
if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version | grep -q "$VERSION"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==$VERSION"
fi
cargo build --locked -p irmer
dir=$(mktemp -d)
irmer=target/debug/irmer
$irmer --database "$dir/st.db" user add tester --role administrator > /dev/null
token=$($irmer --database "$dir/st.db" token create tester | grep -o 'irmer_[0-9a-f]*' | sed -n 1p)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$irmer --database "$dir/st.db" serve --bind "127.0.0.1:$port" > "$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.1; done
SCHEMATHESIS_HOOKS="$PWD/scripts/schemathesis_hooks.py" "$venv/bin/schemathesis" run \
    "http://127.0.0.1:$port/api/v1/openapi.json" --url "http://127.0.0.1:$port" \
    -H "Authorization: Bearer $token" --checks all --max-examples "${1:-100}"
