// @ts-check
// Sends one SMS with the ClearLine client and prints the receipt.
//
//   CLEARLINE_API_KEY=... node send.mjs +12025551234 "Your order is ready for pickup."
//
// CLEARLINE_BASE_URL sends elsewhere than production, for example to a local sandbox. Ctrl-C
// aborts the send.

import { ClearLineError, Client } from 'clearline'

const [phone, message = 'Hello from ClearLine'] = process.argv.slice(2)
if (phone === undefined) {
  console.error('usage: node send.mjs PHONE [MESSAGE]')
  process.exit(2)
}

const baseUrl = process.env.CLEARLINE_BASE_URL
const client = new Client(baseUrl === undefined ? {} : { baseUrl })
const controller = new AbortController()
process.once('SIGINT', () => controller.abort())

try {
  const receipt = await client.send({ phone, message }, { signal: controller.signal })
  console.log(`queued ${receipt.messageId}: ${receipt.segments} ${receipt.encoding} segment(s) to ${receipt.phone}`)
} catch (err) {
  if (err instanceof ClearLineError) {
    console.error(`${err.code}: ${err.message}`)
    if (err.maybeSent) {
      console.error('The SMS may have been sent; check before sending it again.')
    }
  } else if (err instanceof Error && err.name === 'AbortError') {
    console.error(err.message)
  } else {
    throw err
  }
  process.exitCode = 1
}
