// Replier's failure lines over real HTTP, on a fake clock: a failure of a new kind is logged in full
// at once, repeats are summed up per interval, so neither an outage nor a bug hit by every request
// can flood the log.

import { once } from 'node:events'
import { createServer } from 'node:http'
import t, { type Test } from 'tap'
import { DEFAULTS } from '../../../src/config/config.js'
import { HttpError } from '../../../src/errors.js'
import { createLogger } from '../../../src/observability/logger.js'
import { Replier } from '../../../src/http/reply.js'
import { createRouter, type Route } from '../../../src/http/router.js'
import { FakeClock } from '../../helpers/fake-clock.js'

const REQUESTS = 40

async function setup (t: Test): Promise<{ clock: FakeClock, lines: () => Array<Record<string, unknown>>, get: (path: string) => Promise<number> }> {
  let output = ''
  const log = createLogger({ logLevel: 'info' }, 'worker', { write: (chunk: string) => { output += chunk } })
  const clock = new FakeClock()
  const replier = new Replier({ retryAfterSeconds: 1 }, log, undefined, clock)
  const routes: Route[] = [
    { path: '/bug', methods: { GET: () => { throw new TypeError('a bug every request hits') } } },
    { path: '/other-bug', methods: { GET: () => { throw new RangeError('another bug') } } },
    { path: '/down', methods: { GET: async () => { throw new HttpError('TF_ERR_SERVICE_UNAVAILABLE', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }) } } },
    { path: '/full', methods: { GET: async () => { throw new HttpError('TF_ERR_SERVICE_UNAVAILABLE') } } },
    { path: '/unauthorized', methods: { GET: async () => { throw new HttpError('TF_ERR_UNAUTHORIZED') } } },
  ]
  const server = createServer(createRouter(routes, replier))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  return {
    clock,
    lines: () => output.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>),
    async get (path) {
      const res = await fetch(base + path)
      await res.arrayBuffer()
      return res.status
    },
  }
}

const BURST = DEFAULTS.failureLogBurst

t.test('a bug hit by every request is logged a few times with its stack, then as one count per interval', async (t) => {
  t.plan(5)
  const { clock, lines, get } = await setup(t)
  const statuses = await Promise.all(Array.from({ length: REQUESTS }, async () => await get('/bug')))
  t.ok(statuses.every((status) => status === 500))
  t.equal(lines().length, BURST, 'the first few lines so far, not one per request')
  const full = { level: 50, msg: 'unexpected error', code: 'TF_ERR_INTERNAL', kind: 'TypeError', url: '/bug', err: { stack: /TypeError: a bug every request hits/ } }
  t.match(lines(), Array.from({ length: BURST }, () => full), 'each with its stack')
  clock.advance(DEFAULTS.failureLogIntervalMs)
  t.match(lines()[BURST], { level: 50, code: 'TF_ERR_INTERNAL', kind: 'TypeError', count: REQUESTS - BURST, msg: `${REQUESTS - BURST} more requests failed with TF_ERR_INTERNAL (TypeError) in the last ${DEFAULTS.failureLogIntervalMs} ms` })
  clock.advance(DEFAULTS.failureLogIntervalMs * 10)
  t.equal(lines().length, BURST + 1, 'nothing more once the failures stopped')
})

t.test('each kind of failure is logged in full the first time, and 4xx are not logged at all', async (t) => {
  t.plan(2)
  const { lines, get } = await setup(t)
  for (const path of ['/bug', '/other-bug', '/down', '/full', '/unauthorized', '/unauthorized']) await get(path)
  t.same(lines().map((line) => [line.msg, line.code, line.kind]), [
    ['unexpected error', 'TF_ERR_INTERNAL', 'TypeError'],
    ['unexpected error', 'TF_ERR_INTERNAL', 'RangeError'],
    ['request failed', 'TF_ERR_SERVICE_UNAVAILABLE', 'ECONNREFUSED'],
    ['request failed', 'TF_ERR_SERVICE_UNAVAILABLE', 'TF_ERR_SERVICE_UNAVAILABLE'],
  ])
  t.match(lines()[2], { level: 40, err: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } })
})

t.test('a failure that is not even an Error is logged by its type', async (t) => {
  t.plan(2)
  let output = ''
  const log = createLogger({ logLevel: 'info' }, 'worker', { write: (chunk: string) => { output += chunk } })
  const replier = new Replier({ retryAfterSeconds: 1 }, log, undefined, new FakeClock())
  const server = createServer(createRouter([{ path: '/odd', methods: { GET: async () => { throw 'a string' as unknown as Error } } }], replier))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/odd`)
  t.equal(res.status, 500)
  t.match(JSON.parse(output), { msg: 'unexpected error', kind: 'string', err: 'a string' })
})
