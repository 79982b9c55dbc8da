// @ts-check
// Option names and enum-like values from plain JavaScript: an unknown option name throws a
// TypeError with code ERR_INVALID_ARG_VALUE that names it and the closest known name, and a string
// that is not one of an option's accepted values does too.

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import { ClearLineError, Client, Sandbox } from 'clearline'
import { API_KEY } from './support.mjs'

const REQUEST = { phone: '+12025550100', message: 'Hi' }

/**
 * Returns a checker for `assert.throws` and `assert.rejects`: a TypeError with code
 * ERR_INVALID_ARG_VALUE whose message names `property` and, when given, suggests `suggestion`.
 *
 * @param {string} property such as `options.timeout`
 * @param {string} [suggestion]
 */
function unknownOption(property, suggestion) {
  return (/** @type {unknown} */ err) => {
    assert.ok(err instanceof TypeError, String(err))
    assert.equal(/** @type {{ code?: string }} */ (err).code, 'ERR_INVALID_ARG_VALUE')
    assert.ok(err.message.includes(`'${property}' is not a known option`), err.message)
    if (suggestion !== undefined) {
      assert.ok(err.message.includes(`Did you mean '${suggestion}'?`), err.message)
    }
    return true
  }
}

/** @param {unknown} options */
function construct(options) {
  return new Client(/** @type {any} */ (options))
}

describe('Client options', () => {
  test('misspelled timeout names timeoutMs', () => {
    assert.throws(() => construct({ apiKey: API_KEY, timeout: 5 }), unknownOption('options.timeout', 'timeoutMs'))
  })

  test('wrong case suggests the option', () => {
    assert.throws(
      () => construct({ apiKey: API_KEY, baseURL: 'http://127.0.0.1:9' }),
      unknownOption('options.baseURL', 'baseUrl')
    )
  })

  test('unrelated name lists the known options', () => {
    assert.throws(() => construct({ apiKey: API_KEY, colour: 'blue' }), (err) => {
      unknownOption('options.colour')(err)
      const message = /** @type {Error} */ (err).message
      assert.ok(!message.includes('Did you mean'), message)
      assert.ok(message.includes("'maxMessageChars'"), message)
      return true
    })
  })

  test('unknown option set to undefined', () => {
    assert.throws(() => construct({ apiKey: API_KEY, retries: undefined }), unknownOption('options.retries', 'maxRetries'))
  })

  test('misspelled key option hides the key', () => {
    const secret = 'test_key_not_real_SECRETPART_0000'
    assert.throws(() => construct({ apikey: secret }), (err) => {
      unknownOption('options.apikey', 'apiKey')(err)
      const shown = [/** @type {Error} */ (err).message, /** @type {Error} */ (err).stack ?? '']
      for (const text of shown) {
        assert.ok(!text.includes('SECRETPART'), text)
      }
      return true
    })
  })

  test('every documented option is accepted', () => {
    const client = construct({
      apiKey: API_KEY,
      baseUrl: 'http://127.0.0.1:9',
      timeoutMs: 1000,
      connectTimeoutMs: 1000,
      maxRetries: 0,
      maxMessageChars: 100,
    })
    assert.ok(client instanceof Client)
    assert.ok(construct({ apiKey: API_KEY, environment: 'staging' }) instanceof Client)
  })

  test('unknown environment is a configuration error', () => {
    // The environment names are a ClearLine rule checked by the core, as the base URL and the
    // key are, so a wrong name is a ClearLineError rather than an argument error.
    assert.throws(() => construct({ apiKey: API_KEY, environment: 'prod' }), (err) => {
      assert.ok(err instanceof ClearLineError, String(err))
      assert.equal(err.code, 'CLEARLINE_CONFIGURATION')
      assert.match(err.message, /"production" or "staging"/)
      return true
    })
  })
})

describe('send and sendMany options', () => {
  /** @type {any} */
  const client = new Client({ apiKey: API_KEY, baseUrl: 'http://127.0.0.1:9', maxRetries: 0 })

  test('send rejects misspelled timeoutMs', async () => {
    await assert.rejects(client.send(REQUEST, { timeout: 5 }), unknownOption('options.timeout', 'timeoutMs'))
  })

  test('send rejects a sendMany option', async () => {
    await assert.rejects(client.send(REQUEST, { concurrency: 2 }), unknownOption('options.concurrency'))
  })

  test('sendMany rejects misspelled concurrency', async () => {
    await assert.rejects(client.sendMany([REQUEST], { concurency: 2 }), unknownOption('options.concurency', 'concurrency'))
  })

  test('sendMany rejects misspelled onProgress', async () => {
    await assert.rejects(client.sendMany([REQUEST], { onprogress: () => {} }), unknownOption('options.onprogress', 'onProgress'))
  })
})

describe('send request fields', () => {
  /** @type {any} */
  const client = new Client({ apiKey: API_KEY, baseUrl: 'http://127.0.0.1:9', maxRetries: 0 })

  /**
   * @param {string} property such as `request.callbackURL`
   * @param {string} meant such as `request.callbackUrl`
   */
  function lookalike(property, meant) {
    return (/** @type {unknown} */ err) => {
      assert.ok(err instanceof TypeError, String(err))
      assert.equal(/** @type {{ code?: string }} */ (err).code, 'ERR_INVALID_ARG_VALUE')
      assert.ok(err.message.includes(`'${property}' is not a known field`), err.message)
      assert.ok(err.message.includes(`did you mean '${meant}'?`), err.message)
      return true
    }
  }

  test('send rejects callbackURL', async () => {
    const request = { ...REQUEST, callbackURL: 'https://example.test/cb' }
    await assert.rejects(client.send(request), lookalike('request.callbackURL', 'request.callbackUrl'))
  })

  test('send rejects callback_url', async () => {
    const request = { ...REQUEST, callback_url: 'https://example.test/cb' }
    await assert.rejects(client.send(request), lookalike('request.callback_url', 'request.callbackUrl'))
  })

  test('sendMany rejects Phone in one message', async () => {
    const messages = [REQUEST, { Phone: '+12025550101', phone: '+12025550101', message: 'Hi' }]
    await assert.rejects(client.sendMany(messages), lookalike('messages[1].Phone', 'messages[1].phone'))
  })

  test('send accepts fields of the caller', async () => {
    // Port 9 refuses the connection, so a request that passed the argument checks fails there.
    const request = { ...REQUEST, orderId: 1042, customer: { name: 'Ada' } }
    await assert.rejects(client.send(request), (err) => {
      assert.ok(err instanceof ClearLineError, String(err))
      assert.equal(err.code, 'CLEARLINE_CONNECTION')
      return true
    })
  })
})

describe('Sandbox options', () => {
  /** @type {Sandbox} */
  let sandbox
  before(async () => {
    sandbox = await Sandbox.start()
  })
  after(() => sandbox.stop())

  test('start rejects maxMessageLength', async () => {
    await assert.rejects(
      Sandbox.start(/** @type {any} */ ({ maxMessageLength: 5000 })),
      unknownOption('options.maxMessageLength', 'maxMessageChars')
    )
  })

  test('start rejects misspelled callbackDelay', async () => {
    await assert.rejects(
      Sandbox.start(/** @type {any} */ ({ callbackDelay: 5 })),
      unknownOption('options.callbackDelay', 'callbackDelayMs')
    )
  })

  test('client rejects misspelled overrides', () => {
    assert.throws(() => sandbox.client(/** @type {any} */ ({ maxRetry: 0 })), unknownOption('options.maxRetry', 'maxRetries'))
  })

  test('client rejects options it sets itself', () => {
    for (const name of ['apiKey', 'baseUrl', 'environment']) {
      assert.throws(() => sandbox.client(/** @type {any} */ ({ [name]: 'x' })), (err) => {
        unknownOption(`options.${name}`)(err)
        assert.match(/** @type {Error} */ (err).message, /sets apiKey and baseUrl itself/)
        return true
      })
    }
  })

  test('client accepts every override', () => {
    const client = sandbox.client({ timeoutMs: 1000, connectTimeoutMs: 1000, maxRetries: 0, maxMessageChars: 10 })
    assert.ok(client instanceof Client)
  })

  test('waitForCallbacks rejects misspelled timeoutMs', async () => {
    await assert.rejects(
      sandbox.waitForCallbacks(0, /** @type {any} */ ({ timeout: 5 })),
      unknownOption('options.timeout', 'timeoutMs')
    )
  })

  test('injectFault rejects misspelled times', () => {
    assert.throws(
      () => sandbox.injectFault({ kind: 'closeConnection' }, /** @type {any} */ ({ count: 2 })),
      unknownOption('options.count')
    )
  })
})

describe('fault objects', () => {
  /** @type {Sandbox} */
  let sandbox
  before(async () => {
    sandbox = await Sandbox.start()
  })
  after(() => sandbox.stop())

  /** @param {unknown} fault */
  const inject = (fault) => sandbox.injectFault(/** @type {any} */ (fault))

  test('status outside 200 to 599 is out of range', () => {
    for (const status of [100, 199, 600, 999]) {
      assert.throws(() => inject({ kind: 'status', status }), (err) => {
        assert.ok(err instanceof RangeError, String(err))
        assert.equal(/** @type {{ code?: string }} */ (err).code, 'ERR_OUT_OF_RANGE')
        return true
      })
    }
  })

  test('unknown kind is an invalid value', () => {
    assert.throws(() => inject({ kind: 'explode' }), (err) => {
      assert.ok(err instanceof TypeError, String(err))
      assert.equal(/** @type {{ code?: string }} */ (err).code, 'ERR_INVALID_ARG_VALUE')
      assert.match(err.message, /'fault\.kind' must be one of: 'status', 'latency', 'closeConnection', 'nonJsonBody', 'redirect'/)
      assert.match(err.message, /Received 'explode'/)
      return true
    })
  })

  test('kind of the wrong type is an invalid type', () => {
    for (const kind of [undefined, 42, null]) {
      assert.throws(() => inject({ kind }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    }
  })

  test('misspelled kind property', () => {
    assert.throws(() => inject({ knd: 'status', status: 500 }), unknownOption('fault.knd', 'kind'))
  })

  test('misspelled retryAfter', () => {
    assert.throws(() => inject({ kind: 'status', status: 429, retry_after: '2' }), unknownOption('fault.retry_after', 'retryAfter'))
  })

  test('property of another kind', () => {
    assert.throws(() => inject({ kind: 'status', status: 500, ms: 10 }), (err) => {
      unknownOption('fault.ms')(err)
      assert.match(/** @type {Error} */ (err).message, /of a 'status' fault/)
      return true
    })
  })

  test('misspelled ms of a latency fault', () => {
    assert.throws(() => inject({ kind: 'latency', delayMs: 10 }), unknownOption('fault.delayMs'))
  })

  test('valid faults are accepted', () => {
    inject({ kind: 'status', status: 429, retryAfter: '1', body: 'slow down' })
    inject({ kind: 'latency', ms: 1 })
    inject({ kind: 'closeConnection' })
    inject({ kind: 'nonJsonBody' })
    inject({ kind: 'redirect', location: 'http://127.0.0.1:9/' })
    sandbox.clearFaults()
  })
})
