// @ts-check
// parseCallback on every accepted form, and in the Express handlers the README shows.

import assert from 'node:assert/strict'
import { once } from 'node:events'
import { describe, test } from 'node:test'

import express from 'express'
import { ClearLineError, parseCallback } from 'clearline'

const FAILED = {
  messageId: 'msg_1',
  deliveryStatus: 'DeliveredFailed',
  externalDeliveryStatus: 'Expired',
  reasonText: 'Handset switched off',
  extra: { ignored: [1, 2, 3] },
}

/**
 * @param {() => unknown} call
 * @returns {ClearLineError}
 */
function parseError(call) {
  try {
    call()
  } catch (err) {
    assert.ok(err instanceof ClearLineError, String(err))
    assert.equal(err.code, 'CLEARLINE_CALLBACK_PARSE')
    return err
  }
  assert.fail('expected a throw')
}

describe('parseCallback forms', () => {
  const text = JSON.stringify(FAILED)
  const forms = {
    string: text,
    Buffer: Buffer.from(text),
    Uint8Array: new TextEncoder().encode(text),
    object: JSON.parse(text),
  }
  for (const [form, body] of Object.entries(forms)) {
    test(`${form} gives the same report`, () => {
      const report = parseCallback(body)
      assert.deepEqual({ ...report }, {
        messageId: 'msg_1',
        status: 'DeliveredFailed',
        knownStatus: true,
        externalStatus: 'Expired',
        reason: 'Handset switched off',
        isDelivered: false,
        isFailed: true,
      })
    })
  }

  test('typings narrow on isFailed', () => {
    const report = parseCallback(forms.object)
    if (report.isFailed) {
      /** @type {'DeliveredFailed'} */
      const status = report.status
      assert.equal(status, 'DeliveredFailed')
    } else {
      assert.fail('expected a failed report')
    }
  })
})

describe('parseCallback strings', () => {
  // ASCII strings are read as Latin-1 and all others as UTF-8, so each kind of text must come
  // through unchanged: Latin-1 letters, letters past U+00FF (which Latin-1 would truncate),
  // astral characters, and escapes.
  const reasons = {
    ascii: 'Handset switched off',
    latin1: 'Téléphone éteint',
    beyond_latin1: 'Łódź',
    astral: 'off 🔐',
    escaped: 'say "hi"\n',
  }
  for (const [kind, reason] of Object.entries(reasons)) {
    test(`${kind} text matches the Buffer form`, () => {
      const text = JSON.stringify({ ...FAILED, reasonText: reason })
      const fromString = parseCallback(text)
      assert.equal(fromString.reason, reason)
      assert.deepEqual({ ...fromString }, { ...parseCallback(Buffer.from(text)) })
    })
  }

  test('lone surrogate in a string is rejected', () => {
    const text = `{"messageId":"m1","deliveryStatus":"Delivered","reasonText":"a${'\uD800'}"}`
    const err = parseError(() => parseCallback(text))
    assert.match(err.message, /not valid UTF-8/)
  })
})

describe('parseCallback objects follow the core rules', () => {
  /** @type {Array<[string, Record<string, unknown> | unknown[], string | null, RegExp]>} */
  const cases = [
    ['missing messageId', { deliveryStatus: 'Delivered' }, 'messageId', /missing field "messageId"/],
    ['null messageId', { messageId: null, deliveryStatus: 'Delivered' }, 'messageId', /"messageId" is null/],
    ['undefined messageId', { messageId: undefined, deliveryStatus: 'Delivered' }, 'messageId', /"messageId" is null/],
    ['empty messageId', { messageId: ' ', deliveryStatus: 'Delivered' }, 'messageId', /is empty/],
    ['numeric messageId', { messageId: 7, deliveryStatus: 'Delivered' }, 'messageId', /is a number/],
    ['array status', { messageId: 'm', deliveryStatus: ['Delivered'] }, 'deliveryStatus', /is an array/],
    ['object reason', { messageId: 'm', deliveryStatus: 'Delivered', reasonText: {} }, 'reasonText', /is an object/],
    ['boolean external', { messageId: 'm', deliveryStatus: 'Delivered', externalDeliveryStatus: true }, 'externalDeliveryStatus', /is a boolean/],
    ['lone surrogate', { messageId: String.fromCharCode(0xd800), deliveryStatus: 'Delivered' }, 'messageId', /lone surrogate/],
    ['array body', [FAILED], null, /found an array/],
  ]
  for (const [name, body, field, message] of cases) {
    test(name, () => {
      const err = parseError(() => parseCallback(body))
      assert.equal(err.field, field)
      assert.match(err.message, message)
    })
  }

  test('null and missing optional fields are accepted', () => {
    const report = parseCallback({ messageId: 'm', deliveryStatus: 'delivered', reasonText: null })
    assert.equal(report.status, 'Delivered')
    assert.equal(report.reason, null)
    assert.equal(report.externalStatus, null)
  })

  test('unknown status is kept', () => {
    const report = parseCallback({ messageId: 'm', deliveryStatus: 'Queued' })
    assert.equal(report.knownStatus, false)
    assert.equal(report.status, 'Queued')
    assert.equal(report.isDelivered, false)
  })

  test('string and object agree on a duplicate-free body', () => {
    const body = '{"messageId":"m\\u00e9","deliveryStatus":"Delivered","reasonText":"ok \\ud83d\\udd10"}'
    assert.deepEqual({ ...parseCallback(body) }, { ...parseCallback(JSON.parse(body)) })
  })

  test('duplicate field in text is rejected', () => {
    const err = parseError(() => parseCallback('{"messageId":"a","messageId":"b","deliveryStatus":"Delivered"}'))
    assert.match(err.message, /appears more than once/)
    assert.equal(err.field, 'messageId')
  })
})

describe('express handlers', () => {
  /**
   * Starts an Express app with the two receivers of the README and returns its URL.
   *
   * @returns {Promise<{ url: string, seen: string[], close: () => Promise<void> }>}
   */
  async function startApp() {
    /** @type {string[]} */
    const seen = []
    const app = express()
    /** @type {import('express').RequestHandler} */
    const receive = (req, res) => {
      let report
      try {
        report = parseCallback(req.body)
      } catch (err) {
        if (err instanceof ClearLineError && err.code === 'CLEARLINE_CALLBACK_PARSE') {
          res.status(400).send(err.message)
          return
        }
        throw err
      }
      seen.push(`${report.messageId}:${report.status}`)
      res.sendStatus(200)
    }
    app.post('/raw', express.raw({ type: 'application/json' }), receive)
    app.post('/json', express.json(), receive)
    const server = app.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const address = /** @type {import('node:net').AddressInfo} */ (server.address())
    return {
      url: `http://127.0.0.1:${address.port}`,
      seen,
      close: async () => {
        server.closeAllConnections()
        server.close()
        await once(server, 'close')
      },
    }
  }

  for (const route of ['/raw', '/json']) {
    test(`${route} accepts a report and rejects garbage`, async () => {
      const app = await startApp()
      try {
        const headers = { 'Content-Type': 'application/json' }
        const ok = await fetch(`${app.url}${route}`, { method: 'POST', headers, body: JSON.stringify(FAILED) })
        assert.equal(ok.status, 200)
        assert.deepEqual(app.seen, ['msg_1:DeliveredFailed'])

        const bad = await fetch(`${app.url}${route}`, { method: 'POST', headers, body: '{"deliveryStatus":"Delivered"}' })
        assert.equal(bad.status, 400)
        assert.match(await bad.text(), /missing field "messageId"/)
      } finally {
        await app.close()
      }
    })
  }
})
