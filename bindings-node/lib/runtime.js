'use strict'

// Settles the Promises of sends. The native module queues each finished send under the id the
// send was started with, and calls the handler registered here once a batch is waiting
// (src/runtime.rs). The handler takes the whole batch in one call.

const native = require('../native.js')
const { Reader } = require('./packed.js')

// Tags of the packed completions, as src/runtime.rs writes them.
const TAG_SENT = 0
const TAG_FAILED = 1
const TAG_ABORTED = 2

/** Receipt encodings by their packed number. */
const ENCODINGS = ['GSM-7', 'UCS-2']

/** The rejection of a send stopped by its cancellation token; client.js replaces it. */
const ABORTED = Symbol('aborted')

/** @type {Map<number, { resolve: (receipt: object) => void, reject: (reason: unknown) => void }>} */
const pending = new Map()
let nextId = 0

/** Returns the id of a new send: ids wrap at 2^31, far above the sends that can be pending. */
function nextSendId() {
  const id = nextId
  nextId = (nextId + 1) % 0x80000000
  return id
}

/**
 * Returns the Promise of send `id`, settled when its completion arrives. While any send is
 * pending, the native queue keeps the event loop alive.
 *
 * @param {number} id
 * @returns {Promise<any>}
 */
function completion(id) {
  return new Promise((resolve, reject) => {
    if (pending.size === 0) {
      native.holdEventLoop(true)
    }
    pending.set(id, { resolve, reject })
  })
}

/**
 * Reads the packed outcomes of src/runtime.rs and calls `visit(id, ok, value)` for each: `ok` is
 * true with a receipt, false with a ClearLineError, and undefined with ABORTED.
 *
 * @param {unknown[]} batch the packed string, then the ClearLineErrors in order
 * @param {(id: number, ok: boolean | undefined, value: unknown) => void} visit
 */
function unpackOutcomes(batch, visit) {
  const reader = new Reader(/** @type {string} */ (batch[0]))
  let nextError = 1
  while (!reader.done()) {
    const id = reader.number()
    const tag = reader.unit()
    if (tag === TAG_SENT) {
      const receipt = {
        messageId: reader.text(),
        phone: reader.text(),
        segments: reader.number(),
        encoding: ENCODINGS[reader.unit()],
        attempts: reader.number(),
      }
      visit(id, true, receipt)
    } else if (tag === TAG_FAILED) {
      visit(id, false, batch[nextError++])
    } else {
      visit(id, undefined, ABORTED)
    }
  }
}

/**
 * @param {number} id
 * @param {boolean | undefined} ok
 * @param {unknown} value
 */
function settle(id, ok, value) {
  const entry = pending.get(id)
  if (entry === undefined) {
    return
  }
  pending.delete(id)
  if (ok === true) {
    entry.resolve(/** @type {object} */ (value))
  } else {
    entry.reject(value)
  }
}

function settleCompletions() {
  unpackOutcomes(native.takeCompletions(), settle)
  if (pending.size === 0) {
    native.holdEventLoop(false)
  }
}

native.registerCompletionHandler(settleCompletions)

module.exports = { ABORTED, completion, nextSendId, unpackOutcomes }
