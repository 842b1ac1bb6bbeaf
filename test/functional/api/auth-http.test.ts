// Authorization edge cases over real HTTP: the in-process handler, real redis-server processes, and
// raw requests for what fetch refuses to send (repeated headers, a bare scheme).

import t from 'tap'
import { rawRequest, startApp, type App } from '../../helpers/app.js'
import { untilReachable } from '../../helpers/in-process.js'
import { RedisServer, seedExample } from '../../helpers/redis-server.js'

const users = new RedisServer()
const features = new RedisServer()
let app: App
const LONG_TOKEN = 't'.repeat(1000)

t.before(async () => {
  await Promise.all([users.start(), features.start()])
  await seedExample(users, features)
  const c = users.client()
  await c.set(`token:${LONG_TOKEN}`, '1')
  c.disconnect()
  app = await startApp({ REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url })
  await untilReachable(app.store)
})

t.teardown(async () => {
  await app.close()
  await Promise.all([users.stop(), features.stop()])
})

// One raw request; returns the status and the parsed JSON body (null when there is none).
async function send (method: string, path: string, headerLines: string[], body = ''): Promise<{ status: number, json: unknown }> {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: x', 'Connection: close', ...headerLines]
  if (method === 'POST') lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`)
  const text = await rawRequest(app.url, lines.join('\r\n') + '\r\n\r\n' + body)
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1])
  const payload = text.slice(text.indexOf('\r\n\r\n') + 4)
  return { status, json: payload === '' ? null : JSON.parse(payload) }
}

const CONTEXT = '{"context":{}}'

t.test('two Authorization headers get 400 invalid_authorization on /features, even when the first is valid', async (t) => {
  t.plan(4)
  const twice = await send('GET', '/features', ['Authorization: Bearer 1234', 'authorization: Bearer other'])
  t.equal(twice.status, 400)
  t.same(twice.json, { key: 'invalid_authorization', message: 'Send one Authorization header, not several' })
  const once = await send('GET', '/features', ['Authorization: Bearer 1234'])
  t.equal(once.status, 200, 'one header is served')
  t.same(once.json, { active_features: ['feature_1', 'feature_2', 'feature_3'] })
})

t.test('two Authorization headers get 400 in OFREP shape on both OFREP routes', async (t) => {
  t.plan(5)
  const headers = ['AUTHORIZATION: Bearer 1234', 'Authorization: Bearer 1234']
  const bulk = await send('POST', '/ofrep/v1/evaluate/flags', headers, CONTEXT)
  t.equal(bulk.status, 400)
  t.same(bulk.json, { errorCode: 'GENERAL', errorDetails: 'Send one Authorization header, not several' })
  const single = await send('POST', '/ofrep/v1/evaluate/flags/feature_3', headers, CONTEXT)
  t.equal(single.status, 400)
  t.same(single.json, { key: 'feature_3', errorCode: 'GENERAL', errorDetails: 'Send one Authorization header, not several' })
  const once = await send('POST', '/ofrep/v1/evaluate/flags/feature_3', ['Authorization: Bearer 1234'], CONTEXT)
  t.equal(once.status, 200, 'one header is served')
})

t.test('"Authorization: Bearer" with no token is answered as an empty token', async (t) => {
  t.plan(4)
  const bare = await send('GET', '/features', ['Authorization: Bearer '])
  t.equal(bare.status, 400)
  t.same(bare.json, { key: 'invalid_authorization', message: 'The token is empty' })
  const ofrep = await send('POST', '/ofrep/v1/evaluate/flags', ['Authorization: Bearer'], CONTEXT)
  t.equal(ofrep.status, 400)
  t.same(ofrep.json, { errorCode: 'GENERAL', errorDetails: 'The token is empty' })
})

t.test('Basic with a 300-byte user name and a 1000-byte token authenticates with that token', async (t) => {
  t.plan(2)
  const credentials = Buffer.from('u'.repeat(300) + ':' + LONG_TOKEN).toString('base64')
  const res = await send('GET', '/features', [`Authorization: Basic ${credentials}`])
  t.equal(res.status, 200)
  t.same(res.json, { active_features: ['feature_1', 'feature_2', 'feature_3'] })
})
