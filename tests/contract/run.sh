#!/usr/bin/env bash
# Runs the contract suite: schemathesis against the sandbox, and the SDK's requests and the
# sandbox's delivery reports checked against docs/openapi.yaml.
#
# Self-contained: creates a virtual environment under .build/contract-venv, installs the
# pinned requirements, builds clearline-sandbox and clearline-bench with cargo, and runs pytest.
# Extra arguments go to pytest. CONTRACT_SEED and CONTRACT_MAX_EXAMPLES tune the schemathesis
# run; PYTHON picks the interpreter that creates the environment (default python3).
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=.build/contract-venv
requirements=tests/contract/requirements.txt
python=${PYTHON:-python3}

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
