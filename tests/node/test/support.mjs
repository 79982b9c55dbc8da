// @ts-check
// Loopback servers and helpers shared by the Node suite. Every server listens on 127.0.0.1 only.

import http from 'node:http'
import net from 'node:net'
import { once } from 'node:events'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** An obviously fake API key. Tests check that it never shows up anywhere. */
export const API_KEY = 'test_key_not_real_0000'

/** The folder of this file, inside the temporary project `run.sh` creates. */
export const TEST_DIR = path.dirname(fileURLToPath(import.meta.url))

/**
 * @typedef {object} ReceivedRequest
 * @property {string} method
 * @property {string} url
 * @property {http.IncomingHttpHeaders} headers
 * @property {string} body
 */

/**
 * How a fake ClearLine responds to one request. Without `status`, it accepts the SMS.
 *
 * @typedef {object} Reply
 * @property {number} [status]
 * @property {Record<string, string>} [headers]
 * @property {string} [body]
 * @property {number} [delayMs] wait before answering
 * @property {boolean} [hang] never answer
 * @property {boolean} [destroy] close the connection without answering
 */

/**
 * @typedef {object} FakeServer
 * @property {string} url the base URL, `http://127.0.0.1:PORT`
 * @property {ReceivedRequest[]} requests every request, in arrival order
 * @property {() => number} abandoned how many requests the client closed before the answer
 * @property {() => Promise<void>} close
 */

/**
 * Starts a fake ClearLine API on an ephemeral loopback port.
 *
 * @param {(request: ReceivedRequest, index: number) => Reply} [reply]
 * @returns {Promise<FakeServer>}
 */
export async function startServer(reply = () => ({})) {
  /** @type {ReceivedRequest[]} */
  const requests = []
  let abandoned = 0
  const server = http.createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      const index = requests.push(request) - 1
      const answer = reply(request, index)
      res.on('close', () => {
        if (!res.writableFinished) {
          abandoned += 1
        }
      })
      if (answer.hang) {
        return
      }
      if (answer.destroy) {
        req.socket.destroy()
        return
      }
      const respond = () => {
        const status = answer.status ?? 200
        const body = answer.body ?? JSON.stringify({ succeed: true, messageId: `msg_${index + 1}` })
        res.writeHead(status, { 'Content-Type': 'application/json', ...answer.headers })
        res.end(body)
      }
      if (answer.delayMs) {
        setTimeout(respond, answer.delayMs)
      } else {
        respond()
      }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = /** @type {net.AddressInfo} */ (server.address())
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    abandoned: () => abandoned,
    close: async () => {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}

/**
 * @typedef {object} RawServer
 * @property {string} url
 * @property {() => number} posts how many requests arrived
 * @property {() => Promise<void>} close
 */

/**
 * Starts a server that responds to every request with `response`, written byte for byte, so a test
 * controls the status line and every header.
 *
 * @param {Buffer} response the whole HTTP response
 * @returns {Promise<RawServer>}
 */
export async function startRawServer(response) {
  let posts = 0
  /** @type {Set<net.Socket>} */
  const sockets = new Set()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buffered = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk])
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n')
        if (end < 0) {
          return
        }
        const head = buffered.subarray(0, end).toString('latin1')
        const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0)
        if (buffered.length < end + 4 + length) {
          return
        }
        buffered = buffered.subarray(end + 4 + length)
        posts += 1
        socket.end(response)
      }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = /** @type {net.AddressInfo} */ (server.address())
  return {
    url: `http://127.0.0.1:${address.port}`,
    posts: () => posts,
    close: async () => {
      for (const socket of sockets) {
        socket.destroy()
      }
      server.close()
      await once(server, 'close')
    },
  }
}

/** Returns a loopback port that nothing listens on. */
export async function closedPort() {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = /** @type {net.AddressInfo} */ (server.address())
  server.close()
  await once(server, 'close')
  return port
}

/**
 * @typedef {object} ChildResult
 * @property {number | null} code
 * @property {NodeJS.Signals | null} signal
 * @property {string} stdout
 * @property {string} stderr
 */

/**
 * Runs a Node script in a child process and collects its output. The child is killed after
 * `timeoutMs`, which only guards against a hang: the tests check the exit code.
 *
 * @param {string[]} args arguments of `node`
 * @param {{ env?: NodeJS.ProcessEnv, timeoutMs?: number, cwd?: string }} [options]
 * @returns {Promise<ChildResult>}
 */
export async function runNode(args, options = {}) {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? TEST_DIR,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (text) => (stdout += text))
  child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
  const [code, signal] = await once(child, 'close')
  clearTimeout(timer)
  return { code, signal, stdout, stderr }
}

/**
 * Waits until `condition` holds, polling every 10 ms, and fails after `timeoutMs`.
 *
 * @param {() => boolean} condition
 * @param {string} what what is awaited, for the failure message
 * @param {number} [timeoutMs]
 */
export async function waitFor(condition, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
