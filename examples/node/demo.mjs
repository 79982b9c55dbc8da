// @ts-check
// Sends three SMS, receives their delivery reports, and prints them as a table.
//
// By default everything runs on this machine: the embedded ClearLine sandbox accepts the sends
// and POSTs the reports to a callback receiver this script starts on 127.0.0.1. The three
// recipients are chosen so that the outcomes differ: delivered, failed and expired.
//
// To use ClearLine's staging API instead, set:
//
//   CLEARLINE_ENVIRONMENT=staging
//   CLEARLINE_API_KEY=<your staging key>
//   CLEARLINE_CALLBACK_URL=<a public https URL that forwards to this machine's port 8080>
//   CLEARLINE_DEMO_PHONES=<one to three E.164 numbers, comma-separated>
//
// The receiver then listens on 127.0.0.1:8080 (CLEARLINE_CALLBACK_PORT changes it). Staging
// decides the outcomes itself, so only the arrival of every report is checked.
//
// The script exits with 1 when a report is missing or differs from the expected outcome, and with 2
// when the staging settings are missing or invalid.
//
//   node demo.mjs

import http from 'node:http'
import { once } from 'node:events'

import { ClearLineError, Client, Sandbox, parseCallback } from 'clearline'

const MESSAGE = 'Your order #1042 is ready for pickup.'
const SANDBOX_TIMEOUT_MS = 10_000
const STAGING_TIMEOUT_MS = 180_000
const MAX_BODY_BYTES = 64 * 1024

/**
 * A recipient and the report the demo expects for it (null: anything).
 * @typedef {{ phone: string, status: string | null, externalStatus: string | null }} Expectation
 */

/**
 * A delivery report and when it arrived (performance.now()).
 * @typedef {{ report: import('clearline').DeliveryReport, arrivedAt: number }} Arrival
 */

/** A callback receiver: an HTTP server on 127.0.0.1 that stores each delivery report. */
class Receiver {
  /** @type {Map<string, Arrival>} */
  reports = new Map()
  /** @type {Array<() => void>} */
  #waiters = []

  constructor () {
    this.server = http.createServer((req, res) => {
      /** @type {Buffer[]} */
      const chunks = []
      let size = 0
      req.on('data', (/** @type {Buffer} */ chunk) => {
        size += chunk.length
        if (size > MAX_BODY_BYTES) {
          console.error(`rejected a delivery report of more than ${MAX_BODY_BYTES} bytes`)
          res.writeHead(413).end('delivery report too large')
          req.destroy()
          return
        }
        chunks.push(chunk)
      })
      req.on('end', () => {
        try {
          const report = parseCallback(Buffer.concat(chunks))
          // ClearLine may deliver a report more than once: keep the first.
          if (!this.reports.has(report.messageId)) {
            this.reports.set(report.messageId, { report, arrivedAt: performance.now() })
          }
          res.writeHead(200).end()
          for (const wake of this.#waiters.splice(0)) wake()
        } catch (err) {
          const reason = err instanceof ClearLineError ? err.message : String(err)
          console.error(`rejected an invalid delivery report: ${reason}`)
          res.writeHead(400).end(reason)
        }
      })
    })
  }

  /** @param {number} port */
  async listen (port) {
    this.server.listen(port, '127.0.0.1')
    await once(this.server, 'listening')
    const { port: bound } = /** @type {import('node:net').AddressInfo} */ (this.server.address())
    this.url = `http://127.0.0.1:${bound}/webhooks/sms`
  }

  /**
   * Waits until a report for every id arrived, or the timeout passed.
   * @param {string[]} messageIds
   * @param {number} timeoutMs
   */
  async waitFor (messageIds, timeoutMs) {
    const deadline = performance.now() + timeoutMs
    while (!messageIds.every((id) => this.reports.has(id)) && performance.now() < deadline) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, deadline - performance.now())
        this.#waiters.push(() => { clearTimeout(timer); resolve(undefined) })
      })
    }
  }

  close () {
    this.server.close()
  }
}

/** @param {string} phone */
function maskPhone (phone) {
  return phone.slice(0, 4) + '*'.repeat(Math.max(phone.length - 6, 0)) + phone.slice(-2)
}

/** @param {string[][]} rows the first row is the header */
function printTable (rows) {
  const [header = []] = rows
  const widths = header.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)))
  rows.forEach((row, index) => {
    console.log(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd())
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '))
  })
}

/**
 * Sends one SMS per expectation, waits for the reports, prints them and checks them.
 * @param {Client} client
 * @param {Receiver} receiver
 * @param {string} callbackUrl
 * @param {Expectation[]} expectations
 * @param {number} timeoutMs
 * @returns {Promise<number>} the exit code
 */
async function run (client, receiver, callbackUrl, expectations, timeoutMs) {
  const sent = []
  for (const expectation of expectations) {
    const startedAt = performance.now()
    const receipt = await client.send({ phone: expectation.phone, message: MESSAGE, callbackUrl })
    sent.push({ expectation, receipt, startedAt })
    console.log(`sent ${receipt.messageId} to ${maskPhone(receipt.phone)}`)
  }

  console.log(`waiting up to ${timeoutMs / 1000} s for ${sent.length} delivery reports...\n`)
  await receiver.waitFor(sent.map(({ receipt }) => receipt.messageId), timeoutMs)

  const rows = [['phone', 'messageId', 'status', 'external status', 'reason', 'seconds']]
  /** @type {string[]} */
  const problems = []
  for (const { expectation, receipt, startedAt } of sent) {
    const arrival = receiver.reports.get(receipt.messageId)
    if (arrival === undefined) {
      rows.push([maskPhone(receipt.phone), receipt.messageId, '(no report)', '', '', ''])
      problems.push(`no delivery report arrived for ${receipt.messageId}`)
      continue
    }
    const { report } = arrival
    rows.push([
      maskPhone(receipt.phone),
      report.messageId,
      report.status,
      report.externalStatus ?? '',
      report.reason ?? '',
      ((arrival.arrivedAt - startedAt) / 1000).toFixed(2)
    ])
    if (expectation.status !== null && report.status !== expectation.status) {
      problems.push(`${receipt.messageId}: status ${report.status}, expected ${expectation.status}`)
    }
    if (expectation.externalStatus !== null && report.externalStatus !== expectation.externalStatus) {
      problems.push(`${receipt.messageId}: external status ${report.externalStatus}, ` +
        `expected ${expectation.externalStatus}`)
    }
  }

  printTable(rows)
  console.log()
  for (const problem of problems) console.error(`FAILED: ${problem}`)
  if (problems.length === 0) console.log(`All ${sent.length} delivery reports arrived as expected.`)
  return problems.length === 0 ? 0 : 1
}

/** Runs the demo against the sandbox, or against staging when configured. */
async function main () {
  const receiver = new Receiver()
  try {
    if ((process.env.CLEARLINE_ENVIRONMENT ?? '').toLowerCase() === 'staging') {
      const callbackUrl = process.env.CLEARLINE_CALLBACK_URL ?? ''
      const phones = (process.env.CLEARLINE_DEMO_PHONES ?? '').split(',')
        .map((phone) => phone.trim()).filter((phone) => phone !== '').slice(0, 3)
      const missing = Object.entries({
        CLEARLINE_API_KEY: process.env.CLEARLINE_API_KEY ?? '',
        CLEARLINE_CALLBACK_URL: callbackUrl,
        CLEARLINE_DEMO_PHONES: phones.join(',')
      }).filter(([, value]) => value === '').map(([name]) => name)
      if (missing.length > 0) {
        console.error(`For staging, set ${missing.join(', ')}. CLEARLINE_API_KEY is your ` +
          'staging key, CLEARLINE_CALLBACK_URL a public https URL forwarding to this machine, ' +
          'and CLEARLINE_DEMO_PHONES up to 3 comma-separated E.164 numbers.')
        return 2
      }
      let client
      try {
        client = new Client({ environment: 'staging' })
      } catch (err) {
        if (err instanceof ClearLineError && err.code === 'CLEARLINE_CONFIGURATION') {
          console.error(`The staging client could not be created: ${err.message}`)
          return 2
        }
        throw err
      }
      await receiver.listen(Number(process.env.CLEARLINE_CALLBACK_PORT ?? 8080))
      console.log(`Sending through ClearLine staging; reports to ${callbackUrl}`)
      const expectations = phones.map((phone) => ({ phone, status: null, externalStatus: null }))
      return await run(client, receiver, callbackUrl, expectations, STAGING_TIMEOUT_MS)
    }

    await receiver.listen(0)
    // A short delay, so the table shows a time to report as a real network would.
    const sandbox = await Sandbox.start({ callbackDelayMs: 300 })
    try {
      const url = /** @type {string} */ (receiver.url)
      console.log(`Sandbox running at ${sandbox.baseUrl}; reports go to ${url}`)
      const expectations = [
        { phone: '+12025550123', status: 'Delivered', externalStatus: 'Delivered' },
        { phone: Sandbox.FAILED_NUMBER, status: 'DeliveredFailed', externalStatus: 'Failed' },
        { phone: Sandbox.EXPIRED_NUMBER, status: 'DeliveredFailed', externalStatus: 'Expired' }
      ]
      return await run(sandbox.client(), receiver, url, expectations, SANDBOX_TIMEOUT_MS)
    } finally {
      await sandbox.stop()
    }
  } finally {
    receiver.close()
  }
}

process.exitCode = await main()
