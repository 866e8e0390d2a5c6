#!/usr/bin/env bash
# The test command (README, and what .ci/run calls): installs and starts what
# the tests need where it is missing, then runs the whole suite.
#
# - PostgreSQL, from Debian's packages, started, with a test database: the
#   register's, the pages' and the API's suites run on both backends;
# - Chromium and chromedriver, from Debian's packages, for the browser tests;
# - poppler-utils (pdftotext, pdffonts), to read the PDF report back;
# - axe-core, fetched from the npm registry at a pinned, digest-checked
#   version, for the accessibility check;
# - Python's venv and curl, for schemathesis (pinned, from PyPI), which
#   holds the API to its OpenAPI document after the tests.
#
# Installing needs root (or sudo); each is installed only when missing. With
# CI set (as here), a suite whose service is missing fails, never skips.
# Then: cargo fmt --check, clippy -D warnings, cargo test --workspace and
# scripts/schemathesis.sh (every check, against a live server).
# For a developer's quick loop, plain `cargo test` runs without the set-up
# and says loudly what it skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=${CI:-true}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@";
    elif command -v sudo >/dev/null; then sudo "$@";
    else echo "scripts/test.sh: installing $* needs root or sudo" >&2; exit 1; fi
}
apt_updated=
install() {
    if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

echo "== toolchain"
cargo --version
rustc --version

echo "== PostgreSQL"
if [ -z "${IRMER_TEST_POSTGRES_URL:-}" ]; then
    IRMER_TEST_POSTGRES_URL=$(as_root scripts/start-postgres.sh)
    export IRMER_TEST_POSTGRES_URL
fi
echo "IRMER_TEST_POSTGRES_URL=${IRMER_TEST_POSTGRES_URL%%:*}://…"

echo "== browser"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    install chromium chromium-driver
fi
chromium --version
chromedriver --version

echo "== PDF tools"
if ! command -v pdftotext >/dev/null || ! command -v pdffonts >/dev/null; then
    install poppler-utils
fi
# sed reads to the end: head would close the pipe early and pdftotext's
# SIGPIPE (exit 141) would fail the script under pipefail.
pdftotext -v 2>&1 | sed -n 1p

echo "== axe-core"
if ! command -v npm >/dev/null; then
    install npm
fi
scripts/fetch-axe.sh

echo "== schemathesis's needs"
if ! command -v curl >/dev/null; then
    install curl
fi
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    install python3 python3-venv
fi
python3 --version

echo "== format"
cargo fmt --all -- --check

echo "== lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tests"
cargo test --workspace --locked

echo "== the API against its OpenAPI document"
scripts/schemathesis.sh 100
