// Targeting over real HTTP, on both stores: the request's location from a header or from GeoIP (with
// TRUST_PROXY and X-Forwarded-For), rollouts, and the OFREP reasons of each source.

import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startApp, type App } from '../../helpers/app.js'
import { untilReachable, writeDataFile } from '../../helpers/in-process.js'
import { RedisServer } from '../../helpers/redis-server.js'

const DATA = {
  global_features: ['g1'],
  active_features: ['a1', 'loc_us', 'loc_nl', 'r100'],
  tokens: { 1234: '1' },
  user_features: { 1: ['a1'] },
  locations: { US: ['loc_us'], NL: ['loc_nl'] },
  rollouts: { r100: '100' },
}
const LOCATED = { LOCATION_HEADER: 'X-Location', GEOIP: 'on', TRUST_PROXY: '127.0.0.1, ::1' }

type Starter = (env: Record<string, string>) => Promise<App>

const dir = mkdtempSync(join(tmpdir(), 'tideflags-targeting-'))
const embedded: Starter = async (env) => startApp({ FEATURES_FILE: writeDataFile(dir, DATA), ...env })

const users = new RedisServer()
const features = new RedisServer()
const redis: Starter = async (env) => {
  const app = await startApp({ REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url, ...env })
  await untilReachable(app.store)
  return app
}
t.before(async () => {
  await Promise.all([users.start(), features.start()])
  const u = users.client()
  const f = features.client()
  await u.set('token:1234', '1')
  await f.sadd('global_features', ...DATA.global_features)
  await f.sadd('active_features', ...DATA.active_features)
  await f.sadd('features:user:1', 'a1')
  await f.sadd('location:US', 'loc_us')
  await f.sadd('location:NL', 'loc_nl')
  await f.hset('rollout', 'r100', '100')
  u.disconnect()
  f.disconnect()
})
t.teardown(async () => {
  await Promise.all([users.stop(), features.stop()])
})

async function answer (app: App, headers: Record<string, string> = {}): Promise<unknown> {
  const res = await fetch(`${app.url}/features`, { headers })
  if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`)
  return res.json()
}

async function invalidCount (app: App): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text()
  return Number(/^tideflags_location_invalid_total (\d+)$/m.exec(text)?.[1])
}

const flag = (key: string, value: boolean, reason: string): object => ({ key, value, reason, variant: value ? 'on' : 'off' })

for (const [name, start] of [['embedded store', embedded], ['redis store', redis]] as const) {
  t.test(`${name}: a location from the header, or else from GeoIP through trusted proxies`, async (t) => {
    const app = await start(LOCATED)
    t.teardown(() => app.close())

    t.test('the header names the location, case-insensitively, and wins over GeoIP', async (t) => {
      t.same(await answer(app, { 'x-location': 'us' }), { active_features: ['g1', 'loc_us'] })
      t.same(await answer(app, { 'x-location': 'NL', 'x-forwarded-for': '8.8.8.8' }), { active_features: ['g1', 'loc_nl'] })
      t.same(await answer(app, { 'x-location': 'US', authorization: 'Bearer 1234' }), { active_features: ['a1', 'g1', 'loc_us', 'r100'] })
    })

    t.test('without the header, GeoIP reads the client address X-Forwarded-For gives from a trusted peer, IPv4 and IPv6', async (t) => {
      t.same(await answer(app, { 'x-forwarded-for': '8.8.8.8' }), { active_features: ['g1', 'loc_us'] })
      t.same(await answer(app, { 'x-forwarded-for': '2001:67c:2e8:22::c100:68b' }), { active_features: ['g1', 'loc_nl'] })
      t.same(await answer(app, { 'x-forwarded-for': '2001:4860:4860::8888, 127.0.0.1' }), { active_features: ['g1', 'loc_us'] }, 'trusted hops are skipped')
      t.same(await answer(app), { active_features: ['g1'] }, 'no header and a loopback peer: no location')
    })

    t.test('an invalid header value is no location, counted, never an error', async (t) => {
      t.same(await answer(app, { 'x-location': 'u s', 'x-forwarded-for': '8.8.8.8' }), { active_features: ['g1'] }, 'GeoIP is not asked either')
      t.same(await answer(app, { 'x-location': 'x'.repeat(65), authorization: 'Bearer 1234' }), { active_features: ['a1', 'g1', 'r100'] })
      // The first scrape of this app (a scrape is reused for a second): the earlier requests were valid.
      t.equal(await invalidCount(app), 2)
    })

    t.test('OFREP takes the location from the same sources, never from the evaluation context', async (t) => {
      const res = await fetch(`${app.url}/ofrep/v1/evaluate/flags`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-location': 'US', authorization: 'Bearer 1234' },
        body: JSON.stringify({ context: { targetingKey: '2', location: 'NL' } }),
      })
      t.equal(res.status, 200)
      t.same(await res.json(), {
        flags: [flag('a1', true, 'TARGETING_MATCH'), flag('g1', true, 'STATIC'), flag('loc_nl', false, 'DISABLED'),
          flag('loc_us', true, 'TARGETING_MATCH'), flag('r100', true, 'SPLIT')],
      })
      const one = await fetch(`${app.url}/ofrep/v1/evaluate/flags/loc_nl`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '193.0.6.139' }, body: '{"context":{}}',
      })
      t.same(await one.json(), flag('loc_nl', true, 'TARGETING_MATCH'), 'by GeoIP: NL')
    })
  })

  t.test(`${name}: X-Forwarded-For from a peer that is not a trusted proxy is ignored`, async (t) => {
    const app = await start({ GEOIP: 'on', TRUST_PROXY: '10.0.0.0/8' })
    t.teardown(() => app.close())
    t.same(await answer(app, { 'x-forwarded-for': '8.8.8.8' }), { active_features: ['g1'] }, 'the peer 127.0.0.1 is the client: no country')
    t.same(await answer(app, { 'x-location': 'US' }), { active_features: ['g1'] }, 'no LOCATION_HEADER configured: any header is ignored')
  })

  t.test(`${name}: with no location source configured, requests have no location`, async (t) => {
    const app = await start({})
    t.teardown(() => app.close())
    t.same(await answer(app, { 'x-location': 'US', 'x-forwarded-for': '8.8.8.8', 'cf-ipcountry': 'US' }), { active_features: ['g1'] })
    t.same(await answer(app, { authorization: 'Bearer 1234' }), { active_features: ['a1', 'g1', 'r100'] }, 'the rollout still applies to users')
  })
}
