#!/usr/bin/env bash
# Runs the contract suite: schemathesis against the sandbox, and the SDK's requests and the
# sandbox's delivery reports checked against docs/openapi.yaml.
#
# Self-contained: creates a virtual environment under .build/contract-venv, installs the
# pinned requirements, builds clearline-sandbox and clearline-bench with cargo, and runs pytest.
# Extra arguments go to pytest. CONTRACT_SEED and CONTRACT_MAX_EXAMPLES tune the schemathesis
# run; PYTHON picks the interpreter that creates the environment (default: the first of
# python3.13, python3.12, python3.11 and python3 that is 3.11 or newer, because schemathesis 4
# needs 3.11). Without such an interpreter the suite is skipped with a notice.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=.build/contract-venv
requirements=tests/contract/requirements.txt
# Prints the first interpreter of the arguments that exists and is Python 3.11 or newer.
find_python() {
    local candidate
    for candidate in "$@"; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if [ -n "${PYTHON:-}" ]; then
    python=$PYTHON
elif ! python=$(find_python python3.13 python3.12 python3.11 python3); then
    echo "SKIPPED: the contract suite needs Python 3.11 or newer (schemathesis 4), and none of" \
        "python3.13, python3.12, python3.11 or python3 is; set PYTHON to such an interpreter" \
        "to run it." >&2
    exit 77
fi

if [ ! -x "$venv/bin/python" ]; then
    echo "==> creating $venv"
    "$python" -m venv "$venv"
fi
# Reinstall only when the pinned requirements changed since the last install.
stamp="$venv/.requirements.sha256"
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
    echo "==> installing $requirements"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$wanted" > "$stamp"
fi

echo "==> cargo build -p clearline-sandbox -p clearline-bench"
cargo build --locked -p clearline-sandbox -p clearline-bench

echo "==> pytest tests/contract"
export CLEARLINE_BIN_DIR="$(cd "${CARGO_TARGET_DIR:-target}/debug" && pwd)"
exec "$venv/bin/python" -m pytest tests/contract -p no:cacheprovider "$@"
