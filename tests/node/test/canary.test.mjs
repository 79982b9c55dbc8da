// @ts-check
// A canary API key never shows up anywhere, with CLEARLINE_LOG=trace. One child process makes
// sends fail with a 401, a refused connection on a closed loopback port and a timeout, and prints
// every way a user might show what happened: message, stack, util.inspect, JSON and console.log of
// each error, the client and a sendMany result. The parent searches the child's stdout and stderr.

import assert from 'node:assert/strict'
import { test } from 'node:test'

import { closedPort, runNode, startServer } from './support.mjs'

/** An obviously fake key. Its last 4 characters may appear, as the redacted form shows them. */
const CANARY = 'test_key_CANARY_not_real_7f3a'
const SECRET_PARTS = ['test_key_CANARY', 'CANARY_not_real']

const CHILD = `
  import util from 'node:util'
  import { Client } from 'clearline'

  const [key, baseUrl, refusedUrl] = process.argv.slice(1)
  const REQUEST = { phone: '+12025550100', message: 'Your code is 0420' }

  function show(label, err) {
    console.log('== ' + label + ': ' + err.code)
    console.log(err.message)
    console.log(err.stack)
    console.log(String(err))
    console.log(util.inspect(err, { showHidden: true, depth: 10 }))
    console.log(JSON.stringify(err))
    console.error(err)
  }

  const clients = [
    ['401', new Client({ apiKey: key, baseUrl, maxRetries: 0 })],
    ['refused', new Client({ apiKey: key, baseUrl: refusedUrl, maxRetries: 1 })],
    ['timeout', new Client({ apiKey: key, baseUrl, timeoutMs: 300 })],
  ]
  for (const [label, client] of clients) {
    console.log(util.inspect(client, { showHidden: true, depth: 10 }))
    console.log(client)
    await client.send(REQUEST).catch((err) => show(label, err))
  }
  const results = await clients[0][1].sendMany([REQUEST])
  console.log(util.inspect(results, { showHidden: true, depth: 10 }))
`

test('canary key never shown at trace level', async () => {
  // The 401 client takes the first reply, the timeout client one that comes too late, and
  // sendMany a last 401.
  const replies = [{ status: 401, body: '{"message":"Invalid API key"}' }, { delayMs: 1000 }, { status: 401, body: 'denied' }]
  const server = await startServer((_, index) => replies[index] ?? {})
  try {
    const refusedUrl = `http://127.0.0.1:${await closedPort()}`
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/proxy/i.test(name)))
    delete env.CLEARLINE_API_KEY
    env.CLEARLINE_LOG = 'trace'

    const result = await runNode(['--input-type=module', '-e', CHILD, CANARY, server.url, refusedUrl], { env })

    const output = result.stdout + result.stderr
    assert.equal(result.code, 0, result.stderr)
    for (const part of SECRET_PARTS) {
      assert.ok(!output.includes(part), `${part} found in the output`)
    }
    // The output is what the test claims to search: every failure, the redacted key and logs at
    // every level, the sent body included.
    assert.match(output, /== 401: CLEARLINE_AUTH/)
    assert.match(output, /== refused: CLEARLINE_CONNECTION/)
    assert.match(output, /== timeout: CLEARLINE_TIMEOUT/)
    assert.match(output, /…7f3a/)
    assert.match(output, /retrying sms send/)
    assert.match(output, /sms send attempt failed/)
    assert.match(output, /Your code is 0420/, 'the trace-level events are missing')
    // The canary did reach the server, in the ApiKey header only.
    assert.equal(server.requests[0]?.headers.apikey, CANARY)
  } finally {
    await server.close()
  }
})
