// @ts-check
// The shared test vectors of tests/vectors/, run through the installed package: send inputs
// against a loopback server that records the body, HTTP responses from a server that writes them
// byte for byte, and delivery-report bodies through parseCallback.

import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'

import { ClearLineError, Client, parseCallback } from 'clearline'
import { API_KEY, startRawServer, startServer } from './support.mjs'

const VECTORS_DIR =
  process.env.CLEARLINE_VECTORS_DIR ?? path.join(process.env.CLEARLINE_REPO ?? '../../..', 'tests', 'vectors')

/** The Node `code` of each error kind of the vectors. */
const CODES = /** @type {const} */ ({
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
 * A text value of the vectors: a string, or an object for text a JSON string cannot carry.
 *
 * @typedef {string | { repeat: string, count: number } | { utf16: number[] } | { base64: string }
 *   | { concat: TextValue[] }} TextValue
 */

/**
 * @typedef {object} ErrorExpectation
 * @property {keyof typeof CODES} error
 * @property {string | null} [field]
 * @property {string} [contains]
 * @property {boolean} [maybe_sent]
 * @property {number} [status]
 * @property {number | null} [retry_after_seconds]
 */

/**
 * @typedef {object} SendInputCase
 * @property {string} name
 * @property {TextValue} phone
 * @property {TextValue} message
 * @property {TextValue | null} [callback_url]
 * @property {number} [max_message_chars]
 * @property {{ body: Record<string, TextValue> } | ErrorExpectation} expect
 */

/**
 * @typedef {object} ResponseCase
 * @property {string} name
 * @property {number} status
 * @property {Record<string, string>} [headers]
 * @property {TextValue} [body]
 * @property {number} [posts]
 * @property {{ message_id: string } | ErrorExpectation} expect
 */

/**
 * @typedef {object} CallbackCase
 * @property {string} name
 * @property {TextValue} body
 * @property {{ report: { message_id: string, status: string, known_status: boolean,
 *   external_status: string | null, reason: string | null } } | ErrorExpectation} expect
 */

/**
 * Reads the cases of one vector file, or returns null when the file is not there yet.
 *
 * @template T
 * @param {string} file
 * @returns {T[] | null}
 */
function loadCases(file) {
  const fullPath = path.join(VECTORS_DIR, file)
  if (!existsSync(fullPath)) {
    return null
  }
  const parsed = JSON.parse(readFileSync(fullPath, 'utf8'))
  return parsed.cases
}

/**
 * Builds the text a text value stands for: a string, or a Buffer when it holds raw bytes.
 *
 * @param {TextValue} value
 * @returns {string | Buffer}
 */
function decodeText(value) {
  if (typeof value === 'string') {
    return value
  }
  if ('repeat' in value) {
    return value.repeat.repeat(value.count)
  }
  if ('utf16' in value) {
    return String.fromCharCode(...value.utf16)
  }
  if ('base64' in value) {
    return Buffer.from(value.base64, 'base64')
  }
  const parts = value.concat.map(decodeText)
  if (parts.every((part) => typeof part === 'string')) {
    return parts.join('')
  }
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part)))
}

/**
 * @param {TextValue} value
 * @returns {string}
 */
function decodeString(value) {
  const text = decodeText(value)
  assert.equal(typeof text, 'string', 'base64 text is only allowed in callbacks.json')
  return /** @type {string} */ (text)
}

/**
 * Replaces `{http_date+N}` with the HTTP-date N seconds from now.
 *
 * @param {string} value
 */
function expandHeader(value) {
  return value.replace(/\{http_date([+-]\d+)\}/g, (_, offset) =>
    new Date(Date.now() + Number(offset) * 1000).toUTCString()
  )
}

/**
 * Checks a caught error against an error expectation.
 *
 * @param {unknown} err
 * @param {ErrorExpectation} expect
 */
function checkError(err, expect) {
  assert.ok(err instanceof ClearLineError, `expected a ClearLineError, got ${String(err)}`)
  assert.equal(err.code, CODES[expect.error], err.message)
  if (expect.field !== undefined) {
    assert.equal(err.field, expect.field)
  }
  if (expect.contains !== undefined) {
    assert.ok(err.message.includes(expect.contains), `${JSON.stringify(expect.contains)} not in: ${err.message}`)
  }
  if (expect.maybe_sent !== undefined) {
    assert.equal(err.maybeSent, expect.maybe_sent)
  }
  if (expect.status !== undefined) {
    assert.equal(err.status, expect.status)
  }
  if (expect.retry_after_seconds === null) {
    assert.equal(err.retryAfterMs, null)
  } else if (expect.retry_after_seconds !== undefined) {
    assert.ok(err.retryAfterMs !== null, 'expected a Retry-After')
    assert.ok(
      Math.abs(err.retryAfterMs / 1000 - expect.retry_after_seconds) <= 1,
      `retryAfterMs ${err.retryAfterMs} is not within 1 s of ${expect.retry_after_seconds} s`
    )
  }
}

/**
 * Runs `call` and returns what it threw or rejected with, failing when it succeeded.
 *
 * @param {() => unknown} call
 */
async function caught(call) {
  try {
    await call()
  } catch (err) {
    return err
  }
  assert.fail('expected an error')
}

const sendInputs = /** @type {SendInputCase[] | null} */ (loadCases('send_inputs.json'))
describe('send_inputs.json', { skip: sendInputs === null && 'the file is not there yet' }, () => {
  /** @type {import('./support.mjs').FakeServer} */
  let server
  before(async () => {
    server = await startServer()
  })
  after(() => server.close())

  for (const vector of sendInputs ?? []) {
    test(vector.name, async () => {
      const client = new Client({
        apiKey: API_KEY,
        baseUrl: server.url,
        maxRetries: 0,
        ...(vector.max_message_chars === undefined ? {} : { maxMessageChars: vector.max_message_chars }),
      })
      const request = {
        phone: decodeString(vector.phone),
        message: decodeString(vector.message),
        callbackUrl: vector.callback_url == null ? null : decodeString(vector.callback_url),
      }
      const before = server.requests.length

      if ('body' in vector.expect) {
        await client.send(request)
        assert.equal(server.requests.length, before + 1)
        const sent = server.requests[before]
        assert.ok(sent)
        const expected = Object.fromEntries(
          Object.entries(vector.expect.body).map(([key, value]) => [key, decodeString(value)])
        )
        assert.deepEqual(JSON.parse(sent.body), expected)
      } else {
        checkError(await caught(() => client.send(request)), vector.expect)
        assert.equal(server.requests.length, before, 'a request that failed validation was sent')
      }
    })
  }
})

const responses = /** @type {ResponseCase[] | null} */ (loadCases('responses.json'))
describe('responses.json', { skip: responses === null && 'the file is not there yet' }, () => {
  for (const vector of responses ?? []) {
    test(vector.name, async () => {
      const body = Buffer.from(decodeText(vector.body ?? ''))
      const lines = [`HTTP/1.1 ${vector.status} ${http.STATUS_CODES[vector.status] ?? 'Status'}`]
      for (const [name, value] of Object.entries(vector.headers ?? {})) {
        lines.push(`${name}: ${expandHeader(value)}`)
      }
      lines.push(`Content-Length: ${body.length}`, '', '')
      const server = await startRawServer(Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]))
      try {
        const client = new Client({ apiKey: API_KEY, baseUrl: server.url, maxRetries: 0 })
        const request = { phone: '+12025550100', message: 'Your code is 0420' }
        if ('message_id' in vector.expect) {
          const receipt = await client.send(request)
          assert.equal(receipt.messageId, vector.expect.message_id)
        } else {
          checkError(await caught(() => client.send(request)), vector.expect)
        }
        if (vector.posts !== undefined) {
          assert.equal(server.posts(), vector.posts)
        }
      } finally {
        await server.close()
      }
    })
  }
})

const callbacks = /** @type {CallbackCase[] | null} */ (loadCases('callbacks.json'))
describe('callbacks.json', { skip: callbacks === null && 'the file is not there yet' }, () => {
  for (const vector of callbacks ?? []) {
    const body = decodeText(vector.body)
    const forms = typeof body === 'string' ? { string: body, Buffer: Buffer.from(body, 'utf8') } : { Buffer: body }
    for (const [form, value] of Object.entries(forms)) {
      test(`${vector.name} (${form})`, async () => {
        // A string with a lone surrogate has no UTF-8 form: its Buffer would hold U+FFFD.
        if (form === 'Buffer' && typeof body === 'string' && !isWellFormed(body)) {
          return
        }
        if ('report' in vector.expect) {
          const expected = vector.expect.report
          const report = parseCallback(value)
          assert.deepEqual(
            {
              message_id: report.messageId,
              status: report.status,
              known_status: report.knownStatus,
              external_status: report.externalStatus,
              reason: report.reason,
            },
            expected
          )
          assert.equal(report.isDelivered, expected.known_status && expected.status === 'Delivered')
          assert.equal(report.isFailed, expected.known_status && expected.status === 'DeliveredFailed')
        } else {
          checkError(await caught(() => parseCallback(value)), vector.expect)
        }
      })
    }
  }
})

/**
 * Tells whether a string has no lone surrogate (`String.prototype.isWellFormed` is missing
 * before Node 20).
 *
 * @param {string} text
 */
function isWellFormed(text) {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)
}
