// Bounds that keep a worker healthy while Redis is in trouble, provoked against real redis-servers.

import { connect } from 'node:net'
import { once } from 'node:events'
import { pino } from 'pino'
import t from 'tap'
import { loadConfig } from '../../../src/config/config.js'
import { createStore } from '../../../src/store/index.js'
import { startApp } from '../../helpers/app.js'
import { loadExample, RedisServer } from '../../helpers/redis-server.js'
import { untilReachable } from '../../helpers/in-process.js'

t.test('while Redis stalls, requests past REDIS_MAX_PENDING get 503 at once instead of queueing', async (t) => {
  t.plan(4)
  const users = await new RedisServer().start()
  const features = await new RedisServer().start()
  const app = await startApp({
    REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url, REDIS_MAX_PENDING: '3', REDIS_COMMAND_TIMEOUT_MS: '1000',
  })
  t.teardown(async () => {
    await app.close()
    await users.stop()
    await features.stop()
  })
  await untilReachable(app.store)
  features.pause()
  const started = Date.now()
  const pending = Array.from({ length: 10 }, async () => {
    const res = await fetch(app.url + '/features')
    return { status: res.status, ms: Date.now() - started }
  })
  const results = await Promise.all(pending)
  features.resume()
  const fast = results.filter((r) => r.ms < 500)
  t.equal(results.filter((r) => r.status === 503).length, 10, 'all fail while Redis is frozen')
  t.equal(fast.length, 7, 'the seven past the bound fail at once')
  t.ok(results.filter((r) => r.ms >= 900).length === 3, 'the three in flight wait for the command timeout')
  t.equal((await fetch(app.url + '/features')).status, 200, 'and service resumes')
})

t.test('closing the store while Redis is down does not hang', async (t) => {
  t.plan(1)
  const redis = await new RedisServer().start()
  const store = createStore(loadConfig({ REDIS_USERS_URL: redis.url, REDIS_FEATURES_URL: redis.url }), pino({ level: 'silent' }))
  await untilReachable(store)
  await redis.kill()
  await store.close()
  t.pass('closed')
})

t.test('a client that resets its connection mid-request does not disturb the server', async (t) => {
  t.plan(1)
  const users = await new RedisServer().start()
  const u = users.client()
  await loadExample(u, u)
  u.disconnect()
  const app = await startApp({ REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: users.url })
  t.teardown(async () => {
    await app.close()
    await users.stop()
  })
  await untilReachable(app.store)
  for (let i = 0; i < 5; i++) {
    const socket = connect(Number(new URL(app.url).port), '127.0.0.1')
    await once(socket, 'connect')
    socket.write('GET /features HTTP/1.1\r\nHost: x\r\nX-Partial: ')
    socket.resetAndDestroy()
  }
  const res = await fetch(app.url + '/features')
  t.equal(res.status, 200)
})

t.test('a Redis busy running a long script answers BUSY, which is a 503, and service resumes after it', async (t) => {
  t.plan(4)
  const redis = await new RedisServer(['--busy-reply-threshold', '50']).start()
  const admin = redis.client()
  await loadExample(admin, admin)
  const app = await startApp({ REDIS_USERS_URL: redis.url, REDIS_FEATURES_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '2000' })
  t.teardown(async () => {
    await app.close()
    admin.disconnect()
    await redis.stop()
  })
  await untilReachable(app.store)
  // A script that spins until killed: Redis answers everyone else BUSY past busy-reply-threshold.
  const spinner = redis.client()
  const spinning = spinner.eval('while true do end', 0).catch(() => 'killed')
  await new Promise((resolve) => setTimeout(resolve, 200))
  const res = await fetch(app.url + '/features')
  t.equal(res.status, 503)
  t.equal(res.headers.get('retry-after'), '1')
  await admin.script('KILL')
  t.equal(await spinning, 'killed')
  spinner.disconnect()
  t.equal((await fetch(app.url + '/features')).status, 200)
})
