// OFREP over real HTTP against an in-process server on real Redis: every answer and every error
// path, byte for byte where the protocol fixes the shape.

import { request } from 'node:http'
import { connect } from 'node:net'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { serve, startRedisPair } from '../../helpers/in-process.js'

const pair = await startRedisPair({ RETRY_AFTER_SECONDS: '7' })
const served = await serve(pair.store, pair.env)
t.teardown(async () => {
  await served.close()
  await pair.stop()
})
const features = pair.features.client()
t.teardown(() => features.disconnect())

const BULK = '/ofrep/v1/evaluate/flags'
const CONTEXT = JSON.stringify({ context: { targetingKey: 'someone' } })

interface Answer { status: number, headers: Headers, text: string, json: unknown }

async function post (path: string, body: string | Buffer = CONTEXT, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(served.url + path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })
  const text = await res.text()
  let json: unknown
  try { json = JSON.parse(text) } catch { json = undefined }
  return { status: res.status, headers: res.headers, text, json }
}

const bearer = { authorization: 'Bearer 1234' }
const flag = (key: string, value: boolean, reason: string): object => ({ key, value, reason, variant: value ? 'on' : 'off' })

t.test('bulk: an anonymous caller gets every known flag, global on and active off, with an ETag', async (t) => {
  t.plan(6)
  const res = await post(BULK)
  t.equal(res.status, 200)
  t.same(res.json, { flags: [flag('feature_1', true, 'STATIC'), flag('feature_2', true, 'STATIC'), flag('feature_3', false, 'DISABLED')] })
  t.match(res.headers.get('content-type'), /^application\/json/)
  t.match(res.headers.get('etag'), /^"[A-Za-z0-9_-]+"$/)
  t.equal(res.headers.get('cache-control'), 'private, no-cache')
  t.equal(res.headers.get('vary'), 'Authorization')
})

t.test('bulk: a known user gets their active feature as TARGETING_MATCH and never an inactive one', async (t) => {
  t.plan(2)
  const res = await post(BULK, CONTEXT, bearer)
  t.equal(res.status, 200)
  t.same(res.json, { flags: [flag('feature_1', true, 'STATIC'), flag('feature_2', true, 'STATIC'), flag('feature_3', true, 'TARGETING_MATCH')] })
})

t.test('bulk: the Basic form (token as password) identifies the same user as Bearer', async (t) => {
  t.plan(2)
  const basic = await post(BULK, CONTEXT, { authorization: 'Basic ' + Buffer.from('app:1234').toString('base64') })
  const viaBearer = await post(BULK, CONTEXT, bearer)
  t.equal(basic.status, 200)
  t.equal(basic.text, viaBearer.text)
})

t.test('bulk: context.targetingKey never selects a user; identity comes from Authorization only', async (t) => {
  t.plan(1)
  const res = await post(BULK, JSON.stringify({ context: { targetingKey: '1' } }))
  t.same(res.json, { flags: [flag('feature_1', true, 'STATIC'), flag('feature_2', true, 'STATIC'), flag('feature_3', false, 'DISABLED')] })
})

t.test('bulk: a matching If-None-Match gets 304 with no body, weak or listed forms too', async (t) => {
  t.plan(6)
  const first = await post(BULK, CONTEXT, bearer)
  const etag = first.headers.get('etag') as string
  const again = await post(BULK, CONTEXT, { ...bearer, 'if-none-match': etag })
  t.equal(again.status, 304)
  t.equal(again.text, '')
  t.equal(again.headers.get('etag'), etag)
  t.equal((await post(BULK, CONTEXT, { ...bearer, 'if-none-match': 'W/' + etag })).status, 304)
  t.equal((await post(BULK, CONTEXT, { ...bearer, 'if-none-match': `"other", ${etag}` })).status, 304)
  t.equal((await post(BULK, CONTEXT, { ...bearer, 'if-none-match': '"other"' })).status, 200)
})

t.test("bulk: another caller's ETag never gives a stale 304", async (t) => {
  t.plan(2)
  const user = await post(BULK, CONTEXT, bearer)
  const anonymous = await post(BULK, CONTEXT, { 'if-none-match': user.headers.get('etag') as string })
  t.equal(anonymous.status, 200)
  t.not(anonymous.headers.get('etag'), user.headers.get('etag'))
})

t.test("bulk: a change to the user's own set changes the ETag at once (no stale 304)", async (t) => {
  t.plan(4)
  const before = await post(BULK, CONTEXT, bearer)
  await features.sadd('active_features', 'feature_4')
  t.teardown(() => features.srem('active_features', 'feature_4'))
  const after = await post(BULK, CONTEXT, { ...bearer, 'if-none-match': before.headers.get('etag') as string })
  t.equal(after.status, 200)
  t.not(after.headers.get('etag'), before.headers.get('etag'))
  t.same((after.json as { flags: unknown[] }).flags.at(-1), flag('feature_4', true, 'TARGETING_MATCH'))
  // The anonymous view learns of the new active flag too, as DISABLED.
  t.same(((await post(BULK)).json as { flags: unknown[] }).flags.at(-1), flag('feature_4', false, 'DISABLED'))
})

t.test('bulk: the query parameters event streams add (flagConfigEtag) are accepted and ignored', async (t) => {
  t.plan(1)
  t.equal((await post(BULK + '?flagConfigEtag=abc&flagConfigLastModified=1')).status, 200)
})

t.test('single: global, targeted and disabled flags each get their value and reason', async (t) => {
  t.plan(8)
  const global = await post(BULK + '/feature_1')
  t.equal(global.status, 200)
  t.same(global.json, flag('feature_1', true, 'STATIC'))
  t.equal(global.headers.get('cache-control'), 'no-store')
  const targeted = await post(BULK + '/feature_3', CONTEXT, bearer)
  t.equal(targeted.status, 200)
  t.same(targeted.json, flag('feature_3', true, 'TARGETING_MATCH'))
  const disabled = await post(BULK + '/feature_3')
  t.equal(disabled.status, 200)
  t.same(disabled.json, flag('feature_3', false, 'DISABLED'))
  t.match(disabled.headers.get('content-type'), /^application\/json/)
})

t.test('single: an unknown flag, or an inactive user feature, is 404 FLAG_NOT_FOUND naming the key', async (t) => {
  t.plan(4)
  const unknown = await post(BULK + '/nope', CONTEXT, bearer)
  t.equal(unknown.status, 404)
  t.same(unknown.json, { key: 'nope', errorCode: 'FLAG_NOT_FOUND', errorDetails: 'No feature of that name is global or active' })
  const inactive = await post(BULK + '/feature_4', CONTEXT, bearer)
  t.equal(inactive.status, 404)
  t.match(inactive.json, { key: 'feature_4', errorCode: 'FLAG_NOT_FOUND' })
})

t.test('single: the flag key is percent-decoded, so any feature name can be asked for', async (t) => {
  t.plan(2)
  await features.sadd('global_features', 'a b/é')
  t.teardown(() => features.srem('global_features', 'a b/é'))
  const res = await post(BULK + '/' + encodeURIComponent('a b/é'))
  t.equal(res.status, 200)
  t.same(res.json, flag('a b/é', true, 'STATIC'))
})

t.test('single: a key that is not valid percent-encoding is 400 PARSE_ERROR', async (t) => {
  t.plan(2)
  const res = await post(BULK + '/%E0%A4%A')
  t.equal(res.status, 400)
  t.match(res.json, { key: '%E0%A4%A', errorCode: 'PARSE_ERROR' })
})

t.test('an unknown token is 401 with no body on both endpoints', async (t) => {
  t.plan(6)
  for (const path of [BULK, BULK + '/feature_1']) {
    const res = await post(path, CONTEXT, { authorization: 'Bearer nobody' })
    t.equal(res.status, 401)
    t.equal(res.text, '')
    t.equal(res.headers.get('www-authenticate'), 'Bearer realm="tideflags"')
  }
})

t.test('a malformed Authorization header is 400 GENERAL with the reason, on both endpoints', async (t) => {
  t.plan(4)
  const bulk = await post(BULK, CONTEXT, { authorization: 'Digest abc' })
  t.equal(bulk.status, 400)
  t.same(bulk.json, { errorCode: 'GENERAL', errorDetails: 'Authorization must use the Bearer or Basic scheme' })
  const single = await post(BULK + '/feature_1', CONTEXT, { authorization: 'Basic !!!' })
  t.equal(single.status, 400)
  t.same(single.json, { key: 'feature_1', errorCode: 'GENERAL', errorDetails: 'Basic credentials must be base64 of "user:token"' })
})

t.test('bodies that are not JSON, not UTF-8, empty, or not an object are 400 PARSE_ERROR', async (t) => {
  const cases: [string, string | Buffer][] = [
    ['truncated JSON', '{"context":'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
    ['an empty body', ''],
    ['an array', '[]'],
    ['a string', '"context"'],
    ['null', 'null'],
  ]
  t.plan(cases.length * 2)
  for (const [name, body] of cases) {
    const bulk = await post(BULK, body)
    t.match({ status: bulk.status, json: bulk.json }, { status: 400, json: { errorCode: 'PARSE_ERROR' } }, `bulk, ${name}`)
    const single = await post(BULK + '/feature_1', body)
    t.match({ status: single.status, json: single.json }, { status: 400, json: { key: 'feature_1', errorCode: 'PARSE_ERROR' } }, `single, ${name}`)
  }
})

t.test('a context that is missing or not an object is 400 INVALID_CONTEXT', async (t) => {
  const cases = ['{}', '{"context":null}', '{"context":[]}', '{"context":"1234"}', '{"context":1}']
  t.plan(cases.length * 2)
  for (const body of cases) {
    t.same((await post(BULK, body)).json, {
      errorCode: 'INVALID_CONTEXT', errorDetails: 'The request body must hold a "context" that is a JSON object',
    }, `bulk, ${body}`)
    t.match((await post(BULK + '/feature_3', body)).json, { key: 'feature_3', errorCode: 'INVALID_CONTEXT' }, `single, ${body}`)
  }
})

t.test('a body announced larger than 64 KiB is refused with 413 before it is read, and the connection closed', async (t) => {
  t.plan(3)
  const res = await rawPost(BULK, { 'content-length': String(64 * 1024 + 1) }, Buffer.alloc(0), false)
  t.equal(res.status, 413)
  t.equal(res.headers.connection, 'close')
  t.same(JSON.parse(res.body), { errorCode: 'GENERAL', errorDetails: 'The request body is larger than 64 KiB' })
})

t.test('a chunked body that grows past 64 KiB is refused with 413', async (t) => {
  t.plan(2)
  const res = await rawPost(BULK + '/feature_1', { 'transfer-encoding': 'chunked' }, Buffer.alloc(70 * 1024, 0x20), true)
  t.equal(res.status, 413)
  t.match(JSON.parse(res.body), { key: 'feature_1', errorCode: 'GENERAL' })
})

t.test('a body of exactly 64 KiB is accepted', async (t) => {
  t.plan(1)
  const body = JSON.stringify({ context: { pad: '' } })
  const padded = body.replace('""', '"' + 'x'.repeat(64 * 1024 - body.length) + '"')
  t.equal((await post(BULK, padded)).status, 200)
})

t.test('a client that goes away mid-body leaves the server serving', async (t) => {
  t.plan(1)
  const socket = connect(new URL(served.url).port as unknown as number, '127.0.0.1')
  await once(socket, 'connect')
  socket.write(`POST ${BULK} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"context":`)
  await sleep(50)
  socket.destroy()
  await sleep(50)
  t.equal((await post(BULK)).status, 200)
})

t.test('other methods get 405 with Allow: POST; paths beyond one key segment are 404', async (t) => {
  t.plan(5)
  const get = await fetch(served.url + BULK)
  t.equal(get.status, 405)
  t.equal(get.headers.get('allow'), 'POST')
  t.equal((await fetch(served.url + BULK + '/feature_1', { method: 'PUT' })).headers.get('allow'), 'POST')
  t.equal((await post(BULK + '/')).status, 404)
  t.equal((await post(BULK + '/a/b')).status, 404)
})

t.test('/features is unaffected by the OFREP routes', async (t) => {
  t.plan(2)
  const res = await fetch(served.url + '/features', { headers: bearer })
  t.equal(res.status, 200)
  t.same(await res.json(), { active_features: ['feature_1', 'feature_2', 'feature_3'] })
})

t.test('a key of the wrong type in Redis is 500 GENERAL on both endpoints, details in the log only', async (t) => {
  t.plan(4)
  await features.del('active_features')
  await features.set('active_features', 'oops')
  t.teardown(async () => {
    await features.del('active_features')
    await features.sadd('active_features', 'feature_3')
  })
  const bulk = await post(BULK)
  t.equal(bulk.status, 500)
  t.same(bulk.json, { errorCode: 'GENERAL', errorDetails: 'Internal server error' })
  const single = await post(BULK + '/feature_1', CONTEXT, bearer)
  t.equal(single.status, 500)
  t.same(single.json, { key: 'feature_1', errorCode: 'GENERAL', errorDetails: 'Internal server error' })
})

t.test('past the bound on commands in flight, a request gets 503 at once, in OFREP shape', async (t) => {
  t.plan(5)
  const bounded = await startRedisPair({ REDIS_MAX_PENDING: '1', REDIS_COMMAND_TIMEOUT_MS: '300', RETRY_AFTER_SECONDS: '3' })
  const boundedServer = await serve(bounded.store, bounded.env)
  t.teardown(async () => {
    await boundedServer.close()
    await bounded.stop()
  })
  // A first answer proves the connections are up: the 503s below are then the bound's doing.
  let warm = await fetch(boundedServer.url + BULK, { method: 'POST', body: CONTEXT })
  for (let i = 0; i < 100 && warm.status !== 200; i++) {
    await sleep(20)
    warm = await fetch(boundedServer.url + BULK, { method: 'POST', body: CONTEXT })
  }
  t.equal(warm.status, 200)
  bounded.features.pause() // connections stay open, replies stop: the first command stays in flight
  const first = fetch(boundedServer.url + BULK, { method: 'POST', body: CONTEXT })
  await sleep(50)
  const started = Date.now()
  const second = await fetch(boundedServer.url + BULK + '/feature_1', { method: 'POST', body: CONTEXT })
  t.equal(second.status, 503)
  t.ok(Date.now() - started < 200, 'answered before the command timeout')
  t.equal(second.headers.get('retry-after'), '3')
  t.equal((await first).status, 503, 'the stalled one times out into 503')
  bounded.features.resume()
})

t.test('Redis down is 503 with Retry-After on both endpoints, and service returns with Redis', async (t) => {
  t.plan(7)
  await pair.features.kill()
  const bulk = await post(BULK)
  t.equal(bulk.status, 503)
  t.equal(bulk.headers.get('retry-after'), '7')
  t.same(bulk.json, { errorCode: 'GENERAL', errorDetails: 'The feature store is unavailable, retry later' })
  const single = await post(BULK + '/feature_1')
  t.equal(single.status, 503)
  t.match(single.json, { key: 'feature_1', errorCode: 'GENERAL' })
  await pair.users.kill()
  t.equal((await post(BULK, CONTEXT, bearer)).status, 503, 'the users Redis down is 503 too')
  await pair.features.start()
  await pair.users.start()
  // The restarted Redis is empty: the anonymous answer is then an empty flag list.
  let res = await post(BULK)
  for (let i = 0; i < 100 && res.status !== 200; i++) {
    await sleep(50)
    res = await post(BULK)
  }
  t.same(res.json, { flags: [] })
})

interface RawAnswer { status: number, headers: Record<string, string | string[] | undefined>, body: string }

// node:http for what fetch will not send: a Content-Length with no body, a chunked stream.
async function rawPost (path: string, headers: Record<string, string>, body: Buffer, send: boolean): Promise<RawAnswer> {
  const req = request(served.url + path, { method: 'POST', headers, agent: false })
  req.on('error', () => {}) // the server may close while we still write: the answer is what counts
  if (send) req.write(body)
  else req.flushHeaders()
  const [res] = await once(req, 'response') as [import('node:http').IncomingMessage]
  let text = ''
  res.setEncoding('utf8')
  for await (const chunk of res) text += chunk as string
  req.destroy()
  return { status: res.statusCode as number, headers: res.headers, body: text }
}
