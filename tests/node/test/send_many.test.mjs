// @ts-check
// sendMany: one result per message in input order, failures that never stop the batch, bounded
// concurrency, and progress reports that end with done === total before the Promise resolves.

import assert from 'node:assert/strict'
import { test } from 'node:test'

import { ClearLineError, Client, Sandbox } from 'clearline'
import { API_KEY, runNode, startServer } from './support.mjs'

/** The server responds with 500 to this recipient. */
const FAILING_PHONE = '+12025550500'

test('results in input order with mixed outcomes', async () => {
  const server = await startServer((request) => {
    const { phone, message } = JSON.parse(request.body)
    if (phone === FAILING_PHONE) {
      return { status: 500, body: 'oops' }
    }
    return { body: JSON.stringify({ succeed: true, messageId: `id_${message}` }) }
  })
  try {
    const client = new Client({ apiKey: API_KEY, baseUrl: server.url, maxRetries: 0 })
    const messages = [
      { phone: '+12025550100', message: '0' },
      { phone: 'invalid', message: '1' },
      { phone: FAILING_PHONE, message: '2' },
      { phone: '+12025550100', message: `3${String.fromCharCode(0xd800)}` },
      { phone: '+12025550100', message: '4', callbackUrl: 'https://app.example.com/hook' },
    ]
    const results = await client.sendMany(messages, { concurrency: 2 })

    assert.equal(results.length, messages.length)
    const [first, invalid, failing, broken, last] = results
    assert.ok(first?.ok)
    assert.ok(last?.ok)
    assert.equal(first.receipt.messageId, 'id_0')
    assert.equal(last.receipt.messageId, 'id_4')
    assert.equal(first.receipt.encoding, 'GSM-7')
    assert.equal(first.receipt.segments, 1)
    assert.ok(invalid && !invalid.ok)
    assert.ok(failing && !failing.ok)
    assert.ok(broken && !broken.ok)
    assert.ok(invalid.error instanceof ClearLineError)
    assert.equal(invalid.error.code, 'CLEARLINE_VALIDATION')
    assert.equal(invalid.error.field, 'phone')
    assert.equal(failing.error.code, 'CLEARLINE_SERVER')
    assert.equal(failing.error.maybeSent, true)
    assert.equal(broken.error.code, 'CLEARLINE_VALIDATION')
    assert.equal(broken.error.field, 'message')
    assert.equal(server.requests.length, 3)
  } finally {
    await server.close()
  }
})

test('concurrency bounds the sends in flight', async () => {
  let inFlight = 0
  let maxInFlight = 0
  const server = await startServer(() => {
    inFlight += 1
    maxInFlight = Math.max(maxInFlight, inFlight)
    setTimeout(() => (inFlight -= 1), 30)
    return { delayMs: 30 }
  })
  try {
    const client = new Client({ apiKey: API_KEY, baseUrl: server.url })
    const messages = Array.from({ length: 12 }, (_, index) => ({ phone: '+12025550100', message: `m${index}` }))
    const results = await client.sendMany(messages, { concurrency: 3 })
    assert.ok(results.every((result) => result.ok))
    assert.ok(maxInFlight <= 3, `max in flight was ${maxInFlight}`)
    assert.ok(maxInFlight >= 2, `max in flight was ${maxInFlight}`)
  } finally {
    await server.close()
  }
})

test('progress is monotonic and ends before resolution', async () => {
  const server = await startServer(() => ({ delayMs: 5 }))
  try {
    const client = new Client({ apiKey: API_KEY, baseUrl: server.url })
    const messages = Array.from({ length: 40 }, () => ({ phone: '+12025550100', message: 'Hi' }))
    /** @type {Array<[number, number]>} */
    const calls = []
    let settled = false
    const pending = client.sendMany(messages, {
      concurrency: 4,
      onProgress: (done, total) => {
        assert.equal(settled, false, 'onProgress called after the batch settled')
        calls.push([done, total])
      },
    })
    await pending
    settled = true
    await new Promise((resolve) => setTimeout(resolve, 100))

    assert.ok(calls.length >= 1)
    assert.deepEqual(calls.at(-1), [40, 40])
    for (let index = 1; index < calls.length; index += 1) {
      assert.ok((calls[index]?.[0] ?? 0) > (calls[index - 1]?.[0] ?? 0), JSON.stringify(calls))
    }
    assert.ok(calls.every(([, total]) => total === 40))
  } finally {
    await server.close()
  }
})

test('progress counts messages that never reach the core', async () => {
  const server = await startServer()
  try {
    const client = new Client({ apiKey: API_KEY, baseUrl: server.url })
    /** @type {Array<[number, number]>} */
    const calls = []
    await client.sendMany(
      [
        { phone: '+12025550100', message: String.fromCharCode(0xdc00) },
        { phone: '+12025550100', message: 'Hi' },
      ],
      { onProgress: (done, total) => calls.push([done, total]) }
    )
    assert.deepEqual(calls.at(-1), [2, 2])
  } finally {
    await server.close()
  }
})

test('empty batch resolves to an empty array', async () => {
  const client = new Client({ apiKey: API_KEY, baseUrl: 'http://127.0.0.1:9' })
  let calls = 0
  assert.deepEqual(await client.sendMany([], { onProgress: () => (calls += 1) }), [])
  assert.equal(calls, 0)
})

test('throwing onProgress is an uncaught exception, not a lost batch', async () => {
  const server = await startServer()
  try {
    const script = `
      import { Client } from 'clearline'
      process.on('uncaughtException', (err) => console.log('uncaught', err.message))
      const client = new Client({ apiKey: ${JSON.stringify(API_KEY)}, baseUrl: ${JSON.stringify(server.url)} })
      const results = await client.sendMany([{ phone: '+12025550100', message: 'Hi' }], {
        onProgress: () => { throw new Error('progress bug') },
      })
      console.log('results', results.length)
    `
    const result = await runNode(['--input-type=module', '-e', script])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /results 1/)
    assert.match(result.stdout, /uncaught progress bug/)
  } finally {
    await server.close()
  }
})

test('receipts keep non-ASCII ids and UCS-2', async () => {
  // The receipts cross from Rust as one packed UTF-16 string: text outside ASCII and outside
  // the Basic Multilingual Plane must come through unchanged.
  const server = await startServer((request) => {
    const { message } = JSON.parse(request.body)
    return { body: JSON.stringify({ succeed: true, messageId: `id_é🔐_${message.length}` }) }
  })
  try {
    const client = new Client({ apiKey: API_KEY, baseUrl: server.url })
    const message = 'Привет 🔐'
    const single = await client.send({ phone: '+12025550100', message })
    const [many] = await client.sendMany([{ phone: '+12025550100', message }])

    assert.ok(many?.ok)
    for (const receipt of [single, many.receipt]) {
      assert.equal(receipt.messageId, `id_é🔐_${message.length}`)
      assert.equal(receipt.phone, '+12025550100')
      assert.equal(receipt.encoding, 'UCS-2')
      assert.equal(receipt.segments, 1)
      assert.equal(receipt.attempts, 1)
    }
  } finally {
    await server.close()
  }
})

test('a 429 pauses the sends that have not started', async () => {
  // Of the first 4 sends in flight, one gets the 429. The other 3 are already on their way, and
  // one or two more may start before the client has read the 429, but the rest wait for its
  // Retry-After of 1 s. Without the batch pause, 11 of the 12 would arrive at once.
  const sandbox = await Sandbox.start()
  try {
    sandbox.injectFault({ kind: 'status', status: 429, retryAfter: '1' })
    const client = sandbox.client()
    const started = Date.now()
    const messages = Array.from({ length: 12 }, (_, index) => ({ phone: '+12025550100', message: `m${index}` }))

    const results = await client.sendMany(messages, { concurrency: 4 })

    assert.ok(results.every((result) => result.ok))
    const accepted = sandbox.messages().map((message) => message.receivedAt.getTime() - started).sort((a, b) => a - b)
    assert.equal(accepted.length, 12)
    assert.ok(accepted.filter((offset) => offset < 500).length <= 6, String(accepted))
    assert.ok((accepted.at(-1) ?? 0) >= 900, String(accepted))
  } finally {
    await sandbox.stop()
  }
})
