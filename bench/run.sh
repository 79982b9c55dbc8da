#!/usr/bin/env bash
# Builds the sandbox, the Rust bench binary and the Python wheel in release mode, then runs every
# client against one sandbox and prints the comparison table (see bench/README.md).
#
# Usage: bench/run.sh [--count N] [--concurrency C] [--only python|node|rust]... [--rounds R]
#                     [--growth-count G] [--smoke]
#
# Environment:
#   CLEARLINE_PYTHON  interpreter of the bench environment (default: python3; 3.10 or newer)
#   CARGO_TARGET_DIR  Cargo's target directory (default: target/)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
}

only=()
driver_args=()
while [ "$#" -gt 0 ]; do
    case "$1" in
        --only)
            [ "$#" -ge 2 ] || { echo "bench/run.sh: --only needs a value: python, node or rust" >&2; exit 2; }
            IFS=',' read -r -a names <<<"$2"
            only+=("${names[@]}")
            shift 2
            ;;
        --count | --concurrency | --rounds | --growth-count)
            [ "$#" -ge 2 ] || { echo "bench/run.sh: $1 needs a number" >&2; exit 2; }
            driver_args+=("$1" "$2")
            shift 2
            ;;
        --smoke)
            driver_args+=("$1")
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            echo "bench/run.sh: unknown argument '$1'; see bench/run.sh --help" >&2
            exit 2
            ;;
    esac
done
if [ "${#only[@]}" -eq 0 ]; then
    only=(rust python node)
fi
for name in "${only[@]}"; do
    case "$name" in
        rust | python | node) ;;
        *)
            echo "bench/run.sh: invalid --only value '$name'; pass python, node or rust" >&2
            exit 2
            ;;
    esac
done
wants() {
    local name
    for name in "${only[@]}"; do
        [ "$name" = "$1" ] && return 0
    done
    return 1
}

python="${CLEARLINE_PYTHON:-python3}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
build_dir="$root/.build/bench"
mkdir -p "$build_dir"

# The sandbox serves every client; clearline-bench is the Rust ceiling and times the core's
# callback parsing, which the Python rows are compared with.
# An explicit --target shares target/<host triple>/release with the wheel and addon builds of
# scripts/build-python.sh and scripts/build-node.sh, so the common crates compile once.
host=$(rustc -vV | sed -n 's/^host: //p')
echo "==> cargo build --release --target $host (clearline-sandbox, clearline-bench)"
cargo build --release --locked --target "$host" -p clearline-sandbox -p clearline-bench
driver_args+=(
    --sandbox "$target_dir/$host/release/clearline-sandbox"
    --bench-bin "$target_dir/$host/release/clearline-bench"
    --out "$build_dir/results.json"
)

driver_python="$python"
if wants python; then
    bench_venv="$build_dir/venv"
    wheel_dir="$build_dir/wheels"

    # The same build as the Python suite's; the wheel is copied out of .build/python/, which
    # the next build of the suite empties.
    wheel="$(CLEARLINE_PYTHON="$python" CLEARLINE_CARGO_PROFILE=release scripts/build-python.sh)"
    rm -rf "$wheel_dir"
    mkdir -p "$wheel_dir"
    cp "$wheel" "$wheel_dir/"
    wheel="$wheel_dir/${wheel##*/}"

    echo "==> bench environment with ${wheel##*/}"
    if [ ! -x "$bench_venv/bin/python" ]; then
        "$python" -m venv "$bench_venv"
    fi
    "$bench_venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r bench/python/requirements.txt
    "$bench_venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --force-reinstall --no-deps "$wheel"
    driver_python="$bench_venv/bin/python"
    driver_args+=(--python "$bench_venv/bin/python" --wheel "$wheel")
fi

for name in "${only[@]}"; do
    driver_args+=(--only "$name")
done

echo "==> benchmarks"
exec "$driver_python" bench/orchestrate.py "${driver_args[@]}"
