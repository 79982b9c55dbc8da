// @ts-check
// Every case of tests/vectors/faults.json: server faults, and what a send does with them.
//
// Each case runs against a raw TCP server on 127.0.0.1 that can stall, close or reset a
// connection and write any bytes. Cases with a `sandbox` fault run a second time against the
// sandbox, which counts the POSTs it saw in /sandbox/requests. Both check the error code,
// maybeSent, the attempts and the number of POSTs, so a fault that may have sent the SMS is never
// sent twice. The format is in tests/vectors/README.md.

import assert from 'node:assert/strict'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { after, before, describe, test } from 'node:test'

import { ClearLineError, Client, Sandbox } from 'clearline'
import { API_KEY, closedPort } from './support.mjs'

const VECTORS_DIR =
  process.env.CLEARLINE_VECTORS_DIR ?? path.join(process.env.CLEARLINE_REPO ?? '../../..', 'tests', 'vectors')

/** The Node `code` of each error kind of the vectors. */
const CODES = /** @type {Record<string, string>} */ ({
  configuration: 'CLEARLINE_CONFIGURATION',
  validation: 'CLEARLINE_VALIDATION',
  authentication: 'CLEARLINE_AUTH',
  rejected: 'CLEARLINE_REJECTED',
  rate_limited: 'CLEARLINE_RATE_LIMITED',
  server: 'CLEARLINE_SERVER',
  unexpected_response: 'CLEARLINE_UNEXPECTED_RESPONSE',
  timeout: 'CLEARLINE_TIMEOUT',
  connection: 'CLEARLINE_CONNECTION',
  callback_parse: 'CLEARLINE_CALLBACK_PARSE',
})

/**
 * One server reply of a case.
 *
 * @typedef {object} FaultReply
 * @property {'respond' | 'stall' | 'stall_body' | 'close' | 'reset' | 'reset_body' | 'redirect_to_trap'} action
 * @property {number} [status]
 * @property {Record<string, string>} [headers]
 * @property {string} [body]
 * @property {number} [content_length]
 * @property {boolean} [gzip]
 * @property {boolean} [chunked]
 */

/**
 * @typedef {object} FaultCase
 * @property {string} name
 * @property {{ timeout_ms?: number, max_retries?: number }} [client]
 * @property {FaultReply[]} replies
 * @property {{ kind: string, status?: number, retry_after?: string, body?: string }} [sandbox]
 * @property {Record<string, any>} expect
 */

/** @type {FaultCase[]} */
const CASES = JSON.parse(readFileSync(path.join(VECTORS_DIR, 'faults.json'), 'utf8')).cases

/**
 * Replaces `{http_date+N}` with the HTTP-date N seconds from now.
 *
 * @param {string} value
 */
function expandHeader(value) {
  return value.replace(/\{http_date\+(\d+)\}/g, (_, seconds) => new Date(Date.now() + Number(seconds) * 1000).toUTCString())
}

/**
 * @param {number} status
 * @param {Record<string, string>} headers
 */
function head(status, headers) {
  const lines = [`HTTP/1.1 ${status} Status`, ...Object.entries(headers).map(([name, value]) => `${name}: ${expandHeader(value)}`)]
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')
}

/** @param {FaultReply} reply */
function responseBytes(reply) {
  const headers = { ...reply.headers }
  let body = Buffer.from(reply.body ?? '', 'utf8')
  if (reply.gzip) {
    body = gzipSync(body)
    headers['Content-Encoding'] = 'gzip'
  }
  if (!reply.chunked) {
    headers['Content-Length'] = String(body.length)
    return Buffer.concat([head(reply.status ?? 200, headers), body])
  }
  headers['Transfer-Encoding'] = 'chunked'
  const framed = []
  for (let start = 0; start < body.length; start += 7) {
    const chunk = body.subarray(start, start + 7)
    framed.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'))
  }
  framed.push(Buffer.from('0\r\n\r\n'))
  return Buffer.concat([head(reply.status ?? 200, headers), ...framed])
}

/**
 * The head of a response promising `content_length` bytes, and the start of its body.
 *
 * @param {FaultReply} reply
 */
function partialResponseBytes(reply) {
  const headers = { ...reply.headers, 'Content-Length': String(reply.content_length) }
  return Buffer.concat([head(reply.status ?? 200, headers), Buffer.from(reply.body ?? '', 'utf8')])
}

/**
 * A TCP listener on 127.0.0.1 that closes every connection it accepts and counts them: the
 * target of the redirect cases, which must see none.
 */
async function startTrap() {
  let connections = 0
  const server = net.createServer((socket) => {
    connections += 1
    socket.destroy()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = /** @type {net.AddressInfo} */ (server.address())
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: async () => {
      server.close()
      await once(server, 'close')
    },
  }
}

/**
 * A raw HTTP/1.1 server on 127.0.0.1 that answers request N with `replies[N]`; the last reply
 * repeats.
 *
 * @param {FaultReply[]} replies
 * @param {string} trapUrl
 */
async function startFaultServer(replies, trapUrl) {
  let posts = 0
  /** @type {Set<net.Socket>} */
  const sockets = new Set()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buffered = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk])
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0) {
        return
      }
      const length = Number(/content-length:\s*(\d+)/i.exec(buffered.subarray(0, end).toString('latin1'))?.[1] ?? 0)
      if (buffered.length < end + 4 + length) {
        return
      }
      buffered = buffered.subarray(end + 4 + length)
      const reply = replies[Math.min(posts, replies.length - 1)]
      posts += 1
      assert.ok(reply)
      answer(socket, reply, trapUrl)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = /** @type {net.AddressInfo} */ (server.address())
  return {
    url: `http://127.0.0.1:${port}`,
    posts: () => posts,
    close: async () => {
      for (const socket of sockets) {
        socket.destroy()
      }
      server.close()
      await once(server, 'close')
    },
  }
}

/**
 * Acts out one reply on a connection whose request was read.
 *
 * @param {net.Socket} socket
 * @param {FaultReply} reply
 * @param {string} trapUrl
 */
function answer(socket, reply, trapUrl) {
  switch (reply.action) {
    case 'respond':
      socket.write(responseBytes(reply))
      return
    case 'redirect_to_trap':
      socket.write(responseBytes({ action: 'respond', status: reply.status ?? 307, headers: { Location: `${trapUrl}/MessageSender/sms` } }))
      return
    case 'stall':
      return
    case 'stall_body':
      socket.write(partialResponseBytes(reply))
      return
    case 'close':
      socket.end()
      return
    case 'reset':
      socket.resetAndDestroy()
      return
    case 'reset_body':
      socket.write(partialResponseBytes(reply), () => socket.resetAndDestroy())
      return
    default:
      assert.fail(`unknown reply action ${String(reply.action)}`)
  }
}

/**
 * The client options of a case: its `client` settings over the defaults.
 *
 * @param {FaultCase} vector
 * @returns {{ maxRetries: number, timeoutMs?: number }}
 */
function clientOptions(vector) {
  const settings = vector.client ?? {}
  return {
    maxRetries: settings.max_retries ?? 2,
    ...(settings.timeout_ms === undefined ? {} : { timeoutMs: settings.timeout_ms }),
  }
}

/**
 * Sends one SMS and returns the receipt or the error.
 *
 * @param {Client} client
 * @returns {Promise<unknown>}
 */
async function send(client) {
  try {
    return await client.send({ phone: '+12025550100', message: 'Your code is 0420' })
  } catch (err) {
    return err
  }
}

/**
 * Checks a receipt or an error against `expect`; a null `messageId` accepts any id.
 *
 * @param {FaultCase} vector
 * @param {any} outcome
 * @param {number} posts
 * @param {string | null} messageId
 */
function checkOutcome(vector, outcome, posts, messageId) {
  const expect = vector.expect
  if ('message_id' in expect) {
    assert.ok(!(outcome instanceof Error), `expected a receipt, got ${String(outcome)}`)
    if (messageId !== null) {
      assert.equal(outcome.messageId, messageId)
    }
    assert.equal(outcome.attempts, expect.attempts)
    assert.equal(posts, expect.posts, `the server saw ${posts} POSTs`)
    return
  }

  assert.ok(outcome instanceof ClearLineError, `expected a ClearLineError, got ${String(outcome)}`)
  assert.equal(outcome.code, CODES[expect.error], outcome.message)
  assert.equal(outcome.maybeSent, expect.maybe_sent)
  if ('status' in expect) {
    assert.equal(outcome.status, expect.status)
  }
  if ('timeout_phase' in expect) {
    assert.equal(outcome.timeoutPhase, expect.timeout_phase)
  }
  if ('retry_after_seconds' in expect) {
    assert.ok(outcome.retryAfterMs !== null, 'expected a Retry-After')
    assert.ok(Math.abs(outcome.retryAfterMs / 1000 - expect.retry_after_seconds) <= 1, `retryAfterMs ${outcome.retryAfterMs}`)
  }
  if ('contains' in expect) {
    assert.ok(outcome.message.includes(expect.contains), `${JSON.stringify(expect.contains)} not in: ${outcome.message}`)
  }
  assert.equal(outcome.attempts, expect.attempts)
  assert.equal(posts, expect.posts, `the server saw ${posts} POSTs`)
  assert.ok(!outcome.message.includes(API_KEY))
}

describe('faults.json', () => {
  for (const vector of CASES) {
    test(vector.name, async () => {
      const trap = await startTrap()
      const server = vector.replies.length > 0 ? await startFaultServer(vector.replies, trap.url) : null
      try {
        const baseUrl = server?.url ?? `http://127.0.0.1:${await closedPort()}`
        const client = new Client({ apiKey: API_KEY, baseUrl, ...clientOptions(vector) })

        const outcome = await send(client)

        checkOutcome(vector, outcome, server?.posts() ?? 0, vector.expect.message_id ?? null)
        assert.equal(trap.connections(), 0, 'the redirect target was contacted')
      } finally {
        await server?.close()
        await trap.close()
      }
    })
  }
})

describe('faults.json from the sandbox', () => {
  /** @type {Sandbox} */
  let sandbox
  before(async () => {
    sandbox = await Sandbox.start()
  })
  after(() => sandbox.stop())

  /**
   * @param {NonNullable<FaultCase['sandbox']>} spec
   * @param {string} trapUrl
   * @returns {import('clearline').Fault}
   */
  function sandboxFault(spec, trapUrl) {
    switch (spec.kind) {
      case 'status':
        return {
          kind: 'status',
          status: spec.status ?? 500,
          retryAfter: spec.retry_after === undefined ? undefined : expandHeader(spec.retry_after),
          body: spec.body,
        }
      case 'close_connection':
        return { kind: 'closeConnection' }
      case 'non_json_body':
        return { kind: 'nonJsonBody' }
      case 'redirect_to_trap':
        return { kind: 'redirect', location: `${trapUrl}/MessageSender/sms` }
      default:
        return assert.fail(`unknown sandbox fault ${spec.kind}`)
    }
  }

  async function sandboxPosts() {
    const response = await fetch(`${sandbox.baseUrl}/sandbox/requests`)
    const requests = /** @type {Array<{ method: string }>} */ (await response.json())
    return requests.filter((request) => request.method === 'POST').length
  }

  for (const vector of CASES.filter((candidate) => candidate.sandbox !== undefined)) {
    test(vector.name, async () => {
      sandbox.reset()
      const trap = await startTrap()
      try {
        const options = clientOptions(vector)
        // An error case gets the fault on every attempt the client could make, so a retry that
        // must not happen would show up as a second POST. A success case gets it on the attempts
        // before the one that succeeds.
        const times = 'message_id' in vector.expect ? vector.expect.attempts - 1 : options.maxRetries + 1
        sandbox.injectFault(sandboxFault(/** @type {NonNullable<FaultCase['sandbox']>} */ (vector.sandbox), trap.url), { times })

        const outcome = await send(sandbox.client(options))

        checkOutcome(vector, outcome, await sandboxPosts(), null)
        assert.equal(sandbox.messages().length, 'message_id' in vector.expect ? 1 : 0)
        assert.equal(trap.connections(), 0, 'the redirect target was contacted')
      } finally {
        await trap.close()
      }
    })
  }
})
