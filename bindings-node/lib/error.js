'use strict'

// The error classes of the package. The native module builds every ClearLineError through the
// constructor registered here, once per JavaScript environment.

const native = require('../native.js')
const { invalidType } = require('./arguments.js')

/**
 * An error from the ClearLine client or the delivery-report parser.
 *
 * `code` is stable per kind (for example `CLEARLINE_RATE_LIMITED`); the other fields are null,
 * false or 0 where they do not apply. The native module builds these through the constructor
 * registered below, with the fields of `ErrorDetails` in `src/error.rs`.
 */
class ClearLineError extends Error {
  /**
   * @param {string} message
   * @param {{ code: string, status?: number | null, maybeSent?: boolean,
   *           retryAfterMs?: number | null, field?: string | null, bodySnippet?: string | null,
   *           timeoutPhase?: string | null, attempts?: number, cause?: unknown }} details
   */
  constructor(message, details) {
    if (details === null || typeof details !== 'object' || typeof details.code !== 'string') {
      throw invalidType('details', 'an object with a string "code"', details)
    }
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.code = details.code
    this.status = details.status ?? null
    this.maybeSent = details.maybeSent ?? false
    this.retryAfterMs = details.retryAfterMs ?? null
    this.field = details.field ?? null
    this.bodySnippet = details.bodySnippet ?? null
    this.timeoutPhase = details.timeoutPhase ?? null
    this.attempts = details.attempts ?? 0
  }
}
defineName(ClearLineError, 'ClearLineError')

native.registerErrorClass(ClearLineError)

/**
 * The rejection of a send or batch stopped by its AbortSignal. A batch's also has `results`, one
 * per message in input order, as `sendMany` would have resolved them.
 */
class AbortError extends Error {
  /**
   * @param {string} message
   * @param {boolean} maybeSent
   * @param {unknown} reason the signal's reason
   * @param {unknown[]} [results] the results of a batch
   */
  constructor(message, maybeSent, reason, results) {
    super(message, { cause: reason })
    this.code = 'ABORT_ERR'
    this.maybeSent = maybeSent
    if (results !== undefined) {
      this.results = results
    }
  }
}
defineName(AbortError, 'AbortError')

/**
 * Replaces the stack of a ClearLineError built on the JavaScript thread after the native work
 * finished, which shows no caller, with the stack of the awaiting call, which includes the
 * caller's async frames.
 *
 * @param {unknown} err
 */
function withCallerStack(err) {
  if (err instanceof ClearLineError) {
    Error.captureStackTrace(err, withCallerStack)
  }
  return err
}

/**
 * @param {Function} constructor
 * @param {string} name
 */
function defineName(constructor, name) {
  Object.defineProperty(constructor.prototype, 'name', {
    value: name,
    writable: true,
    enumerable: false,
    configurable: true,
  })
}

module.exports = { ClearLineError, AbortError, withCallerStack }
