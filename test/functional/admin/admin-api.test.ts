// The admin API over real Redis, through real HTTP: every route, sign-in (401/429), scopes (403),
// validation (422), the public listener refusing admin paths, and the admin listener's own metrics.

import t from 'tap'
import { loadConfig } from '../../../src/config/config.js'
import { DEFAULTS } from '../../../src/config/defaults.js'
import { createStore } from '../../../src/store/index.js'
import { READ_TOKEN, request, startAdmin, WRITE_TOKEN, type AdminApp } from '../../helpers/admin.js'
import { quiet, serve, startRedisPair, type RedisPair } from '../../helpers/in-process.js'

let redis: RedisPair
let app: AdminApp

t.before(async () => {
  redis = await startRedisPair()
  app = await startAdmin(redis.env)
})
t.teardown(async () => {
  await app.close()
  await redis.stop()
})

/** Every route, with a valid path and body. */
const ROUTES: [string, string, unknown?][] = [
  ['GET', '/admin/v1/features'],
  ['PUT', '/admin/v1/features/f_x/global'],
  ['DELETE', '/admin/v1/features/f_x/global'],
  ['PUT', '/admin/v1/features/f_x/active'],
  ['DELETE', '/admin/v1/features/f_x/active'],
  ['PUT', '/admin/v1/features/f_x/schedule', { days: 'mon' }],
  ['DELETE', '/admin/v1/features/f_x/schedule'],
  ['PUT', '/admin/v1/features/f_x/rollout', { percent: 10 }],
  ['DELETE', '/admin/v1/features/f_x/rollout'],
  ['GET', '/admin/v1/users/7/features'],
  ['PUT', '/admin/v1/users/7/features/f_x'],
  ['DELETE', '/admin/v1/users/7/features/f_x'],
  ['GET', '/admin/v1/locations'],
  ['GET', '/admin/v1/locations/ES'],
  ['PUT', '/admin/v1/locations/ES/features/f_x'],
  ['DELETE', '/admin/v1/locations/ES/features/f_x'],
  ['POST', '/admin/v1/explain', { user: '7' }],
  ['GET', '/admin/v1/audit'],
]
const WRITES = ROUTES.filter(([method, path]) => method !== 'GET' && !path.endsWith('/explain'))

async function auditLength (): Promise<number> {
  const client = redis.features.client()
  try {
    return await client.xlen('audit')
  } finally {
    client.disconnect()
  }
}

t.test('every admin route answers 401 without a token, with an unknown one, a malformed one, or a user token', async (t) => {
  const attempts: [string, Record<string, string>][] = [
    ['no token', {}],
    ['an unknown token', { authorization: 'Bearer not-a-token' }],
    ['a malformed header', { authorization: 'Basic !!!' }],
    ['a user token', { authorization: 'Bearer 1234' }],
  ]
  t.plan(ROUTES.length * 2 + 1)
  let fresh: AdminApp | undefined
  for (const [i, [method, path, body]] of ROUTES.entries()) {
    // A fresh listener every few attempts: the shared one must not refuse this address (429) later.
    if (i % (DEFAULTS.adminFailureLimit - 1) === 0) {
      await fresh?.close()
      fresh = await startAdmin(redis.env)
    }
    const target = fresh as AdminApp
    const [what, headers] = attempts[i % attempts.length] as [string, Record<string, string>]
    const answer = await request(target.url, method, path, { headers, body })
    t.same([answer.status, answer.json], [401, { key: 'auth_error', message: 'Unauthorized' }], `${method} ${path}, ${what}`)
    t.equal(answer.headers.get('www-authenticate'), 'Bearer realm="tideflags"')
  }
  await fresh?.close()
  t.equal(await auditLength(), 0, 'nothing was written')
})

t.test('a read token may read but every write answers 403 and changes nothing', async (t) => {
  t.plan(WRITES.length + ROUTES.length - WRITES.length + 1)
  for (const [method, path, body] of ROUTES) {
    const answer = await request(app.url, method, path, { token: READ_TOKEN, body })
    if (WRITES.some(([m, p]) => m === method && p === path)) {
      t.same([answer.status, answer.json], [403, { key: 'forbidden', message: 'This admin token may only read' }], `${method} ${path}`)
    } else {
      t.equal(answer.status, 200, `${method} ${path}`)
    }
  }
  t.equal(await auditLength(), 0)
})

const INVALID: [string, string, string, unknown, Record<string, string | RegExp>][] = [
  ['a feature name with a space', 'PUT', '/admin/v1/features/a%20b/global', undefined, { feature: /letters, digits/ }],
  ['a feature name too long', 'DELETE', `/admin/v1/features/${'x'.repeat(129)}/active`, undefined, { feature: /1 to 128/ }],
  ['broken percent-encoding', 'PUT', '/admin/v1/features/%E0%A4/active', undefined, { feature: /letters/ }],
  ['a percent over 100', 'PUT', '/admin/v1/features/f/rollout', { percent: 101 }, { percent: /0 to 100/ }],
  ['a percent with three decimals', 'PUT', '/admin/v1/features/f/rollout', { percent: '12.345' }, { percent: /two decimals/ }],
  ['no percent', 'PUT', '/admin/v1/features/f/rollout', {}, { percent: /0 to 100/ }],
  ['a rollout body that is not an object', 'PUT', '/admin/v1/features/f/rollout', [25], { body: 'expected a JSON object', percent: /percent/ }],
  ['schedule fields the parser refuses', 'PUT', '/admin/v1/features/f/schedule', { start: '2026-01-01', days: 'funday', strat: 'x' }, { start: /ISO-8601/, days: /comma-separated/, strat: /unknown field/ }],
  ['an empty schedule', 'PUT', '/admin/v1/features/f/schedule', {}, { schedule: /at least one/ }],
  ['a schedule field that is not text', 'PUT', '/admin/v1/features/f/schedule', { days: 1 }, { days: 'expected a string' }],
  ['a bad user id and feature at once', 'PUT', '/admin/v1/users/a%00b/features/b%20c', undefined, { user: /control characters/, feature: /letters/ }],
  ['a bad location', 'PUT', '/admin/v1/locations/E%20S/features/f', undefined, { location: /letters, digits, _ or -/ }],
  ['a bad location to read', 'GET', '/admin/v1/locations/E%20S', undefined, { location: /letters/ }],
  ['a bad user id to read', 'GET', '/admin/v1/users/%0A/features', undefined, { user: /user id/ }],
  ['explain with neither token nor user', 'POST', '/admin/v1/explain', {}, { user: 'give either token or user' }],
  ['explain with both', 'POST', '/admin/v1/explain', { token: '1234', user: '1' }, { user: 'give either token or user' }],
  ['explain with a token that is not text', 'POST', '/admin/v1/explain', { token: 5 }, { token: /user token/ }],
  ['explain with an unknown field, a bad location and a bad time', 'POST', '/admin/v1/explain', { user: '1', location: 'E S', at: 'tomorrow', who: 1 }, { location: /letters/, at: /ISO-8601/, who: /unknown field/ }],
  ['explain with a token nobody has', 'POST', '/admin/v1/explain', { token: 'nobody' }, { token: /no user has this token/ }],
  ['an audit limit of 0', 'GET', '/admin/v1/audit?limit=0', undefined, { limit: /1 to 500/ }],
  ['an audit limit over the maximum', 'GET', `/admin/v1/audit?limit=${DEFAULTS.auditPageMax + 1}`, undefined, { limit: /1 to 500/ }],
  ['an audit limit that is no number', 'GET', '/admin/v1/audit?limit=ten', undefined, { limit: /integer/ }],
  ['an audit page id that is no entry id', 'GET', '/admin/v1/audit?before=yesterday', undefined, { before: /entry id/ }],
]

for (const [what, method, path, body, errors] of INVALID) {
  t.test(`${what}: 422 naming each bad field, and nothing written`, async (t) => {
    t.plan(4)
    const answer = await request(app.url, method, path, { token: WRITE_TOKEN, body })
    t.equal(answer.status, 422)
    t.match(answer.json, { key: 'validation_failed', message: 'The request is not valid; see errors', errors })
    t.same(Object.keys(answer.json.errors).sort(), Object.keys(errors).sort())
    t.equal(await auditLength(), 0)
  })
}

t.test('a body that is not JSON is 400, one over the body limit 413', async (t) => {
  t.plan(3)
  const bad = await request(app.url, 'PUT', '/admin/v1/features/f/rollout', { token: WRITE_TOKEN, body: '{"percent":' })
  t.same([bad.status, bad.json.key], [400, 'invalid_json'])
  const notUtf8 = await fetch(app.url + '/admin/v1/explain', { method: 'POST', headers: { authorization: `Bearer ${WRITE_TOKEN}` }, body: Buffer.from([0x7b, 0xff, 0x7d]) })
  t.equal(notUtf8.status, 400)
  const big = await request(app.url, 'POST', '/admin/v1/explain', { token: WRITE_TOKEN, body: JSON.stringify({ user: 'x'.repeat(70_000) }) })
  t.same([big.status, big.json.key], [413, 'body_too_large'])
})

t.test('unknown admin paths are 404 and other methods 405 for a signed-in caller; paths outside /admin/ need no sign-in', async (t) => {
  t.plan(6)
  t.equal((await request(app.url, 'GET', '/admin/v1/nothing', { token: READ_TOKEN })).status, 404)
  const wrong = await request(app.url, 'PATCH', '/admin/v1/features/f/global', { token: WRITE_TOKEN })
  t.same([wrong.status, wrong.headers.get('allow')], [405, 'PUT, DELETE'])
  const page = await request(app.url, 'GET', '/')
  t.same([page.status, page.headers.get('content-type')], [200, 'text/html; charset=utf-8'], 'the console\'s page, with no token')
  t.match(page.headers.get('content-security-policy'), /^default-src 'none'; script-src 'self';/)
  t.equal((await request(app.url, 'GET', '/nothing.js')).status, 404, 'a file the console does not have')
  const fresh = await startAdmin(redis.env)
  t.teardown(fresh.close)
  t.equal((await request(fresh.url, 'GET', '/admin/v1/nothing')).status, 401, 'under /admin/, sign-in comes first')
})

t.test('repeated failed sign-ins from one address get 429 with Retry-After, whatever token they then send, until the window ends', async (t) => {
  t.plan(6)
  let now = 1_000_000
  const limited = await startAdmin(redis.env, { now: () => now })
  t.teardown(limited.close)
  for (let i = 0; i < DEFAULTS.adminFailureLimit; i++) await request(limited.url, 'GET', '/admin/v1/features', { token: `guess-${i}` })
  now += 15_000
  const refused = await request(limited.url, 'GET', '/admin/v1/features', { token: WRITE_TOKEN })
  t.same([refused.status, refused.json], [429, { key: 'too_many_failures', message: 'Too many failed admin sign-ins from this address, retry later' }])
  t.equal(refused.headers.get('retry-after'), String((DEFAULTS.adminFailureWindowMs - 15_000) / 1000))
  const again = await request(limited.url, 'GET', '/admin/v1/features', { token: 'guess' })
  t.equal(again.status, 429, 'a refused attempt is not even checked')
  now += DEFAULTS.adminFailureWindowMs
  t.equal((await request(limited.url, 'GET', '/admin/v1/features', { token: WRITE_TOKEN })).status, 200, 'after the window, sign-in works again')
  const forbidden = await request(limited.url, 'PUT', '/admin/v1/features/f/global', { token: READ_TOKEN })
  t.equal(forbidden.status, 403)
  for (let i = 0; i < DEFAULTS.adminFailureLimit; i++) await request(limited.url, 'PUT', '/admin/v1/features/f/global', { token: READ_TOKEN })
  t.equal((await request(limited.url, 'GET', '/admin/v1/features', { token: READ_TOKEN })).status, 200, '403s are not failed sign-ins')
})

t.test('every admin path answers 404 on the public listener, and nothing is written', async (t) => {
  const store = createStore(loadConfig(redis.env), quiet)
  const pub = await serve(store, redis.env)
  t.teardown(async () => { await pub.close(); await store.close() })
  t.plan(ROUTES.length * 2 + 2)
  for (const [method, path, body] of ROUTES) {
    const answer = await request(pub.url, method, path, { token: WRITE_TOKEN, body })
    t.equal(answer.status, 404, `${method} ${path}`)
    t.equal(answer.json.key, 'url_not_found_error')
  }
  t.equal((await request(pub.url, 'GET', '/admin/', { token: WRITE_TOKEN })).status, 404)
  t.equal(await auditLength(), 0)
})

t.test('the routes read and write the Redis keys of the contract, each change audited with its actor', async (t) => {
  const w = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const answer = await request(app.url, method, path, { token: WRITE_TOKEN, body })
    t.equal(answer.status, 200, `${method} ${path}`)
    return answer.json
  }
  t.same(await w('PUT', '/admin/v1/features/feature_9/active'), { changed: true, before: false, after: true })
  t.same(await w('PUT', '/admin/v1/features/feature_9/active'), { changed: false, before: true, after: true }, 'idempotent')
  await w('PUT', '/admin/v1/locations/es/features/feature_9')
  await w('PUT', '/admin/v1/users/1/features/feature_8')
  t.same(await w('PUT', '/admin/v1/features/feature_8/rollout', { percent: 12.5 }), { changed: true, before: null, after: '12.5' })
  t.same(await w('PUT', '/admin/v1/features/feature_7/schedule', { tz: 'Europe/Madrid', days: 'mon' }), { changed: true, before: null, after: { days: 'mon', tz: 'Europe/Madrid' } })
  t.same(await w('DELETE', '/admin/v1/features/feature_1/global'), { changed: true, before: true, after: false })

  const client = redis.features.client()
  t.teardown(() => client.disconnect())
  t.same((await client.smembers('active_features')).sort(), ['feature_3', 'feature_9'])
  t.same(await client.smembers('location:ES'), ['feature_9'], 'location names are upper-cased, as requests\' are')
  t.same((await client.smembers('features:user:1')).sort(), ['feature_3', 'feature_4', 'feature_8'])
  t.same(await client.hgetall('rollout'), { feature_8: '12.5' })
  t.same(await client.hgetall('schedule:feature_7'), { days: 'mon', tz: 'Europe/Madrid' })
  t.same(await client.smembers('global_features'), ['feature_2'])

  const list = await request(app.url, 'GET', '/admin/v1/features', { token: READ_TOKEN })
  t.same(list.json.features.map((f: { name: string }) => f.name), ['feature_2', 'feature_3', 'feature_7', 'feature_8', 'feature_9'])
  t.match(list.json.features.find((f: { name: string }) => f.name === 'feature_9'), { global: false, active: true, locations: ['ES'], schedule: null, rollout: null })
  t.match(list.json.features.find((f: { name: string }) => f.name === 'feature_7'), { schedule: { fields: { days: 'mon', tz: 'Europe/Madrid' }, valid: true } })
  t.ok(Math.abs(Date.parse(list.json.now) - Date.now()) < 5_000, 'the Redis clock')
  t.same((await request(app.url, 'GET', '/admin/v1/users/1/features', { token: READ_TOKEN })).json, { user: '1', features: ['feature_3', 'feature_4', 'feature_8'] })
  t.same((await request(app.url, 'GET', '/admin/v1/locations', { token: READ_TOKEN })).json, { locations: [{ name: 'ES', features: ['feature_9'] }] })
  t.same((await request(app.url, 'GET', '/admin/v1/locations/Es', { token: READ_TOKEN })).json, { name: 'ES', features: ['feature_9'] })

  const audit = await request(app.url, 'GET', '/admin/v1/audit?limit=4', { token: READ_TOKEN })
  t.same(audit.json.entries.map((e: { action: string, target: string }) => `${e.action} ${e.target}`), [
    'global.remove global_features feature_1',
    'schedule.set schedule:feature_7',
    'rollout.set rollout feature_8',
    'user.add features:user:1 feature_8',
  ])
  t.match(audit.json.entries[0], { actor: 'alice', before: true, after: false, id: /^\d+-\d+$/ })
  t.ok(Math.abs(Date.parse(audit.json.entries[0].time) - Date.now()) < 5_000)
  const rest = await request(app.url, 'GET', `/admin/v1/audit?before=${audit.json.next as string}`, { token: READ_TOKEN })
  t.same(rest.json.entries.map((e: { action: string }) => e.action), ['location.add', 'active.add'], 'the next page, down to the first entry; the no-op was not audited')
  t.equal(rest.json.next, null)
  t.end()
})

t.test('explain gives the answer /features gives the same caller, with each feature\'s why', async (t) => {
  const store = createStore(loadConfig({ ...redis.env, LOCATION_HEADER: 'x-location' }), quiet)
  const pub = await serve(store, { ...redis.env, LOCATION_HEADER: 'x-location' })
  t.teardown(async () => { await pub.close(); await store.close() })
  for (const [body, headers] of [
    [{ token: '1234' }, { authorization: 'Bearer 1234' }],
    [{ token: '1234', location: 'es' }, { authorization: 'Bearer 1234', 'x-location': 'es' }],
    [{ user: '1', location: 'FR' }, { authorization: 'Bearer 1234', 'x-location': 'FR' }],
  ] as [Record<string, string>, Record<string, string>][]) {
    const explained = await request(app.url, 'POST', '/admin/v1/explain', { token: READ_TOKEN, body })
    const answer = await request(pub.url, 'GET', '/features', { headers })
    t.same(explained.json.answer, answer.json, JSON.stringify(body))
    t.equal(explained.json.user, '1')
    t.notMatch(JSON.stringify(explained.json), /1234/, 'the user token is never echoed')
  }
  const at = await request(app.url, 'POST', '/admin/v1/explain', { token: READ_TOKEN, body: { user: '1', at: '2026-06-01T12:00:00Z' } })
  t.equal(at.json.at, '2026-06-01T12:00:00.000Z')
  t.match(at.json.features.find((f: { name: string }) => f.name === 'feature_7'), { on: false, schedule: { open: true } }, 'feature_7 is not active: its open schedule alone does not switch it on')
  t.match(at.json.features.find((f: { name: string }) => f.name === 'feature_4'), { on: false, why: 'not_active', user: true })
  t.end()
})

t.test('an audit entry added by hand that is not JSON is shown as text', async (t) => {
  t.plan(1)
  const client = redis.features.client()
  t.teardown(() => client.disconnect())
  await client.xadd('audit', '*', 'time', '1', 'actor', 'ops', 'action', 'global.add', 'target', 'global_features x', 'before', 'off', 'after', 'on')
  const page = await request(app.url, 'GET', '/admin/v1/audit?limit=1', { token: READ_TOKEN })
  t.match(page.json.entries[0], { actor: 'ops', before: 'off', after: 'on', time: '1970-01-01T00:00:00.001Z' })
})

t.test('admin requests are counted under their own route labels, and the access log holds no token', async (t) => {
  t.plan(4)
  await request(app.url, 'GET', '/admin/v1/nowhere', { token: READ_TOKEN })
  const text = await app.metrics.registry.metrics()
  t.match(text, /tideflags_http_requests_total\{route="\/admin\/v1\/features\/\{name\}\/global",status="403"\}/)
  t.match(text, /tideflags_http_requests_total\{route="admin:unmatched",status="404"\}/)
  t.notMatch(text, /route="unmatched"/, 'the public listener\'s unmatched label is not used')
  t.notOk(app.accessLines.some((line) => JSON.stringify(line).includes(WRITE_TOKEN) || JSON.stringify(line).includes(READ_TOKEN)))
})
