// @ts-check
// Measures how much the resident set size grows over many sends, to catch per-send leaks.
// Prints one JSON measurement. Run with `--expose-gc`, so both readings follow a full
// garbage collection.
//
// Usage: node --expose-gc growth.mjs --mode send|send_many --base-url URL --api-key KEY
//          [--count N] [--concurrency C] [--id-suffix SUFFIX]

import { Client } from 'clearline'

import { MESSAGE, PHONE, positiveInteger, readOptions, rssMb } from './common.mjs'

const options = readOptions({ mode: '', 'base-url': '', 'api-key': '', count: '100000', concurrency: '64', 'id-suffix': '' })
const count = positiveInteger('count', options.count)
const concurrency = positiveInteger('concurrency', options.concurrency)
if (options.mode !== 'send' && options.mode !== 'send_many') {
  throw new RangeError(`--mode must be send or send_many, got ${JSON.stringify(options.mode)}`)
}
const gc = globalThis.gc
if (gc === undefined) {
  throw new Error('run this script with node --expose-gc')
}

const client = new Client({ apiKey: options['api-key'], baseUrl: options['base-url'], maxRetries: 0 })

/** Sends `total` SMS with `concurrency` workers calling `client.send`. @param {number} total */
async function sendEach(total) {
  let next = 0
  const worker = async () => {
    while (next < total) {
      next += 1
      await client.send({ phone: PHONE, message: MESSAGE })
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker))
}

/**
 * Sends `total` SMS through `sendMany` in batches of at most 10,000, so the reading measures what
 * the client keeps, not the result arrays the caller holds.
 *
 * @param {number} total
 */
async function sendBatches(total) {
  for (let sent = 0; sent < total; sent += 10_000) {
    const size = Math.min(10_000, total - sent)
    const messages = Array.from({ length: size }, () => ({ phone: PHONE, message: MESSAGE }))
    const results = await client.sendMany(messages, { concurrency })
    if (!results.every((result) => result.ok)) {
      throw new Error('a send of the batch failed')
    }
  }
}

const run = options.mode === 'send' ? sendEach : sendBatches

// The warm-up opens the connections and lets the allocators reach their steady size.
await run(Math.min(count, 5_000))
gc()
const before = rssMb()
const heapBefore = process.memoryUsage()

await run(count)
gc()
const after = rssMb()
const heapAfter = process.memoryUsage()

const id = `node.rss_growth.${options.mode}${options['id-suffix']}`
const name = `RSS growth over ${count} ${options.mode === 'send' ? 'client.send calls' : 'messages through sendMany'}`
// The V8 heap's share of the growth: `heapTotal` is what V8 reserved, `heapUsed` what live
// objects take after the collection.
const heap = {
  heap_total_before_mb: heapBefore.heapTotal / 1e6,
  heap_total_after_mb: heapAfter.heapTotal / 1e6,
  heap_used_before_mb: heapBefore.heapUsed / 1e6,
  heap_used_after_mb: heapAfter.heapUsed / 1e6,
}
const record = { id, name, value: after - before, unit: 'MB', before_mb: before, after_mb: after, ...heap }
process.stdout.write(`${JSON.stringify(record)}\n`)
