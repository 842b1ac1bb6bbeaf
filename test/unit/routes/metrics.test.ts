// /metrics relaying to the primary over IPC, with the IPC channel stood in for in this process.

import { once } from 'node:events'
import { request } from 'node:http'
import { pino } from 'pino'
import t from 'tap'
import { EXAMPLE_FEATURES_FILE, loadConfig } from '../../../src/config/config.js'
import { readinessProbe } from '../../../src/store/readiness.js'
import { Metrics } from '../../../src/observability/metrics.js'
import { answerPrimaryScrapes } from '../../../src/process/metrics-relay.js'
import { createServer } from '../../../src/app.js'
import { Drain } from '../../../src/http/drain.js'
import { EmbeddedStore } from '../../../src/store/embedded/embedded-store.js'

const log = pino({ level: 'silent' })

async function get (port: number): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    }).on('error', reject).end()
  })
}

// Replace process.send with `answer`, which receives each request and may emit replies.
async function serveWith (t: { teardown: (fn: () => Promise<void>) => void }, answer: (message: { id: number }) => void, metrics = new Metrics({ defaultMetrics: false })): Promise<number> {
  const saved = process.send
  process.send = ((message: { id: number }) => { setImmediate(() => answer(message)); return true }) as typeof process.send
  const store = new EmbeddedStore(EXAMPLE_FEATURES_FILE, log)
  const server = createServer(loadConfig({ TIDEFLAGS_CLUSTER_METRICS: '1' }), store, log, { drain: new Drain(), metrics, probe: readinessProbe(store), accessLog: undefined })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => { process.send = saved; server.close(); await store.close() })
  return (server.address() as { port: number }).port
}

const emit = (message: unknown): boolean => (process as NodeJS.EventEmitter).emit('message', message)

t.test('a worker under our primary answers /metrics with the text the primary sends back', async (t) => {
  const port = await serveWith(t, ({ id }) => {
    emit('unrelated')
    emit({ type: 'tideflags:metrics-res', id: id + 1000, text: 'not for this scrape' })
    emit({ type: 'tideflags:metrics-res', id, text: 'cluster_total 3\n' })
  })
  const answer = await get(port)
  t.equal(answer.status, 200)
  t.equal(answer.body, 'cluster_total 3\n')
})

t.test('an error from the primary gives 503 metrics_unavailable', async (t) => {
  const port = await serveWith(t, ({ id }) => { emit({ type: 'tideflags:metrics-res', id, error: 'Operation timed out.' }) })
  const answer = await get(port)
  t.equal(answer.status, 503)
  t.match(JSON.parse(answer.body), { key: 'metrics_unavailable' })
})

t.test('an answer with neither text nor error is an error too', async (t) => {
  const port = await serveWith(t, ({ id }) => { emit({ type: 'tideflags:metrics-res', id }) })
  t.equal((await get(port)).status, 503)
})

t.test('a primary that never answers makes the scrape 503 after 5 s instead of hanging', async (t) => {
  const port = await serveWith(t, () => {})
  const t0 = Date.now()
  t.equal((await get(port)).status, 503)
  t.ok(Date.now() - t0 >= 4_900, 'at the 5 s limit')
})

t.test('without our primary (pm2 cluster mode, tests) /metrics answers with the numbers of the worker itself', async (t) => {
  const store = new EmbeddedStore(EXAMPLE_FEATURES_FILE, log)
  const metrics = new Metrics({ defaultMetrics: false })
  answerPrimaryScrapes(metrics) // not a cluster worker here: nothing to install
  const server = createServer(loadConfig({}), store, log, { drain: new Drain(), metrics, probe: readinessProbe(store), accessLog: undefined })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => { server.close(); await store.close() })
  const answer = await get((server.address() as { port: number }).port)
  t.equal(answer.status, 200)
  t.match(answer.body, '# TYPE tideflags_http_requests_total counter')
})

t.test('the server labels requests by the routes it serves, and anything the router 404s as unmatched', async (t) => {
  const store = new EmbeddedStore(EXAMPLE_FEATURES_FILE, log)
  const metrics = new Metrics({ defaultMetrics: false })
  const server = createServer(loadConfig({}), store, log, { drain: new Drain(), metrics, probe: readinessProbe(store), accessLog: undefined })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => { server.close(); await store.close() })
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  const body = JSON.stringify({ context: {} })
  const calls: Array<[string, RequestInit?]> = [
    ['/features'], ['/healthz'], ['/readyz'], ['/nope'],
    ['/ofrep/v1/evaluate/flags', { method: 'POST', body }],
    ['/ofrep/v1/evaluate/flags/feature_1', { method: 'POST', body }],
    ['/ofrep/v1/evaluate/flags/a/b', { method: 'POST', body }],
  ]
  for (const [path, init] of calls) await (await fetch(base + path, init)).arrayBuffer()
  const text = await metrics.registry.metrics()
  for (const route of ['/features', '/healthz', '/readyz', '/ofrep/v1/evaluate/flags']) {
    t.match(text, `tideflags_http_requests_total{route="${route}",status="200"} 1`, route)
  }
  t.match(text, 'tideflags_http_requests_total{route="/ofrep/v1/evaluate/flags/{key}",status="200"} 1')
  t.match(text, 'tideflags_http_requests_total{route="unmatched",status="404"} 2', '/nope and a path with two segments')
})

t.test('scrapes arriving together at a worker share one request to the primary', async (t) => {
  t.plan(3)
  let asked = 0
  // The primary answers after a while, as it does when it gathers every worker: scrapes meanwhile wait on that one request.
  const port = await serveWith(t, ({ id }) => {
    asked++
    setTimeout(() => emit({ type: 'tideflags:metrics-res', id, text: `cluster_total ${asked}\n`, gatheredAt: Date.now() }), 200)
  })
  const answers = await Promise.all(Array.from({ length: 30 }, async () => await get(port)))
  t.same(new Set(answers.map((a) => a.status)), new Set([200]), 'all 30 answered')
  t.same(new Set(answers.map((a) => a.body)), new Set(['cluster_total 1\n']), 'with the one answer')
  t.equal(asked, 1, 'the primary was asked once')
})

t.test('a worker does not reuse an answer the primary gathered longer ago than the max age', async (t) => {
  t.plan(3)
  let asked = 0
  const port = await serveWith(t, ({ id }) => {
    asked++
    emit({ type: 'tideflags:metrics-res', id, text: `cluster_total ${asked}\n`, gatheredAt: Date.now() - 5_000 })
  })
  t.equal((await get(port)).body, 'cluster_total 1\n')
  t.equal((await get(port)).body, 'cluster_total 2\n', 'asked again')
  t.equal(asked, 2)
})
