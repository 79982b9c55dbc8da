// Type definitions of the `clearline` package: a ClearLine SMS client over a Rust core.

/** A ClearLine environment. */
export type Environment = 'production' | 'staging'

/** Options of {@link Client}. */
export interface ClientOptions {
  /** The API key. Without it, the client reads the `CLEARLINE_API_KEY` environment variable. */
  apiKey?: string | undefined
  /** `production` (the default, `https://api.clearline.me`) or `staging`. Exclusive with `baseUrl`. */
  environment?: Environment | undefined
  /**
   * A custom base URL, such as a sandbox's `http://127.0.0.1:PORT` or a proxy. It must use
   * `https`, except on loopback hosts. Exclusive with `environment`.
   */
  baseUrl?: string | undefined
  /** Total time of a send in milliseconds, retries and their waits included (default 30,000). */
  timeoutMs?: number | undefined
  /** Time allowed to open a connection in milliseconds, per attempt (default 10,000). */
  connectTimeoutMs?: number | undefined
  /**
   * How many times a send is retried when it provably did not reach ClearLine (connect failures)
   * or was rate-limited (default 2). A send that may have reached ClearLine is never retried.
   */
  maxRetries?: number | undefined
  /** The longest accepted message, in Unicode characters (default 1,600). */
  maxMessageChars?: number | undefined
}

/**
 * The part of `AbortSignal` the client uses. Both the DOM's and Node's `AbortSignal` match it.
 */
export interface AbortSignalLike {
  readonly aborted: boolean
  readonly reason?: unknown
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void
  removeEventListener(type: 'abort', listener: () => void): void
}

/** An SMS to send. */
export interface SendRequest {
  /** The recipient in E.164 form, such as `+12025551234`; spaces, hyphens, dots and parentheses are removed. */
  phone: string
  /** The text of the SMS: not blank, without NUL, at most `maxMessageChars` characters. */
  message: string
  /** The HTTPS URL ClearLine POSTs the delivery report to. */
  callbackUrl?: string | null | undefined
}

/** Per-call options of {@link Client.send}. */
export interface SendOptions {
  /**
   * Aborts the send: the HTTP request is dropped and the Promise rejects with a
   * {@link SendAbortError}.
   */
  signal?: AbortSignalLike | undefined
  /** Total time of this send in milliseconds, replacing the client's `timeoutMs`. */
  timeoutMs?: number | undefined
}

/** Options of {@link Client.sendMany}. */
export interface SendManyOptions extends SendOptions {
  /** How many sends are in flight at once (default 16). */
  concurrency?: number | undefined
  /**
   * Receives the number of messages finished and the total, at most every 50 ms and once with
   * `done === total` before the Promise resolves. It runs on the main thread, so keep it short.
   */
  onProgress?: ((done: number, total: number) => void) | undefined
}

/** The SMS encoding a text needs. */
export type Encoding = 'GSM-7' | 'UCS-2'

/** The receipt of an accepted SMS. */
export interface SendReceipt {
  /** The id ClearLine gave the message. Delivery reports carry it. */
  readonly messageId: string
  /** The recipient in canonical E.164 form. */
  readonly phone: string
  /** The number of SMS segments the text takes (an estimate of what the carrier bills). */
  readonly segments: number
  /** The encoding the text needs. */
  readonly encoding: Encoding
  /** How many HTTP attempts the send made. */
  readonly attempts: number
}

/** The outcome of one message of {@link Client.sendMany}. */
export type SendResult =
  | { readonly ok: true; readonly receipt: SendReceipt }
  | { readonly ok: false; readonly error: ClearLineError }

/** A ClearLine client. One instance can serve a whole application. */
export declare class Client {
  /**
   * Checks the configuration and creates the client.
   *
   * @throws {ClearLineError} with code `CLEARLINE_CONFIGURATION` when no API key is given or set,
   *   or the key, environment, base URL or a timeout is invalid.
   * @throws {TypeError} when an option has the wrong type, an option name is unknown, or both
   *   `environment` and `baseUrl` are given.
   * @throws {RangeError} when a timeout or `maxRetries` is out of range.
   */
  constructor(options?: ClientOptions)

  /**
   * Validates and sends one SMS.
   *
   * Rejects with a {@link ClearLineError} (check `maybeSent` before retrying it yourself), with a
   * {@link SendAbortError} when `options.signal` aborts first, or with a `TypeError` or
   * `RangeError` for an argument of the wrong type or range.
   */
  send(request: SendRequest, options?: SendOptions): Promise<SendReceipt>

  /**
   * Sends many SMS from the Rust core at a bounded concurrency and resolves to one result per
   * message, in input order. A failed message never stops the others. A 429 pauses the whole
   * batch for its `Retry-After`.
   *
   * Rejects only for an argument of the wrong type or range, or with a {@link SendManyAbortError}
   * when `options.signal` aborts before every message finished: the batch stops, and the error's
   * `results` has the result of every message, with a `CLEARLINE_CANCELLED` error for each one
   * that did not finish.
   */
  sendMany(messages: readonly SendRequest[], options?: SendManyOptions): Promise<SendResult[]>
}

/** The stable code of each kind of {@link ClearLineError}. */
export type ClearLineErrorCode =
  /** The client could not be built: no API key, or an invalid key, base URL or environment. */
  | 'CLEARLINE_CONFIGURATION'
  /** The send request failed validation before any I/O; `field` names the field. */
  | 'CLEARLINE_VALIDATION'
  /** ClearLine responded with 401 or 403: the API key is missing, wrong or revoked. */
  | 'CLEARLINE_AUTH'
  /** ClearLine returned `"succeed": false`, or a 4xx other than 401, 403 and 429. */
  | 'CLEARLINE_REJECTED'
  /** ClearLine responded with 429; `retryAfterMs` carries its `Retry-After`. */
  | 'CLEARLINE_RATE_LIMITED'
  /** ClearLine responded with 5xx. */
  | 'CLEARLINE_SERVER'
  /** A redirect, a 1xx, or a 2xx whose body is not the expected JSON. */
  | 'CLEARLINE_UNEXPECTED_RESPONSE'
  /** A connect or response timeout; `timeoutPhase` tells which. */
  | 'CLEARLINE_TIMEOUT'
  /** The connection could not be made, or broke during the exchange. */
  | 'CLEARLINE_CONNECTION'
  /** A delivery-report body could not be parsed; `field` names the field when one is at fault. */
  | 'CLEARLINE_CALLBACK_PARSE'
  /**
   * A message of a batch did not finish because the batch's signal aborted; `maybeSent` is true
   * only if it was in flight.
   */
  | 'CLEARLINE_CANCELLED'
  /** A bug in the SDK itself (a panic in the Rust core was caught). */
  | 'CLEARLINE_INTERNAL'

/** The phase of an HTTP exchange in which a timeout fired. */
export type TimeoutPhase = 'connect' | 'response'

/** The details of a {@link ClearLineError}, as its constructor takes them. */
export interface ClearLineErrorDetails {
  code: ClearLineErrorCode
  status?: number | null
  maybeSent?: boolean
  retryAfterMs?: number | null
  field?: string | null
  bodySnippet?: string | null
  timeoutPhase?: TimeoutPhase | null
  attempts?: number
  cause?: unknown
}

/**
 * An error from the ClearLine client or the delivery-report parser. Its message states what
 * failed, on which value, and what to do next, and never contains the API key.
 */
export declare class ClearLineError extends Error {
  constructor(message: string, details: ClearLineErrorDetails)
  /** `'ClearLineError'`. */
  name: string
  /** The stable code of the kind of failure. */
  readonly code: ClearLineErrorCode
  /** The HTTP status of ClearLine's response, or null when the failure came before a response. */
  readonly status: number | null
  /**
   * `true` when the SMS may have gone out despite the error. Retrying such an error yourself
   * risks a duplicate SMS.
   */
  readonly maybeSent: boolean
  /** The delay ClearLine asked for in `Retry-After`, in milliseconds, for `CLEARLINE_RATE_LIMITED`. */
  readonly retryAfterMs: number | null
  /**
   * The field at fault: `phone`, `message` or `callbackUrl` for `CLEARLINE_VALIDATION`, a report
   * field such as `messageId` for `CLEARLINE_CALLBACK_PARSE`; otherwise null.
   */
  readonly field: string | null
  /** The first characters (at most 200) of the response body; null when it was empty or blank. */
  readonly bodySnippet: string | null
  /** The phase in which a timeout fired, for `CLEARLINE_TIMEOUT`. */
  readonly timeoutPhase: TimeoutPhase | null
  /** How many HTTP attempts the send made (0 when it failed before any I/O). */
  readonly attempts: number
}

/** The rejection of a send or batch whose `AbortSignal` aborted. Check it by `name`. */
export interface SendAbortError extends Error {
  readonly name: 'AbortError'
  readonly code: 'ABORT_ERR'
  /** `false` when the signal had aborted before the call, so nothing was sent. */
  readonly maybeSent: boolean
  /** The signal's `reason`. */
  readonly cause: unknown
}

/** The rejection of a batch whose `AbortSignal` aborted before every message finished. */
export interface SendManyAbortError extends SendAbortError {
  /** `true` when at least one message that did not finish was in flight. */
  readonly maybeSent: boolean
  /**
   * One result per message, in input order. A message that did not finish has a
   * `CLEARLINE_CANCELLED` error; the others keep their receipt or error.
   */
  readonly results: SendResult[]
}

/** The resolved delivery statuses this version knows. */
export type KnownDeliveryStatus = 'Delivered' | 'DeliveredFailed'

interface DeliveryReportFields {
  /** The `messageId` the send returned. Reports can arrive more than once: use it as an idempotency key. */
  readonly messageId: string
  /** The raw gateway status (`Delivered`, `Failed`, `Expired`, `Rejected`, ...), if given. */
  readonly externalStatus: string | null
  /** The gateway's human-readable result, if given. */
  readonly reason: string | null
}

/** A report of a delivered SMS. */
export interface DeliveredReport extends DeliveryReportFields {
  readonly status: 'Delivered'
  readonly knownStatus: true
  readonly isDelivered: true
  readonly isFailed: false
}

/** A report of an SMS that was not delivered; `externalStatus` and `reason` say why. */
export interface FailedReport extends DeliveryReportFields {
  readonly status: 'DeliveredFailed'
  readonly knownStatus: true
  readonly isDelivered: false
  readonly isFailed: true
}

/** A report with a status this version does not know, kept as received. */
export interface UnknownStatusReport extends DeliveryReportFields {
  readonly status: string
  readonly knownStatus: false
  readonly isDelivered: false
  readonly isFailed: false
}

/** A parsed delivery report. Narrow it by `isDelivered`, `isFailed` or `knownStatus`. */
export type DeliveryReport = DeliveredReport | FailedReport | UnknownStatusReport

/**
 * Parses a delivery report, the JSON body ClearLine POSTs to a callback URL.
 *
 * A raw body may be at most 64 KiB and nest at most 32 levels deep. An object that a body parser
 * made has passed that parser's size limit instead, such as `express.json({ limit })`.
 *
 * @param body the raw body as a `Buffer` or `Uint8Array`, its text, or the object a JSON body
 *   parser such as `express.json()` made of it.
 * @throws {ClearLineError} with code `CLEARLINE_CALLBACK_PARSE` when the body is not a valid
 *   report. Callbacks carry no signature, so treat such a body as untrusted input.
 * @throws {TypeError} when `body` is none of the accepted types.
 */
export declare function parseCallback(body: Uint8Array | string | object): DeliveryReport

/** Options of {@link Sandbox.start}. */
export interface SandboxOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number | undefined
  /** The API key the sandbox accepts; by default an obviously fake one is generated. */
  apiKey?: string | undefined
  /** Delay between accepting a message and the first POST of its delivery report (default 20). */
  callbackDelayMs?: number | undefined
  /** POSTs per delivery report when the receiver does not respond with 200 (default 3). */
  callbackMaxAttempts?: number | undefined
  /** Wait before the second POST of a report, in milliseconds; later waits double (default 100). */
  callbackRetryBackoffMs?: number | undefined
  /** Time allowed for one callback POST, in milliseconds (default 5,000). */
  callbackTimeoutMs?: number | undefined
  /**
   * The longest accepted message, in Unicode characters (default 1,600, as the client's).
   * {@link Sandbox.client} uses it too.
   */
  maxMessageChars?: number | undefined
}

/** A message the sandbox accepted. */
export interface ReceivedMessage {
  readonly messageId: string
  /** The recipient in canonical E.164 form. */
  readonly phone: string
  readonly message: string
  readonly callbackUrl: string | null
  readonly receivedAt: Date
}

/**
 * A request to the send endpoint as the sandbox received it, for checking what a client sends.
 * The values of the `ApiKey`, `Authorization`, `Proxy-Authorization` and `Cookie` headers read
 * `<redacted>`, and so does the sandbox's API key wherever else it appears (another header, the
 * query or the body).
 */
export interface RecordedRequest {
  /** The HTTP method, such as `'POST'`. */
  readonly method: string
  /** The path, without the query. */
  readonly path: string
  /** The query string without the `?`, or null when the URL had none. */
  readonly query: string | null
  /**
   * The headers as `[name, value]` pairs in arrival order, repeated headers included. Names are
   * lowercase; invalid UTF-8 in a value reads as U+FFFD.
   */
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>
  /** `true` when the request had an `ApiKey` header, whatever its value. */
  readonly apiKeyPresent: boolean
  /** `true` when the request had exactly one `ApiKey` header, with the sandbox's key. */
  readonly apiKeyMatched: boolean
  /** The body as received, such as the JSON of a send: `JSON.parse(request.body.toString())`. */
  readonly body: Buffer
  /** The status the sandbox responded with, or null when it closed the connection instead. */
  readonly status: number | null
  readonly receivedAt: Date
}

/** One POST of a delivery report to a callback URL. */
export interface CallbackAttempt {
  readonly messageId: string
  readonly url: string
  /** 1 for the first POST of this report, 2 for the first retry, and so on. */
  readonly attempt: number
  /** The receiver's HTTP status, or null when no response arrived. */
  readonly status: number | null
  /** Time until the response status or the error. */
  readonly latencyMs: number
  /** Why the attempt failed, or null when the receiver responded with 200. */
  readonly error: string | null
  readonly at: Date
}

/** The final result of delivering one report: a 200 response, or attempts exhausted. */
export interface CallbackOutcome {
  readonly messageId: string
  /** The report that was POSTed. */
  readonly report: DeliveryReport
  /** `true` when the receiver responded with 200. */
  readonly delivered: boolean
  /** The number of POSTs made. */
  readonly attempts: number
}

/** A replacement for the sandbox's normal handling of a send. */
export type Fault =
  /**
   * Responds with `status` (200 to 599), an optional `Retry-After` and an optional body. A 2xx
   * with a body is a malformed success; without one, the body contains `"succeed": false`.
   */
  | { kind: 'status'; status: number; retryAfter?: string | undefined; body?: string | undefined }
  /**
   * Handles the send normally on arrival, then holds the response back `ms` milliseconds. The
   * message is accepted and its delivery report sent before the delay, so a client whose timeout
   * is shorter times out although the SMS went out.
   */
  | { kind: 'latency'; ms: number }
  /** Reads the request, then closes the connection without responding. */
  | { kind: 'closeConnection' }
  /** Responds with 200 and an HTML page, as a captive portal would. */
  | { kind: 'nonJsonBody' }
  /** Responds with 307 Temporary Redirect to `location`. */
  | { kind: 'redirect'; location: string }

/** The codes of {@link SandboxError}. */
export type SandboxErrorCode =
  | 'CLEARLINE_SANDBOX_BIND'
  | 'CLEARLINE_SANDBOX_CONFIG'
  | 'CLEARLINE_SANDBOX_TIMEOUT'
  | 'CLEARLINE_SANDBOX_STOPPED'
  | 'CLEARLINE_SANDBOX'

/** A failure of the sandbox itself: it could not start, a wait timed out, or it was stopped. */
export declare class SandboxError extends Error {
  readonly code: SandboxErrorCode
  /** For `CLEARLINE_SANDBOX_TIMEOUT`, the outcomes that did arrive; otherwise empty. */
  readonly arrived: CallbackOutcome[]
}

/**
 * An embedded ClearLine simulator for tests and demos: a real HTTP server on 127.0.0.1 that
 * accepts sends with the same validation rules as the client and POSTs delivery reports to
 * loopback callback URLs. Reports for `+12025550101`, `+12025550102` and `+12025550103` fail
 * (`Failed`, `Expired`, `Rejected`); every other number is delivered.
 *
 * It never keeps the process alive by itself. Stop it with {@link Sandbox.stop}.
 */
export declare class Sandbox {
  private constructor()

  /** A number whose SMS fails with the gateway status `Failed` (every other number is delivered). */
  static readonly FAILED_NUMBER: string
  /** A number whose SMS fails with the gateway status `Expired`. */
  static readonly EXPIRED_NUMBER: string
  /** A number whose SMS fails with the gateway status `Rejected`. */
  static readonly REJECTED_NUMBER: string

  /**
   * Starts a sandbox.
   *
   * @throws {SandboxError} with code `CLEARLINE_SANDBOX_BIND` when the port is taken, or
   *   `CLEARLINE_SANDBOX_CONFIG` for an invalid API key.
   */
  static start(options?: SandboxOptions): Promise<Sandbox>

  /** The base URL to give a client, such as `http://127.0.0.1:40123`. */
  readonly baseUrl: string
  /** The port on 127.0.0.1. */
  readonly port: number
  /** The API key the sandbox accepts. */
  readonly apiKey: string
  /** The longest accepted message, in Unicode characters. */
  readonly maxMessageChars: number

  /**
   * Creates a client for this sandbox, with the other options given. `maxMessageChars` defaults
   * to the sandbox's.
   */
  client(options?: Omit<ClientOptions, 'apiKey' | 'baseUrl' | 'environment'>): Client
  /** Returns the accepted messages, oldest first. */
  messages(): ReceivedMessage[]
  /**
   * Returns the most recent requests to the send endpoint (at most 1,000), accepted or not,
   * oldest first, with secrets redacted.
   */
  requests(): RecordedRequest[]
  /** Returns every POST of a delivery report, in the order they were made. */
  callbackAttempts(): CallbackAttempt[]
  /** Returns the final result of each delivery report so far, in the order they were decided. */
  callbackOutcomes(): CallbackOutcome[]
  /**
   * Waits until `count` delivery reports have a final outcome and resolves to all outcomes so
   * far. Only sends with a callback URL get a report.
   *
   * @throws {SandboxError} with code `CLEARLINE_SANDBOX_TIMEOUT` after `timeoutMs` (default 5,000).
   */
  waitForCallbacks(count: number, options?: { timeoutMs?: number | undefined }): Promise<CallbackOutcome[]>
  /** Makes the next `times` sends (default 1) get `fault` instead of the normal response. */
  injectFault(fault: Fault, options?: { times?: number | undefined }): void
  /** Drops every injected fault not used yet. */
  clearFaults(): void
  /**
   * Forgets messages, requests, callback attempts, outcomes and faults, and cancels undelivered
   * reports.
   */
  reset(): void
  /** Stops the server and every callback task; resolves once the port is free. */
  stop(): Promise<void>
}
