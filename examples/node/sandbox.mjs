// @ts-check
// Sends SMS to the embedded sandbox and receives their delivery reports, with no API key and no
// network: everything runs on 127.0.0.1.
//
//   node sandbox.mjs

import http from 'node:http'
import { once } from 'node:events'

import { ClearLineError, Sandbox, parseCallback } from 'clearline'

// A receiver of delivery reports, as an application would run it.
const receiver = http.createServer((req, res) => {
  /** @type {Buffer[]} */
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => {
    try {
      const report = parseCallback(Buffer.concat(chunks))
      console.log(`report: ${report.messageId} ${report.status} (${report.externalStatus ?? 'no gateway status'})`)
      res.writeHead(200).end()
    } catch (err) {
      res.writeHead(400).end(err instanceof ClearLineError ? err.message : 'invalid report')
    }
  })
})
receiver.listen(0, '127.0.0.1')
await once(receiver, 'listening')
const { port } = /** @type {import('node:net').AddressInfo} */ (receiver.address())
const callbackUrl = `http://127.0.0.1:${port}/webhooks/sms`

const sandbox = await Sandbox.start()
try {
  const client = sandbox.client()
  // +12025550102 is one of the sandbox's numbers whose report fails (Expired).
  for (const phone of ['+12025551234', '+12025550102']) {
    const receipt = await client.send({ phone, message: 'Your order is ready for pickup.', callbackUrl })
    console.log(`sent: ${receipt.messageId} to ${receipt.phone}`)
  }
  await sandbox.waitForCallbacks(2)

  sandbox.injectFault({ kind: 'status', status: 503 })
  await client.send({ phone: '+12025551234', message: 'Hello again' }).catch((err) => {
    if (!(err instanceof ClearLineError)) {
      throw err
    }
    console.log(`failed: ${err.code}, maybeSent ${err.maybeSent}`)
  })
} finally {
  await sandbox.stop()
  receiver.close()
}
