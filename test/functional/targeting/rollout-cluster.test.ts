// Sticky rollouts across the built cluster (node dist/main.js, two workers), on both stores: a user's
// bucket is a pure function of the feature and the user id, so every worker answers a user alike.

import { request } from 'node:http'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { writeDataFile } from '../../helpers/in-process.js'
import { RedisServer } from '../../helpers/redis-server.js'
import { startService } from '../../helpers/service.js'

// Buckets of r50 (the public formula, computed apart with Python's hashlib): users 1, 2, 3, 7 are
// under 5000, users 4, 5, 6, 8 are not.
const IDS = ['1', '2', '3', '4', '5', '6', '7', '8']
const IN = new Set(['1', '2', '3', '7'])
const DATA = {
  global_features: ['g1'],
  active_features: ['r50'],
  tokens: Object.fromEntries(IDS.map((id) => [`t${id}`, id])),
  rollouts: { r50: '50' },
}

/** One request on a fresh connection, so each may land on either worker. */
function httpGet (url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve(body))
    })
    req.on('error', reject)
    // A request must never hang the test: 3 s is far beyond any healthy answer.
    req.setTimeout(3_000, () => req.destroy(new Error('request timed out')))
    req.end()
  })
}

async function check (t: Test, env: Record<string, string>): Promise<void> {
  const service = await startService({ ...env, ACCESS_LOG: '1', LOG_LEVEL: 'info' }, 2)
  t.teardown(async () => { await service.stop() })
  const answers = new Map<string, Set<string>>()
  for (let round = 0; round < 6; round++) {
    for (const id of IDS) {
      const body = await httpGet(`${service.url}/features`, { authorization: `Bearer t${id}` })
      const seen = answers.get(id) ?? new Set()
      seen.add(body)
      answers.set(id, seen)
    }
  }
  for (const id of IDS) {
    t.same([...(answers.get(id) ?? [])], [JSON.stringify({ active_features: IN.has(id) ? ['g1', 'r50'] : ['g1'] })], `user ${id}: one answer, 6 times`)
  }
  const pids = new Set(service.logs.filter((line) => line.path === '/features').map((line) => line.pid))
  t.equal(pids.size, 2, 'both workers answered')
}

t.test('the redis store: every worker gives a user the same rollout answer', async (t) => {
  const users = await new RedisServer().start()
  const features = await new RedisServer().start()
  t.teardown(async () => { await Promise.all([users.stop(), features.stop()]) })
  const u = users.client()
  const f = features.client()
  for (const [token, id] of Object.entries(DATA.tokens)) await u.set(`token:${token}`, id)
  await f.sadd('global_features', 'g1')
  await f.sadd('active_features', 'r50')
  await f.hset('rollout', 'r50', '50')
  u.disconnect()
  f.disconnect()
  await check(t, { REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url })
})

t.test('the embedded store: every worker gives a user the same rollout answer, the same as Redis', async (t) => {
  const file = writeDataFile(mkdtempSync(join(tmpdir(), 'tideflags-rollout-')), DATA)
  await check(t, { FEATURES_FILE: file })
})
