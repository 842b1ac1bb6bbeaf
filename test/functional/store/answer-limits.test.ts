// Issue 9: one caller's huge data must not take the service down for everyone else, and feature names
// that are not UTF-8 must read the same on /features and OFREP. Real redis-servers, real HTTP, the
// default limits (MAX_ANSWER_FEATURES, MAX_OFREP_FLAGS).

import t, { type Test } from 'tap'
import type { Redis } from 'ioredis'
import { OFREP_KEY } from '../../../src/store/limits.js'
import { startApp, type App } from '../../helpers/app.js'
import { untilReachable } from '../../helpers/in-process.js'
import { RedisServer } from '../../helpers/redis-server.js'

const HUGE = 100_000
const OTHERS = 20 // users with a small set of their own, tokens t0..t19

/** Add `count` members named `${prefix}<i>` to `key`, in pipelined chunks. */
async function fill (client: Redis, key: string, prefix: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 10_000) {
    const chunk = Array.from({ length: Math.min(10_000, count - start) }, (_, i) => `${prefix}${start + i}`)
    await client.sadd(key, chunk)
  }
}

async function setUp (t: Test, seed: (users: Redis, features: Redis) => Promise<void>): Promise<App> {
  const users = await new RedisServer().start()
  const features = await new RedisServer().start()
  const u = users.client()
  const f = features.client()
  await seed(u, f)
  u.disconnect()
  f.disconnect()
  // A generous command timeout: what is tested is the refusal, not a timeout on a loaded machine.
  const app = await startApp({ REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url, REDIS_COMMAND_TIMEOUT_MS: '5000' })
  t.teardown(async () => {
    await app.close()
    await users.stop()
    await features.stop()
  })
  await untilReachable(app.store)
  return app
}

function get (app: App, token?: string): Promise<Response> {
  return fetch(app.url + '/features', token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })
}

function bulk (app: App, token?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  return fetch(app.url + '/ofrep/v1/evaluate/flags', { method: 'POST', headers, body: '{"context":{}}' })
}

/** Log lines of the size refusal that name `key`. */
function refusalLines (app: App, key: string): number {
  return app.logs.filter((line) => line.code === 'TF_ERR_ANSWER_TOO_LARGE' && line.key === key).length
}

t.test('a user with 100,000 active features gets answer_too_large while every other caller is answered correctly, and the key is logged once', async (t) => {
  t.plan(5)
  const app = await setUp(t, async (users, features) => {
    await users.set('token:big', 'big')
    for (let i = 0; i < OTHERS; i++) {
      await users.set(`token:t${i}`, `u${i}`)
      await features.sadd(`features:user:u${i}`, i % 2 === 0 ? ['feature_3', 'feature_4'] : ['feature_4'])
    }
    await features.sadd('global_features', 'feature_1', 'feature_2')
    await features.sadd('active_features', 'feature_3')
    await fill(features, 'features:user:big', 'f', HUGE)
    await fill(features, 'active_features', 'f', HUGE)
  })

  // 8 concurrent requests from the big user among 80 from others: 40 with a token, 40 anonymous.
  const big = Array.from({ length: 8 }, async () => {
    const res = await get(app, 'big')
    const body = await res.text()
    // Status, key and size, not the body itself: a failing run would print 100,000 names.
    return { status: res.status, key: (JSON.parse(body) as { key?: string }).key, short: body.length < 200 }
  })
  const others = Array.from({ length: 80 }, async (_, i) => {
    const user = i % 2 === 0 ? i / 2 % OTHERS : null
    const res = await get(app, user === null ? undefined : `t${user}`)
    const expected = user !== null && user % 2 === 0 ? ['feature_1', 'feature_2', 'feature_3'] : ['feature_1', 'feature_2']
    return { status: res.status, right: JSON.stringify(await res.json()) === JSON.stringify({ active_features: expected }) }
  })
  const [bigResults, otherResults] = await Promise.all([Promise.all(big), Promise.all(others)])

  t.same(bigResults, Array(8).fill({ status: 500, key: 'answer_too_large', short: true }), 'the big user is refused, every time')
  t.same(otherResults.filter((r) => r.status !== 200), [], 'no other caller, with a token or anonymous, gets an error')
  t.ok(otherResults.every((r) => r.right), 'and each gets its own right answer')
  const more = await Promise.all(Array.from({ length: 5 }, async () => (await get(app, 'big')).status))
  t.same(more, [500, 500, 500, 500, 500], 'later requests are refused as well')
  t.equal(refusalLines(app, 'features:user:big'), 1, 'the log holds one line for the key, after 13 requests')
})

t.test('anonymous OFREP bulk over 100,000 active features gets a short GENERAL error instead of megabytes, logged once', async (t) => {
  t.plan(4)
  const app = await setUp(t, async (_users, features) => {
    await features.sadd('global_features', 'feature_1')
    await fill(features, 'active_features', 'f', HUGE)
  })
  const replies = await Promise.all(Array.from({ length: 6 }, async () => {
    const res = await bulk(app)
    return { status: res.status, body: await res.text() }
  }))
  t.same(replies.map((r) => r.status), Array(6).fill(500))
  t.ok(replies.every((r) => r.body.length < 200), 'a body of a few bytes, not megabytes')
  t.same(JSON.parse(replies[0]?.body as string), { errorCode: 'GENERAL', errorDetails: 'The answer for this caller is larger than the configured limit' })
  t.equal(refusalLines(app, OFREP_KEY), 1, 'one log line for six requests')
})

t.test('feature names that are not UTF-8 are skipped alike by /features and OFREP, never listed twice, and logged once per key', async (t) => {
  t.plan(6)
  const bad = [Buffer.from([0xff]), Buffer.from([0xfe])] // both decode to U+FFFD
  const app = await setUp(t, async (users, features) => {
    await users.set('token:1234', '1')
    await features.sadd('global_features', 'feature_1', ...bad)
    await features.sadd('active_features', 'feature_3', ...bad)
    await features.sadd('features:user:1', 'feature_3', ...bad)
  })
  for (const token of [undefined, '1234']) {
    const listed = (await (await get(app, token)).json() as { active_features: string[] }).active_features
    const flags = (await (await bulk(app, token)).json() as { flags: Array<{ key: string, value: boolean }> }).flags
    const expected = token === undefined ? ['feature_1'] : ['feature_1', 'feature_3']
    t.same(listed, expected, `/features for ${token ?? 'anonymous'} lists the decodable names once each`)
    t.same(flags.filter((flag) => flag.value).map((flag) => flag.key), listed, 'OFREP agrees')
  }
  await get(app, '1234')
  const skipped = app.logs.filter((line) => line.skipped !== undefined).map((line) => line.key).sort()
  t.same(skipped, ['active_features', 'features:user:1', 'global_features'], 'one line per key holding such names, however many requests')
  t.equal((await (await bulk(app)).json() as { flags: unknown[] }).flags.length, 2, 'OFREP knows feature_1 and feature_3 only')
})
