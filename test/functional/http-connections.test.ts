// What one HTTP connection can make a worker do: pipelined requests that are never read, requests on
// connections closed early, requests node would answer by itself, and the absolute request form.

import { once } from 'node:events'
import type { Server } from 'node:http'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { readinessProbe } from '../../src/health.js'
import { Metrics } from '../../src/metrics.js'
import { createServer } from '../../src/server.js'
import { Drain } from '../../src/shutdown.js'
import { quiet, startRedisPair, type RedisPair } from '../helpers/in-process.js'
import { RedisServer, seedExample } from '../helpers/redis-server.js'
import { startService } from '../helpers/service.js'

const FEATURES = 'GET /features HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer 1234\r\n\r\n'
const HEALTHZ = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'

/** The value of one Prometheus series in `text`, summed over the lines that match `pattern`. */
function sum (text: string, pattern: RegExp): number {
  let total = 0
  for (const line of text.split('\n')) {
    if (pattern.test(line)) total += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return total
}

/** A fetch that gives up after 5 s: "does not hang", not a speed check. */
async function get (url: string, headers: Record<string, string> = {}): Promise<{ status: number, body: string }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) })
  return { status: res.status, body: await res.text() }
}

/** An in-process server over `pair` with metrics we can read, counting the requests node parsed. */
interface Served {
  readonly port: number
  readonly metrics: Metrics
  readonly server: Server
  /** Requests node parsed and emitted ('request' and 'checkExpectation'). */
  parsed: number
  close (): Promise<void>
}

async function serve (pair: RedisPair): Promise<Served> {
  const metrics = new Metrics({ defaultMetrics: false })
  const store = pair.store
  const server = createServer(loadConfig(pair.env), store, quiet, { drain: new Drain(), metrics, probe: readinessProbe(store), accessLog: undefined })
  const served: Served = {
    port: 0,
    metrics,
    server,
    parsed: 0,
    async close () {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
  server.prependListener('request', () => { served.parsed++ })
  server.prependListener('checkExpectation', () => { served.parsed++ })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return Object.assign(served, { port: (server.address() as { port: number }).port })
}

/** Send `request` on a fresh connection and collect everything until the server closes it (5 s at most). */
async function exchange (port: number, request: string): Promise<string> {
  const socket = connect(port, '127.0.0.1')
  socket.setEncoding('utf8')
  let text = ''
  socket.on('data', (chunk: string) => { text += chunk })
  socket.on('error', () => {})
  socket.setTimeout(5_000, () => socket.destroy())
  await once(socket, 'connect')
  socket.write(request)
  await once(socket, 'close')
  return text
}

/** Poll `check` every 50 ms until it holds, for at most 5 s. */
async function until (check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return true
    await sleep(50)
  }
  return false
}

t.test('clients that pipeline requests and never read the answers hold bounded work and memory, and others are served', async (t) => {
  const users = await new RedisServer().start()
  const features = await new RedisServer().start()
  t.teardown(async () => { await Promise.all([users.stop(), features.stop()]) })
  await seedExample(users, features)
  // A Redis command timeout far above the default 250 ms: on a loaded test machine the attack's own
  // (bounded) work can delay Redis replies, and a 503 for that is not what this test is about.
  const service = await startService({ REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url, REDIS_COMMAND_TIMEOUT_MS: '2000' }, 1)
  t.teardown(async () => { await service.stop() })
  const scrape = async (): Promise<string> => (await get(`${service.url}/metrics`)).body
  const rss = /^process_resident_memory_bytes /
  const before = sum(await scrape(), rss)

  const ATTACKERS = 20
  const burst = Buffer.from(FEATURES.repeat(200))
  const sockets: Socket[] = []
  t.teardown(() => { for (const s of sockets) s.destroy() })
  for (let i = 0; i < ATTACKERS; i++) {
    const s = connect(service.port, '127.0.0.1')
    s.pause() // never read an answer
    s.on('error', () => {})
    let writes = 0 // bounded: at most 2000 bursts (400k requests) per connection
    const pump = (): void => { while (writes++ < 2_000 && s.write(burst)); }
    s.on('connect', pump)
    s.on('drain', pump)
    sockets.push(s)
  }
  await sleep(3_000)

  const fresh = await get(`${service.url}/features`, { authorization: 'Bearer 1234' })
  t.equal(fresh.status, 200, `a fresh client gets its features: ${fresh.body}`)
  t.equal((await get(`${service.url}/healthz`)).status, 200, '/healthz answers')
  const during = await scrape()
  // src/pipeline.ts: at most 16 requests in progress and 256 waiting per connection; this scrape is one more.
  const held = sum(during, /^tideflags_http_requests_in_flight /)
  t.ok(held <= ATTACKERS * (16 + 256) + 1, `requests held for the attackers: ${held}`)
  const grown = (sum(during, rss) - before) / 1e6
  t.ok(grown < 150, `worker RSS grew by ${grown.toFixed(0)} MB`)
})

t.test('requests pipelined on connections the client closes are each counted once, and none stays in flight', async (t) => {
  const pair = await startRedisPair()
  t.teardown(async () => { await pair.stop() })
  const served = await serve(pair)
  t.teardown(async () => { await served.close() })
  for (let i = 0; i < 5; i++) {
    const s = connect(served.port, '127.0.0.1')
    s.on('error', () => {})
    await once(s, 'connect')
    s.write(HEALTHZ.repeat(100), () => s.destroy())
    await once(s, 'close')
  }
  const text = async (): Promise<string> => await served.metrics.registry.metrics()
  const settled = await until(async () => sum(await text(), /^tideflags_http_requests_in_flight /) === 0)
  t.ok(settled, 'in flight returns to 0')
  const counted = sum(await text(), /^tideflags_http_requests_total\{route="\/healthz"/)
  t.ok(served.parsed > 0, `the server parsed ${served.parsed} requests`)
  t.equal(counted, served.parsed, 'requests_total counts every request the server parsed')
})

t.test('pipelined requests beyond the per-connection limit are all answered, in request order', async (t) => {
  const pair = await startRedisPair()
  t.teardown(async () => { await pair.stop() })
  const served = await serve(pair)
  t.teardown(async () => { await served.close() })
  const requests = Array.from({ length: 100 }, (_, i) => i % 2 === 0 ? FEATURES : 'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n')
  const text = await exchange(served.port, requests.join('') + 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  const statuses = [...text.matchAll(/HTTP\/1\.1 (\d+) /g)].map((m) => Number(m[1]))
  t.same(statuses, [...requests.map((_, i) => i % 2 === 0 ? 200 : 404), 200], '101 answers, alternating as asked')
})

t.test('a connection with too many pipelined requests waiting is cut, and each of its requests is counted once', async (t) => {
  const pair = await startRedisPair()
  t.teardown(async () => { await pair.stop() })
  const served = await serve(pair)
  t.teardown(async () => { await served.close() })
  const s = connect(served.port, '127.0.0.1')
  s.pause()
  s.on('error', () => {})
  await once(s, 'connect')
  s.write(HEALTHZ.repeat(800)) // ~27 KB: arrives in one read, more than 16 + 256 requests
  const closed = once(s, 'close')
  s.resume()
  await Promise.race([closed, sleep(5_000)])
  t.ok(s.destroyed, 'the server closed the connection')
  const text = async (): Promise<string> => await served.metrics.registry.metrics()
  t.ok(await until(async () => sum(await text(), /^tideflags_http_requests_in_flight /) === 0), 'in flight returns to 0')
  t.equal(sum(await text(), /^tideflags_http_requests_total\{route="\/healthz"/), served.parsed, 'every parsed request counted')
  t.ok(served.parsed > 16 + 256, `more than the limit were parsed (${served.parsed})`)
})

t.test('errors node would answer with an empty body get the JSON error body and are counted', async (t) => {
  const pair = await startRedisPair()
  t.teardown(async () => { await pair.stop() })
  const served = await serve(pair)
  t.teardown(async () => { await served.close() })

  const noHost = await exchange(served.port, 'GET /healthz HTTP/1.1\r\n\r\n')
  t.match(noHost, /^HTTP\/1\.1 400 /, 'no Host: 400')
  t.match(noHost, /\r\nconnection: close\r\n/i, 'and the connection is closed')
  t.match(noHost, /\{"key":"bad_request","message":"An HTTP\/1\.1 request must have a Host header"\}$/)

  const http10 = await exchange(served.port, 'GET /healthz HTTP/1.0\r\n\r\n')
  t.match(http10, /^HTTP\/1\.1 200 /, 'HTTP/1.0 needs no Host')

  const expect = await exchange(served.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nConnection: close\r\n\r\n')
  t.match(expect, /^HTTP\/1\.1 417 /, 'an unknown expectation: 417')
  t.match(expect, /\{"key":"expectation_failed","message":"The only expectation supported is 100-continue"\}$/)

  const body = '{"context":{}}'
  const proceed = await exchange(served.port, 'POST /ofrep/v1/evaluate/flags HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n' +
    `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`)
  t.match(proceed, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /, '100-continue still works')

  const garbage = await exchange(served.port, 'NOT HTTP AT ALL\r\n\r\n')
  t.match(garbage, /^HTTP\/1\.1 400 .*"key":"bad_request"/s, 'a malformed request: 400 written on the socket')

  const text = await served.metrics.registry.metrics()
  t.match(text, 'tideflags_http_requests_total{route="/healthz",status="400"} 1', 'the missing Host is counted')
  t.match(text, 'tideflags_http_requests_total{route="/healthz",status="417"} 1', 'the failed expectation is counted')
  t.match(text, 'tideflags_http_requests_total{route="unmatched",status="400"} 1', 'the malformed request is counted')
})

t.test('an absolute-form request target is routed by its path, and OPTIONS * gets an error, not a crash', async (t) => {
  const pair = await startRedisPair()
  t.teardown(async () => { await pair.stop() })
  const served = await serve(pair)
  t.teardown(async () => { await served.close() })
  const absolute = await exchange(served.port,
    'GET http://example.test/features?x=1 HTTP/1.1\r\nHost: example.test\r\nAuthorization: Bearer 1234\r\nConnection: close\r\n\r\n')
  t.match(absolute, /^HTTP\/1\.1 200 /, '200')
  t.match(absolute, /"feature_1"/, 'the features of the token')
  const asterisk = await exchange(served.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  t.match(asterisk, /^HTTP\/1\.1 404 .*"key":"url_not_found_error"/s, 'OPTIONS * is 404')
  const after = await exchange(served.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  t.match(after, /^HTTP\/1\.1 200 /, 'the server still serves')
})
