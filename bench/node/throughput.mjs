// @ts-check
// Sends `--count` SMS through one Node client at `--concurrency` and prints one JSON throughput
// row (the fields bench/README.md lists). Each client runs in its own process, so run.sh starts
// this script once per client.
//
// Usage: node throughput.mjs --client send|send_many|undici|fetch --base-url URL --api-key KEY
//          [--count N] [--concurrency C]

import { Client } from 'clearline'
import { Pool } from 'undici'

import {
  MESSAGE,
  PHONE,
  SEND_PATH,
  checkSendResponse,
  peakRssMb,
  percentile,
  positiveInteger,
  readOptions,
} from './common.mjs'

/** The row id and name of each client, as bench/run.sh expects them. */
const ROWS = {
  send: { id: 'node.send', name: 'node client.send' },
  send_many: { id: 'node.send_many', name: 'node sendMany' },
  undici: { id: 'node.undici', name: 'node undici Pool' },
  fetch: { id: 'node.fetch', name: 'node fetch' },
}

const options = readOptions({ client: '', 'base-url': '', 'api-key': '', count: '20000', concurrency: '64' })
const count = positiveInteger('count', options.count)
const concurrency = positiveInteger('concurrency', options.concurrency)
const row = ROWS[/** @type {keyof typeof ROWS} */ (options.client)]
if (row === undefined) {
  throw new RangeError(`--client must be one of ${Object.keys(ROWS).join(', ')}, got ${JSON.stringify(options.client)}`)
}
const baseUrl = options['base-url'].replace(/\/+$/, '')
const apiKey = options['api-key']
if (baseUrl === '' || apiKey === '') {
  throw new RangeError('--base-url and --api-key are required')
}

/** The raw POST of the peers: the URL, headers and body the SDK sends. */
const url = `${baseUrl}${SEND_PATH}`
const headers = { ApiKey: apiKey, 'Content-Type': 'application/json', Accept: 'application/json' }

/**
 * One send of each client. Resolves when the response was read and checked, and throws when the
 * SMS was not accepted.
 *
 * @type {Record<string, () => (() => Promise<unknown>)>}
 */
const senders = {
  send() {
    const client = new Client({ apiKey, baseUrl, maxRetries: 0 })
    return () => client.send({ phone: PHONE, message: MESSAGE })
  },

  undici() {
    const pool = new Pool(baseUrl, { connections: concurrency })
    return async () => {
      const response = await pool.request({
        path: SEND_PATH,
        method: 'POST',
        headers,
        body: JSON.stringify({ phone: PHONE, message: MESSAGE }),
      })
      return checkSendResponse(response.statusCode, await response.body.text())
    }
  },

  fetch() {
    // Node's global fetch with its default dispatcher, which opens as many connections per
    // origin as there are requests in flight: `concurrency` connections here.
    return async () => {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ phone: PHONE, message: MESSAGE }),
      })
      return checkSendResponse(response.status, await response.text())
    }
  },
}

/**
 * Runs `total` sends from `concurrency` async workers and returns each send's latency in ms.
 *
 * @param {() => Promise<unknown>} sendOne
 * @param {number} total
 */
async function runWorkers(sendOne, total) {
  const latencies = new Float64Array(total)
  let next = 0
  let failed = 0
  /** @type {unknown} */
  let firstError
  const worker = async () => {
    while (next < total) {
      const index = next
      next += 1
      const started = performance.now()
      try {
        await sendOne()
      } catch (err) {
        failed += 1
        firstError ??= err
      }
      latencies[index] = performance.now() - started
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker))
  return { latencies, failed, firstError }
}

/** @param {number} total */
function messages(total) {
  return Array.from({ length: total }, () => ({ phone: PHONE, message: MESSAGE }))
}

/**
 * Runs one `sendMany` call for all messages. Per-message latency is not visible from JavaScript,
 * so the row has no percentiles.
 *
 * @param {Client} client
 * @param {number} total
 */
async function runSendMany(client, total) {
  const results = await client.sendMany(messages(total), { concurrency })
  const failures = results.filter((result) => !result.ok)
  const firstFailure = failures[0]
  return { latencies: undefined, failed: failures.length, firstError: firstFailure?.ok === false ? firstFailure.error : undefined }
}

async function main() {
  let measure
  if (options.client === 'send_many') {
    const client = new Client({ apiKey, baseUrl, maxRetries: 0 })
    measure = (/** @type {number} */ total) => runSendMany(client, total)
  } else {
    const sendOne = /** @type {NonNullable<typeof senders[string]>} */ (senders[options.client])()
    measure = (/** @type {number} */ total) => runWorkers(sendOne, total)
  }

  // One unmeasured send per concurrent sender opens the connections.
  const warmup = await measure(concurrency)
  if (warmup.failed > 0) {
    throw new Error(`a warm-up send failed: ${String(warmup.firstError)}`)
  }

  const started = performance.now()
  const result = await measure(count)
  const elapsedS = (performance.now() - started) / 1000

  const sorted = result.latencies?.sort()
  const record = {
    ...row,
    msgs_per_s: count / elapsedS,
    p50_ms: sorted === undefined ? null : percentile(sorted, 50),
    p99_ms: sorted === undefined ? null : percentile(sorted, 99),
    peak_rss_mb: peakRssMb(),
    count,
    concurrency,
    failed: result.failed,
    first_error: result.firstError === undefined ? null : String(result.firstError),
  }
  process.stdout.write(`${JSON.stringify(record)}\n`)
}

await main()
