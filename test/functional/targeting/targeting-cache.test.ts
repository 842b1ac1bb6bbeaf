// Targeting with the opt-in client-side cache (REDIS_CLIENT_CACHE_ENTRIES): a change to the rollout
// hash, or to a location's set, shows in the very next answers as on an uncached instance.

import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { startApp } from '../../helpers/app.js'
import { loadExample, RedisServer, trackingOn } from '../../helpers/redis-server.js'
import { untilReachable } from '../../helpers/in-process.js'

const answer = (...features: string[]): string => JSON.stringify({ active_features: features })

async function get (url: string, headers: Record<string, string>): Promise<string> {
  return (await fetch(url + '/features', { headers })).text()
}

t.test('with the client cache on, rollout and location changes show within 10 ms', async (t) => {
  t.plan(6)
  const redis = await new RedisServer().start()
  const setup = redis.client()
  await loadExample(setup, setup)
  const app = await startApp({ REDIS_USERS_URL: redis.url, REDIS_FEATURES_URL: redis.url, REDIS_CLIENT_CACHE_ENTRIES: '100', LOCATION_HEADER: 'x-location' })
  t.teardown(async () => {
    setup.disconnect()
    await app.close()
    await redis.stop()
  })
  await untilReachable(app.store)
  await trackingOn(redis)
  const user = { authorization: 'Bearer 1234' }
  t.equal(await get(app.url, user), answer('feature_1', 'feature_2', 'feature_3'))
  t.equal(await get(app.url, user), answer('feature_1', 'feature_2', 'feature_3'), 'asked twice: cached')
  await setup.sadd('active_features', 'feature_9')
  await setup.hset('rollout', 'feature_9', '100')
  await sleep(10)
  t.equal(await get(app.url, user), answer('feature_1', 'feature_2', 'feature_3', 'feature_9'), 'the rollout reaches the cached user')
  await setup.hset('rollout', 'feature_9', '0')
  await sleep(10)
  t.equal(await get(app.url, user), answer('feature_1', 'feature_2', 'feature_3'), 'and leaves them when lowered to 0')
  t.equal(await get(app.url, { ...user, 'x-location': 'DE' }), answer('feature_1', 'feature_2', 'feature_3'))
  await setup.sadd('location:DE', 'feature_9')
  t.equal(await get(app.url, { ...user, 'x-location': 'DE' }), answer('feature_1', 'feature_2', 'feature_3', 'feature_9'), 'answers with a location are not cached')
})
