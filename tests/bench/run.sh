#!/usr/bin/env bash
# Checks that the benchmark command runs end to end: bench/run.sh --smoke builds what it needs,
# sends a few SMS through every client against one sandbox, and writes its results, which
# check_results.py then checks for completeness. No speed is asserted: the numbers of a smoke run
# mean nothing, and speed targets are measured by bench/run.sh, not tested.
#
# Needs what bench/run.sh needs: the Rust toolchain and Python 3.10+ with venv (and Node with npm
# for the Node rows, when bench/node/run.sh exists).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

bench/run.sh --smoke "$@"
exec "${CLEARLINE_PYTHON:-python3}" tests/bench/check_results.py .build/bench/results.json
