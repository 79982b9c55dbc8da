#!/usr/bin/env bash
# Builds the Node addon into bindings-node/ (the platform's clearline.*.node file next to the
# native.js loader), after `npm ci` in bindings-node.
#
# Usage: scripts/build-node.sh
# Environment:
#   CLEARLINE_CARGO_PROFILE  cargo profile of the addon (default: release; "dev" builds faster)
#
# @napi-rs/cli 3 runs on Node ^20.17, ^22.13 or >= 23.5. On an older Node (the package itself
# supports Node 18), the addon is built with cargo directly, and native.js becomes a one-line
# loader of this platform's file in place of the multi-platform loader napi writes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
profile="${CLEARLINE_CARGO_PROFILE:-release}"
cd "$root/bindings-node"

echo "==> npm ci (bindings-node, Node $(node --version))"
npm ci --no-audit --no-fund --loglevel=error

if node -e '
  const [major, minor] = process.versions.node.split(".").map(Number);
  const ok = (major === 20 && minor >= 17) || (major === 22 && minor >= 13) ||
    (major === 23 && minor >= 5) || major >= 24;
  process.exit(ok ? 0 : 1);
'; then
    echo "==> napi build (profile $profile)"
    # NOTE: this script and tests/node/run.sh share one build, but @napi-rs/cli 3.10 recompiles
    # the addon once more (about a minute in release) on the build after the first one in a fresh
    # target/ or after a dependency change. It sets NAPI_FORCE_BUILD_CLEARLINE_NODE only while
    # its type-definition cache in target/napi-rs/ lacks the crate, and napi-build reruns the
    # build script when that variable changes, so the next build finds it unset. Builds after
    # that one reuse the addon.
    build_args=(--platform --js native.js --dts native.d.ts)
    case "$profile" in
        release) build_args+=(--release) ;;
        dev) ;;
        *) build_args+=(--profile "$profile") ;;
    esac
    npx napi build "${build_args[@]}"
    exit 0
fi

echo "==> cargo build -p clearline-node (profile $profile; Node $(node --version) is too old for @napi-rs/cli 3)"
case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) addon=clearline.linux-x64-gnu.node ;;
    Linux-aarch64) addon=clearline.linux-arm64-gnu.node ;;
    *)
        echo "building without @napi-rs/cli is supported on Linux x86_64 and aarch64 only;" \
            "install Node 20.17 or newer to build on $(uname -s) $(uname -m)" >&2
        exit 1
        ;;
esac
# The explicit --target matches what `napi build --platform` and scripts/build-python.sh use, so
# the build lands in the same target/<host triple>/ directory.
host=$(rustc -vV | sed -n 's/^host: //p')
cargo build --locked -p clearline-node --profile "$profile" --target "$host"
case "$profile" in
    dev) profile_dir=debug ;;
    *) profile_dir=$profile ;;
esac
target_dir="${CARGO_TARGET_DIR:-$root/target}"
cp "$target_dir/$host/$profile_dir/libclearline_node.so" "$addon"
cat > native.js <<LOADER
// Written by scripts/build-node.sh in place of the napi loader, for Node older than 20.17.
module.exports = require('./$addon')
LOADER
