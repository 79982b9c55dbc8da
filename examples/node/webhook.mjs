// @ts-check
// Receives ClearLine delivery reports with Express.
//
//   npm install clearline express
//   node webhook.mjs        (then POST reports to http://127.0.0.1:3000/webhooks/sms)
//
// ClearLine expects 200 OK. Reports carry no signature and can arrive more than once, so the
// handler treats messageId as an idempotency key and responds with 400 to bodies that are not
// reports.

import express from 'express'
import { ClearLineError, parseCallback } from 'clearline'

const PORT = Number(process.env.PORT ?? 3000)

/** Message ids already handled. A real application keeps them in its database. */
const handled = new Set()

const app = express()

app.post('/webhooks/sms', express.raw({ type: 'application/json' }), (req, res) => {
  let report
  try {
    report = parseCallback(req.body)
  } catch (err) {
    if (err instanceof ClearLineError) {
      res.status(400).send(err.message)
      return
    }
    throw err
  }

  if (!handled.has(report.messageId)) {
    handled.add(report.messageId)
    if (report.isDelivered) {
      console.log(`${report.messageId} delivered`)
    } else if (report.isFailed) {
      console.log(`${report.messageId} failed: ${report.externalStatus ?? 'unknown'} (${report.reason ?? 'no reason given'})`)
    } else {
      console.log(`${report.messageId} has status ${report.status}`)
    }
  }
  res.sendStatus(200)
})

app.listen(PORT, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${PORT}/webhooks/sms`))
