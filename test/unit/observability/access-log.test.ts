// The access log's line: what it holds and, above all, what it never holds.

import { once } from 'node:events'
import { request } from 'node:http'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import t from 'tap'
import { createAccessLog } from '../../../src/observability/access-log.js'
import { EXAMPLE_FEATURES_FILE, loadConfig } from '../../../src/config/config.js'
import { readinessProbe } from '../../../src/store/readiness.js'
import { Metrics } from '../../../src/observability/metrics.js'
import { createServer } from '../../../src/app.js'
import { Drain } from '../../../src/http/drain.js'
import { EmbeddedStore } from '../../../src/store/embedded/embedded-store.js'

t.test('one line per request with method, path without query, status and time; never the token', async (t) => {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done() } })
  const log = pino({ level: 'info' }, sink)
  const accessLog = createAccessLog(loadConfig({ ACCESS_LOG: '1' }), log)
  t.ok(accessLog !== undefined)
  t.equal(createAccessLog(loadConfig({}), log), undefined, 'off by default')
  const store = new EmbeddedStore(EXAMPLE_FEATURES_FILE, log)
  const server = createServer(loadConfig({}), store, log, { drain: new Drain(), metrics: new Metrics({ defaultMetrics: false }), probe: readinessProbe(store), accessLog })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => { server.close(); await store.close() })
  const port = (server.address() as { port: number }).port
  for (const path of ['/features?token=querysecret', '/healthz']) {
    await new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path, agent: false, headers: { authorization: 'Bearer headersecret' } }, (res) => { res.resume(); res.on('end', resolve) }).on('error', reject).end()
    })
  }
  await new Promise((resolve) => setTimeout(resolve, 50))
  const access = lines.filter((l) => l.log === 'access')
  t.equal(access.length, 2)
  t.match(access[0], { method: 'GET', path: '/features', status: 401, aborted: false })
  t.match(access[1], { method: 'GET', path: '/healthz', status: 200 })
  t.type(access[0]?.ms, 'number')
  t.notMatch(JSON.stringify(lines), /secret/, 'neither the header token nor the query string')
})

t.test('an error answer to HEAD has no body', async (t) => {
  const log = pino({ level: 'silent' })
  const store = new EmbeddedStore(EXAMPLE_FEATURES_FILE, log)
  const server = createServer(loadConfig({}), store, log)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => { server.close(); await store.close() })
  const port = (server.address() as { port: number }).port
  const [status, bytes] = await new Promise<[number, number]>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/nope', method: 'HEAD', agent: false }, (res) => {
      let n = 0
      res.on('data', (c: Buffer) => { n += c.length })
      res.on('end', () => resolve([res.statusCode ?? 0, n]))
    }).on('error', reject).end()
  })
  t.equal(status, 404)
  t.equal(bytes, 0)
})
