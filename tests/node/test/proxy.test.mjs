// @ts-check
// Proxies from the environment: HTTPS_PROXY, a dead proxy, NO_PROXY, and loopback bypass.
//
// The client reads the proxy variables when it is built, so each case sends from a child process
// started with the variables set. The proxy is a small CONNECT proxy on 127.0.0.1. The base URL
// is https://api.clearline.test, a name reserved for testing that is never resolved: the client
// hands it to the proxy, which tunnels it to a loopback listener standing in for the host. That
// listener reads the TLS ClientHello and hangs up, so nothing leaves the machine.

import assert from 'node:assert/strict'
import { once } from 'node:events'
import net from 'node:net'
import { test } from 'node:test'

import { API_KEY, closedPort, runNode, startServer } from './support.mjs'

const REMOTE_HOST = 'api.clearline.test'

const CHILD = `
  import { ClearLineError, Client } from 'clearline'
  const [key, baseUrl, maxRetries] = process.argv.slice(1)
  const client = new Client({ apiKey: key, baseUrl, maxRetries: Number(maxRetries) })
  try {
    const receipt = await client.send({ phone: '+12025550100', message: 'Your code is 0420' })
    console.log(JSON.stringify({ messageId: receipt.messageId }))
  } catch (err) {
    if (!(err instanceof ClearLineError)) throw err
    console.log(JSON.stringify({ code: err.code, maybeSent: err.maybeSent, attempts: err.attempts, message: err.message }))
  }
`

/** A loopback listener that records the first bytes of each connection, then closes it. */
async function startFirstBytesListener() {
  /** @type {Buffer[]} */
  const received = []
  const server = net.createServer((socket) => {
    socket.on('error', () => {})
    socket.once('data', (chunk) => {
      received.push(chunk)
      socket.destroy()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = /** @type {net.AddressInfo} */ (server.address())
  return {
    port,
    received,
    close: async () => {
      server.close()
      await once(server, 'close')
    },
  }
}

/**
 * A CONNECT proxy on 127.0.0.1 that tunnels every target to `upstreamPort` on loopback. It records
 * the request head of each connection and every byte the client sent through the tunnel.
 *
 * @param {number} upstreamPort
 */
async function startConnectProxy(upstreamPort) {
  /** @type {string[]} */
  const heads = []
  /** @type {Buffer[]} */
  const tunnelled = []
  /** @type {Set<net.Socket>} */
  const sockets = new Set()
  const server = net.createServer((client) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => {})
    let buffered = Buffer.alloc(0)
    const onData = (/** @type {Buffer} */ chunk) => {
      buffered = Buffer.concat([buffered, chunk])
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0) {
        return
      }
      client.off('data', onData)
      const head = buffered.subarray(0, end).toString('latin1')
      const early = buffered.subarray(end + 4)
      heads.push(head)
      if (!head.startsWith('CONNECT ')) {
        client.end('HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n')
        return
      }
      const upstream = net.connect(upstreamPort, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n')
        tunnelled.push(early)
        upstream.write(early)
        client.on('data', (data) => {
          tunnelled.push(data)
          upstream.write(data)
        })
        upstream.pipe(client)
      })
      sockets.add(upstream)
      upstream.on('close', () => {
        sockets.delete(upstream)
        client.destroy()
      })
      upstream.on('error', () => client.destroy())
      client.on('close', () => upstream.destroy())
    }
    client.on('data', onData)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = /** @type {net.AddressInfo} */ (server.address())
  return {
    url: `http://127.0.0.1:${port}`,
    heads,
    tunnelled: () => Buffer.concat(tunnelled),
    close: async () => {
      for (const socket of sockets) {
        socket.destroy()
      }
      server.close()
      await once(server, 'close')
    },
  }
}

/**
 * Sends one SMS from a child process with `vars` set, and returns its outcome.
 *
 * @param {Record<string, string>} vars
 * @param {string} baseUrl
 * @param {number} [maxRetries]
 * @returns {Promise<Record<string, any>>}
 */
async function sendInChild(vars, baseUrl, maxRetries = 0) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/proxy/i.test(name) && name !== 'CLEARLINE_API_KEY')
  )
  const result = await runNode(['--input-type=module', '-e', CHILD, API_KEY, baseUrl, String(maxRetries)], {
    env: { ...env, ...vars },
  })
  assert.equal(result.code, 0, result.stderr)
  assert.ok(!(result.stdout + result.stderr).includes(API_KEY))
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}')
}

test('HTTPS_PROXY tunnels a remote base URL', async () => {
  const remote = await startFirstBytesListener()
  const proxy = await startConnectProxy(remote.port)
  try {
    const outcome = await sendInChild({ HTTPS_PROXY: proxy.url }, `https://${REMOTE_HOST}`)

    assert.equal(proxy.heads.length, 1, String(proxy.heads))
    assert.ok(proxy.heads[0]?.startsWith(`CONNECT ${REMOTE_HOST}:443 HTTP/1.1\r\n`), proxy.heads[0])
    assert.ok(!proxy.heads[0]?.toLowerCase().includes('apikey'))
    // Through the tunnel go only TLS records, so the proxy never sees the key or the message.
    const tunnelled = proxy.tunnelled()
    assert.equal(tunnelled[0], 0x16)
    assert.ok(!tunnelled.includes(API_KEY))
    assert.ok(!tunnelled.includes('POST'))
    assert.equal(remote.received[0]?.[0], 0x16)
    // The TLS handshake failed, so the SMS provably was not sent.
    assert.equal(outcome.code, 'CLEARLINE_CONNECTION', outcome.message)
    assert.equal(outcome.maybeSent, false)
    assert.equal(outcome.attempts, 1)
  } finally {
    await proxy.close()
    await remote.close()
  }
})

test('dead proxy is retried without a POST', async () => {
  const deadProxy = `http://127.0.0.1:${await closedPort()}`

  const outcome = await sendInChild({ HTTPS_PROXY: deadProxy }, `https://${REMOTE_HOST}`, 2)

  // A proxy that refuses the connection provably got nothing, so the client retries.
  assert.equal(outcome.code, 'CLEARLINE_CONNECTION', outcome.message)
  assert.equal(outcome.maybeSent, false)
  assert.equal(outcome.attempts, 3)
  assert.match(outcome.message, /HTTPS_PROXY/)
})

test('NO_PROXY bypasses HTTPS_PROXY', async () => {
  // 0.0.0.0 is not a loopback address to the client, so the proxy rules apply to it, while Linux
  // connects to it locally. The Rust suite checks a NO_PROXY domain with a pinned address, which
  // the Node client cannot set.
  const direct = await startFirstBytesListener()
  const proxy = await startConnectProxy(direct.port)
  const baseUrl = `https://0.0.0.0:${direct.port}`
  try {
    const proxied = await sendInChild({ HTTPS_PROXY: proxy.url }, baseUrl)
    const bypassed = await sendInChild({ HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost,0.0.0.0' }, baseUrl)

    // Without NO_PROXY the proxy was asked for the host once; with it, not again.
    assert.equal(proxy.heads.length, 1, String(proxy.heads))
    assert.ok(proxy.heads[0]?.startsWith(`CONNECT 0.0.0.0:${direct.port} `), proxy.heads[0])
    // The direct listener got a ClientHello through the tunnel and then one without the proxy.
    assert.equal(direct.received.length, 2)
    assert.equal(direct.received[1]?.[0], 0x16)
    assert.equal(proxied.code, 'CLEARLINE_CONNECTION', proxied.message)
    assert.equal(bypassed.code, 'CLEARLINE_CONNECTION', bypassed.message)
    assert.equal(bypassed.maybeSent, false)
  } finally {
    await proxy.close()
    await direct.close()
  }
})

test('loopback base URL ignores HTTPS_PROXY', async () => {
  const server = await startServer()
  const remote = await startFirstBytesListener()
  const proxy = await startConnectProxy(remote.port)
  try {
    const outcome = await sendInChild({ HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, ALL_PROXY: proxy.url }, server.url)

    assert.deepEqual(outcome, { messageId: 'msg_1' })
    assert.deepEqual(proxy.heads, [])
    assert.equal(server.requests.length, 1)
  } finally {
    await proxy.close()
    await remote.close()
    await server.close()
  }
})
