// @ts-check
// CLEARLINE_LOG shows the core's events on stderr, and never the API key.

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import { runNode, startServer } from './support.mjs'

const SECRET = 'test_key_not_real_LOGSECRET_0000'

describe('CLEARLINE_LOG', () => {
  /** @type {import('./support.mjs').FakeServer} */
  let server
  before(async () => {
    server = await startServer((_, index) => (index % 2 === 0 ? { status: 503, body: 'busy' } : {}))
  })
  after(() => server.close())

  /** @param {string | undefined} level */
  async function sendWithLog(level) {
    const script = `
      import { Client } from 'clearline'
      const client = new Client({ apiKey: ${JSON.stringify(SECRET)}, baseUrl: ${JSON.stringify(server.url)}, maxRetries: 0 })
      await client.send({ phone: '+12025550123', message: 'Your code is 0420' }).catch(() => {})
      await client.send({ phone: '+12025550123', message: 'Your code is 0420' })
    `
    const env = { ...process.env }
    delete env.CLEARLINE_LOG
    if (level !== undefined) {
      env.CLEARLINE_LOG = level
    }
    const result = await runNode(['--input-type=module', '-e', script], { env })
    assert.equal(result.code, 0, result.stderr)
    assert.ok(!result.stderr.includes('LOGSECRET'), result.stderr)
    return result.stderr
  }

  test('debug shows attempts with a masked phone', async () => {
    const stderr = await sendWithLog('debug')
    assert.match(stderr, /sms send attempt failed/)
    assert.match(stderr, /sms accepted/)
    assert.match(stderr, /\+12\*+23/)
    assert.ok(!stderr.includes('+12025550123'), stderr)
  })

  test('trace shows the body but not the key', async () => {
    const stderr = await sendWithLog('trace')
    assert.match(stderr, /Your code is 0420/)
  })

  test('unset logs nothing', async () => {
    assert.equal(await sendWithLog(undefined), '')
  })

  test('unknown level warns once', async () => {
    const stderr = await sendWithLog('loud')
    assert.match(stderr, /ignoring CLEARLINE_LOG="loud"/)
    assert.equal(stderr.trim().split('\n').length, 1)
  })
})
