#!/usr/bin/env bash
# Soaks each language's client: SENDS sends against a release sandbox running in its own process,
# sampling the client process's RSS and open file descriptors every SAMPLE_EVERY sends, and prints
# a summary per language. A soak, not a timed test: nothing here fails on a number.
#
# Usage: bench/soak/run.sh [LANGUAGE...]   (rust, python, node; default: all three)
# Environment:
#   SOAK_SENDS         sends per language (default 100000)
#   SOAK_SAMPLE_EVERY  sends between two samples (default 10000)
#   SOAK_PYTHON        an interpreter with the clearline wheel installed (default: the test
#                      environment tests/python/run.sh creates)
#   SOAK_NODE_PROJECT  a folder where the clearline npm package is installed (default: the project
#                      tests/node/run.sh creates)
# Build the wheel and the addon in release first, for example by running the two test runners with
# the default profile. Samples go to .build/soak/LANGUAGE.jsonl.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
sends="${SOAK_SENDS:-100000}"
sample_every="${SOAK_SAMPLE_EVERY:-10000}"
python="${SOAK_PYTHON:-$repo/.build/python/venv-test/bin/python}"
node_project="${SOAK_NODE_PROJECT:-$repo/.build/node/project}"
out="$repo/.build/soak"
languages=("$@")
if [ "${#languages[@]}" -eq 0 ]; then
  languages=(rust python node)
fi
mkdir -p "$out"

echo "==> cargo build --release (sandbox and Rust soak driver)"
cd "$repo"
# The same target directory as the wheel and addon builds (see scripts/build-python.sh).
host=$(rustc -vV | sed -n 's/^host: //p')
cargo build --release --locked -q --target "$host" -p clearline-sandbox --bin clearline-sandbox
cargo build --release --locked -q --target "$host" -p clearline-bench --bin clearline-soak

sandbox_log="$out/sandbox.log"
"$repo/target/$host/release/clearline-sandbox" --quiet --port 0 >"$sandbox_log" 2>&1 &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  if grep -q '^API key: ' "$sandbox_log"; then
    break
  fi
  sleep 0.1
done
base_url="$(sed -n 's/^ClearLine sandbox listening on //p' "$sandbox_log")"
api_key="$(sed -n 's/^API key: //p' "$sandbox_log")"
if [ -z "$base_url" ] || [ -z "$api_key" ]; then
  echo "the sandbox did not start:" >&2
  cat "$sandbox_log" >&2
  exit 1
fi
echo "==> sandbox at $base_url (pid $sandbox_pid)"

for language in "${languages[@]}"; do
  echo "==> $language: $sends sends, a sample every $sample_every"
  samples="$out/$language.jsonl"
  case "$language" in
    rust)
      "$repo/target/$host/release/clearline-soak" "$base_url" "$api_key" "$sends" "$sample_every" >"$samples"
      ;;
    python)
      "$python" "$repo/bench/soak/soak.py" "$base_url" "$api_key" "$sends" "$sample_every" >"$samples"
      ;;
    node)
      # Copied next to node_modules, so that `import 'clearline'` finds the installed package.
      cp "$repo/bench/soak/soak.mjs" "$node_project/soak.mjs"
      (cd "$node_project" && node soak.mjs "$base_url" "$api_key" "$sends" "$sample_every") >"$samples"
      ;;
    *)
      echo "unknown language $language; use rust, python or node" >&2
      exit 2
      ;;
  esac
  "$python" - "$samples" <<'SUMMARY'
import json, sys

rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
samples = [row for row in rows if "sends" in row]
failures = sum(row.get("failures", 0) for row in rows)
for row in samples:
    print(f"  {row['sends']:>7} sends  {row['elapsed_s']:>7.1f} s  RSS {row['rss_kib'] / 1024:7.1f} MiB  fds {row['fds']}")
# The first sample after the first interval is the baseline: the start-up allocations and the
# connection pool are in place by then.
baseline, last = samples[1], samples[-1]
rss_growth = (last["rss_kib"] - baseline["rss_kib"]) / 1024
print(f"  RSS from {baseline['sends']} to {last['sends']} sends: {rss_growth:+.1f} MiB; "
      f"fds {baseline['fds']} -> {last['fds']}; failed sends: {failures}")
SUMMARY
done
