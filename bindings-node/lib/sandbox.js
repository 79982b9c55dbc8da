'use strict'

// The embedded ClearLine simulator, for tests and demos: a real HTTP server on 127.0.0.1 that
// accepts sends with the core's validation rules and POSTs delivery reports to callback URLs.

const util = require('node:util')
const native = require('../native.js')
const {
  MAX_UINT32,
  checkKnownKeys,
  checkOptionsObject,
  invalidChoice,
  invalidType,
  optionalDelay,
  optionalInteger,
  optionalString,
  optionalTimeout,
  requiredString,
} = require('./arguments.js')
const { CLIENT_OPTIONS, Client } = require('./client.js')

/** Private token that keeps `new Sandbox()` from outside this module. */
const kCreate = Symbol('clearline.sandbox.create')

/** The reserved numbers whose delivery reports fail, read once from the core. */
const reservedNumbers = native.sandboxReservedNumbers()

/** Default wait of `waitForCallbacks`, in milliseconds. */
const DEFAULT_WAIT_MS = 5000

/** The options of `Sandbox.start(...)`. */
const START_OPTIONS = Object.freeze([
  'port',
  'apiKey',
  'callbackDelayMs',
  'callbackMaxAttempts',
  'callbackRetryBackoffMs',
  'callbackTimeoutMs',
  'maxMessageChars',
])

/** The client options `sandbox.client(...)` takes: all but those that point at the sandbox. */
const CLIENT_OVERRIDES = Object.freeze(
  CLIENT_OPTIONS.filter((name) => !['apiKey', 'baseUrl', 'environment'].includes(name))
)

/** A failure of the sandbox itself: it could not start, a wait timed out, or it was stopped. */
class SandboxError extends Error {
  /**
   * @param {string} message
   * @param {{ code: string, arrived?: CallbackOutcome[], cause?: unknown }} details
   */
  constructor(message, details) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.code = details.code
    this.arrived = details.arrived ?? []
  }
}
Object.defineProperty(SandboxError.prototype, 'name', {
  value: 'SandboxError',
  writable: true,
  enumerable: false,
  configurable: true,
})

/**
 * @typedef {import('../native.js').CallbackOutcome} CallbackOutcome
 */

/** The ClearLine simulator. Start one with `Sandbox.start()` and stop it with `stop()`. */
class Sandbox {
  /** A number whose SMS fails with the gateway status `Failed`. */
  static FAILED_NUMBER = reservedNumbers.failed
  /** A number whose SMS fails with the gateway status `Expired`. */
  static EXPIRED_NUMBER = reservedNumbers.expired
  /** A number whose SMS fails with the gateway status `Rejected`. */
  static REJECTED_NUMBER = reservedNumbers.rejected

  /** @type {import('../native.js').NativeSandbox} */
  #native

  /**
   * @param {symbol} token
   * @param {import('../native.js').NativeSandbox} nativeSandbox
   */
  constructor(token, nativeSandbox) {
    if (token !== kCreate) {
      throw new TypeError('Sandbox cannot be constructed directly: use `await Sandbox.start()`')
    }
    this.#native = nativeSandbox
  }

  /**
   * Starts a sandbox on 127.0.0.1.
   *
   * @param {Record<string, unknown>} [options]
   */
  static async start(options) {
    const checked = checkOptionsObject('options', options, START_OPTIONS)
    const settings = {
      port: optionalInteger('options.port', checked.port, 0, 65535),
      apiKey: optionalString('options.apiKey', checked.apiKey, { secret: true }),
      callbackDelayMs: optionalDelay('options.callbackDelayMs', checked.callbackDelayMs),
      callbackMaxAttempts: optionalInteger('options.callbackMaxAttempts', checked.callbackMaxAttempts, 1, MAX_UINT32),
      callbackRetryBackoffMs: optionalDelay('options.callbackRetryBackoffMs', checked.callbackRetryBackoffMs),
      callbackTimeoutMs: optionalTimeout('options.callbackTimeoutMs', checked.callbackTimeoutMs),
      maxMessageChars: optionalInteger('options.maxMessageChars', checked.maxMessageChars, 1, MAX_UINT32),
    }
    try {
      return new Sandbox(kCreate, await native.startSandbox(settings))
    } catch (err) {
      throw toSandboxError(err)
    }
  }

  /** The base URL to give a client, such as `http://127.0.0.1:40123`. */
  get baseUrl() {
    return this.#native.baseUrl
  }

  /** The port on 127.0.0.1. */
  get port() {
    return this.#native.port
  }

  /** The API key the sandbox accepts. */
  get apiKey() {
    return this.#native.apiKey
  }

  /** The longest accepted message, in Unicode characters. */
  get maxMessageChars() {
    return this.#native.maxMessageChars
  }

  /**
   * Creates a client for this sandbox: its base URL and API key, and the other options given.
   * `maxMessageChars` defaults to the sandbox's, because the client checks lengths before sending.
   *
   * @param {Record<string, unknown>} [options]
   */
  client(options) {
    const checked = checkOptionsObject(
      'options',
      options,
      CLIENT_OVERRIDES,
      'sandbox.client(), which sets apiKey and baseUrl itself'
    )
    return new Client({
      ...checked,
      maxMessageChars: checked.maxMessageChars ?? this.maxMessageChars,
      apiKey: this.apiKey,
      baseUrl: this.baseUrl,
    })
  }

  /** Returns the accepted messages, oldest first. */
  messages() {
    return call(() => this.#native.messages()).map(({ receivedAtMs, ...message }) => ({
      ...message,
      receivedAt: new Date(receivedAtMs),
    }))
  }

  /**
   * Returns the most recent requests to the send endpoint (at most 1,000), accepted or not,
   * oldest first. The API key and other secret header values read `<redacted>`.
   */
  requests() {
    return call(() => this.#native.requests()).map(({ receivedAtMs, ...request }) => ({
      ...request,
      receivedAt: new Date(receivedAtMs),
    }))
  }

  /** Returns every POST of a delivery report, in the order they were made. */
  callbackAttempts() {
    return call(() => this.#native.callbackAttempts()).map(({ atMs, ...attempt }) => ({
      ...attempt,
      at: new Date(atMs),
    }))
  }

  /** Returns the final result of each delivery report so far, in the order they were decided. */
  callbackOutcomes() {
    return call(() => this.#native.callbackOutcomes())
  }

  /**
   * Waits until `count` delivery reports have a final outcome (the receiver responded with 200,
   * or the attempts ran out) and resolves to all outcomes so far.
   *
   * @param {number} count
   * @param {{ timeoutMs?: number }} [options]
   */
  async waitForCallbacks(count, options) {
    const wanted = optionalInteger('count', count, 0, MAX_UINT32)
    if (wanted === undefined) {
      throw invalidType('count', 'of type number', count)
    }
    const checked = checkOptionsObject('options', options, ['timeoutMs'])
    const timeoutMs = optionalTimeout('options.timeoutMs', checked.timeoutMs) ?? DEFAULT_WAIT_MS
    try {
      return await this.#native.waitForCallbacks(wanted, timeoutMs)
    } catch (err) {
      throw toSandboxError(err)
    }
  }

  /**
   * Makes the next sends get `fault` instead of the normal response.
   *
   * @param {unknown} fault
   * @param {{ times?: number }} [options]
   */
  injectFault(fault, options) {
    const spec = checkFault(fault)
    const checked = checkOptionsObject('options', options, ['times'])
    const times = optionalInteger('options.times', checked.times, 1, MAX_UINT32) ?? 1
    call(() => this.#native.injectFault(spec, times))
  }

  /** Drops every injected fault not used yet. */
  clearFaults() {
    call(() => this.#native.clearFaults())
  }

  /**
   * Forgets messages, requests, callback attempts, outcomes and faults, and cancels undelivered
   * reports.
   */
  reset() {
    call(() => this.#native.reset())
  }

  /** Stops the server and every callback task; resolves once the port is free. */
  async stop() {
    await this.#native.stop()
  }

  /**
   * Shows the base URL, with the API key reduced to its last 4 characters.
   *
   * @param {number} depth
   * @param {util.InspectOptionsStylized} options
   */
  [util.inspect.custom](depth, options) {
    if (depth < 0) {
      return options.stylize('[Sandbox]', 'special')
    }
    return `Sandbox { baseUrl: ${options.stylize(`'${this.baseUrl}'`, 'string')}, apiKey: ${options.stylize(`'…${this.apiKey.slice(-4)}'`, 'string')} }`
  }
}

/** The properties of each kind of fault. */
const FAULT_PROPERTIES = Object.freeze({
  status: ['kind', 'status', 'retryAfter', 'body'],
  latency: ['kind', 'ms'],
  closeConnection: ['kind'],
  nonJsonBody: ['kind'],
  redirect: ['kind', 'location'],
})

const FAULT_KINDS = Object.keys(FAULT_PROPERTIES)

/** The properties of any kind of fault, checked before the kind is known. */
const ALL_FAULT_PROPERTIES = [...new Set(Object.values(FAULT_PROPERTIES).flat())]

/**
 * Checks a fault and returns it in the native form.
 *
 * @param {unknown} fault
 * @returns {import('../native.js').FaultSpec}
 */
function checkFault(fault) {
  const checked = checkOptionsObject('fault', fault, ALL_FAULT_PROPERTIES)
  const kind = checked.kind
  if (typeof kind !== 'string') {
    throw invalidType('fault.kind', `one of ${FAULT_KINDS.map((name) => `'${name}'`).join(', ')}`, kind)
  }
  if (!FAULT_KINDS.includes(kind)) {
    throw invalidChoice('fault.kind', FAULT_KINDS, kind)
  }
  checkKnownKeys('fault', checked, FAULT_PROPERTIES[/** @type {keyof typeof FAULT_PROPERTIES} */ (kind)], `a '${kind}' fault`)
  switch (kind) {
    case 'status': {
      const status = optionalInteger('fault.status', checked.status, 200, 599)
      if (status === undefined) {
        throw invalidType('fault.status', 'of type number', checked.status)
      }
      return {
        kind,
        status,
        retryAfter: optionalString('fault.retryAfter', checked.retryAfter),
        body: optionalString('fault.body', checked.body),
      }
    }
    case 'latency': {
      const ms = optionalDelay('fault.ms', checked.ms)
      if (ms === undefined) {
        throw invalidType('fault.ms', 'of type number', checked.ms)
      }
      return { kind, ms }
    }
    case 'redirect':
      return { kind, location: requiredString('fault.location', checked.location) }
    default:
      return { kind }
  }
}

/**
 * Runs a synchronous native call, turning its sandbox errors into SandboxError.
 *
 * @template T
 * @param {() => T} nativeCall
 * @returns {T}
 */
function call(nativeCall) {
  try {
    return nativeCall()
  } catch (err) {
    throw toSandboxError(err)
  }
}

/**
 * Rethrows a native error with a `CLEARLINE_SANDBOX_*` code as a SandboxError.
 *
 * @param {unknown} err
 */
function toSandboxError(err) {
  if (!(err instanceof Error)) {
    return err
  }
  const { code, arrived } = /** @type {{ code?: unknown, arrived?: CallbackOutcome[] }} */ (err)
  if (typeof code !== 'string' || !code.startsWith('CLEARLINE_SANDBOX')) {
    return err
  }
  const converted = new SandboxError(err.message, { code, arrived: arrived ?? [] })
  Error.captureStackTrace(converted, toSandboxError)
  return converted
}

module.exports = { Sandbox, SandboxError }
