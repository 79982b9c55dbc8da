// @ts-check
// The embedded sandbox: sends and delivery reports end to end, fault injection, waits, errors
// and stopping.

import assert from 'node:assert/strict'
import { once } from 'node:events'
import http from 'node:http'
import util from 'node:util'
import { after, before, describe, test } from 'node:test'

import { ClearLineError, Sandbox, SandboxError } from 'clearline'
import { API_KEY, runNode } from './support.mjs'

/**
 * @typedef {object} Receiver
 * @property {string} url the callback URL
 * @property {string[]} bodies every report body received
 * @property {() => Promise<void>} close
 */

/**
 * Starts a loopback receiver of delivery reports that responds with `status`.
 *
 * @param {number} [status]
 * @returns {Promise<Receiver>}
 */
async function startReceiver(status = 200) {
  /** @type {string[]} */
  const bodies = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8').on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      bodies.push(body)
      res.writeHead(status).end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
  return {
    url: `http://127.0.0.1:${port}/webhooks/sms`,
    bodies,
    close: async () => {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}

/**
 * @param {Promise<unknown>} promise
 * @returns {Promise<ClearLineError>}
 */
async function clearLineRejection(promise) {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof ClearLineError, String(err))
    return err
  }
  assert.fail('expected a rejection')
}

describe('sandbox', () => {
  /** @type {Sandbox} */
  let sandbox
  /** @type {Receiver} */
  let receiver

  before(async () => {
    sandbox = await Sandbox.start({ callbackDelayMs: 5, callbackRetryBackoffMs: 10 })
    receiver = await startReceiver()
  })
  after(async () => {
    await sandbox.stop()
    await receiver.close()
  })

  test('start gives a loopback URL and a fake key', () => {
    assert.match(sandbox.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.equal(sandbox.baseUrl, `http://127.0.0.1:${sandbox.port}`)
    assert.match(sandbox.apiKey, /^sandbox_key_[0-9a-f]+$/)
  })

  test('inspect hides the key', () => {
    const shown = util.inspect(sandbox)
    assert.ok(!shown.includes(sandbox.apiKey), shown)
    assert.match(shown, new RegExp(`…${sandbox.apiKey.slice(-4)}`))
  })

  test('send and delivery report end to end', async () => {
    sandbox.reset()
    const client = sandbox.client()
    const receipt = await client.send({ phone: '+1 202 555 0102', message: 'Your code is 0420', callbackUrl: receiver.url })

    const [message] = sandbox.messages()
    assert.ok(message)
    assert.equal(message.messageId, receipt.messageId)
    assert.equal(message.phone, '+12025550102')
    assert.equal(message.message, 'Your code is 0420')
    assert.equal(message.callbackUrl, receiver.url)
    assert.ok(message.receivedAt instanceof Date)

    const [outcome] = await sandbox.waitForCallbacks(1)
    assert.ok(outcome)
    assert.equal(outcome.messageId, receipt.messageId)
    assert.equal(outcome.delivered, true)
    assert.equal(outcome.report.status, 'DeliveredFailed')
    assert.equal(outcome.report.externalStatus, 'Expired')

    const [attempt] = sandbox.callbackAttempts()
    assert.ok(attempt)
    assert.equal(attempt.status, 200)
    assert.equal(attempt.error, null)
    assert.ok(attempt.at instanceof Date)
  })

  test('receiver parses the report it got', async () => {
    const { parseCallback } = await import('clearline')
    sandbox.reset()
    const bodiesBefore = receiver.bodies.length
    const receipt = await sandbox.client().send({ phone: '+12025550100', message: 'Hi', callbackUrl: receiver.url })
    await sandbox.waitForCallbacks(1)
    const report = parseCallback(receiver.bodies[bodiesBefore] ?? '')
    assert.equal(report.messageId, receipt.messageId)
    assert.equal(report.isDelivered, true)
  })

  test('failing receiver exhausts the attempts', async () => {
    const failing = await startReceiver(500)
    try {
      sandbox.reset()
      await sandbox.client().send({ phone: '+12025550101', message: 'Hi', callbackUrl: failing.url })
      const [outcome] = await sandbox.waitForCallbacks(1)
      assert.equal(outcome?.delivered, false)
      assert.equal(outcome?.attempts, 3)
      assert.equal(failing.bodies.length, 3)
      assert.deepEqual(sandbox.callbackAttempts().map((attempt) => attempt.status), [500, 500, 500])
    } finally {
      await failing.close()
    }
  })

  test('requests records an accepted send', async () => {
    sandbox.reset()
    await sandbox.client().send({ phone: '+12025550100', message: 'Hi there', callbackUrl: receiver.url })

    const requests = sandbox.requests()
    assert.equal(requests.length, 1)
    const [request] = requests
    assert.ok(request)
    assert.equal(request.method, 'POST')
    assert.equal(request.path, '/MessageSender/sms')
    assert.equal(request.query, null)
    assert.equal(request.apiKeyPresent, true)
    assert.equal(request.apiKeyMatched, true)
    assert.equal(request.status, 200)
    assert.ok(request.receivedAt instanceof Date)
    assert.ok(Math.abs(Date.now() - request.receivedAt.getTime()) < 60_000, String(request.receivedAt))

    assert.ok(Buffer.isBuffer(request.body))
    const body = JSON.parse(request.body.toString('utf8'))
    assert.equal(body.message, 'Hi there')
    assert.equal(body.callbackUrl, receiver.url)

    const headers = new Map(request.headers)
    assert.equal(headers.get('apikey'), '<redacted>')
    assert.equal(headers.get('content-type'), 'application/json')
    assert.match(headers.get('user-agent') ?? '', /clearline-node\//)
    for (const [name, value] of request.headers) {
      assert.equal(name, name.toLowerCase())
      assert.equal(typeof value, 'string')
    }
    await sandbox.waitForCallbacks(1)
  })

  test('requests keep rejected sends without the key', async () => {
    sandbox.reset()
    const { Client } = await import('clearline')
    const wrongKey = new Client({ apiKey: API_KEY, baseUrl: sandbox.baseUrl, maxRetries: 0 })
    await clearLineRejection(wrongKey.send({ phone: '+12025550100', message: 'Hi' }))
    sandbox.injectFault({ kind: 'closeConnection' })
    await clearLineRejection(sandbox.client({ maxRetries: 0 }).send({ phone: '+12025550100', message: 'Hi' }))

    const requests = sandbox.requests()
    assert.deepEqual(
      requests.map((request) => [request.status, request.apiKeyPresent, request.apiKeyMatched]),
      [
        [401, true, false],
        [null, true, true],
      ]
    )
    const shown = util.inspect(requests, { depth: 10 })
    assert.ok(!shown.includes(API_KEY), shown)
    assert.ok(!shown.includes(sandbox.apiKey), shown)
    assert.equal(sandbox.messages().length, 0)
  })

  test('requests empty after reset', async () => {
    sandbox.reset()
    await sandbox.client().send({ phone: '+12025550100', message: 'Hi' })
    assert.ok(sandbox.requests().length > 0)
    sandbox.reset()
    assert.deepEqual(sandbox.requests(), [])
  })

  test('wrong key is an auth error', async () => {
    const { Client } = await import('clearline')
    const client = new Client({ apiKey: API_KEY, baseUrl: sandbox.baseUrl })
    const err = await clearLineRejection(client.send({ phone: '+12025550100', message: 'Hi' }))
    assert.equal(err.code, 'CLEARLINE_AUTH')
    assert.equal(err.status, 401)
  })

  describe('faults', () => {
    /**
     * Injects `fault` and returns the error of the next send.
     *
     * @param {import('clearline').Fault} fault
     * @param {import('clearline').ClientOptions} [options]
     */
    async function sendWith(fault, options = {}) {
      sandbox.clearFaults()
      sandbox.injectFault(fault)
      const client = sandbox.client({ maxRetries: 0, ...options })
      return clearLineRejection(client.send({ phone: '+12025550100', message: 'Hi' }))
    }

    test('status 429 with Retry-After', async () => {
      const err = await sendWith({ kind: 'status', status: 429, retryAfter: '2' })
      assert.equal(err.code, 'CLEARLINE_RATE_LIMITED')
      assert.equal(err.retryAfterMs, 2000)
      assert.equal(err.maybeSent, false)
    })

    test('status 400 is rejected', async () => {
      const err = await sendWith({ kind: 'status', status: 400, body: '{"error":"blocked number"}' })
      assert.equal(err.code, 'CLEARLINE_REJECTED')
      assert.match(err.message, /blocked number/)
    })

    test('status 503 is a server error', async () => {
      const err = await sendWith({ kind: 'status', status: 503 })
      assert.equal(err.code, 'CLEARLINE_SERVER')
      assert.equal(err.maybeSent, true)
    })

    test('latency past the timeout', async () => {
      const err = await sendWith({ kind: 'latency', ms: 2000 }, { timeoutMs: 200 })
      assert.equal(err.code, 'CLEARLINE_TIMEOUT')
      assert.equal(err.timeoutPhase, 'response')
    })

    test('closed connection', async () => {
      const err = await sendWith({ kind: 'closeConnection' })
      assert.equal(err.code, 'CLEARLINE_CONNECTION')
      assert.equal(err.maybeSent, true)
    })

    test('HTML body', async () => {
      const err = await sendWith({ kind: 'nonJsonBody' })
      assert.equal(err.code, 'CLEARLINE_UNEXPECTED_RESPONSE')
      assert.equal(err.maybeSent, true)
    })

    test('redirect is never followed', async () => {
      const err = await sendWith({ kind: 'redirect', location: 'http://127.0.0.1:9/elsewhere' })
      assert.equal(err.code, 'CLEARLINE_UNEXPECTED_RESPONSE')
      assert.equal(err.maybeSent, false)
      assert.equal(err.status, 307)
    })

    test('rate limit is retried after Retry-After', async () => {
      sandbox.clearFaults()
      sandbox.injectFault({ kind: 'status', status: 429, retryAfter: '0' }, { times: 2 })
      const receipt = await sandbox.client({ maxRetries: 2 }).send({ phone: '+12025550100', message: 'Hi' })
      assert.equal(receipt.attempts, 3)
    })

    test('sendMany keeps order through faults', async () => {
      sandbox.clearFaults()
      sandbox.injectFault({ kind: 'status', status: 500 })
      const client = sandbox.client({ maxRetries: 0 })
      const results = await client.sendMany(
        [
          { phone: '+12025550100', message: 'first' },
          { phone: 'invalid', message: 'second' },
          { phone: '+12025550100', message: 'third' },
        ],
        { concurrency: 1 }
      )
      assert.deepEqual(
        results.map((result) => (result.ok ? 'ok' : result.error.code)),
        ['CLEARLINE_SERVER', 'CLEARLINE_VALIDATION', 'ok']
      )
    })

    test('invalid fault kind throws TypeError', () => {
      assert.throws(() => sandbox.injectFault(/** @type {any} */ ({ kind: 'explode' })), TypeError)
      assert.throws(() => sandbox.injectFault(/** @type {any} */ ({ kind: 'status' })), TypeError)
    })
  })

  test('wait times out with what arrived', async () => {
    sandbox.reset()
    await sandbox.client().send({ phone: '+12025550100', message: 'Hi', callbackUrl: receiver.url })
    await assert.rejects(sandbox.waitForCallbacks(2, { timeoutMs: 300 }), (err) => {
      assert.ok(err instanceof SandboxError)
      assert.equal(err.code, 'CLEARLINE_SANDBOX_TIMEOUT')
      assert.equal(err.arrived.length, 1)
      assert.match(err.message, /1 arrived/)
      return true
    })
  })
})

describe('sandbox lifecycle', () => {
  test('configured key is used', async () => {
    const sandbox = await Sandbox.start({ apiKey: API_KEY })
    try {
      assert.equal(sandbox.apiKey, API_KEY)
    } finally {
      await sandbox.stop()
    }
  })

  test('taken port is a bind error', async () => {
    const first = await Sandbox.start()
    try {
      await assert.rejects(Sandbox.start({ port: first.port }), (err) => {
        assert.ok(err instanceof SandboxError)
        assert.equal(err.code, 'CLEARLINE_SANDBOX_BIND')
        assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${first.port}`))
        return true
      })
    } finally {
      await first.stop()
    }
  })

  test('invalid key is a config error without echo', async () => {
    await assert.rejects(Sandbox.start({ apiKey: 'has spaces SECRETPART' }), (err) => {
      assert.ok(err instanceof SandboxError)
      assert.equal(err.code, 'CLEARLINE_SANDBOX_CONFIG')
      assert.ok(!err.message.includes('SECRETPART'))
      return true
    })
  })

  test('stop frees the port and ends every method', async () => {
    const sandbox = await Sandbox.start()
    const waiting = assert.rejects(sandbox.waitForCallbacks(1, { timeoutMs: 10_000 }), {
      code: 'CLEARLINE_SANDBOX_STOPPED',
    })
    await sandbox.stop()
    await sandbox.stop()

    await waiting
    assert.throws(() => sandbox.messages(), { name: 'SandboxError', code: 'CLEARLINE_SANDBOX_STOPPED' })
    assert.throws(() => sandbox.requests(), { name: 'SandboxError', code: 'CLEARLINE_SANDBOX_STOPPED' })
    const again = await Sandbox.start({ port: sandbox.port })
    await again.stop()
  })

  test('maxMessageChars reaches the sandbox and its client', async () => {
    const sandbox = await Sandbox.start({ maxMessageChars: 5000 })
    try {
      assert.equal(sandbox.maxMessageChars, 5000)

      const receipt = await sandbox.client().send({ phone: '+12025551234', message: 'x'.repeat(2000) })

      assert.deepEqual(
        sandbox.messages().map((message) => message.messageId),
        [receipt.messageId],
      )
      await assert.rejects(sandbox.client().send({ phone: '+12025551234', message: 'x'.repeat(5001) }), {
        code: 'CLEARLINE_VALIDATION',
      })
      await assert.rejects(
        sandbox.client({ maxMessageChars: 1600 }).send({ phone: '+12025551234', message: 'x'.repeat(2000) }),
        { code: 'CLEARLINE_VALIDATION' },
      )
    } finally {
      await sandbox.stop()
    }
  })

  test('maxMessageChars defaults to the core\'s', async () => {
    const sandbox = await Sandbox.start()
    try {
      assert.equal(sandbox.maxMessageChars, 1600)
    } finally {
      await sandbox.stop()
    }
  })

  test('zero maxMessageChars throws RangeError', async () => {
    await assert.rejects(Sandbox.start({ maxMessageChars: 0 }), (err) => {
      assert.ok(err instanceof RangeError)
      assert.match(err.message, /options\.maxMessageChars/)
      return true
    })
  })

  test('constructor is private', () => {
    assert.throws(() => new (/** @type {any} */ (Sandbox))(), /Sandbox\.start\(\)/)
  })

  test('wrong option types throw TypeError', async () => {
    await assert.rejects(Sandbox.start(/** @type {any} */ ({ port: '8080' })), /"options\.port"/)
    await assert.rejects(Sandbox.start(/** @type {any} */ ({ callbackDelayMs: -1 })), RangeError)
  })

  test('process exits after stop', async () => {
    const script = `
      import http from 'node:http'
      import { Sandbox } from 'clearline'
      const receiver = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end()) })
      await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve))
      const callbackUrl = 'http://127.0.0.1:' + receiver.address().port + '/hook'
      const sandbox = await Sandbox.start({ callbackDelayMs: 1 })
      const client = sandbox.client()
      await client.send({ phone: '+12025550100', message: 'Hi', callbackUrl })
      const outcomes = await sandbox.waitForCallbacks(1)
      await sandbox.stop()
      receiver.close()
      console.log(outcomes.length, outcomes[0].delivered)
    `
    const result = await runNode(['--input-type=module', '-e', script], { timeoutMs: 20_000 })
    assert.equal(result.signal, null, `the process did not exit on its own; stderr: ${result.stderr}`)
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout.trim(), '1 true')
  })

  test('process exits with a sandbox never stopped', async () => {
    const script = `
      import { Sandbox } from 'clearline'
      const sandbox = await Sandbox.start()
      console.log((await sandbox.client().send({ phone: '+12025550100', message: 'Hi' })).attempts)
    `
    const result = await runNode(['--input-type=module', '-e', script], { timeoutMs: 20_000 })
    assert.equal(result.signal, null, `the process did not exit on its own; stderr: ${result.stderr}`)
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout.trim(), '1')
  })
})
