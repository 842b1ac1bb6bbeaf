// The store contract suite (test/helpers/store-contract.ts) against a Sentinel-managed primary and a
// Redis Cluster, real processes started here: the same semantics as on one instance. On the Cluster
// the answers are computed from keys read slot by slot (src/store/redis/cluster-reads.ts), not by the
// multi-key scripts, so this is what shows both paths decide alike.

import { pino } from 'pino'
import t from 'tap'
import type { Cluster, Redis } from 'ioredis'
import { loadConfig } from '../../../src/config/config.js'
import { createStore, type FeatureStore } from '../../../src/store/index.js'
import { storeContract, type DataSet } from '../../helpers/store-contract.js'
import { untilReachable } from '../../helpers/in-process.js'
import { caller } from '../../../src/core/context.js'
import { RedisSentinelGroup } from '../../helpers/redis-sentinel.js'
import { RedisClusterGroup } from '../../helpers/redis-cluster.js'

const log = pino({ level: 'silent' })
const sentinel = new RedisSentinelGroup()
const cluster = new RedisClusterGroup()
let sentinelWriter: Redis
let clusterWriter: Cluster

t.before(async () => {
  await Promise.all([sentinel.start(), cluster.start()])
  sentinelWriter = sentinel.client()
  clusterWriter = cluster.client()
})
t.teardown(async () => {
  sentinelWriter?.disconnect()
  clusterWriter?.disconnect()
  await Promise.all([sentinel.stop(), cluster.stop()])
})

/** Write `data` in the production key layout through `client`, after emptying every primary. */
async function write (client: Redis | Cluster, data: DataSet): Promise<void> {
  const primaries = 'nodes' in client && typeof client.nodes === 'function' ? (client as Cluster).nodes('master') : [client as Redis]
  await Promise.all(primaries.map(async (node) => await node.flushall()))
  const writes: Array<Promise<unknown>> = []
  for (const [token, id] of Object.entries(data.tokens ?? {})) writes.push(client.set(`token:${token}`, id))
  if (data.global_features !== undefined) writes.push(client.sadd('global_features', ...data.global_features))
  if (data.active_features !== undefined) writes.push(client.sadd('active_features', ...data.active_features))
  for (const [id, list] of Object.entries(data.user_features ?? {})) writes.push(client.sadd(`features:user:${id}`, ...list))
  for (const [name, list] of Object.entries(data.locations ?? {})) writes.push(client.sadd(`location:${name}`, ...list))
  for (const [feature, percent] of Object.entries(data.rollouts ?? {})) writes.push(client.hset('rollout', feature, percent))
  for (const [feature, fields] of Object.entries(data.schedules ?? {})) writes.push(client.hset(`schedule:${feature}`, fields))
  await Promise.all(writes)
}

async function store (url: string, env: Record<string, string>): Promise<FeatureStore> {
  const created = createStore(loadConfig({ REDIS_USERS_URL: url, REDIS_FEATURES_URL: url, ...env }), log)
  await untilReachable(created)
  return created
}

storeContract(t, 'redis store on a Sentinel primary', async (data, env = {}) => {
  await write(sentinelWriter, data)
  return await store(sentinel.url(), env)
})

storeContract(t, 'redis store on a Cluster', async (data, env = {}) => {
  await write(clusterWriter, data)
  return await store(cluster.url(), env)
})

t.test('on a Cluster, a key of the wrong type fails only the callers that read it, as on one instance', async (t) => {
  t.plan(6)
  await write(clusterWriter, { global_features: ['g'], active_features: ['a', 's'], tokens: { good: '1' }, user_features: { 1: ['a'] }, schedules: { s: { start: '2000-01-01T00:00:00Z' } } })
  await clusterWriter.set('features:user:2', 'not a set')
  await clusterWriter.set('token:bad', 'x')
  await clusterWriter.del('token:bad')
  await clusterWriter.sadd('token:bad', 'not a string')
  const s = await store(cluster.url(), {})
  t.teardown(() => s.close())
  const [one, two, anonymous, bad] = await Promise.allSettled([s.featuresFor(caller('1')), s.featuresFor(caller('2')), s.featuresFor(caller(null)), s.userIdForToken('bad')])
  t.same(one, { status: 'fulfilled', value: ['a', 'g'] }, 'a neighbour in the same turn gets its answer')
  t.match(two, { status: 'rejected', reason: { code: 'TF_ERR_INTERNAL' } }, 'a user set of the wrong type: 500 for that user')
  t.same(anonymous, { status: 'fulfilled', value: ['g'] })
  t.match(bad, { status: 'rejected', reason: { code: 'TF_ERR_INTERNAL' } }, 'a token key of the wrong type: 500')
  // A schedule of the wrong type closes its feature (as a malformed one does), for that feature only.
  await clusterWriter.del('schedule:g')
  await clusterWriter.set('schedule:g', 'not a hash')
  t.same(await s.featuresFor(caller('1')), ['a'], 'g is closed by its unreadable schedule; a stays')
  await clusterWriter.del('active_features')
  await clusterWriter.set('active_features', 'not a set')
  t.match(await s.featuresFor(caller('1')).catch((err: unknown) => err), { code: 'TF_ERR_INTERNAL' }, 'active_features of the wrong type: 500 for users')
})

t.test('on a Cluster, a rollout of the wrong type fails users; many features skip the first-round schedule guess; a large set with nothing active reads nothing more', async (t) => {
  t.plan(4)
  const many = Array.from({ length: 70 }, (_, i) => `m${i}`)
  await write(clusterWriter, { global_features: ['g'], active_features: many, user_features: { 1: ['m1', 'x'], big: Array.from({ length: 10 }, (_, i) => `x${i}`) }, schedules: { m1: { end: '2001-01-01T00:00:00Z' } } })
  const s = await store(cluster.url(), {})
  t.teardown(() => s.close())
  await s.featuresFor(caller('1'))
  t.same(await s.featuresFor(caller('1')), ['g'], '70 active features: schedules read in the second round, m1 closed by its schedule')
  await clusterWriter.set('rollout', 'not a hash')
  t.match(await s.featuresFor(caller('1')).catch((err: unknown) => err), { code: 'TF_ERR_INTERNAL' }, 'a rollout key of the wrong type: 500 for users')
  t.same(await s.featuresFor(caller(null)), ['g'], 'anonymous callers do not read it')
  await clusterWriter.del('active_features')
  await clusterWriter.del('rollout')
  const small = await store(cluster.url(), { MAX_ANSWER_FEATURES: '5' })
  t.teardown(() => small.close())
  t.same(await small.featuresFor(caller('big')), ['g'], 'a set of 10 past the read bound of 5, no active features: 1 + min(10, 0) is within 5')
})
