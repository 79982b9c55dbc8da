// @ts-check
// Times one delivery-report parse: `parseCallback` against `JSON.parse` plus the field checks a
// careful hand-written handler makes, on the same body. Prints one JSON measurement per line.
//
// Usage: node parse.mjs --body-file bench/callback-report.json [--iterations N] [--rounds R]

import { readFileSync } from 'node:fs'

import { parseCallback } from 'clearline'

import { positiveInteger, readOptions } from './common.mjs'

const options = readOptions({ 'body-file': '', iterations: '200000', rounds: '7' })
const iterations = positiveInteger('iterations', options.iterations)
const rounds = positiveInteger('rounds', options.rounds)
const bytes = readFileSync(options['body-file'])
const text = bytes.toString('utf8')

const KNOWN_STATUSES = new Set(['Delivered', 'DeliveredFailed'])

/**
 * Parses a report with `JSON.parse` and checks each field as the core does, returning the same
 * shape as `parseCallback`. It accepts a little more than the core (duplicate keys, for one), so
 * it is a lower bound of what a complete JavaScript parser would cost.
 *
 * @param {string} body
 */
function parseWithChecks(body) {
  const value = JSON.parse(body)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError('the delivery report is not a JSON object')
  }
  const { messageId, deliveryStatus, externalDeliveryStatus, reasonText } = value
  if (typeof messageId !== 'string' || messageId.trim() === '') {
    throw new TypeError('messageId is missing or not a non-empty string')
  }
  if (typeof deliveryStatus !== 'string' || deliveryStatus.trim() === '') {
    throw new TypeError('deliveryStatus is missing or not a non-empty string')
  }
  if (externalDeliveryStatus != null && typeof externalDeliveryStatus !== 'string') {
    throw new TypeError('externalDeliveryStatus is not a string')
  }
  if (reasonText != null && typeof reasonText !== 'string') {
    throw new TypeError('reasonText is not a string')
  }
  return {
    messageId,
    status: deliveryStatus,
    knownStatus: KNOWN_STATUSES.has(deliveryStatus),
    externalStatus: externalDeliveryStatus ?? null,
    reason: reasonText ?? null,
    isDelivered: deliveryStatus === 'Delivered',
    isFailed: deliveryStatus === 'DeliveredFailed',
  }
}

/**
 * Times `iterations` calls of `parse` and returns the nanoseconds per call.
 *
 * @param {() => { messageId: string }} parse
 */
function timeRound(parse) {
  let checksum = 0
  const started = process.hrtime.bigint()
  for (let index = 0; index < iterations; index += 1) {
    checksum += parse().messageId.length
  }
  const elapsed = Number(process.hrtime.bigint() - started)
  if (checksum === 0) {
    throw new Error('the parser returned empty messageIds')
  }
  return elapsed / iterations
}

/** @type {Array<[string, string, () => any]>} */
const cases = [
  ['node.parse_callback', 'parseCallback(Buffer)', () => parseCallback(bytes)],
  ['node.parse_json_checks', 'JSON.parse(buffer.toString()) + checks', () => parseWithChecks(bytes.toString('utf8'))],
  ['node.parse_callback.string', 'parseCallback(string)', () => parseCallback(text)],
  ['node.parse_json_checks.string', 'JSON.parse(string) + checks', () => parseWithChecks(text)],
]

/**
 * Lists the fields of a parsed report by name, so getters on a prototype count too.
 *
 * @param {Record<string, unknown>} report
 */
function fields(report) {
  const names = ['messageId', 'status', 'knownStatus', 'externalStatus', 'reason', 'isDelivered', 'isFailed']
  return JSON.stringify(names.map((name) => report[name]))
}

const reference = fields(parseWithChecks(text))
for (const [, name, parse] of cases) {
  const parsed = fields(parse())
  if (parsed !== reference) {
    throw new Error(`${name} returned ${parsed}, expected ${reference}`)
  }
}

// The rounds of the cases alternate, so a busy spell on a shared machine slows all of them, and
// each case reports its fastest round: noise only adds time.
const best = cases.map(() => Infinity)
for (let round = 0; round < rounds; round += 1) {
  cases.forEach(([, , parse], index) => {
    best[index] = Math.min(best[index] ?? Infinity, timeRound(parse))
  })
}
cases.forEach(([id, name], index) => {
  process.stdout.write(`${JSON.stringify({ id, name, value: best[index], unit: 'ns' })}\n`)
})
