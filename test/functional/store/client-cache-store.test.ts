// The client-side cache inside one process (startApp): one Redis serving as both users and features
// Redis, and a Redis that freezes while its answers sit in the cache.

import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { startApp } from '../../helpers/app.js'
import { loadExample, RedisServer, seedExample, trackingOn } from '../../helpers/redis-server.js'
import { untilReachable } from '../../helpers/in-process.js'

const answer = (...features: string[]): string => JSON.stringify({ active_features: features })

async function get (url: string, authorization?: string): Promise<{ status: number, body: string }> {
  const res = await fetch(url + '/features', { headers: authorization === undefined ? {} : { authorization } })
  return { status: res.status, body: await res.text() }
}

t.test('with one Redis for users and features, changes to tokens and features still show within 10 ms', async (t) => {
  t.plan(4)
  const redis = await new RedisServer().start()
  const setup = redis.client()
  await loadExample(setup, setup)
  const app = await startApp({ REDIS_USERS_URL: redis.url, REDIS_FEATURES_URL: redis.url, REDIS_CLIENT_CACHE_ENTRIES: '100' })
  t.teardown(async () => {
    setup.disconnect()
    await app.close()
    await redis.stop()
  })
  await untilReachable(app.store)
  await trackingOn(redis)
  t.equal((await get(app.url, 'Bearer 1234')).body, answer('feature_1', 'feature_2', 'feature_3'))
  await setup.sadd('active_features', 'feature_4')
  await sleep(10)
  t.equal((await get(app.url, 'Bearer 1234')).body, answer('feature_1', 'feature_2', 'feature_3', 'feature_4'))
  await setup.set('token:1234', '2')
  await sleep(10)
  t.equal((await get(app.url, 'Bearer 1234')).body, answer('feature_1', 'feature_2'), 'the token now names user 2')
  await setup.del('token:1234')
  await sleep(10)
  t.equal((await get(app.url, 'Bearer 1234')).status, 401, 'a deleted token is unknown at once')
})

t.test('a frozen Redis stops being answered from the cache once the heartbeat times out', async (t) => {
  t.plan(3)
  const users = await new RedisServer().start()
  const features = await new RedisServer().start()
  await seedExample(users, features)
  const app = await startApp({
    REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url, REDIS_CLIENT_CACHE_ENTRIES: '100', REDIS_COMMAND_TIMEOUT_MS: '100',
  })
  t.teardown(async () => {
    features.resume()
    await app.close()
    await Promise.all([users.stop(), features.stop()])
  })
  await untilReachable(app.store)
  await trackingOn(features)
  await get(app.url) // now cached
  features.pause()
  t.equal((await get(app.url)).status, 200, 'just after the freeze the cached answer is still the truth: no write can happen')
  // Heartbeat every 1 s, 100 ms command timeout: within 1.2 s the link counts as dead and the cache is flushed.
  await sleep(1_300)
  const res = await get(app.url)
  t.equal(res.status, 503, 'then the frozen Redis is a 503, as without the cache')
  features.resume()
  let status = 0
  const deadline = Date.now() + 5_000
  while (Date.now() < deadline && status !== 200) {
    status = (await get(app.url)).status
    if (status !== 200) await sleep(50)
  }
  t.equal(status, 200, 'and service resumes with Redis')
})

t.test('with a cache bound of two, many distinct answers still come out right', async (t) => {
  t.plan(4)
  const redis = await new RedisServer().start()
  const setup = redis.client()
  await loadExample(setup, setup)
  await setup.sadd('active_features', 'feature_5', 'feature_6')
  for (const [token, id, feature] of [['t2', '2', 'feature_5'], ['t3', '3', 'feature_6'], ['t4', '4', 'feature_4']]) {
    await setup.set(`token:${token as string}`, id as string)
    await setup.sadd(`features:user:${id as string}`, feature as string)
  }
  const app = await startApp({ REDIS_USERS_URL: redis.url, REDIS_FEATURES_URL: redis.url, REDIS_CLIENT_CACHE_ENTRIES: '2' })
  t.teardown(async () => {
    setup.disconnect()
    await app.close()
    await redis.stop()
  })
  await trackingOn(redis)
  for (let round = 0; round < 2; round++) {
    await get(app.url, 'Bearer 1234')
    await get(app.url, 'Bearer t2')
    await get(app.url, 'Bearer t3')
    await get(app.url, 'Bearer t4')
  }
  t.equal((await get(app.url, 'Bearer 1234')).body, answer('feature_1', 'feature_2', 'feature_3'))
  t.equal((await get(app.url, 'Bearer t2')).body, answer('feature_1', 'feature_2', 'feature_5'))
  t.equal((await get(app.url, 'Bearer t3')).body, answer('feature_1', 'feature_2', 'feature_6'))
  t.equal((await get(app.url, 'Bearer t4')).body, answer('feature_1', 'feature_2'), 'feature_4 is not active')
})

// Redis ACLs can deny the commands tracking needs; the service must then serve from Redis, uncached.
const denied: [string, string, RegExp][] = [
  ['CLIENT ID (no invalidation connection)', '-client', /invalidation connection not subscribed/],
  ['CLIENT TRACKING', '-client|tracking', /client-side cache not enabled/],
]
for (const [what, rule, logged] of denied) {
  t.test(`a Redis user denied ${what} gets correct, uncached answers and a warning`, async (t) => {
    t.plan(3)
    const redis = await new RedisServer().start()
    const setup = redis.client()
    await loadExample(setup, setup)
    await setup.acl('SETUSER', 'limited', 'on', '>secret', '~*', '&*', '+@all', rule)
    const url = redis.url.replace('redis://', 'redis://limited:secret@')
    const app = await startApp({ REDIS_USERS_URL: url, REDIS_FEATURES_URL: url, REDIS_CLIENT_CACHE_ENTRIES: '100' })
    t.teardown(async () => {
      setup.disconnect()
      await app.close()
      await redis.stop()
    })
    await untilReachable(app.store)
    const deadline = Date.now() + 5_000
    while (Date.now() < deadline && !app.logs.some((line) => logged.test(String(line.msg)))) await sleep(20)
    t.ok(app.logs.some((line) => logged.test(String(line.msg))), 'the reason is logged')
    t.equal((await get(app.url, 'Bearer 1234')).body, answer('feature_1', 'feature_2', 'feature_3'))
    await setup.srem('active_features', 'feature_3')
    t.equal((await get(app.url, 'Bearer 1234')).body, answer('feature_1', 'feature_2'), 'a change shows at once')
    await sleep(1_100) // one heartbeat with no invalidation link to ping: it must simply skip
  })
}

t.test('a users Redis that denies CLIENT TRACKING leaves tokens uncached and the features cache working', async (t) => {
  t.plan(3)
  const usersRedis = await new RedisServer().start()
  const featuresRedis = await new RedisServer().start()
  const u = usersRedis.client()
  const f = featuresRedis.client()
  await loadExample(u, f)
  await u.acl('SETUSER', 'limited', 'on', '>secret', '~*', '&*', '+@all', '-client|tracking')
  const app = await startApp({
    REDIS_USERS_URL: usersRedis.url.replace('redis://', 'redis://limited:secret@'), REDIS_FEATURES_URL: featuresRedis.url, REDIS_CLIENT_CACHE_ENTRIES: '100',
  })
  t.teardown(async () => {
    u.disconnect()
    f.disconnect()
    await app.close()
    await Promise.all([usersRedis.stop(), featuresRedis.stop()])
  })
  await untilReachable(app.store)
  const deadline = Date.now() + 5_000
  while (Date.now() < deadline && !app.logs.some((line) => /client-side cache not enabled/.test(String(line.msg)))) await sleep(20)
  t.ok(app.logs.some((line) => /client-side cache not enabled/.test(String(line.msg))), 'the users side says why')
  t.equal((await get(app.url, 'Bearer 1234')).body, answer('feature_1', 'feature_2', 'feature_3'))
  await u.set('token:1234', '2')
  t.equal((await get(app.url, 'Bearer 1234')).body, answer('feature_1', 'feature_2'), 'a token moved to user 2 (no set) shows at once: tokens are not cached')
})

t.test('with the cache on, a killed Redis gets 503 and a restarted one is served fresh', async (t) => {
  t.plan(3)
  const redis = await new RedisServer().start()
  let setup = redis.client()
  await loadExample(setup, setup)
  setup.disconnect()
  const app = await startApp({ REDIS_USERS_URL: redis.url, REDIS_FEATURES_URL: redis.url, REDIS_CLIENT_CACHE_ENTRIES: '100' })
  t.teardown(async () => {
    await app.close()
    await redis.stop()
  })
  await trackingOn(redis)
  t.equal((await get(app.url, 'Bearer 1234')).status, 200)
  await redis.kill()
  await sleep(100)
  t.equal((await get(app.url, 'Bearer 1234')).status, 503, 'the cache was flushed with the connection')
  await redis.start()
  setup = redis.client()
  await loadExample(setup, setup)
  await setup.srem('active_features', 'feature_3')
  setup.disconnect()
  let body = ''
  const deadline = Date.now() + 5_000
  while (Date.now() < deadline) {
    const res = await get(app.url, 'Bearer 1234')
    body = res.body
    if (res.status === 200) break
    await sleep(50)
  }
  t.equal(body, answer('feature_1', 'feature_2'), 'the new data, not the cached answer')
})

t.test('FLUSHALL empties the cache: answers afterwards come from the new data', async (t) => {
  t.plan(3)
  const redis = await new RedisServer().start()
  const setup = redis.client()
  await loadExample(setup, setup)
  const app = await startApp({ REDIS_USERS_URL: redis.url, REDIS_FEATURES_URL: redis.url, REDIS_CLIENT_CACHE_ENTRIES: '100' })
  t.teardown(async () => {
    setup.disconnect()
    await app.close()
    await redis.stop()
  })
  await trackingOn(redis)
  t.equal((await get(app.url, 'Bearer 1234')).body, answer('feature_1', 'feature_2', 'feature_3'))
  await setup.flushall()
  await setup.set('token:1234', '1')
  await setup.sadd('global_features', 'only_this')
  await sleep(10)
  t.equal((await get(app.url, 'Bearer 1234')).body, answer('only_this'))
  t.equal((await get(app.url)).body, answer('only_this'))
})
