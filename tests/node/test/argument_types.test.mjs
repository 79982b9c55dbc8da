// @ts-check
// Every JavaScript case of tests/vectors/argument_types.json: wrong argument types from
// JavaScript. A rejected argument must be named in the error and reach the server with nothing.
// The format is in tests/vectors/README.md.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'

import { ClearLineError, Client, parseCallback } from 'clearline'
import { API_KEY, startServer } from './support.mjs'

const VECTORS_DIR =
  process.env.CLEARLINE_VECTORS_DIR ?? path.join(process.env.CLEARLINE_REPO ?? '../../..', 'tests', 'vectors')

/**
 * @typedef {object} Expectation
 * @property {boolean} [accepted]
 * @property {'TypeError' | 'RangeError' | 'ClearLineError'} [raises]
 * @property {string} [code]
 * @property {string} [contains]
 */

/**
 * @typedef {object} ArgumentCase
 * @property {string} name
 * @property {'send' | 'parse_callback'} function
 * @property {string} argument
 * @property {'absent' | 'null' | 'integer' | 'float' | 'boolean' | 'object' | 'array' | 'bytes'} kind
 * @property {unknown} [value]
 * @property {{ javascript: Expectation }} expect
 */

/** @type {ArgumentCase[]} */
const CASES = JSON.parse(readFileSync(path.join(VECTORS_DIR, 'argument_types.json'), 'utf8')).cases

const ERROR_CLASSES = { TypeError, RangeError, ClearLineError }

/**
 * Builds the JavaScript value of a case's kind: undefined for `absent`.
 *
 * @param {ArgumentCase} vector
 * @returns {unknown}
 */
function jsValue(vector) {
  switch (vector.kind) {
    case 'absent':
      return undefined
    case 'null':
      return null
    case 'bytes':
      return Buffer.from(String(vector.value), 'utf8')
    default:
      return vector.value
  }
}

/**
 * Calls the case's function with its argument replaced; `absent` leaves the argument out.
 *
 * @param {ArgumentCase} vector
 * @param {any} client
 * @returns {Promise<any>}
 */
async function call(vector, client) {
  const value = jsValue(vector)
  if (vector.function === 'parse_callback') {
    return vector.kind === 'absent' ? parseCallback(/** @type {any} */ (undefined)) : parseCallback(/** @type {any} */ (value))
  }

  /** @type {Record<string, unknown>} */
  const request = { phone: '+12025550100', message: 'Hi' }
  /** @type {Record<string, unknown>} */
  const options = {}
  switch (vector.argument) {
    case 'request':
      return vector.kind === 'absent' ? client.send() : client.send(value)
    case 'options':
      return vector.kind === 'absent' ? client.send(request) : client.send(request, value)
    case 'phone':
    case 'message':
      setOrOmit(request, vector.argument, vector.kind, value)
      return client.send(request)
    case 'callback_url':
      setOrOmit(request, 'callbackUrl', vector.kind, value)
      return client.send(request)
    case 'signal':
      setOrOmit(options, 'signal', vector.kind, value)
      return client.send(request, options)
    case 'timeout':
      setOrOmit(options, 'timeoutMs', vector.kind, value)
      return client.send(request, options)
    default:
      return assert.fail(`unknown argument ${vector.argument}`)
  }
}

/**
 * @param {Record<string, unknown>} target
 * @param {string} key
 * @param {ArgumentCase['kind']} kind
 * @param {unknown} value
 */
function setOrOmit(target, key, kind, value) {
  if (kind === 'absent') {
    delete target[key]
  } else {
    target[key] = value
  }
}

describe('argument_types.json', () => {
  /** @type {import('./support.mjs').FakeServer} */
  let server
  before(async () => {
    server = await startServer()
  })
  after(() => server.close())

  for (const vector of CASES) {
    test(vector.name, async () => {
      const expect = vector.expect.javascript
      const client = new Client({ apiKey: API_KEY, baseUrl: server.url, maxRetries: 0 })
      const before = server.requests.length

      if (expect.accepted) {
        const result = await call(vector, client)
        if (vector.function === 'send') {
          assert.match(result.messageId, /^msg_/)
          assert.equal(server.requests.length, before + 1)
        } else {
          assert.equal(result.messageId, 'm1')
        }
        return
      }

      /** @type {unknown} */
      let caught
      try {
        await call(vector, client)
      } catch (err) {
        caught = err
      }
      assert.ok(caught instanceof Error, 'expected an error')
      const expectedClass = ERROR_CLASSES[/** @type {keyof typeof ERROR_CLASSES} */ (expect.raises)]
      assert.equal(Object.getPrototypeOf(caught), expectedClass.prototype, String(caught))
      assert.equal(/** @type {{ code?: string }} */ (caught).code, expect.code)
      assert.ok(caught.message.includes(expect.contains ?? ''), `${JSON.stringify(expect.contains)} not in: ${caught.message}`)
      assert.equal(server.requests.length, before, 'a call with a wrong argument reached the server')
    })
  }
})
