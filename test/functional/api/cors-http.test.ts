// CORS over real HTTP against the real app on real Redis (issue 13): the preflights and answers a
// browser on another origin gets from /features and OFREP, errors included, for a listed origin, an
// origin not listed, `*`, and CORS off; and the routes that never answer CORS.

import t from 'tap'
import { startApp, type App } from '../../helpers/app.js'
import { serve, startRedisPair, type Served } from '../../helpers/in-process.js'
import { freePort } from '../../helpers/redis-server.js'

const APP = 'http://127.0.0.1:8080'
const OTHER = 'https://admin.example.com'
const EVIL = 'https://evil.example'
const BULK = '/ofrep/v1/evaluate/flags'
const CONTEXT = JSON.stringify({ context: {} })

const pair = await startRedisPair({ RETRY_AFTER_SECONDS: '4' })
const listed = await serve(pair.store, { ...pair.env, CORS_ORIGINS: `${APP}, ${OTHER}` })
const anyOrigin = await serve(pair.store, { ...pair.env, CORS_ORIGINS: '*' })
const off = await serve(pair.store, pair.env)
t.teardown(async () => {
  await Promise.all([listed.close(), anyOrigin.close(), off.close()])
  await pair.stop()
})

interface Reply { status: number, headers: Headers, text: string }

async function request (server: Served | App, path: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(server.url + path, init)
  return { status: res.status, headers: res.headers, text: await res.text() }
}
/** What a browser sends before a cross-origin call that carries Authorization or a JSON body. */
const preflight = (origin: string, method: string): RequestInit => ({
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type,if-none-match' },
})
const post = (headers: Record<string, string>, body = CONTEXT): RequestInit => ({ method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })
const cors = (headers: Headers): Record<string, string | null> => ({
  origin: headers.get('access-control-allow-origin'),
  expose: headers.get('access-control-expose-headers'),
  vary: headers.get('vary'),
})
const NO_CORS = { origin: null, expose: null }
/** The CORS headers of an answer to a listed origin that carries no Vary of its own. */
const listedFor = (origin: string): Record<string, string> => ({ origin, expose: 'ETag, Retry-After', vary: 'Origin' })

t.test('a preflight for /features from a listed origin gets 204 allowing GET and HEAD, the three request headers and Max-Age', async (t) => {
  t.plan(6)
  const res = await request(listed, '/features', preflight(APP, 'GET'))
  t.equal(res.status, 204)
  t.equal(res.headers.get('access-control-allow-origin'), APP, 'the origin itself, not *')
  t.equal(res.headers.get('vary'), 'Origin')
  t.equal(res.headers.get('access-control-allow-methods'), 'GET, HEAD')
  t.equal(res.headers.get('access-control-allow-headers'), 'authorization, content-type, if-none-match')
  t.equal(res.headers.get('access-control-max-age'), '7200')
})

t.test('preflights for both OFREP routes allow POST, each listed origin getting itself back', async (t) => {
  t.plan(4)
  const bulk = await request(listed, BULK, preflight(OTHER, 'POST'))
  t.same([bulk.status, bulk.headers.get('access-control-allow-origin'), bulk.headers.get('access-control-allow-methods')], [204, OTHER, 'POST'])
  t.equal(bulk.headers.get('access-control-allow-headers'), 'authorization, content-type, if-none-match')
  const single = await request(listed, `${BULK}/feature_1`, preflight(APP, 'POST'))
  t.same([single.status, single.headers.get('access-control-allow-origin'), single.headers.get('access-control-allow-methods')], [204, APP, 'POST'])
  t.equal(single.text, '')
})

t.test('a preflight from an origin not listed gets 403 cors_origin_not_allowed and no CORS headers', async (t) => {
  t.plan(6)
  for (const path of ['/features', BULK]) {
    const res = await request(listed, path, preflight(EVIL, path === BULK ? 'POST' : 'GET'))
    t.equal(res.status, 403)
    t.same(JSON.parse(res.text), { key: 'cors_origin_not_allowed', message: 'Cross-origin requests from this origin are not allowed' })
    t.same(cors(res.headers), { ...NO_CORS, vary: null })
  }
})

t.test('OPTIONS without the CORS request headers still gets 405, as before CORS existed', async (t) => {
  t.plan(5)
  const bare = await request(listed, '/features', { method: 'OPTIONS' })
  t.same([bare.status, bare.headers.get('allow'), JSON.parse(bare.text).key], [405, 'GET, HEAD', 'method_not_allowed'])
  t.equal((await request(listed, BULK, { method: 'OPTIONS', headers: { 'access-control-request-method': 'POST' } })).status, 405, 'no Origin')
  const noMethod = await request(listed, BULK, { method: 'OPTIONS', headers: { origin: APP } })
  t.equal(noMethod.status, 405, 'no Access-Control-Request-Method')
  t.equal(noMethod.headers.get('allow'), 'POST')
  t.same(cors(noMethod.headers), listedFor(APP), 'the page may read that 405')
})

t.test('GET /features from a listed origin: the answer, its ETag exposed, Vary naming Authorization and Origin', async (t) => {
  t.plan(4)
  const res = await request(listed, '/features', { headers: { origin: APP, authorization: 'Bearer 1234' } })
  t.equal(res.status, 200)
  t.same(JSON.parse(res.text), { active_features: ['feature_1', 'feature_2', 'feature_3'] })
  t.same(cors(res.headers), { origin: APP, expose: 'ETag, Retry-After', vary: 'Authorization, Origin' })
  t.match(res.headers.get('etag'), /^"[\w-]+"$/)
})

t.test('a revalidation from a listed origin gets 304 with the CORS headers, so the browser may use its copy', async (t) => {
  t.plan(4)
  const headers = { origin: APP, authorization: 'Bearer 1234' }
  const first = await request(listed, '/features', { headers })
  const etag = first.headers.get('etag') as string
  const again = await request(listed, '/features', { headers: { ...headers, 'if-none-match': etag } })
  t.equal(again.status, 304)
  t.same(cors(again.headers), { origin: APP, expose: 'ETag, Retry-After', vary: 'Authorization, Origin' })
  const bulk = await request(listed, BULK, post(headers))
  const bulkAgain = await request(listed, BULK, post({ ...headers, 'if-none-match': bulk.headers.get('etag') as string }))
  t.equal(bulkAgain.status, 304)
  t.same(cors(bulkAgain.headers), { origin: APP, expose: 'ETag, Retry-After', vary: 'Authorization, Origin' })
})

t.test('OFREP answers to a listed origin carry the CORS headers: bulk with its ETag, and one flag', async (t) => {
  t.plan(4)
  const bulk = await request(listed, BULK, post({ origin: OTHER, authorization: 'Bearer 1234' }))
  t.equal(bulk.status, 200)
  t.same(cors(bulk.headers), { origin: OTHER, expose: 'ETag, Retry-After', vary: 'Authorization, Origin' })
  const single = await request(listed, `${BULK}/feature_3`, post({ origin: OTHER, authorization: 'Bearer 1234' }))
  t.same(JSON.parse(single.text), { key: 'feature_3', value: true, reason: 'TARGETING_MATCH', variant: 'on' })
  t.same(cors(single.headers), listedFor(OTHER))
})

t.test('errors to a listed origin carry the CORS headers: 401 and 400 on /features and OFREP, OFREP\'s 404', async (t) => {
  t.plan(10)
  const unknown = await request(listed, '/features', { headers: { origin: APP, authorization: 'Bearer nobody' } })
  t.equal(unknown.status, 401)
  t.same(cors(unknown.headers), listedFor(APP))
  const scheme = await request(listed, '/features', { headers: { origin: APP, authorization: 'Digest x' } })
  t.same([scheme.status, JSON.parse(scheme.text).key], [400, 'invalid_authorization'])
  t.same(cors(scheme.headers), listedFor(APP))
  const ofrep401 = await request(listed, BULK, post({ origin: APP, authorization: 'Bearer nobody' }))
  t.equal(ofrep401.status, 401)
  t.same(cors(ofrep401.headers), listedFor(APP))
  const badJson = await request(listed, BULK, post({ origin: APP }, '{'))
  t.same([badJson.status, JSON.parse(badJson.text).errorCode], [400, 'PARSE_ERROR'])
  t.same(cors(badJson.headers), listedFor(APP))
  const missing = await request(listed, `${BULK}/no_such_flag`, post({ origin: APP }))
  t.same([missing.status, JSON.parse(missing.text).errorCode], [404, 'FLAG_NOT_FOUND'])
  t.same(cors(missing.headers), listedFor(APP))
})

t.test('a 503 to a listed origin carries the CORS headers, with Retry-After exposed to the page', async (t) => {
  t.plan(6)
  // Redis URLs with nothing listening: every lookup fails at once.
  const down = await startApp({
    REDIS_USERS_URL: `redis://127.0.0.1:${await freePort()}`, REDIS_FEATURES_URL: `redis://127.0.0.1:${await freePort()}`, CORS_ORIGINS: APP, RETRY_AFTER_SECONDS: '4',
  })
  t.teardown(() => down.close())
  const res = await request(down, '/features', { headers: { origin: APP } })
  t.same([res.status, JSON.parse(res.text).key], [503, 'service_unavailable'])
  t.equal(res.headers.get('retry-after'), '4')
  t.same(cors(res.headers), listedFor(APP))
  const bulk = await request(down, BULK, post({ origin: APP }))
  t.same([bulk.status, JSON.parse(bulk.text).errorCode], [503, 'GENERAL'])
  t.equal(bulk.headers.get('retry-after'), '4')
  t.same(cors(bulk.headers), listedFor(APP))
})

t.test('an actual request from an origin not listed is answered without CORS headers, so its browser withholds the answer', async (t) => {
  t.plan(4)
  const res = await request(listed, '/features', { headers: { origin: EVIL, authorization: 'Bearer 1234' } })
  t.equal(res.status, 200)
  t.same(cors(res.headers), { ...NO_CORS, vary: 'Authorization' })
  const bulk = await request(listed, BULK, post({ origin: EVIL }))
  t.equal(bulk.status, 200)
  t.same(cors(bulk.headers), { ...NO_CORS, vary: 'Authorization' })
})

t.test('a request without Origin gets no CORS headers: the answer apps and servers got before', async (t) => {
  t.plan(2)
  const res = await request(listed, '/features', { headers: { authorization: 'Bearer 1234' } })
  t.equal(res.status, 200)
  t.same(cors(res.headers), { ...NO_CORS, vary: 'Authorization' })
})

t.test('with CORS_ORIGINS=*, any origin gets Access-Control-Allow-Origin: * and no Vary: Origin', async (t) => {
  t.plan(4)
  const pre = await request(anyOrigin, BULK, preflight(EVIL, 'POST'))
  t.same([pre.status, pre.headers.get('access-control-allow-origin'), pre.headers.get('vary')], [204, '*', null])
  t.equal(pre.headers.get('access-control-allow-headers'), 'authorization, content-type, if-none-match')
  const res = await request(anyOrigin, '/features', { headers: { origin: EVIL, authorization: 'Bearer 1234' } })
  t.same(cors(res.headers), { origin: '*', expose: 'ETag, Retry-After', vary: 'Authorization' })
  const unknown = await request(anyOrigin, BULK, post({ origin: EVIL, authorization: 'Bearer nobody' }))
  t.same([unknown.status, unknown.headers.get('access-control-allow-origin')], [401, '*'])
})

t.test('health, readiness and metrics never answer CORS: their preflights get 405', async (t) => {
  t.plan(6)
  for (const path of ['/healthz', '/readyz', '/metrics']) {
    const pre = await request(anyOrigin, path, preflight(APP, 'GET'))
    const res = await request(anyOrigin, path, { headers: { origin: APP } })
    t.equal(pre.status, 405, `${path} preflight`)
    t.same(cors(res.headers), { ...NO_CORS, vary: null }, `${path} answer`)
  }
})

t.test('with CORS_ORIGINS unset, the issue\'s preflight still gets 405 and no answer carries CORS headers', async (t) => {
  t.plan(3)
  const pre = await request(off, BULK, preflight('https://app.example', 'POST'))
  t.same([pre.status, pre.headers.get('access-control-allow-origin')], [405, null])
  const res = await request(off, '/features', { headers: { origin: 'https://app.example' } })
  t.equal(res.status, 200)
  t.same(cors(res.headers), { ...NO_CORS, vary: 'Authorization' })
})
