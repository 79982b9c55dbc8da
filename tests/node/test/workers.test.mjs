// @ts-check
// The addon loaded and used only inside worker_threads workers, repeatedly and in parallel.

import assert from 'node:assert/strict'
import { test } from 'node:test'

import { runNode } from './support.mjs'

test('workers only: rounds in parallel exit with code 0', { timeout: 120_000 }, async () => {
  const result = await runNode(['fixtures/workers-main.mjs'], { timeoutMs: 110_000 })

  assert.equal(result.signal, null, `killed by ${result.signal}; stderr: ${result.stderr}`)
  assert.equal(result.code, 0, result.stderr)
  const totals = JSON.parse(result.stdout)
  const workers = 3 * 4
  assert.equal(totals.sent, workers * 5 * 2)
  assert.equal(totals.received, workers * 5 * 2)
  assert.equal(totals.checks, workers)
  assert.equal(totals.terminated, 3)
})
