// @ts-check
// Measures the Node throughput ratios on a noisy machine: runs the Rust ceiling, client.send,
// sendMany and undici one after the other, `--rounds` times, and prints each round's ratios and
// their medians. A ratio compares runs made seconds apart, so a busy spell on the machine skews
// one round rather than the result. bench/node/run.sh installs this script with the others.
//
// Usage: node compare.mjs --rust-bench PATH --base-url URL --api-key KEY [--count N]
//          [--concurrency C] [--rounds R]

import { execFileSync } from 'node:child_process'

import { positiveInteger, readOptions } from './common.mjs'

const options = readOptions({
  'rust-bench': '',
  'base-url': '',
  'api-key': '',
  count: '20000',
  concurrency: '64',
  rounds: '5',
})
const rounds = positiveInteger('rounds', options.rounds)
const load = ['--base-url', options['base-url'], '--api-key', options['api-key'], '--count', options.count, '--concurrency', options.concurrency]

/** @param {string} client */
function node(client) {
  const output = execFileSync(process.execPath, ['throughput.mjs', '--client', client, ...load], { encoding: 'utf8' })
  return /** @type {{ msgs_per_s: number, failed: number }} */ (JSON.parse(output))
}

function rust() {
  const output = execFileSync(options['rust-bench'], ['send', ...load, '--json'], { encoding: 'utf8' })
  return /** @type {{ msgs_per_s: number, failed: number }} */ (JSON.parse(output))
}

/** @param {number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

/** @type {Record<string, number[]>} */
const columns = { rust: [], send: [], send_many: [], undici: [], 'send/undici': [], 'sendMany/rust': [] }
for (let round = 1; round <= rounds; round += 1) {
  const row = { rust: rust(), send: node('send'), send_many: node('send_many'), undici: node('undici') }
  if (Object.values(row).some((result) => result.failed > 0)) {
    throw new Error(`round ${round} had failed sends: ${JSON.stringify(row)}`)
  }
  columns.rust?.push(row.rust.msgs_per_s)
  columns.send?.push(row.send.msgs_per_s)
  columns.send_many?.push(row.send_many.msgs_per_s)
  columns.undici?.push(row.undici.msgs_per_s)
  columns['send/undici']?.push(row.send.msgs_per_s / row.undici.msgs_per_s)
  columns['sendMany/rust']?.push(row.send_many.msgs_per_s / row.rust.msgs_per_s)
  const cells = Object.entries(columns).map(([name, values]) => `${name} ${(values.at(-1) ?? 0).toFixed(name.includes('/') ? 2 : 0)}`)
  console.log(`round ${round}: ${cells.join(', ')}`)
}
const medians = Object.entries(columns).map(([name, values]) => `${name} ${median(values).toFixed(name.includes('/') ? 2 : 0)}`)
console.log(`median: ${medians.join(', ')}`)
