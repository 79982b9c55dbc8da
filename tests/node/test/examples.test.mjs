// @ts-check
// The examples in examples/node/ run against a loopback server.

import assert from 'node:assert/strict'
import { test } from 'node:test'

import { API_KEY, runNode, startServer } from './support.mjs'

test('send example prints the receipt', async () => {
  const server = await startServer()
  try {
    const env = { ...process.env, CLEARLINE_API_KEY: API_KEY, CLEARLINE_BASE_URL: server.url }
    const result = await runNode(['../examples/send.mjs', '+1 202 555 0100', 'Hi there'], { env })
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout.trim(), 'queued msg_1: 1 GSM-7 segment(s) to +12025550100')
    assert.deepEqual(JSON.parse(server.requests[0]?.body ?? '{}'), { phone: '+12025550100', message: 'Hi there' })
  } finally {
    await server.close()
  }
})

test('send example reports a ClearLineError', async () => {
  const env = { ...process.env, CLEARLINE_API_KEY: API_KEY, CLEARLINE_BASE_URL: 'http://127.0.0.1:9' }
  const result = await runNode(['../examples/send.mjs', '2025550100'], { env })
  assert.equal(result.code, 1)
  assert.match(result.stderr, /^CLEARLINE_VALIDATION: invalid phone/)
})

test('sandbox example sends and receives reports', async () => {
  const result = await runNode(['../examples/sandbox.mjs'])
  assert.equal(result.code, 0, result.stderr)
  const lines = result.stdout.trim().split('\n')
  assert.equal(lines.filter((line) => line.startsWith('sent: ')).length, 2)
  assert.ok(lines.some((line) => /^report: \S+ Delivered \(Delivered\)$/.test(line)), result.stdout)
  assert.ok(lines.some((line) => /^report: \S+ DeliveredFailed \(Expired\)$/.test(line)), result.stdout)
  assert.equal(lines.at(-1), 'failed: CLEARLINE_SERVER, maybeSent true')
})

test('demo prints three reports and exits 0', async () => {
  const env = { ...process.env }
  delete env.CLEARLINE_ENVIRONMENT
  const result = await runNode(['../examples/demo.mjs'], { env })
  assert.equal(result.code, 0, result.stderr)
  const rows = result.stdout.split('\n').filter((line) => /^\+\d{3}\*+\d{2} /.test(line))
  assert.equal(rows.length, 3, result.stdout)
  assert.match(rows[0] ?? '', / Delivered +Delivered /)
  assert.match(rows[1] ?? '', / DeliveredFailed +Failed /)
  assert.match(rows[2] ?? '', / DeliveredFailed +Expired /)
  assert.match(result.stdout, /All 3 delivery reports arrived as expected\./)
})

test('demo for staging requires its settings', async () => {
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, CLEARLINE_ENVIRONMENT: 'staging' }
  delete env.CLEARLINE_CALLBACK_URL
  delete env.CLEARLINE_DEMO_PHONES
  const result = await runNode(['../examples/demo.mjs'], { env })
  assert.equal(result.code, 2)
  assert.match(result.stderr, /For staging, set CLEARLINE_API_KEY, CLEARLINE_CALLBACK_URL/)
})
