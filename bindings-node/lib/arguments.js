'use strict'

// Argument checks. They throw a TypeError or RangeError naming the argument, with the messages and
// codes of Node's own ERR_INVALID_ARG_TYPE and ERR_OUT_OF_RANGE errors.

const util = require('node:util')

/** The largest timeout accepted, in milliseconds: the maximum delay of Node's own timers. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1
const MAX_UINT32 = 2 ** 32 - 1

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
 * Checks a duration that may be zero, such as a delay.
 *
 * @param {string} name
 * @param {unknown} value
 */
function optionalDelay(name, value) {
  if (value === undefined) {
    return undefined
  }
  if (typeof value !== 'number') {
    throw invalidType(name, 'of type number', value)
  }
  if (!(value >= 0 && value <= MAX_TIMEOUT_MS)) {
    throw outOfRange(name, `>= 0 and <= ${MAX_TIMEOUT_MS} (milliseconds)`, value)
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

module.exports = {
  MAX_UINT32,
  checkOptionsObject,
  isAbortSignal,
  requiredString,
  optionalString,
  optionalFunction,
  optionalTimeout,
  optionalDelay,
  optionalInteger,
  invalidType,
  withCode,
}
