// @ts-check
// The process exits on its own once the last send settled: nothing the package creates keeps the
// event loop alive, the sandbox included, and a pending send does. Each case runs a script with
// its own sandbox in a child process, which is killed only if it hangs.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { API_KEY, closedPort, runNode } from './support.mjs'

describe('process exit', () => {
  /**
   * Runs `body` as an ES module with a started `sandbox`, its `client` and `REQUEST` in scope.
   * The sandbox never keeps the process alive, so only what `body` leaves pending can.
   *
   * @param {string} body
   */
  async function run(body) {
    const script = `
      import { Client, Sandbox } from 'clearline'
      const sandbox = await Sandbox.start()
      const client = sandbox.client()
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
    assert.match(stdout, /^msg_\w+$/m)
  })

  test('stays alive while a send is pending', async () => {
    // No await: only the pending send keeps the process alive until it prints.
    const stdout = await run(`
      sandbox.injectFault({ kind: 'latency', ms: 300 })
      client.send(REQUEST).then((receipt) => console.log('sent', receipt.messageId))
    `)
    assert.match(stdout, /^sent msg_\w+$/m)
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
    const stdout = await run(`
      const offline = new Client({ apiKey: ${JSON.stringify(API_KEY)}, baseUrl: 'http://127.0.0.1:${port}' })
      await offline.send(REQUEST).catch((err) => console.log(err.code))
    `)
    assert.equal(stdout.trim(), 'CLEARLINE_CONNECTION')
  })

  test('with an AbortController that never aborts', async () => {
    const stdout = await run(`
      const controller = new AbortController()
      const receipt = await client.send(REQUEST, { signal: controller.signal })
      await client.sendMany([REQUEST], { signal: controller.signal })
      console.log(receipt.messageId)
    `)
    assert.match(stdout, /^msg_\w+$/m)
  })

  test('after an aborted send', async () => {
    const stdout = await run(`
      sandbox.injectFault({ kind: 'latency', ms: 5000 })
      const controller = new AbortController()
      const pending = client.send(REQUEST, { signal: controller.signal })
      setTimeout(() => controller.abort(), 50)
      await pending.catch((err) => console.log(err.name))
    `)
    assert.equal(stdout.trim(), 'AbortError')
  })

  test('after the sandbox stopped', async () => {
    const stdout = await run(`
      await client.send(REQUEST)
      await sandbox.stop()
      console.log('stopped')
    `)
    assert.equal(stdout.trim(), 'stopped')
  })
})
