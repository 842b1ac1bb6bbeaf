// GET /features end to end: the real handler in-process, a real HTTP client (fetch), and two real
// redis-server processes (users and features) started on free ports.

import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { MAX_TOKEN_BYTES } from '../../../src/http/auth.js'
import { rawRequest, startApp, type App } from '../../helpers/app.js'
import { RedisServer, seedExample } from '../../helpers/redis-server.js'
import { untilReachable } from '../../helpers/in-process.js'

const users = new RedisServer()
const features = new RedisServer()
let app: App

const basic = (credentials: string): string => 'Basic ' + Buffer.from(credentials).toString('base64')

async function get (headers: Record<string, string> = {}, path = '/features', method = 'GET'): Promise<{ status: number, headers: Headers, body: string }> {
  const res = await fetch(app.url + path, { method, headers })
  return { status: res.status, headers: res.headers, body: await res.text() }
}

async function answer (headers: Record<string, string> = {}): Promise<unknown> {
  const res = await get(headers)
  return JSON.parse(res.body)
}

t.before(async () => {
  await Promise.all([users.start(), features.start()])
  await seedExample(users, features)
  app = await startApp({ REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url })
  await untilReachable(app.store)
})

t.teardown(async () => {
  await app.close()
  await Promise.all([users.stop(), features.stop()])
})

t.test('the README example: anonymous callers get the global features as sorted JSON', async (t) => {
  t.plan(4)
  const res = await get()
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-type'), 'application/json')
  t.equal(res.body, '{"active_features":["feature_1","feature_2"]}')
  t.match(res.headers.get('etag'), /^"[\w-]+"$/)
})

t.test('the README example: token 1234 sees feature_3 but not the inactive feature_4, in both header forms', async (t) => {
  t.plan(4)
  const expected = { active_features: ['feature_1', 'feature_2', 'feature_3'] }
  t.same(await answer({ authorization: 'Bearer 1234' }), expected, 'Bearer')
  t.same(await answer({ authorization: basic('anyone:1234') }), expected, 'Basic with a user name')
  t.same(await answer({ authorization: basic(':1234') }), expected, 'Basic with an empty user name')
  t.same(await answer({ authorization: 'bearer 1234' }), expected, 'scheme in lower case')
})

t.test('a Basic password containing colons is the whole token', async (t) => {
  t.plan(1)
  const u = users.client()
  await u.set('token:a:b:c', '1')
  u.disconnect()
  t.same(await answer({ authorization: basic('user:a:b:c') }), { active_features: ['feature_1', 'feature_2', 'feature_3'] })
})

t.test('an unknown token gets 401 with the body existing clients expect', async (t) => {
  t.plan(3)
  const res = await get({ authorization: 'Bearer nope' })
  t.equal(res.status, 401)
  t.equal(res.body, '{"key":"auth_error","message":"Unauthorized"}')
  t.equal(res.headers.get('content-type'), 'application/json')
})

const malformed: [string, string][] = [
  ['another scheme', 'Digest 1234'],
  ['a bare token without a scheme', '1234'],
  ['bad base64', 'Basic @@@@'],
  ['Basic credentials without a colon', basic('1234')],
  ['an empty Bearer token', 'Bearer '],
  ['an empty Basic password', basic('user:')],
  ['a token over 1 KiB', 'Bearer ' + 'x'.repeat(MAX_TOKEN_BYTES + 1)],
  ['a control character in a Basic token', basic('user:12\n34')],
]
for (const [what, header] of malformed) {
  t.test(`${what} gets 400 invalid_authorization`, async (t) => {
    t.plan(3)
    const res = await get({ authorization: header })
    t.equal(res.status, 400)
    const body = JSON.parse(res.body) as { key: string, message: string }
    t.equal(body.key, 'invalid_authorization')
    t.ok(body.message.length > 0, 'with a human message')
  })
}

t.test('a tab inside a Bearer token (the one control character HTTP lets through) gets 400', async (t) => {
  t.plan(2)
  const text = await rawRequest(app.url, 'GET /features HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer 12\t34\r\nConnection: close\r\n\r\n')
  t.match(text, /^HTTP\/1\.1 400 /)
  t.match(text, /"key":"invalid_authorization"/)
})

t.test('HEAD /features answers like GET without a body', async (t) => {
  t.plan(4)
  const head = await get({ authorization: 'Bearer 1234' }, '/features', 'HEAD')
  const full = await get({ authorization: 'Bearer 1234' })
  t.equal(head.status, 200)
  t.equal(head.body, '')
  t.equal(head.headers.get('etag'), full.headers.get('etag'))
  t.equal(head.headers.get('content-length'), String(Buffer.byteLength(full.body)))
})

for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
  t.test(`${method} /features gets 405 with Allow: GET, HEAD`, async (t) => {
    t.plan(3)
    const res = await get({}, '/features', method)
    t.equal(res.status, 405)
    t.equal(res.headers.get('allow'), 'GET, HEAD')
    t.equal(JSON.parse(res.body).key, 'method_not_allowed')
  })
}

t.test('unknown paths get 404 url_not_found_error', async (t) => {
  t.plan(4)
  for (const path of ['/', '/feature', '/features/extra']) {
    const res = await get({}, path)
    if (path === '/features/extra') {
      t.equal(res.body, '{"key":"url_not_found_error","message":"URL not found"}')
    }
    t.equal(res.status, 404, path)
  }
})

t.test('a query string does not change the route', async (t) => {
  t.plan(1)
  t.equal((await get({}, '/features?platform=ios')).status, 200)
})

t.test('If-None-Match with the current ETag gets 304 with no body; a stale one gets 200', async (t) => {
  t.plan(5)
  const first = await get({ authorization: 'Bearer 1234' })
  const etag = first.headers.get('etag') as string
  const again = await get({ authorization: 'Bearer 1234', 'if-none-match': etag })
  t.equal(again.status, 304)
  t.equal(again.body, '')
  t.equal(again.headers.get('etag'), etag)
  const stale = await get({ authorization: 'Bearer 1234', 'if-none-match': '"stale"' })
  t.equal(stale.status, 200)
  const anon = await get({ 'if-none-match': etag })
  t.equal(anon.status, 200, 'another caller\'s answer has another ETag')
})

t.test('a change written to Redis shows in the very next response, and retiring a feature rolls it back', async (t) => {
  t.plan(5)
  const f = features.client()
  t.teardown(() => f.disconnect())
  const before = await get({ authorization: 'Bearer 1234' })
  await f.sadd('active_features', 'feature_4')
  const after = await get({ authorization: 'Bearer 1234', 'if-none-match': before.headers.get('etag') as string })
  t.equal(after.status, 200, 'the old ETag no longer matches')
  t.same(JSON.parse(after.body), { active_features: ['feature_1', 'feature_2', 'feature_3', 'feature_4'] })
  await f.srem('active_features', 'feature_3', 'feature_4')
  t.same(await answer({ authorization: 'Bearer 1234' }), { active_features: ['feature_1', 'feature_2'] }, 'rolled back for the user')
  await f.sadd('global_features', 'feature_9')
  t.same(await answer(), { active_features: ['feature_1', 'feature_2', 'feature_9'] })
  await f.srem('global_features', 'feature_9')
  await f.sadd('active_features', 'feature_3')
  t.same(await answer({ authorization: 'Bearer 1234' }), { active_features: ['feature_1', 'feature_2', 'feature_3'] })
})

t.test('a key of the wrong type gets 500 for the callers who need it, details in the log only', async (t) => {
  t.plan(8)
  const u = users.client()
  const f = features.client()
  t.teardown(() => { u.disconnect(); f.disconnect() })
  await u.set('token:5555', '5')
  await f.set('features:user:5', 'not a set')
  await u.hset('token:6666', 'user', '6')
  const res = await get({ authorization: 'Bearer 5555' })
  t.equal(res.status, 500)
  t.equal(res.body, '{"key":"internal_server_error","message":"Internal server error"}')
  t.equal((await get({ authorization: 'Bearer 6666' })).status, 500, 'a token key that is a hash')
  t.equal((await get({ authorization: 'Bearer 1234' })).status, 200, 'other users are unaffected')
  t.equal((await get()).status, 200, 'anonymous callers are unaffected')
  const logged = app.logs.filter((line) => line.code === 'TF_ERR_INTERNAL')
  t.ok(logged.length >= 2, 'the failure is logged')
  t.match(JSON.stringify(logged), /WRONGTYPE/, 'with the Redis error')
  await f.del('active_features')
  await f.set('active_features', 'oops')
  const broken = await get({ authorization: 'Bearer 1234' })
  await f.del('active_features')
  await f.sadd('active_features', 'feature_3')
  t.equal(broken.status, 500, 'active_features of the wrong type fails authenticated calls')
})

t.test('tokens never reach the log', async (t) => {
  t.plan(1)
  await get({ authorization: 'Bearer secret-token-zz' })
  await get({ authorization: basic('u:5555') })
  t.notMatch(JSON.stringify(app.logs), /secret-token-zz|5555/)
})

t.test('a body sent with GET is ignored', async (t) => {
  t.plan(2)
  const text = await rawRequest(app.url,
    'GET /features HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world')
  t.match(text, /^HTTP\/1\.1 200 /)
  t.match(text, /\{"active_features":\["feature_1","feature_2"\]\}$/)
})

t.test('oversized request headers get 431 with a JSON body and the server keeps serving', async (t) => {
  t.plan(3)
  const text = await rawRequest(app.url,
    `GET /features HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
  t.match(text, /^HTTP\/1\.1 431 /)
  t.match(text, /"key":"headers_too_large"/)
  t.equal((await get()).status, 200)
})

t.test('a request that is not HTTP gets 400 bad_request', async (t) => {
  t.plan(2)
  const text = await rawRequest(app.url, 'HELLO\r\n\r\n')
  t.match(text, /^HTTP\/1\.1 400 /)
  t.match(text, /"key":"bad_request"/)
})

t.test('with the features Redis killed: 503 with Retry-After within a second, then 200 again after it restarts', async (t) => {
  t.plan(8)
  await features.kill()
  const started = Date.now()
  const down = await get({ authorization: 'Bearer 1234' })
  t.ok(Date.now() - started < 1000, 'answered promptly')
  t.equal(down.status, 503)
  t.equal(down.headers.get('retry-after'), '1')
  t.equal(JSON.parse(down.body).key, 'service_unavailable')
  t.equal((await get()).status, 503, 'anonymous callers too')
  await features.start()
  const f = features.client()
  await f.sadd('global_features', 'feature_1', 'feature_2')
  await f.sadd('active_features', 'feature_3')
  await f.sadd('features:user:1', 'feature_3', 'feature_4')
  f.disconnect()
  // The service reconnects by itself (backoff capped at 1 s); no restart of the service.
  let status = 0
  const deadline = Date.now() + 5_000
  while (Date.now() < deadline && status !== 200) {
    status = (await get({ authorization: 'Bearer 1234' })).status
    if (status !== 200) await sleep(100)
  }
  t.equal(status, 200, 'service came back by itself')
  t.same(await answer({ authorization: 'Bearer 1234' }), { active_features: ['feature_1', 'feature_2', 'feature_3'] },
    'the Lua script is reloaded transparently after NOSCRIPT')
  t.equal(app.logs.filter((line) => line.msg === 'redis connection restored').length, 1, 'the recovery is logged once')
})

t.test('with the users Redis killed, authenticated calls get 503 and anonymous ones still succeed', async (t) => {
  t.plan(3)
  await users.kill()
  t.equal((await get({ authorization: 'Bearer 1234' })).status, 503)
  t.equal((await get()).status, 200, 'anonymous calls need only the features Redis')
  await users.start()
  const u = users.client()
  await u.set('token:1234', '1')
  u.disconnect()
  let status = 0
  const deadline = Date.now() + 5_000
  while (Date.now() < deadline && status !== 200) {
    status = (await get({ authorization: 'Bearer 1234' })).status
    if (status !== 200) await sleep(100)
  }
  t.equal(status, 200)
})

t.test('a Redis slower than the command timeout gets 503 promptly, and service resumes with it', async (t) => {
  t.plan(4)
  features.pause()
  const started = Date.now()
  const results = await Promise.all(Array.from({ length: 20 }, async () => get()))
  const elapsed = Date.now() - started
  features.resume()
  t.ok(results.every((res) => res.status === 503), 'every request gets 503')
  t.ok(elapsed < app.config.redisCommandTimeoutMs + 500, `no request hangs (${elapsed} ms)`)
  t.equal(results[0]?.headers.get('retry-after'), '1')
  let status = 0
  const deadline = Date.now() + 5_000
  while (Date.now() < deadline && status !== 200) {
    status = (await get()).status
    if (status !== 200) await sleep(50)
  }
  t.equal(status, 200)
})
