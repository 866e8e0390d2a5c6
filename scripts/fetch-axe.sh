#!/usr/bin/env bash
# Fetches axe-core (the accessibility rules engine the browser tests inject
# into each page) from the npm registry, checks it against the pinned
# integrity digest, and unpacks axe.min.js into .cache/axe-core/. Nothing is
# fetched at run time by irmer itself: this is a test tool only.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=4.14.1
INTEGRITY='FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=='
DEST=.cache/axe-core
if [ -f "$DEST/axe.min.js" ] && [ "$(cat "$DEST/VERSION" 2>/dev/null)" = "$VERSION" ]; then
  echo "$DEST/axe.min.js"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "axe-core@$VERSION" >/dev/null 2>&1)
got=$(openssl dgst -sha512 -binary "$work/axe-core-$VERSION.tgz" | base64 -w0)
if [ "$got" != "$INTEGRITY" ]; then
  echo "axe-core $VERSION: integrity mismatch (got $got)" >&2
  exit 1
fi
mkdir -p "$DEST"
tar -xzf "$work/axe-core-$VERSION.tgz" -C "$work" package/axe.min.js package/LICENSE
cp "$work/package/axe.min.js" "$work/package/LICENSE" "$DEST/"
echo "$VERSION" > "$DEST/VERSION"
echo "$DEST/axe.min.js"
