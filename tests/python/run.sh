#!/usr/bin/env bash
# Builds the clearline wheel, installs it into a fresh virtual environment and runs the Python
# checks against it: ruff, mypy --strict (package stubs, tests, examples) and pytest.
#
# Environment:
#   CLEARLINE_PYTHON         interpreter to build and test with (default: python3)
#   CLEARLINE_CARGO_PROFILE  cargo profile of the wheel (default: release; "dev" builds faster)
#   PYTEST_ADDOPTS           extra pytest options, such as "-k fork -x"
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

python="${CLEARLINE_PYTHON:-python3}"
test_venv="$root/.build/python/venv-test"

wheel="$(scripts/build-python.sh)"

echo "==> fresh test environment with ${wheel##*/}"
"$python" -m venv --clear "$test_venv"
"$test_venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "$wheel" -r tests/python/requirements.txt

echo "==> ruff"
"$test_venv/bin/ruff" check bindings-python/python tests/python examples/python
"$test_venv/bin/ruff" format --check bindings-python/python tests/python examples/python

echo "==> mypy --strict"
# The package's own sources and stubs, then the tests and examples against the installed wheel.
(cd bindings-python/python && "$test_venv/bin/mypy" --strict --config-file "$root/pyproject.toml" -p clearline)
"$test_venv/bin/mypy" --strict --config-file pyproject.toml tests/python examples/python

echo "==> pytest"
# Run from the tests folder so that only the installed wheel can be imported as `clearline`.
cd tests/python
exec "$test_venv/bin/python" -m pytest -p no:cacheprovider "$@"
