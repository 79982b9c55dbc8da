#!/usr/bin/env bash
# Builds everything and runs every suite: Rust formatting, lints and tests, the OpenAPI contract
# suite, the Python suite against the installed wheel, the Node suite against the packed npm
# tarball, a smoke run of the benchmarks, and a short run of the fuzz targets. Each stage prints
# its duration; the first failure stops the run.
#
# Needs only the Rust toolchain, Python 3.9+ with pip and venv, and Node 18+ with npm. Virtual
# environments and npm projects are created under .build/; the Cargo build in target/ is shared
# with scripts/demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

started_at=$SECONDS

# Runs one named stage and prints how long it took.
stage() {
    local name=$1
    shift
    local stage_started_at=$SECONDS
    echo
    echo "=== $name"
    "$@"
    echo "=== $name passed in $((SECONDS - stage_started_at)) s"
}

stage "cargo fmt --check" cargo fmt --all --check
stage "cargo clippy" cargo clippy --workspace --all-targets --locked -- -D warnings
stage "cargo test" cargo test --workspace --locked
stage "contract suite (OpenAPI, schemathesis)" tests/contract/run.sh
stage "Python suite (installed wheel)" tests/python/run.sh
stage "Node suite (packed npm tarball)" tests/node/run.sh
stage "benchmark smoke run (no timings asserted)" tests/bench/run.sh
stage "fuzz targets, a few seconds each" tests/fuzz/run.sh

echo
echo "All suites passed in $((SECONDS - started_at)) s."
