'use strict'

// Argument checks. They throw a TypeError or RangeError naming the argument, with the messages and
// codes of Node's own ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE and ERR_OUT_OF_RANGE errors.

const util = require('node:util')

/** The largest timeout accepted, in milliseconds: the maximum delay of Node's own timers. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1
const MAX_UINT32 = 2 ** 32 - 1

/**
 * Checks that an options argument is an object (or undefined) whose own keys are all in `known`,
 * so a misspelled option fails instead of being ignored.
 *
 * @param {string} name
 * @param {unknown} value
 * @param {readonly string[]} known the accepted option names
 * @param {string} [context] what the options belong to, for the message of an unknown one
 * @returns {Record<string, unknown>}
 */
function checkOptionsObject(name, value, known, context) {
  if (value === undefined) {
    return {}
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw invalidType(name, 'an object', value)
  }
  const options = /** @type {Record<string, unknown>} */ (value)
  checkKnownKeys(name, options, known, context)
  return options
}

/**
 * Throws for the first own key of `object` that is not in `known`. The message names the key and
 * the closest known name, and leaves out the key's value, which may be a secret.
 *
 * @param {string} name the argument's name, such as `options` or `fault`
 * @param {Record<string, unknown>} object
 * @param {readonly string[]} known
 * @param {string} [context] what the known names belong to, such as `a 'status' fault`
 */
function checkKnownKeys(name, object, known, context) {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) {
      continue
    }
    const closest = closestName(key, known)
    const suggestion = closest === undefined ? '' : ` Did you mean '${closest}'?`
    const list = known.length === 0 ? 'none' : known.map((option) => `'${option}'`).join(', ')
    const err = new TypeError(
      `The property '${name}.${key}' is not a known option${context === undefined ? '' : ` of ${context}`}.` +
        `${suggestion} The known options are: ${list}`
    )
    throw withCode(err, 'ERR_INVALID_ARG_VALUE')
  }
}

/**
 * Throws for an own key of `object` that is a known name in another spelling: another case, or
 * with `_` or `-` (`callbackURL`, `callback_url`). Other extra keys are allowed, so a request can
 * be a record with fields of the caller's own. Only a misspelled field would be lost.
 *
 * @param {string} name the argument's name, such as `request`
 * @param {Record<string, unknown>} object
 * @param {readonly string[]} known
 */
function checkLookalikeKeys(name, object, known) {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) {
      continue
    }
    const folded = key.replace(/[_-]/g, '').toLowerCase()
    const meant = known.find((candidate) => candidate.toLowerCase() === folded)
    if (meant !== undefined) {
      const err = new TypeError(
        `The property '${name}.${key}' is not a known field; did you mean '${name}.${meant}'? ` +
          'Field names are case-sensitive.'
      )
      throw withCode(err, 'ERR_INVALID_ARG_VALUE')
    }
  }
}

/**
 * Returns the name in `known` closest to `key` by edit distance, ignoring case, or undefined
 * when none is within half of the longer name's length (too different to be a misspelling).
 *
 * @param {string} key
 * @param {readonly string[]} known
 */
function closestName(key, known) {
  let best
  let bestDistance = Infinity
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance && distance <= Math.max(key.length, candidate.length) / 2) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

/**
 * Returns the Levenshtein distance of two strings: the fewest single-character insertions,
 * deletions and substitutions that turn one into the other.
 *
 * @param {string} a
 * @param {string} b
 */
function editDistance(a, b) {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution))
    }
    previous = current
  }
  return previous[b.length]
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
 * Builds the error for a value of the right type that is not one of the accepted values.
 *
 * @param {string} name
 * @param {readonly string[]} accepted
 * @param {unknown} value
 */
function invalidChoice(name, accepted, value) {
  const noun = name.includes('.') || name.includes('[') ? 'property' : 'argument'
  const choices = accepted.map((choice) => `'${choice}'`).join(', ')
  const err = new TypeError(`The ${noun} '${name}' must be one of: ${choices}. Received ${preview(value)}`)
  return withCode(err, 'ERR_INVALID_ARG_VALUE')
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
  return `type ${typeof value} (${preview(value)})`
}

/**
 * Returns `util.inspect(value)`, cut to 28 characters as Node's own argument errors do.
 *
 * @param {unknown} value
 */
function preview(value) {
  const shown = util.inspect(value)
  return shown.length > 28 ? `${shown.slice(0, 25)}...` : shown
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
  checkKnownKeys,
  checkLookalikeKeys,
  isAbortSignal,
  requiredString,
  optionalString,
  optionalFunction,
  optionalTimeout,
  optionalDelay,
  optionalInteger,
  invalidType,
  invalidChoice,
  withCode,
}
