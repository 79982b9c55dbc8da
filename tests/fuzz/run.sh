#!/usr/bin/env bash
# Short fuzz stage. It installs cargo-fuzz if missing, builds the targets in fuzz/ and runs each
# for a few seconds from seeds made of tests/vectors. A target that finds a crash fails the
# stage, and libFuzzer saves the input under fuzz/artifacts/TARGET/.
#
# Usage: tests/fuzz/run.sh [SECONDS_PER_TARGET]   (default 5)
#
# cargo fuzz passes nightly-only flags to rustc; RUSTC_BOOTSTRAP=1 lets the stable toolchain
# accept them. The stage builds without optimizations and without AddressSanitizer: it compiles
# in about half the time, and the core forbids unsafe code. The long runs recorded in
# docs/reliability.md use the default optimized build with AddressSanitizer.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${1:-5}"
targets=(callback_bytes callback_fields send_prepare response_interpret)
cargo_fuzz_version="0.13.2"
build_flags=(--dev --sanitizer none --target-dir fuzz/target/smoke)
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> cargo install cargo-fuzz $cargo_fuzz_version"
    cargo install cargo-fuzz --locked --version "$cargo_fuzz_version"
fi

echo "==> cargo fuzz build"
cargo fuzz build "${build_flags[@]}"

corpus="$(mktemp -d)"
trap 'rm -rf "$corpus"' EXIT
if command -v python3 >/dev/null; then
    python3 fuzz/seed_corpus.py "$corpus"
else
    echo "python3 not found: running without seeds from tests/vectors"
fi

passed=0
failed=0
for target in "${targets[@]}"; do
    mkdir -p "$corpus/$target"
    echo "==> cargo fuzz run $target for ${seconds} s"
    log="$corpus/$target.log"
    if cargo fuzz run "${build_flags[@]}" "$target" "$corpus/$target" -- \
        -max_total_time="$seconds" -timeout=5 -print_final_stats=1 >"$log" 2>&1; then
        grep -E '^stat::number_of_executed_units|^Done ' "$log" || true
        passed=$((passed + 1))
    else
        tail -n 60 "$log"
        echo "FAILED: $target (its crashing input is under fuzz/artifacts/$target/)"
        failed=$((failed + 1))
    fi
done

echo "fuzz: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
