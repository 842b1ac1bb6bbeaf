// What one HTTP connection can make a worker do, in-process: pipelined requests, requests on
// connections closed early, requests node would answer by itself, and the absolute request form.
// The flood of pipelined requests that are never read is in pipeline-flood.test.ts.

import { once } from 'node:events'
import type { Server } from 'node:http'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { loadConfig } from '../../../src/config/config.js'
import { readinessProbe } from '../../../src/store/readiness.js'
import { Metrics } from '../../../src/observability/metrics.js'
import { createServer } from '../../../src/app.js'
import { Drain } from '../../../src/http/drain.js'
import { quiet, startRedisPair, type RedisPair } from '../../helpers/in-process.js'

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
