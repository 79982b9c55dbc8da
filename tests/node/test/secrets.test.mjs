// @ts-check
// The API key never appears in a message, a stack, util.inspect or JSON, and reaches the server
// only in the ApiKey header.

import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import util from 'node:util'
import { test } from 'node:test'

import { ClearLineError, Client } from 'clearline'
import { API_KEY, startServer } from './support.mjs'

const SECRET = 'test_key_not_real_SECRETPART_0000'
const SECRET_PART = 'SECRETPART'

/**
 * Renders an error every way a user might print or log it.
 *
 * @param {unknown} err
 */
function renderings(err) {
  assert.ok(err instanceof Error)
  return [err.message, err.stack ?? '', util.inspect(err), util.inspect(err, { showHidden: true, depth: 5 }), JSON.stringify(err), String(err)]
}

/**
 * @param {() => unknown} call
 */
async function errorOf(call) {
  try {
    await call()
  } catch (err) {
    return err
  }
  assert.fail('expected an error')
}

test('client inspect and JSON hide the key', () => {
  const client = new Client({ apiKey: SECRET, baseUrl: 'http://127.0.0.1:9' })
  const shown = [
    util.inspect(client),
    util.inspect(client, { showHidden: true, depth: 10 }),
    util.format('%o', client),
    JSON.stringify(client),
    String(Object.keys(client)),
  ]
  for (const text of shown) {
    assert.ok(!text.includes(SECRET_PART), text)
  }
  assert.match(util.inspect(client), /apiKey: '…0000'/)
})

test('client inspect shows the configuration', () => {
  const client = new Client({
    apiKey: SECRET,
    baseUrl: 'http://127.0.0.1:9',
    timeoutMs: 1234,
    connectTimeoutMs: 567,
    maxRetries: 3,
    maxMessageChars: 480,
  })
  const shown = util.inspect(client)
  assert.match(shown, /baseUrl: 'http:\/\/127\.0\.0\.1:9\/'/)
  assert.match(shown, /timeoutMs: 1234/)
  assert.match(shown, /connectTimeoutMs: 567/)
  assert.match(shown, /maxRetries: 3/)
  assert.match(shown, /maxMessageChars: 480/)
  assert.match(util.inspect(new Client({ apiKey: SECRET, baseUrl: 'http://127.0.0.1:9' })), /maxMessageChars: 1600/)
})

test('invalid keys are rejected without echo', async () => {
  for (const apiKey of [`${SECRET}\n`, `${SECRET} extra`, `${SECRET}é`, ` ${SECRET}`]) {
    const err = await errorOf(() => new Client({ apiKey, baseUrl: 'http://127.0.0.1:9' }))
    assert.ok(err instanceof ClearLineError)
    assert.equal(err.code, 'CLEARLINE_CONFIGURATION')
    for (const text of renderings(err)) {
      assert.ok(!text.includes(SECRET_PART), text)
    }
  }
})

test('key of the wrong type is not echoed', async () => {
  const err = await errorOf(() => new Client({ apiKey: /** @type {any} */ (1234567890123) }))
  for (const text of renderings(err)) {
    assert.ok(!text.includes('1234567890123'), text)
  }
})

test('send errors never contain the key', async () => {
  const server = await startServer((_, index) =>
    [{ status: 401, body: 'unauthorized' }, { status: 500, body: 'oops' }, { destroy: true }, { status: 200, body: 'html' }][index % 4] ?? {}
  )
  try {
    const client = new Client({ apiKey: SECRET, baseUrl: server.url, maxRetries: 0 })
    for (let round = 0; round < 4; round += 1) {
      const err = await errorOf(() => client.send({ phone: '+12025550100', message: 'Hi' }))
      assert.ok(err instanceof ClearLineError)
      for (const text of renderings(err)) {
        assert.ok(!text.includes(SECRET_PART), text)
      }
    }
    const results = await client.sendMany([{ phone: '+12025550100', message: 'Hi' }])
    assert.ok(!util.inspect(results, { depth: 10 }).includes(SECRET_PART))
  } finally {
    await server.close()
  }
})

test('key and user agent reach the server in headers', async () => {
  const server = await startServer()
  try {
    await new Client({ apiKey: API_KEY, baseUrl: server.url }).send({ phone: '+12025550100', message: 'Hi' })
    const [request] = server.requests
    assert.ok(request)
    assert.equal(request.method, 'POST')
    assert.equal(request.url, '/MessageSender/sms')
    assert.equal(request.headers.apikey, API_KEY)
    assert.equal(request.headers['content-type'], 'application/json')
    const { version } = createRequire(import.meta.url)('clearline/package.json')
    assert.match(request.headers['user-agent'] ?? '', new RegExp(`clearline-node/${version.replaceAll('.', '\\.')}$`))
  } finally {
    await server.close()
  }
})
