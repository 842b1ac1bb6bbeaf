// The client-side cache keeps the freshness promise: a change written to Redis through another
// connection is seen through the service within 10 ms, every time, while the service is under load.
// Runs the built cluster (2 workers, each with its own cache) against two real redis-servers.

import { Agent, request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { RedisServer, seedExample } from '../../helpers/redis-server.js'
import { startService, type Service } from '../../helpers/service.js'

const FRESH_WITHIN_MS = 10
const ROUNDS = 40
const users = new RedisServer()
const features = new RedisServer()
let service: Service

t.before(async () => {
  await Promise.all([users.start(), features.start()])
  await seedExample(users, features)
  service = await startService({
    REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url, REDIS_CLIENT_CACHE_ENTRIES: '1000',
  }, 2)
})

t.teardown(async () => {
  await service.stop()
  await Promise.all([users.stop(), features.stop()])
})

function get (agent: Agent | false, authorization?: string): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = authorization === undefined ? {} : { authorization }
    // A new connection per check (agent false) lands on either worker: both caches get checked.
    if (agent === false) headers.connection = 'close'
    const req = request(`${service.url}/features`, { agent, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

const answer = (...features: string[]): string => JSON.stringify({ active_features: features })

t.test(`a change written through another connection is served within ${FRESH_WITHIN_MS} ms, every time, under load`, async (t) => {
  // Each step: a write, then the answers a Bearer 1234 caller and an anonymous caller must get.
  const steps: { name: string, write: () => Promise<unknown>, user: string, anonymous: string }[] = []
  const u = users.client()
  const f = features.client()
  t.teardown(() => { u.disconnect(); f.disconnect() })
  steps.push(
    { name: 'activate feature_4', write: () => f.sadd('active_features', 'feature_4'), user: answer('feature_1', 'feature_2', 'feature_3', 'feature_4'), anonymous: answer('feature_1', 'feature_2') },
    { name: 'add a global feature', write: () => f.sadd('global_features', 'feature_0'), user: answer('feature_0', 'feature_1', 'feature_2', 'feature_3', 'feature_4'), anonymous: answer('feature_0', 'feature_1', 'feature_2') },
    { name: 'drop feature_3 from the user', write: () => f.srem('features:user:1', 'feature_3'), user: answer('feature_0', 'feature_1', 'feature_2', 'feature_4'), anonymous: answer('feature_0', 'feature_1', 'feature_2') },
    { name: 'move the token to user 2', write: () => u.set('token:1234', '2'), user: answer('feature_0', 'feature_1', 'feature_2'), anonymous: answer('feature_0', 'feature_1', 'feature_2') },
    {
      name: 'restore everything',
      write: () => Promise.all([u.set('token:1234', '1'), f.multi().srem('global_features', 'feature_0').srem('active_features', 'feature_4').sadd('features:user:1', 'feature_3').exec()]),
      user: answer('feature_1', 'feature_2', 'feature_3'),
      anonymous: answer('feature_1', 'feature_2'),
    },
  )

  // Background load on keep-alive connections, hitting the cached paths.
  const loadAgent = new Agent({ keepAlive: true, maxSockets: 16 })
  let loading = true
  let served = 0
  const load = Array.from({ length: 16 }, async (_, i) => {
    while (loading) {
      await get(loadAgent, i % 2 === 0 ? 'Bearer 1234' : undefined)
      served++
    }
  })
  await sleep(300) // the caches fill

  let stale = 0
  for (let round = 0; round < ROUNDS; round++) {
    for (const step of steps) {
      await step.write()
      const written = Date.now()
      await sleep(Math.max(0, written + FRESH_WITHIN_MS - Date.now()))
      const checks = await Promise.all([
        ...Array.from({ length: 4 }, () => get(false, 'Bearer 1234')),
        ...Array.from({ length: 4 }, () => get(false)),
      ])
      checks.forEach((res, i) => {
        if (res.body !== (i < 4 ? step.user : step.anonymous)) {
          stale++
          t.comment(`round ${round}, ${step.name}: got ${res.status} ${res.body}`)
        }
      })
    }
  }
  loading = false
  await Promise.all(load)
  loadAgent.destroy()
  t.equal(stale, 0, `no stale answer ${FRESH_WITHIN_MS} ms after a write (${ROUNDS * steps.length} writes, ` +
    `${served} background requests)`)
  t.ok(served > 1000, 'the service was under load meanwhile')
  t.end()
})

t.test('with the cache on, dropping the connections flushes it: a restarted, empty Redis is not answered from memory', async (t) => {
  t.plan(2)
  t.equal((await get(false, 'Bearer 1234')).status, 200, 'cached before the restart')
  await users.kill()
  await users.start()
  // The service notices the closed connection at once; the empty Redis knows no token.
  let status = 0
  const deadline = Date.now() + 5_000
  while (Date.now() < deadline && status !== 401) {
    status = (await get(false, 'Bearer 1234')).status
    if (status !== 401) await sleep(50)
  }
  t.equal(status, 401, 'the token is gone with the data, not served from a stale cache')
})
