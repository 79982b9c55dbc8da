#!/usr/bin/env bash
# Runs the Node suite against the npm package as a user installs it. It builds the addon, packs
# the package and installs the tarball into a temporary project under .build/node/. There it runs
# `tsc --noEmit --strict` on the tests and examples, then the node:test files.
#
# Usage: tests/node/run.sh [TEST_FILE...]   (file names relative to tests/node/test/)
# Environment:
#   CLEARLINE_CARGO_PROFILE  cargo profile of the addon: release (default), dev, or another
#                            profile name; dev builds much faster, for local iteration.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="$repo/.build/node"
project="$build/project"
profile="${CLEARLINE_CARGO_PROFILE:-release}"

"$repo/scripts/build-node.sh"
cd "$repo/bindings-node"

echo "==> tsc --strict on the package's JavaScript and typings"
npx tsc -p tsconfig.json

echo "==> npm pack"
rm -rf "$build"
mkdir -p "$project"
tarball="$(npm pack --pack-destination "$build" --loglevel=error | tail -n 1)"

echo "==> install $tarball into $project"
cp "$repo/tests/node/package.json" "$repo/tests/node/package-lock.json" \
  "$repo/tests/node/tsconfig.json" "$project/"
cp -r "$repo/tests/node/test" "$project/test"
mkdir -p "$project/examples"
cp -r "$repo/examples/node/." "$project/examples/"
cd "$project"
npm ci --no-audit --no-fund --loglevel=error
npm install --no-save --no-audit --no-fund --loglevel=error "$build/$tarball"

echo "==> tsc --noEmit --strict on the tests and examples"
npx tsc -p tsconfig.json

echo "==> node --test"
if [ "$#" -gt 0 ]; then
  files=()
  for name in "$@"; do files+=("test/$name"); done
else
  files=(test/*.test.mjs)
fi
CLEARLINE_REPO="$repo" node --test --test-reporter=spec "${files[@]}"
