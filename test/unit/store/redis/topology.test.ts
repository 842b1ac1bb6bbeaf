// What each kind of Redis URL becomes: the ioredis client and the options it is given. Clients are
// made lazily here and never connect; the real topologies are test/functional/topology/.

import t from 'tap'
import { Cluster, Redis } from 'ioredis'
import { parseRedisTarget } from '../../../../src/config/redis-target.js'
import { connectTarget, nodeStates } from '../../../../src/store/redis/topology.js'

const retryStrategy = (attempt: number): number => attempt * 7
const BASE = { lazyConnect: true, enableOfflineQueue: false, retryStrategy, enableAutoPipelining: true, commandTimeout: 250 }

t.test('a Cluster URL gives an ioredis Cluster that fails fast, with per-node options and no auto-pipelining', async (t) => {
  t.plan(8)
  const client = connectTarget(parseRedisTarget('V', 'rediss+cluster://app:pw@h1:7000,h2:7001'), BASE, 'replica') as Cluster
  t.teardown(() => client.disconnect())
  t.ok(client instanceof Cluster)
  t.equal(client.options.scaleReads, 'slave', 'REDIS_READ_FROM=replica: reads on the replicas')
  t.equal(client.options.enableOfflineQueue, false)
  t.equal(client.options.enableAutoPipelining, false, 'off on a Cluster (redis/ioredis#2075)')
  t.equal(client.options.clusterRetryStrategy?.(3, undefined as never), 21, 'the reconnect backoff is the single connection\'s')
  t.match(client.options.redisOptions, { username: 'app', password: 'pw', tls: {}, commandTimeout: 250 })
  const primary = connectTarget(parseRedisTarget('V', 'redis+cluster://h1:7000'), { lazyConnect: true }) as Cluster
  t.teardown(() => primary.disconnect())
  t.equal(primary.options.scaleReads, 'master', 'reads on the primaries by default')
  t.equal(primary.options.redisOptions?.tls, undefined, 'no TLS for redis+cluster://')
})

t.test('a Sentinel URL gives a client that asks the sentinels for the primary (or a replica) and follows failovers', async (t) => {
  t.plan(6)
  const client = connectTarget(parseRedisTarget('V', 'rediss+sentinel://u:p@s1:26379,s2:26380/main/2'), BASE, 'replica') as Redis
  t.teardown(() => client.disconnect())
  t.match(client.options, { name: 'main', db: 2, role: 'slave', username: 'u', password: 'p', enableTLSForSentinelMode: true, failoverDetector: true })
  t.same(client.options.sentinels, [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }])
  t.equal(client.options.sentinelRetryStrategy?.(10), 1_000, 'asking the sentinels again is capped at 1 s')
  const primary = connectTarget(parseRedisTarget('V', 'redis+sentinel://s1:26379/main'), { lazyConnect: true }) as Redis
  t.teardown(() => primary.disconnect())
  t.equal(primary.options.role, 'master')
  t.equal(primary.options.tls, undefined)
  t.equal(primary.options.enableTLSForSentinelMode, false)
})

t.test('nodes of clients that are not connected are reported down, named as well as can be', async (t) => {
  t.plan(4)
  const cluster = connectTarget(parseRedisTarget('V', 'redis+cluster://127.0.0.1:1'), { lazyConnect: true })
  const sentinel = connectTarget(parseRedisTarget('V', 'redis+sentinel://127.0.0.1:1/main'), { ...BASE, retryStrategy: () => null })
  const single = connectTarget(parseRedisTarget('V', 'redis://127.0.0.1:1'), { ...BASE, retryStrategy: () => null })
  t.teardown(() => { for (const c of [cluster, sentinel, single]) c.disconnect() })
  t.same(await nodeStates(cluster, 'primary'), [{ node: 'cluster', up: false }], 'a Cluster with no slot map yet')
  t.same(await nodeStates(cluster, 'replica'), [{ node: 'cluster', up: false }], 'nor replicas')
  t.same(await nodeStates(sentinel, 'primary'), [{ node: 'sentinel:main', up: false }], 'a Sentinel client by its master name')
  t.same(await nodeStates(single, 'primary'), [{ node: '127.0.0.1:1', up: false }], 'one instance by its address')
})
