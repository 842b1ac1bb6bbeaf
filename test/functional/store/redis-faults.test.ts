// Redis hardening: each kind of Redis trouble provoked for real against a worker's server in this
// process, and the service recovering without a restart.

import { once } from 'node:events'
import { request, type Server } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import t from 'tap'
import { loadConfig, type StoreConfig } from '../../../src/config/config.js'
import { Metrics } from '../../../src/observability/metrics.js'
import { createServer } from '../../../src/app.js'
import { readinessProbe, waitForStore } from '../../../src/store/readiness.js'
import { Drain } from '../../../src/http/drain.js'
import { RedisStore } from '../../../src/store/redis/redis-store.js'
import { freePort, loadExample, RedisServer } from '../../helpers/redis-server.js'

interface Answer { status: number, body: string, ms: number }

async function get (port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const t0 = Date.now()
  return await new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: Date.now() - t0 }))
    }).on('error', reject).end()
  })
}

async function until (what: () => Promise<boolean>, ms = 3_000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await what()) return true
    await sleep(25)
  }
  return false
}

async function serve (users: string, features: string, env: Record<string, string> = {}): Promise<{ port: number, server: Server, store: RedisStore, metrics: Metrics }> {
  const config = loadConfig({ REDIS_USERS_URL: users, REDIS_FEATURES_URL: features, LOG_LEVEL: 'silent', ...env })
  const log = pino({ level: 'silent' })
  const store = new RedisStore({ ...config, store: config.store as Extract<StoreConfig, { kind: 'redis' }> }, log)
  const metrics = new Metrics({ defaultMetrics: false })
  const probe = readinessProbe(store)
  const server = createServer(config, store, log, { drain: new Drain(), metrics, probe, accessLog: undefined })
  await waitForStore(probe, 1_000) // as a worker does before it listens
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { port: (server.address() as { port: number }).port, server, store, metrics }
}

async function close (s: { server: Server, store: RedisStore }): Promise<void> {
  s.server.closeAllConnections()
  s.server.close()
  await s.store.close()
}

const BEARER = { authorization: 'Bearer 1234' }

t.test('connection refused gives a prompt 503 and /readyz 503, then 200 once Redis starts, without a restart', async (t) => {
  const port = await freePort()
  const redis = new RedisServer()
  redis.port = port
  const s = await serve(redis.url, redis.url)
  t.teardown(async () => { await close(s); await redis.stop() })
  const down = await get(s.port, '/features')
  t.equal(down.status, 503, '503 while nothing listens')
  t.ok(down.ms < 500, `answered in ${down.ms} ms`)
  t.equal((await get(s.port, '/readyz')).status, 503, 'not ready')
  t.equal((await get(s.port, '/healthz')).status, 200, 'still alive: liveness never asks Redis')
  await redis.start()
  const c = redis.client()
  await loadExample(c, c)
  c.disconnect()
  t.ok(await until(async () => (await get(s.port, '/features', BEARER)).status === 200), '200 once Redis listens')
  t.equal((await get(s.port, '/readyz')).status, 200, 'ready again')
})

t.test('a connection dropped mid-command gives 503, and the next requests succeed after Redis returns', async (t) => {
  const redis = await new RedisServer().start()
  const c = redis.client()
  await loadExample(c, c)
  c.disconnect()
  const s = await serve(redis.url, redis.url, { REDIS_COMMAND_TIMEOUT_MS: '3000' })
  t.teardown(async () => { await close(s); await redis.stop() })
  t.equal((await get(s.port, '/features', BEARER)).status, 200, 'healthy first')
  redis.pause()
  const pending = get(s.port, '/features', BEARER)
  await sleep(200)
  await redis.kill() // the command is on the wire, unanswered, when the connection dies
  const dropped = await pending
  t.equal(dropped.status, 503, '503 for the dropped command')
  t.ok(dropped.ms < 2_000, `answered in ${dropped.ms} ms, not at the command timeout`)
  await redis.start()
  const c2 = redis.client()
  await loadExample(c2, c2)
  c2.disconnect()
  t.ok(await until(async () => (await get(s.port, '/features', BEARER)).status === 200), '200 again')
  t.match(await s.metrics.registry.metrics(), /tideflags_redis_errors_total\{kind="connection"\} [1-9]/, 'counted as a connection error')
})

t.test('a restarted Redis (scripts flushed, NOSCRIPT) is recovered transparently', async (t) => {
  const redis = await new RedisServer().start()
  const c = redis.client()
  await loadExample(c, c)
  c.disconnect()
  const s = await serve(redis.url, redis.url)
  t.teardown(async () => { await close(s); await redis.stop() })
  t.equal((await get(s.port, '/features', BEARER)).status, 200, 'the script is loaded and used')
  await redis.kill()
  await redis.start()
  const c2 = redis.client()
  await loadExample(c2, c2)
  t.same(await c2.call('SCRIPT', 'EXISTS', '0000000000000000000000000000000000000000'), [0], 'a fresh server: no scripts cached')
  c2.disconnect()
  t.ok(await until(async () => (await get(s.port, '/readyz')).status === 200), 'reconnected')
  const after = await get(s.port, '/features', BEARER)
  t.equal(after.status, 200, 'the first request after the restart succeeds (EVALSHA -> NOSCRIPT -> EVAL)')
  t.same(JSON.parse(after.body), { active_features: ['feature_1', 'feature_2', 'feature_3'] }, 'with the right answer')
  t.notMatch(await s.metrics.registry.metrics(), /status="500"/, 'no 500 at any point')
})

t.test('Redis slower than the command timeout gives 503 at the timeout, then 200 when it answers again', async (t) => {
  const redis = await new RedisServer().start()
  const c = redis.client()
  await loadExample(c, c)
  c.disconnect()
  const s = await serve(redis.url, redis.url, { REDIS_COMMAND_TIMEOUT_MS: '200' })
  t.teardown(async () => { await close(s); await redis.stop() })
  redis.pause()
  const slow = await Promise.all([get(s.port, '/features', BEARER), get(s.port, '/features')])
  t.same(slow.map((a) => a.status), [503, 503], '503 for both')
  t.ok(slow.every((a) => a.ms >= 150 && a.ms < 800), `near the 200 ms timeout: ${slow.map((a) => a.ms).join(', ')} ms`)
  t.equal((await get(s.port, '/readyz')).status, 503, 'not ready while Redis stalls')
  redis.resume()
  t.ok(await until(async () => (await get(s.port, '/features', BEARER)).status === 200), '200 once Redis answers')
  t.match(await s.metrics.registry.metrics(), /tideflags_redis_errors_total\{kind="timeout"\} [1-9]/, 'counted as timeouts')
})

t.test('keys of the wrong type give 500 for the requests that touch them and nothing else', async (t) => {
  const redis = await new RedisServer().start()
  const c = redis.client()
  await loadExample(c, c)
  await c.set('token:9', '9')
  await c.set('features:user:9', 'not a set')
  t.teardown(async () => { c.disconnect(); await close(s); await redis.stop() })
  const s = await serve(redis.url, redis.url)
  const wrongUser = await get(s.port, '/features', { authorization: 'Bearer 9' })
  t.equal(wrongUser.status, 500, 'a user set of the wrong type -> 500')
  t.same(JSON.parse(wrongUser.body), { key: 'internal_server_error', message: 'Internal server error' }, 'no internal detail leaks')
  t.equal((await get(s.port, '/features', BEARER)).status, 200, 'other users are unaffected')
  await c.del('global_features')
  await c.set('global_features', 'oops')
  t.equal((await get(s.port, '/features')).status, 500, 'global_features of the wrong type -> 500')
  t.equal((await get(s.port, '/readyz')).status, 200, 'still ready: Redis answers, the data is wrong')
  await c.del('global_features')
  await c.sadd('global_features', 'feature_1')
  t.equal((await get(s.port, '/features')).status, 200, 'fixed data is served at once')
  t.match(await s.metrics.registry.metrics(), /tideflags_redis_errors_total\{kind="reply"\} 2/, 'counted as reply errors')
})
