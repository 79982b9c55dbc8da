'use strict'

// Delivery-report parsing: dispatches each accepted form of a body to the native parser.

const util = require('node:util')
const native = require('../native.js')
const { invalidType } = require('./arguments.js')
const { Reader } = require('./packed.js')

// Flags of a packed report, as src/callback.rs writes them.
const STATUS_MASK = 3
const STATUS_DELIVERED = 0
const STATUS_FAILED = 1
const HAS_EXTERNAL_STATUS = 4
const HAS_REASON = 8

/**
 * Parses a delivery report, the body ClearLine POSTs to a callback URL.
 *
 * @param {unknown} body a Buffer or Uint8Array of the raw body, its text, or the object a JSON
 *   body parser such as `express.json()` made of it
 */
function parseCallback(body) {
  if (typeof body === 'string') {
    return unpackReport(native.parseCallbackText(body))
  }
  if (util.types.isUint8Array(body)) {
    return unpackReport(native.parseCallbackBytes(body))
  }
  if (typeof body === 'object' && body !== null && !ArrayBuffer.isView(body) && !util.types.isAnyArrayBuffer(body)) {
    return unpackReport(native.parseCallbackObject(body))
  }
  let hint = ''
  if (body === undefined) {
    hint = '; if this is req.body, add a body parser such as express.raw({ type: "application/json" }) or express.json()'
  }
  throw invalidType('body', 'a Buffer, Uint8Array, string or parsed JSON object', body, { hint })
}

/**
 * Builds the report object from the packed report of src/callback.rs: the flags, the
 * messageId, the raw status when it is unknown, then the external status and the reason when
 * present.
 *
 * @param {string} packed
 */
function unpackReport(packed) {
  const reader = new Reader(packed)
  const flags = reader.unit()
  const messageId = reader.text()
  const statusFlag = flags & STATUS_MASK
  let status
  if (statusFlag === STATUS_DELIVERED) {
    status = 'Delivered'
  } else if (statusFlag === STATUS_FAILED) {
    status = 'DeliveredFailed'
  } else {
    status = reader.text()
  }
  const externalStatus = flags & HAS_EXTERNAL_STATUS ? reader.text() : null
  const reason = flags & HAS_REASON ? reader.text() : null
  return {
    messageId,
    status,
    knownStatus: statusFlag === STATUS_DELIVERED || statusFlag === STATUS_FAILED,
    externalStatus,
    reason,
    isDelivered: statusFlag === STATUS_DELIVERED,
    isFailed: statusFlag === STATUS_FAILED,
  }
}

module.exports = { parseCallback }
