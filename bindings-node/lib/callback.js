'use strict'

// Delivery-report parsing: dispatches each accepted form of a body to the native parser.

const util = require('node:util')
const native = require('../native.js')
const { invalidType } = require('./arguments.js')

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

module.exports = { parseCallback }
