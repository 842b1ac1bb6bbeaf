// The CORS answers of src/http/cors.ts behind the real router, over real HTTP, with routes that answer
// the ways the service's routes do: a revalidated answer with its own Vary, an error, a throw.

import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import type { CorsOrigins } from '../../../src/config/config.js'
import { HttpError } from '../../../src/errors.js'
import { ALLOWED_REQUEST_HEADERS, Cors, EXPOSED_RESPONSE_HEADERS } from '../../../src/http/cors.js'
import { Replier } from '../../../src/http/reply.js'
import { createRouter, type PrefixRoute, type Route } from '../../../src/http/router.js'

const replier = new Replier({ retryAfterSeconds: 3 }, pino({ level: 'silent' }))
const APP = 'https://app.example'

const routes: (Route | PrefixRoute)[] = [
  {
    path: '/answer',
    methods: {
      GET: (_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2, etag: '"e"', vary: 'Authorization' })
        res.end('{}')
      },
      HEAD: (_req: IncomingMessage, res: ServerResponse) => { res.writeHead(200, { vary: 'Authorization' }); res.end() },
    },
    browser: true,
  },
  { path: '/down', methods: { POST: async () => { throw new HttpError('TF_ERR_SERVICE_UNAVAILABLE') } }, browser: true },
  { prefix: '/flags/', methods: { POST: (_req: IncomingMessage, res: ServerResponse, key: string) => { res.writeHead(200, { 'content-length': key.length }); res.end(key) } }, browser: true },
  { path: '/bare', methods: { DELETE: (_req: IncomingMessage, res: ServerResponse) => { res.writeHead(204); res.end() } }, browser: true },
  { path: '/internal', methods: { GET: (_req: IncomingMessage, res: ServerResponse) => { res.writeHead(200, { 'content-length': 0 }); res.end() } } },
]

interface Reply { status: number, headers: Headers, text: string }

/** A server of `routes` with the given CORS_ORIGINS (undefined: CORS off); returns a request function. */
async function server (t: Test, origins: CorsOrigins | undefined): Promise<(path: string, init?: RequestInit) => Promise<Reply>> {
  const cors = origins === undefined ? undefined : new Cors(origins, 600, replier)
  const s = createServer(createRouter(routes, replier, undefined, cors))
  s.listen(0, '127.0.0.1')
  await once(s, 'listening')
  t.teardown(() => { s.closeAllConnections(); s.close() })
  const base = `http://127.0.0.1:${(s.address() as { port: number }).port}`
  return async (path, init) => {
    const res = await fetch(base + path, init)
    return { status: res.status, headers: res.headers, text: await res.text() }
  }
}

const preflight = (origin: string, method = 'GET'): RequestInit => ({
  method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization' },
})
const cors = (headers: Headers): Record<string, string | null> => ({
  origin: headers.get('access-control-allow-origin'),
  methods: headers.get('access-control-allow-methods'),
  allowHeaders: headers.get('access-control-allow-headers'),
  maxAge: headers.get('access-control-max-age'),
  expose: headers.get('access-control-expose-headers'),
  vary: headers.get('vary'),
})
const NONE = { origin: null, methods: null, allowHeaders: null, maxAge: null, expose: null, vary: null }

t.test('with a list, a preflight from a listed origin gets 204 naming that origin, the route\'s methods, the headers and Max-Age', async (t) => {
  t.plan(4)
  const request = await server(t, [APP, 'https://other.example'])
  const res = await request('/answer', preflight(APP))
  t.equal(res.status, 204)
  t.same(cors(res.headers), { origin: APP, methods: 'GET, HEAD', allowHeaders: 'authorization, content-type, if-none-match', maxAge: '600', expose: null, vary: 'Origin' })
  t.equal(res.text, '')
  const other = await request('/flags/a', preflight('https://other.example', 'POST'))
  t.same([other.status, other.headers.get('access-control-allow-origin'), other.headers.get('access-control-allow-methods')], [204, 'https://other.example', 'POST'], 'each origin and route its own set')
})

t.test('a preflight from an origin not listed gets 403 with the registry body and no CORS headers', async (t) => {
  t.plan(3)
  const request = await server(t, [APP])
  const res = await request('/answer', preflight('https://evil.example'))
  t.equal(res.status, 403)
  t.same(JSON.parse(res.text), { key: 'cors_origin_not_allowed', message: 'Cross-origin requests from this origin are not allowed' })
  t.same(cors(res.headers), NONE)
})

t.test('an actual request from a listed origin gets the origin, ETag exposed, and Origin added to the answer\'s own Vary', async (t) => {
  t.plan(4)
  const request = await server(t, [APP])
  const res = await request('/answer', { headers: { origin: APP } })
  t.equal(res.status, 200)
  t.same(cors(res.headers), { ...NONE, origin: APP, expose: 'ETag, Retry-After', vary: 'Authorization, Origin' })
  t.equal(res.text, '{}')
  const head = await request('/answer', { method: 'HEAD', headers: { origin: APP } })
  t.equal(head.headers.get('vary'), 'Authorization, Origin')
})

t.test('an answer that sends no Vary of its own gets Vary: Origin from a list', async (t) => {
  t.plan(2)
  const request = await server(t, [APP])
  const res = await request('/flags/x', { method: 'POST', headers: { origin: APP } })
  t.equal(res.text, 'x')
  t.same(cors(res.headers), { ...NONE, origin: APP, expose: EXPOSED_RESPONSE_HEADERS, vary: 'Origin' })
})

t.test('an answer written with no header object keeps the CORS headers and Vary: Origin', async (t) => {
  t.plan(2)
  const request = await server(t, [APP])
  const res = await request('/bare', { method: 'DELETE', headers: { origin: APP } })
  t.equal(res.status, 204)
  t.same(cors(res.headers), { ...NONE, origin: APP, expose: EXPOSED_RESPONSE_HEADERS, vary: 'Origin' })
})

t.test('errors from a listed origin carry the CORS headers too: a thrown 503 keeps its Retry-After, readable by the page', async (t) => {
  t.plan(3)
  const request = await server(t, [APP])
  const res = await request('/down', { method: 'POST', headers: { origin: APP } })
  t.equal(res.status, 503)
  t.equal(res.headers.get('retry-after'), '3')
  t.same(cors(res.headers), { ...NONE, origin: APP, expose: 'ETag, Retry-After', vary: 'Origin' })
})

t.test('an actual request from an origin not listed is answered as usual, without CORS headers', async (t) => {
  t.plan(3)
  const request = await server(t, [APP])
  const res = await request('/answer', { headers: { origin: 'https://evil.example' } })
  t.equal(res.status, 200)
  t.equal(res.text, '{}')
  t.same(cors(res.headers), { ...NONE, vary: 'Authorization' })
})

t.test('with *, any origin gets * and no Vary: Origin, on preflights and answers', async (t) => {
  t.plan(4)
  const request = await server(t, '*')
  const pre = await request('/answer', preflight('https://anyone.example'))
  t.equal(pre.status, 204)
  t.same(cors(pre.headers), { origin: '*', methods: 'GET, HEAD', allowHeaders: ALLOWED_REQUEST_HEADERS, maxAge: '600', expose: null, vary: null })
  const res = await request('/answer', { headers: { origin: 'https://anyone.example' } })
  t.same(cors(res.headers), { ...NONE, origin: '*', expose: EXPOSED_RESPONSE_HEADERS, vary: 'Authorization' })
  t.same(cors((await request('/answer', { headers: { origin: 'null' } })).headers).origin, '*', 'even the opaque origin of a sandboxed page')
})

t.test('a request without Origin gets exactly the answer it got before CORS existed', async (t) => {
  t.plan(2)
  const request = await server(t, [APP])
  const res = await request('/answer')
  t.same(cors(res.headers), { ...NONE, vary: 'Authorization' })
  t.equal(res.text, '{}')
})

t.test('an OPTIONS that is not a preflight still gets 405 with Allow: without Access-Control-Request-Method, or without Origin', async (t) => {
  t.plan(6)
  const request = await server(t, [APP])
  const noMethod = await request('/answer', { method: 'OPTIONS', headers: { origin: APP } })
  t.equal(noMethod.status, 405)
  t.equal(noMethod.headers.get('allow'), 'GET, HEAD')
  t.equal(noMethod.headers.get('access-control-allow-origin'), APP, 'a 405 to a listed origin is readable by the page')
  const noOrigin = await request('/answer', { method: 'OPTIONS', headers: { 'access-control-request-method': 'GET' } })
  t.equal(noOrigin.status, 405)
  t.same(cors(noOrigin.headers), NONE)
  t.equal((await request('/answer', { method: 'OPTIONS' })).status, 405)
})

t.test('routes not marked for browsers and unknown paths get no CORS: a preflight there is 405 or 404', async (t) => {
  t.plan(4)
  const request = await server(t, '*')
  const internal = await request('/internal', preflight(APP))
  t.equal(internal.status, 405)
  t.same(cors(internal.headers), NONE)
  const unknown = await request('/nowhere', preflight(APP))
  t.equal(unknown.status, 404)
  t.same(cors(unknown.headers), NONE)
})

t.test('with CORS off (CORS_ORIGINS unset) a preflight gets 405 and answers carry no CORS headers, as before', async (t) => {
  t.plan(3)
  const request = await server(t, undefined)
  const pre = await request('/answer', preflight(APP))
  t.equal(pre.status, 405)
  t.same(cors(pre.headers), NONE)
  t.same(cors((await request('/answer', { headers: { origin: APP } })).headers), { ...NONE, vary: 'Authorization' })
})
