// Soak the Node package: N sends against a running sandbox, sampling RSS and open fds.
//
// Usage: node soak.mjs BASE_URL API_KEY SENDS SAMPLE_EVERY
//
// Sends through one Client with 16 sends in flight and prints one JSON line per sample:
// {"language", "sends", "rss_kib", "fds", "elapsed_s"}. Linux only (reads /proc/self/fd).
// Run it where the clearline package is installed (the project tests/node/run.sh creates).

import { readdirSync } from 'node:fs'

import { ClearLineError, Client } from 'clearline'

const CONCURRENCY = 16
const [baseUrl, apiKey, sendsText, sampleEveryText] = process.argv.slice(2)
const sends = Number(sendsText)
const sampleEvery = Number(sampleEveryText)

const started = performance.now()
let done = 0
let failures = 0

function sample() {
  const line = {
    language: 'node',
    sends: done,
    rss_kib: Math.round(process.memoryUsage.rss() / 1024),
    fds: readdirSync('/proc/self/fd').length,
    elapsed_s: Math.round((performance.now() - started) / 10) / 100,
  }
  console.log(JSON.stringify(line))
}

const client = new Client({ apiKey, baseUrl, maxRetries: 0 })
sample()

/** @param {number} count */
async function worker(count) {
  for (let index = 0; index < count; index += 1) {
    try {
      await client.send({ phone: '+12025551234', message: 'Soak test message' })
    } catch (err) {
      if (!(err instanceof ClearLineError)) {
        throw err
      }
      failures += 1
    }
    done += 1
    if (done % sampleEvery === 0) {
      sample()
    }
  }
}

const shares = Array.from({ length: CONCURRENCY }, (_, index) => Math.floor(sends / CONCURRENCY) + (index < sends % CONCURRENCY ? 1 : 0))
await Promise.all(shares.map(worker))
if (failures > 0) {
  console.log(JSON.stringify({ language: 'node', failures }))
}
