// @ts-check
// Wrong argument types throw TypeError naming the argument; out-of-range numbers throw
// RangeError. Asynchronous methods reject with them.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { Client, parseCallback } from 'clearline'
import { API_KEY } from './support.mjs'

const REQUEST = { phone: '+12025550100', message: 'Hi' }

/** @param {unknown} options */
function construct(options) {
  // @ts-expect-error: deliberately wrong types
  return new Client(options)
}

/** @returns {Client & { send(request: unknown, options?: unknown): Promise<unknown>, sendMany(messages: unknown, options?: unknown): Promise<unknown> }} */
function looseClient() {
  // The casts let the tests pass values the typings reject.
  return /** @type {any} */ (new Client({ apiKey: API_KEY, baseUrl: 'http://127.0.0.1:9' }))
}

describe('new Client', () => {
  const cases = /** @type {const} */ ([
    ['options', 'not an object'],
    ['options', null],
    ['options.apiKey', { apiKey: 42 }],
    ['options.environment', { apiKey: API_KEY, environment: 1 }],
    ['options.baseUrl', { apiKey: API_KEY, baseUrl: new URL('http://127.0.0.1:9') }],
    ['options.timeoutMs', { apiKey: API_KEY, timeoutMs: '30000' }],
    ['options.connectTimeoutMs', { apiKey: API_KEY, connectTimeoutMs: true }],
    ['options.maxRetries', { apiKey: API_KEY, maxRetries: '2' }],
    ['options.maxMessageChars', { apiKey: API_KEY, maxMessageChars: null }],
  ])
  for (const [name, options] of cases) {
    test(`${name} of the wrong type`, () => {
      assert.throws(() => construct(options), (err) => {
        assert.ok(err instanceof TypeError)
        assert.equal(/** @type {{ code?: string }} */ (err).code, 'ERR_INVALID_ARG_TYPE')
        assert.match(err.message, new RegExp(`"${name.replace('.', '\\.')}"`))
        return true
      })
    })
  }

  const ranges = /** @type {const} */ ([
    ['options.timeoutMs', { timeoutMs: 0 }],
    ['options.timeoutMs', { timeoutMs: -5 }],
    ['options.timeoutMs', { timeoutMs: Number.NaN }],
    ['options.timeoutMs', { timeoutMs: Number.POSITIVE_INFINITY }],
    ['options.connectTimeoutMs', { connectTimeoutMs: 2 ** 31 }],
    ['options.maxRetries', { maxRetries: 1.5 }],
    ['options.maxRetries', { maxRetries: -1 }],
    ['options.maxMessageChars', { maxMessageChars: 0 }],
  ])
  for (const [name, options] of ranges) {
    test(`${name} out of range: ${JSON.stringify(Object.values(options)[0])}`, () => {
      assert.throws(() => construct({ apiKey: API_KEY, ...options }), (err) => {
        assert.ok(err instanceof RangeError)
        assert.equal(/** @type {{ code?: string }} */ (err).code, 'ERR_OUT_OF_RANGE')
        assert.ok(err.message.includes(`"${name}"`), err.message)
        return true
      })
    })
  }

  test('environment and baseUrl together', () => {
    assert.throws(
      () => construct({ apiKey: API_KEY, environment: 'staging', baseUrl: 'http://127.0.0.1:9' }),
      /cannot be combined/
    )
  })
})

describe('send', () => {
  const cases = /** @type {const} */ ([
    ['request', undefined],
    ['request', 'phone'],
    ['request.phone', { message: 'Hi' }],
    ['request.phone', { phone: 12025550100, message: 'Hi' }],
    ['request.message', { phone: '+12025550100' }],
    ['request.message', { phone: '+12025550100', message: ['Hi'] }],
    ['request.callbackUrl', { ...REQUEST, callbackUrl: new URL('https://app.example.com') }],
  ])
  for (const [name, request] of cases) {
    test(`${name} of the wrong type rejects`, async () => {
      await assert.rejects(looseClient().send(request), (err) => {
        assert.ok(err instanceof TypeError)
        assert.ok(/** @type {Error} */ (err).message.includes(`"${name}"`), String(err))
        return true
      })
    })
  }

  test('options.signal of the wrong type rejects', async () => {
    await assert.rejects(looseClient().send(REQUEST, { signal: 'stop' }), /"options\.signal"/)
  })

  test('options.timeoutMs out of range rejects', async () => {
    await assert.rejects(looseClient().send(REQUEST, { timeoutMs: -1 }), RangeError)
  })

  test('callbackUrl null means none', async () => {
    await assert.rejects(looseClient().send({ ...REQUEST, callbackUrl: null }), { code: 'CLEARLINE_CONNECTION' })
  })
})

describe('sendMany', () => {
  test('messages not an array rejects', async () => {
    await assert.rejects(looseClient().sendMany(REQUEST), /"messages" argument must be an array/)
  })

  test('a message of the wrong type rejects naming its index', async () => {
    await assert.rejects(
      looseClient().sendMany([REQUEST, { phone: 1, message: 'x' }]),
      /"messages\[1\]\.phone" property must be of type string/
    )
  })

  test('options.concurrency out of range rejects', async () => {
    await assert.rejects(looseClient().sendMany([REQUEST], { concurrency: 0 }), RangeError)
  })

  test('options.onProgress of the wrong type rejects', async () => {
    await assert.rejects(looseClient().sendMany([REQUEST], { onProgress: 'log' }), /"options\.onProgress"/)
  })
})

describe('parseCallback', () => {
  const invalid = [undefined, null, 42, true, Symbol('body'), () => {}, new Uint16Array(2), new ArrayBuffer(2), new DataView(new ArrayBuffer(2))]
  for (const body of invalid) {
    test(`body ${typeof body === 'object' && body !== null ? body.constructor.name : String(typeof body)} throws TypeError`, () => {
      assert.throws(() => parseCallback(/** @type {any} */ (body)), (err) => {
        assert.ok(err instanceof TypeError)
        assert.match(err.message, /"body" argument must be a Buffer, Uint8Array, string or parsed JSON object/)
        return true
      })
    })
  }

  test('undefined body hints at a body parser', () => {
    assert.throws(() => parseCallback(/** @type {any} */ (undefined)), /express\.raw/)
  })
})
