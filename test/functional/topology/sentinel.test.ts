// The service on a Sentinel-managed primary (one primary, one replica, three sentinels, real
// processes): it follows a failover under load with fast 503s and Retry-After, never a hang and never
// a wrong answer, and recovers without a restart. Also: reads from the replica on request.

import { pino } from 'pino'
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadConfig, type StoreConfig } from '../../../src/config/config.js'
import { RedisStore } from '../../../src/store/redis/redis-store.js'
import { caller } from '../../../src/core/context.js'
import { RedisSentinelGroup } from '../../helpers/redis-sentinel.js'
import { startService } from '../../helpers/service.js'
import { checkedLoad, describeLoad, type Caller } from '../../helpers/checked-load.js'
import { untilReachable } from '../../helpers/in-process.js'
import { command, parseInfo, waitFor } from '../../helpers/redis-topology.js'

const GLOBAL = ['g_one', 'g_two']
// How soon a write must show through the client-side cache (as in test/functional/store/client-cache.test.ts).
const FRESH_WITHIN_MS = 10
const ACTIVE = ['a1', 'a2', 'a3', 'a4']
const USERS: Record<string, string[]> = { 1: ['a1', 'x'], 2: ['a2', 'a3'], 3: [], 4: ['a4', 'a1', 'retired'] }
const body = (features: string[]): string => JSON.stringify({ active_features: [...new Set(features)].sort() })
const expected = (id: string): string => body([...GLOBAL, ...(USERS[id] ?? []).filter((f) => ACTIVE.includes(f))])
const CALLERS: Caller[] = [
  ...Object.keys(USERS).map((id) => ({ headers: { authorization: `Bearer tok-${id}` }, body: expected(id) })),
  { headers: {}, body: body(GLOBAL) },
]

const group = new RedisSentinelGroup()
t.before(async () => {
  await group.start()
  // Users in db 0, features in db 1 of the same primary: the URL's db is honoured.
  const users = group.client()
  const features = group.client({ db: 1 })
  for (const id of Object.keys(USERS)) await users.set(`token:tok-${id}`, id)
  await features.sadd('global_features', ...GLOBAL)
  await features.sadd('active_features', ...ACTIVE)
  for (const [id, own] of Object.entries(USERS)) if (own.length > 0) await features.sadd(`features:user:${id}`, ...own)
  users.disconnect()
  features.disconnect()
})
t.teardown(() => group.stop())

t.test('with REDIS_READ_FROM=replica the store reads from the replica the sentinels name', async (t) => {
  t.plan(3)
  const primary = await group.currentPrimaryPort()
  const replicaPort = group.primary.port === primary ? group.replica.port : group.primary.port
  const config = loadConfig({ REDIS_USERS_URL: group.url(), REDIS_FEATURES_URL: group.url(1), REDIS_READ_FROM: 'replica' })
  const store = new RedisStore({ ...config, store: config.store as Extract<StoreConfig, { kind: 'redis' }> }, pino({ level: 'silent' }))
  t.teardown(() => store.close())
  await untilReachable(store)
  t.same(await store.featuresFor(caller('4')), JSON.parse(expected('4')).active_features, 'the answer, computed by the scripts on the replica')
  t.equal(await store.userIdForToken('tok-2'), '2')
  const nodes = await store.nodes()
  t.ok(nodes.length === 2 && nodes.every((n) => n.up && n.node.endsWith(`:${replicaPort}`)), `both roles read from the replica on port ${replicaPort}: ${JSON.stringify(nodes)}`)
})

t.test('killing the primary under load: fast 503s with Retry-After during the failover, no hang, no wrong answer, recovery without a restart', async (t) => {
  const service = await startService({ REDIS_USERS_URL: group.url(), REDIS_FEATURES_URL: group.url(1) })
  t.teardown(() => service.stop())
  const before = await checkedLoad(service.url, CALLERS, { ms: 300, connections: 2 })
  t.ok(before.ok > 0 && before.ok === before.samples.length && before.wrong.length === 0, describeLoad('before', before))

  const loading = checkedLoad(service.url, CALLERS, { ms: 9_000, connections: 8 })
  await sleep(1_500)
  const killedAt = Date.now()
  const oldPort = await group.killPrimary()
  const failover = await group.waitForFailover(oldPort)
  t.comment(`sentinels promoted port ${failover.port} ${Date.now() - killedAt} ms after the kill`)
  const run = await loading
  t.comment(describeLoad('during', run))

  t.equal(run.wrong.length, 0, 'no wrong answer, before, during or after the failover')
  t.equal(run.failed, 0, 'no request hung past 3 s or lost its connection')
  t.same(run.other, {}, 'nothing but 200 and 503')
  t.equal(run.bare503, 0, 'every 503 carries Retry-After')
  t.ok(run.maxLatency < 1_000, `the slowest answer took ${run.maxLatency} ms: failures are fast`)
  const lastSecond = run.samples.filter((s) => s.at > 8_000)
  t.ok(lastSecond.length > 0 && lastSecond.every((s) => s.status === 200), `the last second is all 200 (${lastSecond.length} requests): recovered`)
  if (run.window !== undefined) t.comment(`failover window seen by clients: ${run.window.last - run.window.first} ms of 503s`)

  // Still the same process, and reading the new primary: a write there shows at once.
  t.equal(service.process.exitCode, null, 'the service was not restarted')
  const writer = group.client({ db: 1 })
  await writer.sadd('global_features', 'g_after')
  writer.disconnect()
  const after = await fetch(`${service.url}/features`)
  t.same(await after.json(), { active_features: ['g_after', ...GLOBAL] }, 'a change written to the new primary is in the next answer')
  t.end()
})

t.test('the client-side cache on a Sentinel primary stays fresh: changes invalidate it, and after a failover it serves nothing stale', async (t) => {
  const config = loadConfig({ REDIS_USERS_URL: group.url(), REDIS_FEATURES_URL: group.url(1), REDIS_CLIENT_CACHE_ENTRIES: '100' })
  const store = new RedisStore({ ...config, store: config.store as Extract<StoreConfig, { kind: 'redis' }> }, pino({ level: 'silent' }))
  t.teardown(() => store.close())
  await untilReachable(store)
  // The load test above killed the first primary: bring it back; the sentinels make it a replica of
  // the new primary, so there is again one to promote.
  await group.primary.start()
  await waitFor('the old primary to rejoin as a replica', 20_000, async () =>
    parseInfo(String(await command(group.primary.port, 'INFO', 'replication'))).get('master_link_status') === 'up' ? true : undefined)
  const writer = group.client({ db: 1 })
  t.teardown(() => writer.disconnect())
  const answer = async (): Promise<readonly string[]> => await store.featuresFor(caller('1'))
  // Until tracking is on, answers come from Redis; wait for a cached one (the same array twice).
  const deadline = Date.now() + 5_000
  let first = await answer()
  while (Date.now() < deadline && (await answer()) !== first) first = await answer()
  t.equal(await answer(), first, 'answers are served from the cache (the same array)')
  // The invalidation travels on its own connection: the promise is freshness within a few ms of the
  // write (test/functional/store/client-cache.test.ts holds the single instance to the same 10 ms).
  await writer.sadd('features:user:1', 'a2')
  await sleep(FRESH_WITHIN_MS)
  t.same(await answer(), ['a1', 'a2', 'g_after', 'g_one', 'g_two'], 'a change to the user\'s set is seen: tracking invalidated the entry')

  const oldPort = await group.killPrimary()
  await group.waitForFailover(oldPort)
  // The write lands on the new primary; the answer after it must have it, cache or not.
  await writer.srem('features:user:1', 'a2')
  await sleep(FRESH_WITHIN_MS)
  let after: readonly string[] | undefined
  for (let i = 0; i < 200 && after === undefined; i++) {
    after = await answer().catch(async () => { await sleep(20); return undefined })
  }
  t.same(after, ['a1', 'g_after', 'g_one', 'g_two'], 'the first answer after the failover has the change written to the new primary')
  t.end()
})
