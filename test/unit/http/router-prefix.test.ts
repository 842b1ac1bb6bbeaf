// Prefix routes: one path segment after the prefix, tried only when no exact path matches.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import t from 'tap'
import { Replier } from '../../../src/http/reply.js'
import { createRouter, type PrefixRoute, type Route } from '../../../src/http/router.js'
import { quiet } from '../../helpers/in-process.js'

const replier = new Replier({ retryAfterSeconds: 1 }, quiet)

function echo (name: string) {
  return (_req: IncomingMessage, res: ServerResponse, segment?: string): void => {
    res.end(JSON.stringify({ name, segment }))
  }
}

interface App {
  readonly url: string
  get (path: string): Promise<[number, unknown]>
  close (): Promise<void>
}

async function listen (routes: (Route | PrefixRoute)[]): Promise<App> {
  const server = createServer(createRouter(routes, replier))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    async get (path) {
      const res = await fetch(url + path)
      return [res.status, JSON.parse(await res.text())]
    },
    async close () {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}

t.test('a prefix route receives the one segment after its prefix, still percent-encoded', async (t) => {
  t.plan(4)
  const app = await listen([{ prefix: '/items/', methods: { GET: echo('item') } }])
  t.teardown(app.close)
  t.same(await app.get('/items/a%20b?x=1'), [200, { name: 'item', segment: 'a%20b' }])
  t.same((await app.get('/elsewhere'))[0], 404)
  t.same((await app.get('/items/'))[0], 404)
  t.same((await app.get('/items/a/b'))[0], 404)
})

t.test('an exact path wins over a prefix, and overlapping prefixes are each tried in order', async (t) => {
  t.plan(3)
  const app = await listen([
    { prefix: '/a/', methods: { GET: echo('a') } },
    { prefix: '/a/b/', methods: { GET: echo('ab') } },
    { path: '/a/exact', methods: { GET: echo('exact') } },
  ])
  t.teardown(app.close)
  t.same(await app.get('/a/exact'), [200, { name: 'exact', segment: '' }])
  t.same(await app.get('/a/x'), [200, { name: 'a', segment: 'x' }])
  t.same(await app.get('/a/b/y'), [200, { name: 'ab', segment: 'y' }])
})

t.test('a prefix route answers other methods with 405 and its Allow list', async (t) => {
  t.plan(2)
  const app = await listen([{ prefix: '/items/', methods: { POST: echo('item') } }])
  t.teardown(app.close)
  const res = await fetch(app.url + '/items/x')
  t.equal(res.status, 405)
  t.equal(res.headers.get('allow'), 'POST')
})

t.test('a handler that throws synchronously is answered 500, and the router keeps serving', async (t) => {
  t.plan(2)
  const app = await listen([{ prefix: '/boom/', methods: { GET: () => { throw new Error('bug') } } }, { path: '/ok', methods: { GET: echo('ok') } }])
  t.teardown(app.close)
  t.same(await app.get('/boom/x'), [500, { key: 'internal_server_error', message: 'Internal server error' }])
  t.same(await app.get('/ok'), [200, { name: 'ok', segment: '' }])
})

t.test('a prefix that does not end with a slash, or a path registered twice, is a startup error', async (t) => {
  t.plan(2)
  t.throws(() => createRouter([{ prefix: '/items', methods: {} }], replier), /must end with '\/'/)
  t.throws(() => createRouter([{ path: '/x', methods: {} }, { path: '/x', methods: {} }], replier), /registered twice/)
})
