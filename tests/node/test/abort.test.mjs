// @ts-check
// AbortSignal support of send and sendMany: the Promise rejects with an AbortError and the HTTP
// request is really dropped.

import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { describe, test } from 'node:test'

import { Client } from 'clearline'
import { API_KEY, startServer, waitFor } from './support.mjs'

const REQUEST = { phone: '+12025550100', message: 'Your code is 0420' }

/**
 * @typedef {Error & { code?: unknown, maybeSent?: unknown, cause?: unknown }} AbortLike
 */

/**
 * @param {Promise<unknown>} promise
 * @returns {Promise<AbortLike>}
 */
async function abortRejection(promise) {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof Error, `expected an Error, got ${String(err)}`)
    assert.equal(err.name, 'AbortError', err.message)
    return err
  }
  assert.fail('expected a rejection')
}

/**
 * Runs `body` with a client of its own server, which never answers, so the counts one test
 * checks are not changed by connections another test left closing.
 *
 * @param {(server: import('./support.mjs').FakeServer, client: Client) => Promise<void>} body
 */
async function withHangingServer(body) {
  const server = await startServer(() => ({ hang: true }))
  try {
    await body(server, new Client({ apiKey: API_KEY, baseUrl: server.url }))
  } finally {
    await server.close()
  }
}

describe('abort', () => {
  test('send in flight rejects and drops the request', { timeout: 10_000 }, () =>
    withHangingServer(async (server, client) => {
      const controller = new AbortController()
      const pending = client.send(REQUEST, { signal: controller.signal })
      await waitFor(() => server.requests.length === 1, 'the request to arrive')

      controller.abort()
      const err = await abortRejection(pending)

      assert.equal(err.code, 'ABORT_ERR')
      assert.equal(err.maybeSent, true)
      assert.ok(err.cause instanceof Error)
      assert.equal(err.cause.name, 'AbortError')
      await waitFor(() => server.abandoned() === 1, 'the server to see the connection close')
    })
  )

  test('send with an aborted signal sends nothing', () =>
    withHangingServer(async (server, client) => {
      const reason = new Error('user left the page')
      const err = await abortRejection(client.send(REQUEST, { signal: AbortSignal.abort(reason) }))
      assert.equal(err.maybeSent, false)
      assert.equal(err.cause, reason)
      assert.equal(server.requests.length, 0)
    })
  )

  test('AbortSignal.timeout rejects with AbortError', { timeout: 10_000 }, () =>
    withHangingServer(async (_, client) => {
      const err = await abortRejection(client.send(REQUEST, { signal: AbortSignal.timeout(100) }))
      assert.ok(err.cause instanceof Error)
      assert.equal(err.cause.name, 'TimeoutError')
    })
  )

  test('abort reason is kept as cause', { timeout: 10_000 }, () =>
    withHangingServer(async (_, client) => {
      const controller = new AbortController()
      const pending = client.send(REQUEST, { signal: controller.signal })
      controller.abort('shutting down')
      const err = await abortRejection(pending)
      assert.equal(err.cause, 'shutting down')
    })
  )

  test('sendMany in flight rejects and drops every request', { timeout: 10_000 }, () =>
    withHangingServer(async (server, client) => {
      const controller = new AbortController()
      const pending = client.sendMany([REQUEST, REQUEST, REQUEST], { signal: controller.signal, concurrency: 3 })
      await waitFor(() => server.requests.length === 3, 'the requests to arrive')

      controller.abort()
      const err = await abortRejection(pending)

      assert.equal(err.maybeSent, true)
      assert.deepEqual(outcomes(err), ['cancelled in flight', 'cancelled in flight', 'cancelled in flight'])
      await waitFor(() => server.abandoned() === 3, 'the server to see the connections close')
    })
  )

  test('sendMany with an aborted signal sends nothing', () =>
    withHangingServer(async (server, client) => {
      const reason = new Error('shutting down')
      const err = await abortRejection(client.sendMany([REQUEST, REQUEST], { signal: AbortSignal.abort(reason) }))
      assert.equal(err.maybeSent, false)
      assert.equal(err.cause, reason)
      assert.match(err.message, /no SMS was sent/)
      assert.deepEqual(outcomes(err), ['not sent', 'not sent'])
      assert.equal(server.requests.length, 0)
    })
  )

  test('sendMany abort keeps the finished results', { timeout: 10_000 }, async () => {
    // The first message is answered at once and the others never are, so with a concurrency of
    // 2 the abort finds the second and third in flight and the fourth not started.
    const server = await startServer((request) => (JSON.parse(request.body).message === 'first' ? {} : { hang: true }))
    try {
      const client = new Client({ apiKey: API_KEY, baseUrl: server.url })
      const controller = new AbortController()
      const messages = ['first', 'second', 'third', 'fourth'].map((message) => ({ ...REQUEST, message }))
      const pending = client.sendMany(messages, { signal: controller.signal, concurrency: 2 })
      await waitFor(() => server.requests.length === 3, 'three requests to arrive')

      controller.abort()
      const err = await abortRejection(pending)

      assert.equal(err.maybeSent, true)
      assert.deepEqual(outcomes(err), ['sent', 'cancelled in flight', 'cancelled in flight', 'not sent'])
      assert.match(err.message, /3 of 4 SMS did not finish/)
      const first = /** @type {{ results: Array<{ ok: boolean, receipt?: { messageId: string } }> }} */ (
        /** @type {unknown} */ (err)
      ).results[0]
      assert.equal(typeof first?.receipt?.messageId, 'string')
    } finally {
      await server.close()
    }
  })

  test('sendMany abort after the batch settled resolves', async () => {
    const server = await startServer()
    try {
      const client = new Client({ apiKey: API_KEY, baseUrl: server.url })
      const controller = new AbortController()
      const results = await client.sendMany([REQUEST], { signal: controller.signal })
      controller.abort()
      assert.equal(results[0]?.ok, true)
    } finally {
      await server.close()
    }
  })
})

/**
 * Summarizes the `results` of a batch's AbortError: `sent`, `cancelled in flight`, `not sent`, or
 * the error code of another failure.
 *
 * @param {unknown} err
 */
function outcomes(err) {
  const { results } = /** @type {{ results: Array<{ ok: boolean, error?: { code: string, maybeSent: boolean, attempts: number } }> }} */ (err)
  assert.ok(Array.isArray(results), 'the AbortError of a batch has results')
  return results.map((result) => {
    if (result.ok) {
      return 'sent'
    }
    const error = result.error
    if (error?.code !== 'CLEARLINE_CANCELLED') {
      return String(error?.code)
    }
    assert.equal(error.attempts, error.maybeSent ? 1 : 0)
    return error.maybeSent ? 'cancelled in flight' : 'not sent'
  })
}

describe('abort after the send settled', () => {
  test('changes nothing and leaves no listener', async () => {
    const server = await startServer()
    try {
      const client = new Client({ apiKey: API_KEY, baseUrl: server.url })
      const controller = new AbortController()
      const receipt = await client.send(REQUEST, { signal: controller.signal })
      assert.equal(receipt.messageId, 'msg_1')
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0)
      controller.abort()
      assert.equal(server.abandoned(), 0)
    } finally {
      await server.close()
    }
  })

  test('failed send leaves no listener', async () => {
    const client = new Client({ apiKey: API_KEY, baseUrl: 'http://127.0.0.1:9', maxRetries: 0 })
    const controller = new AbortController()
    await assert.rejects(client.send({ phone: 'bad', message: 'x' }, { signal: controller.signal }))
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0)
  })
})
