// The router and Replier with real HTTP, using routes that fail in the ways a handler can.

import { once } from 'node:events'
import { createServer } from 'node:http'
import { pino } from 'pino'
import t from 'tap'
import { HttpError } from '../../../src/errors.js'
import { Replier } from '../../../src/http/reply.js'
import { pathOf } from '../../../src/http/path.js'
import { createRouter, type Route } from '../../../src/http/router.js'

const logs: Record<string, unknown>[] = []
const log = pino({ level: 'debug' }, { write: (line: string) => { logs.push(JSON.parse(line) as Record<string, unknown>) } })
const replier = new Replier({ retryAfterSeconds: 7 }, log)

const routes: Route[] = [
  { path: '/throws', methods: { GET: () => { throw new TypeError('boom sync') } } },
  { path: '/rejects', methods: { GET: async () => { throw new TypeError('boom async') } } },
  { path: '/unavailable', methods: { GET: async () => { throw new HttpError('TF_ERR_SERVICE_UNAVAILABLE', { cause: new Error('down') }) } } },
  {
    path: '/late',
    methods: {
      GET: async (_req, res) => {
        res.writeHead(200, { 'content-length': 100 })
        res.write('partial')
        await new Promise((resolve) => setTimeout(resolve, 10))
        throw new TypeError('after headers')
      },
    },
  },
]

const server = createServer(createRouter(routes, replier))
t.before(async () => {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
})
t.teardown(() => server.close())
const url = (path: string): string => `http://127.0.0.1:${(server.address() as { port: number }).port}${path}`

t.test('a handler that throws synchronously gets 500 and the error is logged with its stack', async (t) => {
  t.plan(3)
  const res = await fetch(url('/throws'))
  t.equal(res.status, 500)
  t.same(await res.json(), { key: 'internal_server_error', message: 'Internal server error' })
  t.match(logs.find((line) => line.msg === 'unexpected error'), { err: { message: 'boom sync', stack: /TypeError/ }, url: '/throws' })
})

t.test('a handler that rejects gets 500 too, and the response leaks nothing of the error', async (t) => {
  t.plan(2)
  const res = await fetch(url('/rejects?token=secret'))
  t.notMatch(await res.text(), /boom/)
  t.notMatch(JSON.stringify(logs), /secret/, 'the query string is not logged')
})

t.test('an HttpError from a handler gets its status, with Retry-After on 503, and is logged as a warning', async (t) => {
  t.plan(3)
  const res = await fetch(url('/unavailable'))
  t.equal(res.status, 503)
  t.equal(res.headers.get('retry-after'), '7')
  t.match(logs.find((line) => line.code === 'TF_ERR_SERVICE_UNAVAILABLE'), { level: 40, err: { message: 'down' } })
})

t.test('a failure after the headers went out cuts the connection instead of sending a short body', async (t) => {
  t.plan(1)
  await t.rejects(async () => { await (await fetch(url('/late'))).text() })
})

t.test('a path registered twice is a startup error', async (t) => {
  t.plan(1)
  t.throws(() => createRouter([routes[0] as Route, routes[0] as Route], replier), /registered twice/)
})

t.test('pathOf takes the path of origin-form and absolute-form targets, without the query', async (t) => {
  t.plan(8)
  t.equal(pathOf('/features?token=secret'), '/features')
  t.equal(pathOf('/features'), '/features')
  t.equal(pathOf('http://example.test/features?token=secret'), '/features')
  t.equal(pathOf('https://example.test:8443/ofrep/v1/evaluate/flags/a'), '/ofrep/v1/evaluate/flags/a')
  t.equal(pathOf('http://example.test'), '/', 'an empty path is /')
  t.equal(pathOf('http://example.test?x=/y'), '/', 'a slash in the query is not the path')
  t.equal(pathOf('*'), '*', 'the asterisk form matches no route')
  t.equal(pathOf('example.test:443'), 'example.test:443', 'the authority form matches no route')
})
