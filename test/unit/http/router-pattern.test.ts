// Pattern routes: `{name}` segments anywhere in the path, tried after exact and prefix routes.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import t from 'tap'
import { Replier } from '../../../src/http/reply.js'
import { createRouter, type PatternRoute, type PrefixRoute, type Route } from '../../../src/http/router.js'
import { Metrics } from '../../../src/observability/metrics.js'
import { quiet } from '../../helpers/in-process.js'

const replier = new Replier({ retryAfterSeconds: 1 }, quiet)

function echo (name: string) {
  return (_req: IncomingMessage, res: ServerResponse, segment: string, params: readonly string[]): void => {
    res.end(JSON.stringify({ name, segment, params }))
  }
}

async function listen (routes: (Route | PrefixRoute | PatternRoute)[], metrics?: Metrics, unmatchedLabel?: string): Promise<{ get (path: string): Promise<[number, unknown]>, close (): Promise<void> }> {
  const router = metrics === undefined ? createRouter(routes, replier) : createRouter(routes, replier, metrics, undefined, metrics.counters(unmatchedLabel as string))
  const server = createServer(router)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  return {
    async get (path) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`)
      const text = await res.text()
      return [res.status, res.status === 200 ? JSON.parse(text) : undefined]
    },
    async close () {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}

t.test('a pattern route hands its handler the segments its {...} matched, in order, still percent-encoded', async (t) => {
  t.plan(5)
  const app = await listen([
    { pattern: '/users/{id}/features/{name}', methods: { GET: echo('feature') } },
    { pattern: '/users/{id}/features', methods: { GET: echo('features') } },
  ])
  t.teardown(app.close)
  t.same(await app.get('/users/4%202/features/f_1?x=1'), [200, { name: 'feature', segment: '', params: ['4%202', 'f_1'] }])
  t.same(await app.get('/users/42/features'), [200, { name: 'features', segment: '', params: ['42'] }])
  t.same((await app.get('/users//features'))[0], 404, 'a parameter is never empty')
  t.same((await app.get('/users/42/featurez'))[0], 404, 'literal segments must match')
  t.same((await app.get('/users/42/features/a/b'))[0], 404, 'a parameter is one segment')
})

t.test('exact routes win over patterns; exact handlers get no params', async (t) => {
  t.plan(2)
  const app = await listen([
    { pattern: '/a/{x}', methods: { GET: echo('pattern') } },
    { path: '/a/exact', methods: { GET: echo('exact') } },
  ])
  t.teardown(app.close)
  t.same(await app.get('/a/exact'), [200, { name: 'exact', segment: '', params: [] }])
  t.same(await app.get('/a/other'), [200, { name: 'pattern', segment: '', params: ['other'] }])
})

t.test('a pattern is its own metrics label, and a router may count unmatched paths under a label of its own', async (t) => {
  t.plan(3)
  const metrics = new Metrics({ defaultMetrics: false })
  const app = await listen([{ pattern: '/x/{id}', methods: { GET: echo('x') } }], metrics, 'mine:unmatched')
  t.teardown(app.close)
  const router = createRouter([{ pattern: '/x/{id}', methods: { GET: echo('x') } }], replier, metrics, undefined, metrics.counters('mine:unmatched'))
  t.equal(router.match('/x/1').counters.label, '/x/{id}')
  t.equal(router.match('/y').counters.label, 'mine:unmatched')
  t.equal(router.match('/y').counters, metrics.counters('mine:unmatched'))
})
