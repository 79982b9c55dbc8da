// @ts-check
// Helpers shared by the Node benchmark scripts: argument parsing, percentiles and the request
// every client sends.

import { parseArgs } from 'node:util'

/** The recipient and text of every send, the same as `clearline-bench send` uses. */
export const PHONE = '+12025551234'
export const MESSAGE = 'Your verification code is 042042'

/** The path of the send endpoint, relative to the base URL. */
export const SEND_PATH = '/MessageSender/sms'

/**
 * Parses `--name value` options; every option named in `defaults` is accepted and typed as a
 * string, and missing ones take their default.
 *
 * @template {Record<string, string>} T
 * @param {T} defaults
 * @returns {T}
 */
export function readOptions(defaults) {
  /** @type {Record<string, { type: 'string' }>} */
  const options = {}
  for (const name of Object.keys(defaults)) {
    options[name] = { type: 'string' }
  }
  const { values } = parseArgs({ options, strict: true })
  return /** @type {T} */ ({ ...defaults, ...values })
}

/**
 * Reads a whole positive number from an option.
 *
 * @param {string} name
 * @param {string} value
 */
export function positiveInteger(name, value) {
  const number = Number(value)
  if (!Number.isInteger(number) || number < 1) {
    throw new RangeError(`--${name} must be a whole number of at least 1, got ${JSON.stringify(value)}`)
  }
  return number
}

/**
 * Returns the nearest-rank percentile of sorted values, as `clearline-bench` computes it.
 *
 * @param {Float64Array} sorted
 * @param {number} percent
 */
export function percentile(sorted, percent) {
  if (sorted.length === 0) {
    return 0
  }
  const rank = Math.ceil((percent / 100) * sorted.length)
  const index = Math.min(Math.max(rank, 1), sorted.length) - 1
  return sorted[index] ?? 0
}

/** Returns the peak resident set size of this process so far, in MB (1,000,000 bytes). */
export function peakRssMb() {
  // `maxRSS` is in kilobytes (1,024 bytes).
  return (process.resourceUsage().maxRSS * 1024) / 1e6
}

/** Returns the current resident set size of this process, in MB (1,000,000 bytes). */
export function rssMb() {
  return process.memoryUsage.rss() / 1e6
}

/**
 * Checks the JSON body of a send response as the SDK does before it returns a receipt.
 *
 * @param {number} status
 * @param {string} text
 */
export function checkSendResponse(status, text) {
  if (status !== 200) {
    throw new Error(`the server responded with ${status}: ${text.slice(0, 200)}`)
  }
  const body = JSON.parse(text)
  if (body === null || typeof body !== 'object' || body.succeed !== true || typeof body.messageId !== 'string') {
    throw new Error(`the server did not accept the SMS: ${text.slice(0, 200)}`)
  }
  return body.messageId
}
