#!/usr/bin/env bash
# Builds the Python and Node packages, installs them as a user would (the wheel into a virtual
# environment, the packed npm tarball into a project), and runs the demo in both languages:
# three SMS through the embedded sandbox, their delivery reports received by a local callback
# receiver, printed as a table. Set CLEARLINE_ENVIRONMENT=staging (see examples/python/demo.py)
# to send through ClearLine's staging API instead.
#
# Needs only the Rust toolchain, Python 3.9+ with pip and venv, and Node 18+ with npm. The Cargo
# build in target/ is shared with scripts/test.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

python="${CLEARLINE_PYTHON:-python3}"
demo="$root/.build/demo"

wheel="$(scripts/build-python.sh)"
echo "==> install ${wheel##*/} into $demo/venv"
# A venv made by another interpreter (python3 changed since the last run) is made again.
identity='import sys; print(sys.base_prefix, sys.version)'
if [ ! -x "$demo/venv/bin/python" ] ||
    [ "$("$demo/venv/bin/python" -c "$identity")" != "$("$python" -c "$identity")" ]; then
    "$python" -m venv --clear "$demo/venv"
fi
"$demo/venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall \
    --no-deps "$wheel"

scripts/build-node.sh
echo "==> npm pack, then install into $demo/node"
rm -rf "$demo/node"
mkdir -p "$demo/node"
tarball="$(cd bindings-node && npm pack --pack-destination "$demo" --loglevel=error | tail -n 1)"
cp examples/node/demo.mjs "$demo/node/"
(
    cd "$demo/node"
    echo '{ "name": "clearline-demo", "private": true, "type": "module" }' > package.json
    npm install --no-audit --no-fund --loglevel=error "$demo/$tarball"
)

echo
echo "=== Python demo (examples/python/demo.py)"
"$demo/venv/bin/python" examples/python/demo.py

echo
echo "=== Node demo (examples/node/demo.mjs)"
(cd "$demo/node" && node demo.mjs)
