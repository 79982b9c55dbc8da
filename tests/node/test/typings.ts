// Compile-time checks of the package's typings for an ES module consumer. `tsc --noEmit --strict`
// checks this file; it is never run. Each `@ts-expect-error` line must stay an error.

import clearline, {
  ClearLineError,
  Client,
  parseCallback,
  type ClearLineErrorCode,
  type DeliveryReport,
  type RecordedRequest,
  type Sandbox,
  type SendAbortError,
  type SendManyAbortError,
  type SendReceipt,
  type SendResult,
} from 'clearline'

const client = new Client({ apiKey: 'test_key_not_real_0000', environment: 'staging', maxRetries: 0 })
new Client()
// @ts-expect-error: unknown environment
new Client({ environment: 'prod' })
// @ts-expect-error: timeouts are numbers of milliseconds
new Client({ timeoutMs: '30s' })
// @ts-expect-error: the option is timeoutMs
new Client({ timeout: 5 })

export async function sendOne(): Promise<string> {
  const receipt: SendReceipt = await client.send(
    { phone: '+12025551234', message: 'Hi', callbackUrl: null },
    { signal: AbortSignal.timeout(1000), timeoutMs: 500 }
  )
  const encoding: 'GSM-7' | 'UCS-2' = receipt.encoding
  // @ts-expect-error: receipts are read-only
  receipt.messageId = 'x'
  // @ts-expect-error: message is required
  await client.send({ phone: '+12025551234' })
  return `${receipt.messageId} ${encoding}`
}

export async function sendBatch(): Promise<number> {
  const results: SendResult[] = await client.sendMany([{ phone: '+12025551234', message: 'Hi' }], {
    concurrency: 8,
    onProgress: (done: number, total: number) => void [done, total],
  })
  let failures = 0
  for (const result of results) {
    if (result.ok) {
      const id: string = result.receipt.messageId
      void id
    } else {
      const code: ClearLineErrorCode = result.error.code
      void code
      failures += 1
    }
  }
  return failures
}

export function handleError(err: unknown): string {
  if (err instanceof ClearLineError) {
    const status: number | null = err.status
    const retryAfterMs: number | null = err.retryAfterMs
    const phase: 'connect' | 'response' | null = err.timeoutPhase
    return `${err.code} ${status} ${retryAfterMs} ${phase} ${err.maybeSent} ${err.attempts} ${err.field}`
  }
  if (err instanceof Error && err.name === 'AbortError') {
    const abort = err as SendAbortError
    return `${abort.code} ${abort.maybeSent}`
  }
  return String(err)
}

export function unsentAfterAbort(err: SendManyAbortError): number {
  const code: ClearLineErrorCode = 'CLEARLINE_CANCELLED'
  return err.results.filter((result) => !result.ok && result.error.code === code && !result.error.maybeSent).length
}

export function describeReport(body: Buffer | string | object): string {
  const report: DeliveryReport = parseCallback(body)
  if (report.isDelivered) {
    const status: 'Delivered' = report.status
    return status
  }
  if (report.isFailed) {
    const status: 'DeliveredFailed' = report.status
    return `${status}: ${report.externalStatus ?? ''} ${report.reason ?? ''}`
  }
  const known: false = report.knownStatus
  return `${report.status} ${known}`
}

// @ts-expect-error: numbers are not report bodies
parseCallback(42)

export const defaultExport: typeof Client = clearline.Client
export const error = new ClearLineError('boom', { code: 'CLEARLINE_SERVER', status: 503, maybeSent: true })
// @ts-expect-error: codes are a closed set
new ClearLineError('boom', { code: 'CLEARLINE_NOPE' })

export function firstRequest(sandbox: Sandbox): string {
  const [request]: RecordedRequest[] = sandbox.requests()
  if (request === undefined) {
    return 'none'
  }
  const headers = new Map<string, string>(request.headers)
  const body: Buffer = request.body
  const query: string | null = request.query
  const status: number | null = request.status
  const when: Date = request.receivedAt
  // @ts-expect-error: records are read-only
  request.apiKeyMatched = true
  return `${request.method} ${request.path} ${query} ${headers.get('user-agent')} ${body.toString('utf8')} ${status} ${request.apiKeyPresent} ${when.toISOString()}`
}

export function injectFaults(sandbox: Sandbox): void {
  sandbox.injectFault({ kind: 'status', status: 429, retryAfter: '2' })
  // @ts-expect-error: unknown fault kind
  sandbox.injectFault({ kind: 'explode' })
  // @ts-expect-error: a client of a sandbox has its base URL
  sandbox.client({ baseUrl: 'http://127.0.0.1:9' })
}
