// @ts-check
// Every ClearLineError code, raised by real exchanges with the sandbox and loopback servers.

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import { ClearLineError, Client, Sandbox, parseCallback } from 'clearline'
import { API_KEY, closedPort, startServer } from './support.mjs'

const REQUEST = { phone: '+12025550100', message: 'Your code is 0420' }

/**
 * @param {string} baseUrl
 * @param {import('clearline').ClientOptions} [options]
 */
function client(baseUrl, options = {}) {
  return new Client({ apiKey: API_KEY, baseUrl, maxRetries: 0, ...options })
}

/**
 * Awaits a rejection and returns it as a ClearLineError.
 *
 * @param {Promise<unknown>} promise
 * @returns {Promise<ClearLineError>}
 */
async function rejection(promise) {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof ClearLineError, `expected a ClearLineError, got ${String(err)}`)
    return err
  }
  assert.fail('expected a rejection')
}

/**
 * @param {() => unknown} call
 * @returns {ClearLineError}
 */
function thrown(call) {
  try {
    call()
  } catch (err) {
    assert.ok(err instanceof ClearLineError, `expected a ClearLineError, got ${String(err)}`)
    return err
  }
  assert.fail('expected a throw')
}

describe('ClearLineError', () => {
  test('is an Error subclass with its own name', () => {
    const err = new ClearLineError('boom', { code: 'CLEARLINE_SERVER', status: 503 })
    assert.ok(err instanceof Error)
    assert.equal(err.name, 'ClearLineError')
    assert.equal(err.code, 'CLEARLINE_SERVER')
    assert.equal(err.status, 503)
    assert.equal(err.maybeSent, false)
    assert.equal(err.retryAfterMs, null)
    assert.equal(err.attempts, 0)
    assert.match(String(err), /^ClearLineError: boom$/)
  })

  test('configuration: plain http off loopback', () => {
    const err = thrown(() => new Client({ apiKey: API_KEY, baseUrl: 'http://api.example.com' }))
    assert.equal(err.code, 'CLEARLINE_CONFIGURATION')
    assert.match(err.message, /plain http/)
  })

  test('configuration: unknown environment', () => {
    // @ts-expect-error: the typings allow only production and staging
    const err = thrown(() => new Client({ apiKey: API_KEY, environment: 'prod' }))
    assert.equal(err.code, 'CLEARLINE_CONFIGURATION')
    assert.match(err.message, /invalid environment "prod"/)
  })

  test('configuration: no key anywhere', async () => {
    const { runNode } = await import('./support.mjs')
    const env = { ...process.env }
    delete env.CLEARLINE_API_KEY
    const script = `
      const { Client } = require('clearline')
      try { new Client() } catch (err) { console.log(err.code, err.message) }
    `
    const result = await runNode(['-e', script], { env })
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /^CLEARLINE_CONFIGURATION no API key/)
  })

  test('configuration: key from CLEARLINE_API_KEY', async () => {
    const { runNode } = await import('./support.mjs')
    const script = `
      const { Client } = require('clearline')
      const util = require('node:util')
      console.log(util.inspect(new Client({ baseUrl: 'http://127.0.0.1:9' })))
    `
    const result = await runNode(['-e', script], { env: { ...process.env, CLEARLINE_API_KEY: API_KEY } })
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /apiKey: '…0000'/)
  })

  test('validation: phone without country code', async () => {
    const err = await rejection(client('http://127.0.0.1:9').send({ phone: '2025550100', message: 'Hi' }))
    assert.equal(err.code, 'CLEARLINE_VALIDATION')
    assert.equal(err.field, 'phone')
    assert.equal(err.maybeSent, false)
    assert.equal(err.attempts, 0)
  })

  test('validation: lone surrogate in message', async () => {
    const message = `Hi ${String.fromCharCode(0xd83d)}`
    const err = await rejection(client('http://127.0.0.1:9').send({ phone: '+12025550100', message }))
    assert.equal(err.code, 'CLEARLINE_VALIDATION')
    assert.equal(err.field, 'message')
    assert.match(err.message, /lone surrogate/)
  })

  test('validation: lone surrogate in phone and callback URL', async () => {
    const broken = String.fromCharCode(0xdc00)
    const sender = client('http://127.0.0.1:9')
    const phoneErr = await rejection(sender.send({ phone: `+1202555${broken}`, message: 'Hi' }))
    assert.equal(phoneErr.field, 'phone')
    const urlErr = await rejection(
      sender.send({ ...REQUEST, callbackUrl: `https://app.example.com/${broken}` })
    )
    assert.equal(urlErr.field, 'callbackUrl')
  })

  test('real U+FFFD in a message is sent unchanged', async () => {
    const server = await startServer()
    try {
      const message = 'Replacement \uFFFD character'
      await client(server.url).send({ phone: '+12025550100', message })
      assert.equal(JSON.parse(server.requests[0]?.body ?? '{}').message, message)
    } finally {
      await server.close()
    }
  })

  describe('from the sandbox', () => {
    /** @type {Sandbox} */
    let sandbox

    before(async () => {
      sandbox = await Sandbox.start()
    })
    after(() => sandbox.stop())

    /**
     * Injects `fault` and returns the error of the next send.
     *
     * @param {import('clearline').Fault | null} fault
     * @param {import('clearline').ClientOptions} [options]
     */
    async function sendWith(fault, options = {}) {
      sandbox.clearFaults()
      if (fault !== null) {
        sandbox.injectFault(fault)
      }
      return rejection(sandbox.client({ maxRetries: 0, ...options }).send(REQUEST))
    }

    test('auth: wrong key', async () => {
      const wrongKey = new Client({ apiKey: API_KEY, baseUrl: sandbox.baseUrl })
      const err = await rejection(wrongKey.send(REQUEST))
      assert.equal(err.code, 'CLEARLINE_AUTH')
      assert.equal(err.status, 401)
      assert.equal(err.maybeSent, false)
    })

    test('rejected: succeed false', async () => {
      const err = await sendWith({ kind: 'status', status: 200, body: '{"succeed":false}' })
      assert.equal(err.code, 'CLEARLINE_REJECTED')
      assert.equal(err.maybeSent, false)
    })

    test('rejected: 400', async () => {
      const err = await sendWith({ kind: 'status', status: 400, body: 'bad number' })
      assert.equal(err.code, 'CLEARLINE_REJECTED')
      assert.equal(err.status, 400)
      assert.equal(err.bodySnippet, 'bad number')
    })

    test('rate limited: 429 with Retry-After', async () => {
      const err = await sendWith({ kind: 'status', status: 429, retryAfter: '7' })
      assert.equal(err.code, 'CLEARLINE_RATE_LIMITED')
      assert.equal(err.retryAfterMs, 7000)
      assert.equal(err.maybeSent, false)
      assert.equal(err.attempts, 1)
    })

    test('server: 503', async () => {
      const err = await sendWith({ kind: 'status', status: 503, body: 'down for maintenance' })
      assert.equal(err.code, 'CLEARLINE_SERVER')
      assert.equal(err.status, 503)
      assert.equal(err.maybeSent, true)
    })

    test('unexpected response: HTML on 200', async () => {
      const err = await sendWith({ kind: 'nonJsonBody' })
      assert.equal(err.code, 'CLEARLINE_UNEXPECTED_RESPONSE')
      assert.equal(err.maybeSent, true)
      assert.match(err.bodySnippet ?? '', /html/i)
    })

    test('timeout: no answer within timeoutMs', async () => {
      const err = await sendWith({ kind: 'latency', ms: 5000 }, { timeoutMs: 200 })
      assert.equal(err.code, 'CLEARLINE_TIMEOUT')
      assert.equal(err.timeoutPhase, 'response')
      assert.equal(err.maybeSent, true)
    })

    test('connection: closed after the request', async () => {
      const err = await sendWith({ kind: 'closeConnection' })
      assert.equal(err.code, 'CLEARLINE_CONNECTION')
      assert.equal(err.maybeSent, true)
    })

    test('validation: rejected before any I/O', async () => {
      const before = sandbox.messages().length
      const err = await rejection(sandbox.client().send({ phone: '+1', message: 'Hi' }))
      assert.equal(err.code, 'CLEARLINE_VALIDATION')
      assert.equal(sandbox.messages().length, before)
    })
  })

  test('connection: nothing listening', async () => {
    const port = await closedPort()
    const err = await rejection(client(`http://127.0.0.1:${port}`).send(REQUEST))
    assert.equal(err.code, 'CLEARLINE_CONNECTION')
    assert.equal(err.maybeSent, false)
    assert.match(err.message, /could not connect/)
  })

  test('connection: retried when nothing listening', async () => {
    const port = await closedPort()
    const err = await rejection(client(`http://127.0.0.1:${port}`, { maxRetries: 2 }).send(REQUEST))
    assert.equal(err.attempts, 3)
  })

  test('callback parse: not JSON', () => {
    const err = thrown(() => parseCallback('messageId=m1&deliveryStatus=Delivered'))
    assert.equal(err.code, 'CLEARLINE_CALLBACK_PARSE')
    assert.match(err.message, /form-encoded/)
  })

  test('internal: panic in a sync call', async () => {
    const native = await loadNative()
    const err = thrown(() => native.__panicForTesting('sync'))
    assert.equal(err.code, 'CLEARLINE_INTERNAL')
    assert.match(err.message, /panic requested by a test/)
  })

  test('internal: panic in an async call', async () => {
    const native = await loadNative()
    const err = await rejection(native.__panicForTesting('async'))
    assert.equal(err.code, 'CLEARLINE_INTERNAL')
    assert.match(err.message, /panic requested by a test/)
  })

  test('stack of an async error shows the caller', async () => {
    const err = await rejection(client(`http://127.0.0.1:${await closedPort()}`).send(REQUEST))
    assert.match(err.stack ?? '', /errors\.test\.mjs/)
  })
})

/**
 * Loads the package's private native module, for its panic hook.
 *
 * @returns {Promise<{ __panicForTesting(kind: 'sync' | 'async'): Promise<void> }>}
 */
async function loadNative() {
  const { createRequire } = await import('node:module')
  const require = createRequire(import.meta.url)
  const path = await import('node:path')
  return require(path.join(path.dirname(require.resolve('clearline')), 'native.js'))
}
