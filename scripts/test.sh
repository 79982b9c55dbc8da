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
skipped=()

# Runs one named stage and prints how long it took. A stage that exits with 77 (the usual "skip"
# code) could not run on this machine and printed why. The run goes on and lists it at the end.
stage() {
    local name=$1
    shift
    local stage_started_at=$SECONDS
    local status=0
    echo
    echo "=== $name"
    "$@" || status=$?
    if [ "$status" -eq 77 ]; then
        skipped+=("$name")
        echo "=== $name SKIPPED"
        return 0
    fi
    if [ "$status" -ne 0 ]; then
        echo "=== $name FAILED (exit code $status)"
        exit "$status"
    fi
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
if [ "${#skipped[@]}" -eq 0 ]; then
    echo "All suites passed in $((SECONDS - started_at)) s."
else
    echo "The suites that ran passed in $((SECONDS - started_at)) s; skipped on this machine:"
    printf '  - %s\n' "${skipped[@]}"
fi
