'use strict'

// The public API of the `clearline` package, over the native module in `native.js`.
//
// Every ClearLine rule runs in the Rust core. The modules in lib/ add only what JavaScript callers
// expect. Argument checks throw a TypeError or RangeError naming the argument. They also define
// the `ClearLineError` class, connect AbortSignal, give asynchronous errors the caller's stack,
// and show the client in `util.inspect` without its API key.

const { Client } = require('./lib/client.js')
const { parseCallback } = require('./lib/callback.js')
const { ClearLineError } = require('./lib/error.js')
const { Sandbox, SandboxError } = require('./lib/sandbox.js')

module.exports = {
  Client,
  ClearLineError,
  parseCallback,
  Sandbox,
  SandboxError,
}
