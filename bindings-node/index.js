'use strict'

// The public API of the `clearline` package, over the native module in `native.js`.
//
// Every ClearLine rule runs in the Rust core. This file adds only what JavaScript callers expect.
// Argument type checks throw a TypeError or RangeError naming the argument. It also defines the
// `ClearLineError` class, connects AbortSignal, gives asynchronous errors the caller's stack, and
// shows the client in `util.inspect` without its API key.

const util = require('node:util')
const native = require('./native.js')

/** The largest timeout accepted, in milliseconds: the maximum delay of Node's own timers. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1
const MAX_UINT32 = 2 ** 32 - 1

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

/** The rejection of a send or batch stopped by its AbortSignal. */
class AbortError extends Error {
  /**
   * @param {string} message
   * @param {boolean} maybeSent
   * @param {unknown} reason the signal's reason
   */
  constructor(message, maybeSent, reason) {
    super(message, { cause: reason })
    this.code = 'ABORT_ERR'
    this.maybeSent = maybeSent
  }
}
defineName(AbortError, 'AbortError')

/** A ClearLine client. One instance can serve a whole application and any number of sends. */
class Client {
  #native

  /** @param {Record<string, unknown>} [options] */
  constructor(options) {
    const checked = checkOptionsObject('options', options)
    const apiKey = optionalString('options.apiKey', checked.apiKey, { secret: true })
    const environment = optionalString('options.environment', checked.environment)
    const baseUrl = optionalString('options.baseUrl', checked.baseUrl)
    if (environment !== undefined && baseUrl !== undefined) {
      const err = new TypeError(
        'The "options.environment" and "options.baseUrl" options cannot be combined: pass ' +
          'environment for ClearLine itself, or baseUrl for the sandbox or a proxy'
      )
      throw withCode(err, 'ERR_INVALID_ARG_VALUE')
    }

    this.#native = new native.NativeClient({
      apiKey,
      environment,
      baseUrl,
      timeoutMs: optionalTimeout('options.timeoutMs', checked.timeoutMs),
      connectTimeoutMs: optionalTimeout('options.connectTimeoutMs', checked.connectTimeoutMs),
      maxRetries: optionalInteger('options.maxRetries', checked.maxRetries, 0, MAX_UINT32),
      maxMessageChars: optionalInteger('options.maxMessageChars', checked.maxMessageChars, 1, MAX_UINT32),
    })
  }

  /**
   * Sends one SMS. Resolves to the receipt; rejects with a ClearLineError, or with an error whose
   * name is AbortError when `options.signal` aborts first.
   *
   * @param {{ phone: string, message: string, callbackUrl?: string | null }} request
   * @param {{ signal?: AbortSignal, timeoutMs?: number }} [options]
   */
  async send(request, options) {
    const { phone, message, callbackUrl } = checkRequest('request', request)
    const { signal, timeoutMs } = checkCallOptions(options)
    if (signal?.aborted) {
      throw new AbortError('The send was aborted before it started; the SMS was not sent', false, signal.reason)
    }

    const cancel = signal === undefined ? undefined : new native.CancelToken()
    const onAbort = () => cancel?.cancel()
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      return await this.#native.send(phone, message, callbackUrl, timeoutMs, cancel)
    } catch (err) {
      if (signal !== undefined && isCancelled(err)) {
        throw new AbortError(
          'The send was aborted while in flight; the SMS may have been sent, so check before ' +
            'sending it again',
          true,
          signal.reason
        )
      }
      throw withCallerStack(err)
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  /**
   * Sends many SMS from the Rust core at a bounded concurrency. Resolves to one result per
   * message, in input order: `{ ok: true, receipt }` or `{ ok: false, error }`. A failed message
   * never stops the others. `onProgress(done, total)` is called at most every 50 ms and once with
   * `done === total` before the Promise resolves.
   *
   * @param {Array<{ phone: string, message: string, callbackUrl?: string | null }>} messages
   * @param {{ concurrency?: number, signal?: AbortSignal, timeoutMs?: number,
   *           onProgress?: (done: number, total: number) => void }} [options]
   */
  async sendMany(messages, options) {
    if (!Array.isArray(messages)) {
      throw invalidType('messages', 'an array', messages)
    }
    const requests = messages.map((request, index) => checkRequest(`messages[${index}]`, request))
    const checked = checkCallOptions(options)
    const { signal, timeoutMs } = checked
    const concurrency = optionalInteger('options.concurrency', checked.concurrency, 1, MAX_UINT32)
    const onProgress = optionalFunction('options.onProgress', checked.onProgress)
    if (signal?.aborted) {
      throw new AbortError('The batch was aborted before it started; no SMS was sent', false, signal.reason)
    }

    const progress = onProgress === undefined ? undefined : new ProgressReporter(onProgress)
    const cancel = signal === undefined ? undefined : new native.CancelToken()
    const onAbort = () => cancel?.cancel()
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const results = await this.#native.sendMany(
        requests,
        concurrency,
        timeoutMs,
        progress === undefined ? undefined : (/** @type {number} */ done, /** @type {number} */ total) => progress.report(done, total),
        cancel
      )
      progress?.finish(results.length)
      return results
    } catch (err) {
      progress?.close()
      if (signal !== undefined && isCancelled(err)) {
        // NOTE: the core drops the whole batch on cancellation, so the receipts of messages
        // accepted before the abort are lost with it.
        throw new AbortError(
          'The batch was aborted while in flight; some SMS may have been sent, and their ' +
            'receipts are not reported, so check before sending them again',
          true,
          signal.reason
        )
      }
      throw withCallerStack(err)
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  /**
   * Shows the configuration with the API key reduced to its last 4 characters.
   *
   * @param {number} depth
   * @param {util.InspectOptionsStylized} options
   * @param {typeof util.inspect} [inspect]
   */
  [util.inspect.custom](depth, options, inspect = util.inspect) {
    if (depth < 0) {
      return options.stylize('[Client]', 'special')
    }
    const description = this.#native.describe()
    const visible = {
      baseUrl: description.baseUrl,
      environment: description.environment,
      apiKey: description.apiKey,
      timeoutMs: description.timeoutMs,
      connectTimeoutMs: description.connectTimeoutMs,
      maxRetries: description.maxRetries,
    }
    return `Client ${inspect(visible, { ...options, depth: options.depth === null ? null : options.depth - 1 })}`
  }
}

/**
 * Calls a batch's progress callback in order and never after the batch settled. The core's calls
 * and the batch's result reach the JavaScript thread separately, so the final count may arrive
 * late: `finish` then reports it itself before the batch resolves.
 */
class ProgressReporter {
  /** @param {(done: number, total: number) => void} callback */
  constructor(callback) {
    this.callback = callback
    this.done = -1
    this.closed = false
  }

  /** @param {number} done @param {number} total */
  report(done, total) {
    if (this.closed || done <= this.done) {
      return
    }
    this.done = done
    try {
      this.callback(done, total)
    } catch (err) {
      // A throwing callback must not lose the batch's results: report it as Node reports a
      // throwing event listener, as an uncaught exception.
      process.nextTick(() => {
        throw err
      })
    }
  }

  /** @param {number} total */
  finish(total) {
    if (total > 0) {
      this.report(total, total)
    }
    this.close()
  }

  close() {
    this.closed = true
  }
}

/**
 * Parses a delivery report, the body ClearLine POSTs to a callback URL.
 *
 * @param {unknown} body a Buffer or Uint8Array of the raw body, its text, or the object a JSON
 *   body parser such as `express.json()` made of it
 */
function parseCallback(body) {
  if (typeof body === 'string') {
    return native.parseCallbackText(body)
  }
  if (util.types.isUint8Array(body)) {
    return native.parseCallbackBytes(body)
  }
  if (typeof body === 'object' && body !== null && !ArrayBuffer.isView(body) && !util.types.isAnyArrayBuffer(body)) {
    return native.parseCallbackObject(body)
  }
  let hint = ''
  if (body === undefined) {
    hint = '; if this is req.body, add a body parser such as express.raw({ type: "application/json" }) or express.json()'
  }
  throw invalidType('body', 'a Buffer, Uint8Array, string or parsed JSON object', body, { hint })
}

// Argument checks. Messages follow Node's own ERR_INVALID_ARG_TYPE and ERR_OUT_OF_RANGE errors.

/**
 * @param {string} name
 * @param {unknown} value
 * @returns {Record<string, unknown>}
 */
function checkOptionsObject(name, value) {
  if (value === undefined) {
    return {}
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidType(name, 'an object', value)
  }
  return /** @type {Record<string, unknown>} */ (value)
}

/**
 * @param {string} name
 * @param {unknown} request
 */
function checkRequest(name, request) {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    throw invalidType(name, 'an object with phone and message', request)
  }
  const fields = /** @type {Record<string, unknown>} */ (request)
  const phone = requiredString(`${name}.phone`, fields.phone)
  const message = requiredString(`${name}.message`, fields.message)
  const callbackUrl = fields.callbackUrl === null ? undefined : optionalString(`${name}.callbackUrl`, fields.callbackUrl)
  return { phone, message, callbackUrl }
}

/** @param {unknown} options */
function checkCallOptions(options) {
  const checked = checkOptionsObject('options', options)
  const signal = checked.signal
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw invalidType('options.signal', 'an AbortSignal', signal)
  }
  return {
    ...checked,
    signal: /** @type {AbortSignal | undefined} */ (signal),
    timeoutMs: optionalTimeout('options.timeoutMs', checked.timeoutMs),
  }
}

/** @param {unknown} value */
function isAbortSignal(value) {
  if (typeof value !== 'object' || value === null) {
    return false
  }
  const candidate = /** @type {Record<string, unknown>} */ (value)
  return typeof candidate.aborted === 'boolean' && typeof candidate.addEventListener === 'function'
}

/**
 * @param {string} name
 * @param {unknown} value
 */
function requiredString(name, value) {
  if (typeof value !== 'string') {
    throw invalidType(name, 'of type string', value)
  }
  return value
}

/**
 * @param {string} name
 * @param {unknown} value
 * @param {{ secret?: boolean }} [flags]
 */
function optionalString(name, value, flags = {}) {
  if (value !== undefined && typeof value !== 'string') {
    throw invalidType(name, 'of type string', value, flags)
  }
  return value
}

/**
 * @param {string} name
 * @param {unknown} value
 */
function optionalFunction(name, value) {
  if (value !== undefined && typeof value !== 'function') {
    throw invalidType(name, 'of type function', value)
  }
  return /** @type {((done: number, total: number) => void) | undefined} */ (value)
}

/**
 * @param {string} name
 * @param {unknown} value
 */
function optionalTimeout(name, value) {
  if (value === undefined) {
    return undefined
  }
  if (typeof value !== 'number') {
    throw invalidType(name, 'of type number', value)
  }
  if (!(value > 0 && value <= MAX_TIMEOUT_MS)) {
    throw outOfRange(name, `> 0 and <= ${MAX_TIMEOUT_MS} (milliseconds)`, value)
  }
  return value
}

/**
 * @param {string} name
 * @param {unknown} value
 * @param {number} min
 * @param {number} max
 */
function optionalInteger(name, value, min, max) {
  if (value === undefined) {
    return undefined
  }
  if (typeof value !== 'number') {
    throw invalidType(name, 'of type number', value)
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(name, `an integer >= ${min} and <= ${max}`, value)
  }
  return value
}

/**
 * @param {string} name
 * @param {string} expected
 * @param {unknown} value
 * @param {{ secret?: boolean, hint?: string }} [flags]
 */
function invalidType(name, expected, value, flags = {}) {
  const noun = name.includes('.') || name.includes('[') ? 'property' : 'argument'
  const err = new TypeError(
    `The "${name}" ${noun} must be ${expected}. Received ${describeValue(value, flags.secret)}${flags.hint ?? ''}`
  )
  return withCode(err, 'ERR_INVALID_ARG_TYPE')
}

/**
 * @param {string} name
 * @param {string} range
 * @param {number} value
 */
function outOfRange(name, range, value) {
  const err = new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${value}`)
  return withCode(err, 'ERR_OUT_OF_RANGE')
}

/**
 * Describes a rejected value by its type, and by its value only when it is not secret.
 *
 * @param {unknown} value
 * @param {boolean} [secret]
 */
function describeValue(value, secret = false) {
  if (value === null) {
    return 'null'
  }
  if (value === undefined) {
    return 'undefined'
  }
  if (typeof value === 'function') {
    return value.name ? `function ${value.name}` : 'function'
  }
  if (typeof value === 'object') {
    if (Array.isArray(value)) {
      return 'an array'
    }
    const constructorName = value.constructor?.name
    return constructorName ? `an instance of ${constructorName}` : 'an object'
  }
  if (secret) {
    return `type ${typeof value}`
  }
  let preview = util.inspect(value)
  if (preview.length > 28) {
    preview = `${preview.slice(0, 25)}...`
  }
  return `type ${typeof value} (${preview})`
}

/**
 * @template {Error} E
 * @param {E} err
 * @param {string} code
 * @returns {E & { code: string }}
 */
function withCode(err, code) {
  return Object.assign(err, { code })
}

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
 * Tells whether a native rejection is the cancellation `src/error.rs` produces on abort.
 *
 * @param {unknown} err
 */
function isCancelled(err) {
  return err instanceof Error && /** @type {{ code?: unknown }} */ (err).code === 'Cancelled'
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

module.exports = {
  Client,
  ClearLineError,
  parseCallback,
}
