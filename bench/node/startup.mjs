// @ts-check
// Times `require('clearline')` in fresh Node processes and prints the median as one JSON
// measurement, plus the size of the installed `.node` file.
//
// Usage: node startup.mjs [--runs N]

import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

import { positiveInteger, readOptions } from './common.mjs'

const options = readOptions({ runs: '9' })
const runs = positiveInteger('runs', options.runs)

// The child times only the `require` call, not Node's own start-up.
const script = `
  const started = performance.now()
  require('clearline')
  process.stdout.write(String(performance.now() - started))
`

const times = []
for (let run = 0; run < runs; run += 1) {
  const output = execFileSync(process.execPath, ['-e', script], { cwd: process.cwd(), encoding: 'utf8' })
  times.push(Number(output))
}
times.sort((a, b) => a - b)
const median = times[Math.floor(times.length / 2)] ?? 0
process.stdout.write(`${JSON.stringify({ id: 'node.require', name: "require('clearline')", value: median, unit: 'ms', runs: times })}\n`)

const require = createRequire(import.meta.url)
const packageDir = path.dirname(require.resolve('clearline/package.json'))
const addons = readdirSync(packageDir).filter((name) => name.endsWith('.node'))
for (const name of addons) {
  const bytes = statSync(path.join(packageDir, name)).size
  process.stdout.write(`${JSON.stringify({ id: 'node.addon_size', name, value: bytes / 1e6, unit: 'MB' })}\n`)
}
