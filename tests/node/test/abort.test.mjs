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
      await waitFor(() => server.abandoned() === 3, 'the server to see the connections close')
    })
  )

  test('sendMany with an aborted signal sends nothing', () =>
    withHangingServer(async (server, client) => {
      const err = await abortRejection(client.sendMany([REQUEST], { signal: AbortSignal.abort() }))
      assert.equal(err.maybeSent, false)
      assert.equal(server.requests.length, 0)
    })
  )
})

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
