// A Redis reply nested deeper than the JavaScript stack (SNYK-JS-IOREDIS-19963957, ioredis#2108).
// ioredis 5 parsed it with redis-parser, which recurses once per level with no bound and let the
// RangeError escape the socket's data handler: an uncaught exception, so any server or on-path
// attacker able to frame one reply could kill a worker. ioredis 6 turns it into a fatal protocol
// error: the connection is dropped and the command rejected. A real redis-server produces the
// reply: a Lua table nested a few thousand levels deep (Redis itself stops near 8000).

import t from 'tap'
import { loadConfig } from '../../../src/config/config.js'
import { RedisStore } from '../../../src/store/redis/redis-store.js'
import { quiet, untilReachable } from '../../helpers/in-process.js'
import { RedisServer } from '../../helpers/redis-server.js'

// 7000 levels: ioredis 5 already overflowed at 3000 (measured on Node 20), and Redis refuses to
// convert a Lua table deeper than about 8000 ("reached lua stack limit").
const DEPTH = 7_000
const NESTED_LUA = `local t = {1} for i = 1, ${DEPTH} do t = {t} end return t`

t.test('a reply nested deeper than the stack fails that command and the store reconnects, the process lives on', async (t) => {
  t.plan(3)
  const redis = await new RedisServer().start()
  t.teardown(() => redis.kill())
  const config = loadConfig({ LOG_LEVEL: 'silent', REDIS_USERS_URL: redis.url, REDIS_FEATURES_URL: redis.url })
  if (config.store.kind !== 'redis') throw new Error('expected the redis store')
  const store = new RedisStore({ ...config, store: config.store }, quiet)
  t.teardown(() => store.close())
  await untilReachable(store)

  // On ioredis 5 this throws out of the socket handler instead: tap reports the uncaught
  // RangeError and the test fails before any assertion.
  await t.rejects(store.features.eval(NESTED_LUA, 0), RangeError, 'the command rejects with the parser error')
  await untilReachable(store)
  t.equal(await store.reachable(), true, 'the store answers again after reconnecting')
  t.equal(await store.features.eval('return {{1}}', 0).then(JSON.stringify), '[[1]]', 'normally nested replies still parse')
})
