#!/usr/bin/env bash
# Runs the Node rows of the benchmarks against a running sandbox (bench/README.md describes the
# interface). It builds the addon in release mode, packs the npm package and installs the tarball
# with the pinned peers into .build/bench/node/, then runs each client in its own process:
# client.send, sendMany, undici (Pool) and fetch. Then it measures parseCallback, the time of
# require('clearline'), the .node file's size and the RSS growth over --growth-count sends.
#
# Usage: bench/node/run.sh --base-url URL --api-key KEY [--count N] [--concurrency C]
#          [--growth-count G] --json-out FILE [--smoke]
# Environment:
#   CLEARLINE_CARGO_PROFILE  cargo profile of the addon (release by default), as in tests/node/run.sh
#   CLEARLINE_BENCH_SKIP_BUILD=1  reuse the package installed by the previous run
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="$repo/.build/bench/node"
project="$build/project"
profile="${CLEARLINE_CARGO_PROFILE:-release}"

base_url=""
api_key=""
count=20000
concurrency=64
growth_count=100000
json_out=""
smoke=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --base-url) base_url="$2"; shift 2 ;;
    --api-key) api_key="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --growth-count) growth_count="$2"; shift 2 ;;
    --json-out) json_out="$2"; shift 2 ;;
    --smoke) smoke=1; shift ;;
    *) echo "bench/node/run.sh: unknown argument $1 (see the usage at the top of this file)" >&2; exit 2 ;;
  esac
done
if [ -z "$base_url" ] || [ -z "$api_key" ] || [ -z "$json_out" ]; then
  echo "bench/node/run.sh: --base-url, --api-key and --json-out are required" >&2
  exit 2
fi
json_out="$(cd "$(dirname "$json_out")" && pwd)/$(basename "$json_out")"

if [ "${CLEARLINE_BENCH_SKIP_BUILD:-0}" != 1 ]; then
  CLEARLINE_CARGO_PROFILE="$profile" "$repo/scripts/build-node.sh"
  cd "$repo/bindings-node"

  echo "==> install the packed package into $project"
  rm -rf "$build"
  mkdir -p "$project"
  tarball="$(npm pack --pack-destination "$build" --loglevel=error | tail -n 1)"
  cp "$repo/bench/node/package.json" "$repo/bench/node/package-lock.json" \
    "$repo/bench/node/tsconfig.json" "$repo/bench/node/"*.mjs "$project/"
  cd "$project"
  npm ci --no-audit --no-fund --loglevel=error
  npm install --no-save --no-audit --no-fund --loglevel=error "$build/$tarball"
  npx tsc -p tsconfig.json
else
  cp "$repo/bench/node/"*.mjs "$project/"
fi
cd "$project"

rows="$build/throughput.jsonl"
measurements="$build/measurements.jsonl"
: > "$rows"
: > "$measurements"
server=(--base-url "$base_url" --api-key "$api_key")

for client in send send_many undici fetch; do
  echo "==> node $client: $count SMS at concurrency $concurrency"
  node throughput.mjs --client "$client" "${server[@]}" --count "$count" --concurrency "$concurrency" | tee -a "$rows"
done

if [ "$smoke" = 1 ]; then
  parse_args=(--iterations 1000 --rounds 1)
  startup_args=(--runs 1)
else
  parse_args=()
  startup_args=()
fi
echo "==> parseCallback against JSON.parse + checks"
node parse.mjs --body-file "$repo/bench/callback-report.json" "${parse_args[@]}" | tee -a "$measurements"
echo "==> require('clearline') and the .node size"
node startup.mjs "${startup_args[@]}" | tee -a "$measurements"
for mode in send send_many; do
  echo "==> RSS growth over $growth_count messages ($mode)"
  node --expose-gc growth.mjs --mode "$mode" "${server[@]}" --count "$growth_count" --concurrency "$concurrency" \
    | tee -a "$measurements"
  # The same with V8's young generation capped at 2 MB per semi-space, which leaves out the
  # memory V8 reserves for it under a high allocation rate and shows what the SDK itself keeps.
  echo "==> RSS growth over $growth_count messages ($mode, --max-semi-space-size=2)"
  node --expose-gc --max-semi-space-size=2 growth.mjs --mode "$mode" "${server[@]}" --count "$growth_count" \
    --concurrency "$concurrency" --id-suffix .semi_space_2mb | tee -a "$measurements"
done

node --input-type=module - "$rows" "$measurements" "$json_out" <<'EOF'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const [rowsFile, measurementsFile, out] = process.argv.slice(2)
const lines = (file) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line))
const require = createRequire(`${process.cwd()}/`)
const report = {
  runtime: `node ${process.version}`,
  versions: {
    clearline: require('clearline/package.json').version,
    undici: require('undici/package.json').version,
    fetch_undici: process.versions.undici ?? null,
  },
  throughput: lines(rowsFile),
  measurements: lines(measurementsFile),
}
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`)
EOF
echo "==> wrote $json_out"
