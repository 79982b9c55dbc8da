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

python="${CLEARLINE_PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    echo "SKIPPED: the benchmark smoke test needs Python 3.10 or newer for its pinned peers;" \
        "$python is $("$python" -c 'import platform; print(platform.python_version())')." \
        "Set CLEARLINE_PYTHON to a newer interpreter to run it."
    exit 77
fi

bench/run.sh --smoke "$@"
exec "$python" tests/bench/check_results.py .build/bench/results.json
