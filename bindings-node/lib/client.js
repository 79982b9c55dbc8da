'use strict'

// The ClearLine client: argument checks and AbortSignal around the native client.

const util = require('node:util')
const native = require('../native.js')
const {
  MAX_UINT32,
  checkLookalikeKeys,
  checkOptionsObject,
  invalidType,
  isAbortSignal,
  optionalFunction,
  optionalInteger,
  optionalString,
  optionalTimeout,
  requiredString,
  withCode,
} = require('./arguments.js')
const { AbortError, withCallerStack } = require('./error.js')
const { ABORTED, completion, nextSendId, unpackOutcomes } = require('./runtime.js')

/** The options of `new Client(...)`. */
const CLIENT_OPTIONS = Object.freeze([
  'apiKey',
  'environment',
  'baseUrl',
  'timeoutMs',
  'connectTimeoutMs',
  'maxRetries',
  'maxMessageChars',
])

/** The per-call options of `send`. */
const SEND_OPTIONS = Object.freeze(['signal', 'timeoutMs'])

/** The options of `sendMany`. */
const SEND_MANY_OPTIONS = Object.freeze([...SEND_OPTIONS, 'concurrency', 'onProgress'])

/** A ClearLine client. One instance can serve a whole application and any number of sends. */
class Client {
  #native

  /** @param {Record<string, unknown>} [options] */
  constructor(options) {
    const checked = checkOptionsObject('options', options, CLIENT_OPTIONS)
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

    // NOTE: without apiKey, the core reads CLEARLINE_API_KEY from the process environment, so a
    // worker started with its own `env` option does not see a key set only there.
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
    const { signal, timeoutMs } = checkCallOptions(options, SEND_OPTIONS)
    if (signal?.aborted) {
      throw new AbortError('The send was aborted before it started; the SMS was not sent', false, signal.reason)
    }

    const id = nextSendId()
    const cancel = signal === undefined ? undefined : new native.CancelToken()
    const onAbort = () => cancel?.cancel()
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      this.#native.send(id, phone, message, callbackUrl, timeoutMs, cancel)
      return await completion(id)
    } catch (err) {
      if (signal !== undefined && err === ABORTED) {
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
   * When `options.signal` aborts before every message finished, the batch stops and rejects with
   * an AbortError whose `results` has the same shape, with a `CLEARLINE_CANCELLED` error for each
   * message that did not finish.
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
    const { checked, signal, timeoutMs } = checkCallOptions(options, SEND_MANY_OPTIONS)
    const concurrency = optionalInteger('options.concurrency', checked.concurrency, 1, MAX_UINT32)
    const onProgress = optionalFunction('options.onProgress', checked.onProgress)

    // An already aborted signal still goes through the core, which then reports every message
    // as not sent, so an aborted batch always rejects with the same shape.
    const abortedBefore = signal?.aborted === true
    const progress = onProgress === undefined ? undefined : new ProgressReporter(onProgress)
    const cancel = signal === undefined ? undefined : new native.CancelToken()
    if (abortedBefore) {
      cancel?.cancel()
    }
    const onAbort = () => cancel?.cancel()
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const packed = await this.#native.sendMany(
        requests,
        concurrency,
        timeoutMs,
        progress === undefined ? undefined : (/** @type {number} */ done, /** @type {number} */ total) => progress.report(done, total),
        cancel
      )
      /** @type {unknown[]} */
      const results = new Array(requests.length)
      unpackOutcomes(packed, (index, ok, value) => {
        results[index] = ok ? { ok, receipt: value } : { ok: false, error: value }
      })
      if (signal !== undefined) {
        const abort = batchAbortError(results, abortedBefore, signal.reason)
        if (abort !== undefined) {
          throw abort
        }
      }
      progress?.finish(results.length)
      return results
    } catch (err) {
      throw withCallerStack(err)
    } finally {
      progress?.close()
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
      maxMessageChars: description.maxMessageChars,
    }
    const depthLeft = typeof options.depth === 'number' ? options.depth - 1 : options.depth
    return `Client ${inspect(visible, { ...options, depth: depthLeft })}`
  }
}

/**
 * Builds the rejection of a batch stopped by its AbortSignal, or returns undefined when every
 * message had finished before the abort. The error carries the results of all messages: the
 * messages that did not finish have a `CLEARLINE_CANCELLED` error from the core, whose
 * `maybeSent` is true only for those that were in flight.
 *
 * @param {unknown[]} results the `{ ok, receipt }` and `{ ok, error }` objects of the native batch
 * @param {boolean} abortedBefore
 * @param {unknown} reason the signal's reason
 */
function batchAbortError(results, abortedBefore, reason) {
  const typed = /** @type {Array<{ ok: boolean, error?: { code: string, maybeSent: boolean } }>} */ (results)
  const unfinished = typed.filter((result) => !result.ok && result.error?.code === 'CLEARLINE_CANCELLED')
  if (unfinished.length === 0) {
    return undefined
  }
  const maybeSent = unfinished.filter((result) => result.error?.maybeSent).length
  let message
  if (abortedBefore) {
    message = 'The batch was aborted before it started; no SMS was sent'
  } else if (maybeSent === 0) {
    message = `The batch was aborted; ${unfinished.length} of ${results.length} SMS were not sent`
  } else {
    message =
      `The batch was aborted; ${unfinished.length} of ${results.length} SMS did not finish, and ` +
      `${maybeSent} of them were in flight and may have been sent, so check those before sending ` +
      'them again'
  }
  message += '. The error\'s results property has the result of every message'
  return new AbortError(message, maybeSent > 0, reason, results)
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

/** The fields of a send request. */
const REQUEST_FIELDS = Object.freeze(['phone', 'message', 'callbackUrl'])

/**
 * @param {string} name
 * @param {unknown} request
 */
function checkRequest(name, request) {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    throw invalidType(name, 'an object with phone and message', request)
  }
  const fields = /** @type {Record<string, unknown>} */ (request)
  checkLookalikeKeys(name, fields, REQUEST_FIELDS)
  const phone = requiredString(`${name}.phone`, fields.phone)
  const message = requiredString(`${name}.message`, fields.message)
  const callbackUrl = fields.callbackUrl === null ? undefined : optionalString(`${name}.callbackUrl`, fields.callbackUrl)
  return { phone, message, callbackUrl }
}

/**
 * @param {unknown} options
 * @param {readonly string[]} known the option names the method accepts
 */
function checkCallOptions(options, known) {
  const checked = checkOptionsObject('options', options, known)
  const signal = checked.signal
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw invalidType('options.signal', 'an AbortSignal', signal)
  }
  return {
    checked,
    signal: /** @type {AbortSignal | undefined} */ (signal),
    timeoutMs: optionalTimeout('options.timeoutMs', checked.timeoutMs),
  }
}

module.exports = { Client, CLIENT_OPTIONS }
