// @ts-check
// The package loads with both `require` and `import`, and both give the same objects.

import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'

import clearline, { ClearLineError, Client, parseCallback } from 'clearline'
import { runNode } from './support.mjs'

const require = createRequire(import.meta.url)

test('import and require give the same exports', () => {
  const cjs = require('clearline')
  assert.equal(cjs.Client, Client)
  assert.equal(cjs.ClearLineError, ClearLineError)
  assert.equal(cjs.parseCallback, parseCallback)
  assert.equal(clearline, cjs)
  assert.deepEqual(Object.keys(cjs).sort(), ['ClearLineError', 'Client', 'Sandbox', 'SandboxError', 'parseCallback'])
})

test('require from a CommonJS script', async () => {
  const script = `
    const { Client, parseCallback } = require('clearline')
    console.log(typeof Client, parseCallback('{"messageId":"m","deliveryStatus":"Delivered"}').isDelivered)
  `
  const result = await runNode(['-e', script])
  assert.equal(result.code, 0, result.stderr)
  assert.equal(result.stdout.trim(), 'function true')
})

test('import from an ES module script', async () => {
  const script = `
    import clearline, { Client } from 'clearline'
    console.log(typeof Client, clearline.Client === Client)
  `
  const result = await runNode(['--input-type=module', '-e', script])
  assert.equal(result.code, 0, result.stderr)
  assert.equal(result.stdout.trim(), 'function true')
})

test('package.json is exported and matches the user agent', async () => {
  const { version } = require('clearline/package.json')
  assert.match(version, /^\d+\.\d+\.\d+/)
})

test('native module is private', () => {
  assert.throws(() => require('clearline/native.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' })
})
