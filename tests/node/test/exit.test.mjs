// @ts-check
// The process exits on its own once the last send settled: nothing the package creates keeps the
// event loop alive, and a pending send does. Each case runs a script in a child process against a
// server in this process; the child is killed only if it hangs.

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import { API_KEY, closedPort, runNode, startServer } from './support.mjs'

describe('process exit', () => {
  /** @type {import('./support.mjs').FakeServer} */
  let server

  before(async () => {
    server = await startServer((request) => (request.body.includes('slow') ? { delayMs: 300 } : {}))
  })
  after(() => server.close())

  /**
   * Runs `body` as an ES module with `client` and `REQUEST` in scope.
   *
   * @param {string} body
   * @param {string} [baseUrl]
   */
  async function run(body, baseUrl = server.url) {
    const script = `
      import { Client } from 'clearline'
      const client = new Client({ apiKey: ${JSON.stringify(API_KEY)}, baseUrl: ${JSON.stringify(baseUrl)} })
      const REQUEST = { phone: '+12025550100', message: 'Your code is 0420' }
      ${body}
    `
    const result = await runNode(['--input-type=module', '-e', script], { timeoutMs: 20_000 })
    assert.equal(result.signal, null, `the process did not exit on its own; stderr: ${result.stderr}`)
    assert.equal(result.code, 0, result.stderr)
    return result.stdout
  }

  test('after one send', async () => {
    const stdout = await run(`console.log((await client.send(REQUEST)).messageId)`)
    assert.match(stdout, /^msg_\d+$/m)
  })

  test('stays alive while a send is pending', async () => {
    // No await at top level: only the pending send keeps the process alive.
    const stdout = await run(`
      client.send({ ...REQUEST, message: 'slow' }).then((receipt) => console.log('sent', receipt.messageId))
    `)
    assert.match(stdout, /^sent msg_\d+$/m)
  })

  test('after sendMany with onProgress', async () => {
    const stdout = await run(`
      let calls = 0
      const results = await client.sendMany([REQUEST, REQUEST, REQUEST], { onProgress: () => { calls += 1 } })
      console.log(results.length, calls > 0)
    `)
    assert.equal(stdout.trim(), '3 true')
  })

  test('after a failed send', async () => {
    const port = await closedPort()
    const stdout = await run(
      `await client.send(REQUEST).catch((err) => console.log(err.code))`,
      `http://127.0.0.1:${port}`
    )
    assert.equal(stdout.trim(), 'CLEARLINE_CONNECTION')
  })

  test('with an AbortController that never aborts', async () => {
    const stdout = await run(`
      const controller = new AbortController()
      const receipt = await client.send(REQUEST, { signal: controller.signal })
      await client.sendMany([REQUEST], { signal: controller.signal })
      console.log(receipt.messageId)
    `)
    assert.match(stdout, /^msg_\d+$/m)
  })

  test('after an aborted send', async () => {
    const stdout = await run(`
      const controller = new AbortController()
      const pending = client.send({ ...REQUEST, message: 'slow' }, { signal: controller.signal })
      setTimeout(() => controller.abort(), 50)
      await pending.catch((err) => console.log(err.name))
    `)
    assert.equal(stdout.trim(), 'AbortError')
  })

  test('with a client that never sent', async () => {
    const stdout = await run(`console.log('created')`)
    assert.equal(stdout.trim(), 'created')
  })
})
