#!/usr/bin/env bash
# Builds the clearline wheel with maturin into .build/python/wheels/ and prints its path.
#
# Usage: scripts/build-python.sh
# Environment:
#   CLEARLINE_PYTHON         interpreter that creates the build environment (default: python3)
#   CLEARLINE_CARGO_PROFILE  cargo profile of the extension (default: release; "dev" builds faster)
# Progress goes to stderr, so `wheel=$(scripts/build-python.sh)` captures only the path.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

python="${CLEARLINE_PYTHON:-python3}"
profile="${CLEARLINE_CARGO_PROFILE:-release}"
build_venv="$root/.build/python/venv-build"
wheel_dir="$root/.build/python/wheels"

{
    echo "==> Python build environment ($("$python" --version 2>&1))"
    # A venv made by another interpreter (python3 changed since the last run) is made again.
    identity='import sys; print(sys.base_prefix, sys.version)'
    if [ ! -x "$build_venv/bin/python" ] ||
        [ "$("$build_venv/bin/python" -c "$identity")" != "$("$python" -c "$identity")" ]; then
        "$python" -m venv --clear "$build_venv"
    fi
    "$build_venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r tests/python/requirements-build.txt

    echo "==> maturin build (profile $profile)"
    rm -rf "$wheel_dir"
    if [ "$profile" = "release" ]; then
        profile_args=(--release)
    else
        profile_args=(--profile "$profile")
    fi
    # An explicit --target puts the build in target/<host triple>/, where `napi build --platform`
    # builds the Node addon too, so the two share one compilation of their common dependencies.
    host=$(rustc -vV | sed -n 's/^host: //p')
    "$build_venv/bin/maturin" build "${profile_args[@]}" --locked --target "$host" \
        --out "$wheel_dir" --interpreter "$build_venv/bin/python"
} >&2

wheels=("$wheel_dir"/clearline-*.whl)
if [ "${#wheels[@]}" -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
    echo "expected one wheel in $wheel_dir, found ${#wheels[@]}" >&2
    exit 1
fi
echo "${wheels[0]}"
