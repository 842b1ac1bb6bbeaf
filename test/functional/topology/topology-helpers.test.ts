// The Sentinel and Cluster test helpers (issue 14) checked against the real processes they start:
// later tests of Sentinel and Cluster support trust that a failover promotes, that a reshard moves
// keys with their slots and that data lands on every primary; this file is where that is proven.

import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { Cluster, Redis } from 'ioredis'
import { RedisSentinelGroup } from '../../helpers/redis-sentinel.js'
import { RedisClusterGroup, tokensOnEveryNode } from '../../helpers/redis-cluster.js'
import { command } from '../../helpers/redis-topology.js'

/** True once nothing accepts connections on the port any more. */
async function refused (port: number): Promise<boolean> {
  try {
    await command(port, 'PING')
    return false
  } catch {
    return true
  }
}

/**
 * Read `keys` through the cluster client in rounds (values equal to names) until `done()` says
 * stop, pausing between rounds; returns the number of wrong or failed reads.
 */
async function keepReading (client: Cluster, keys: readonly string[], done: () => boolean): Promise<number> {
  let bad = 0
  while (!done()) {
    const values = await Promise.allSettled(keys.map(async (key) => await client.get(key)))
    bad += values.filter((v, i) => v.status === 'rejected' || v.value !== keys[i]).length
    await sleep(20)
  }
  return bad
}

/** A plain (non-cluster) client to one node: it sees ASK and MOVED replies instead of following them. */
function nodeClient (cluster: RedisClusterGroup, port: number): Redis {
  const node = cluster.nodes.find((n) => n.port === port)
  if (node === undefined) throw new Error(`no node on port ${port}`)
  return node.client()
}

/** Write each key with its own name as the value. */
async function writeKeys (client: Cluster, keys: readonly string[]): Promise<void> {
  await Promise.all(keys.map(async (key) => await client.set(key, key)))
}

/** Read every key and return the ones that did not come back as their own name. */
async function wrongKeys (client: Cluster, keys: readonly string[]): Promise<string[]> {
  const values = await Promise.all(keys.map(async (key) => await client.get(key)))
  return keys.filter((key, i) => values[i] !== key)
}

t.test('a sentinel group names its primary, and killing the primary gets the replica promoted', async (t) => {
  t.plan(12)
  const group = new RedisSentinelGroup()
  t.teardown(() => group.stop())
  const started = Date.now()
  await group.start()
  t.comment(`sentinel group started in ${Date.now() - started} ms`)

  const [s1, s2, s3] = group.sentinels.map((s) => `${s.host}:${s.port}`)
  t.equal(group.url(), `redis+sentinel://${s1},${s2},${s3}/mymaster`, 'the URL lists the three sentinels and the master name')
  t.equal(group.url(3), `redis+sentinel://${s1},${s2},${s3}/mymaster/3`, 'with the db when given')
  t.equal(await group.currentPrimaryPort(), group.primary.port, 'the sentinels name the primary')
  t.match(await command(group.replica.port, 'ROLE'), ['slave', '127.0.0.1', group.primary.port], 'the replica follows it')

  const client = group.client()
  t.teardown(() => client.disconnect())
  await client.set('written-before', 'the kill')

  const killedAt = Date.now()
  const oldPort = await group.killPrimary()
  t.equal(oldPort, group.primary.port, 'killPrimary kills the current primary')
  t.notOk(group.primary.process, 'and its process is gone')
  const failover = await group.waitForFailover(oldPort)
  t.comment(`failover: ${Date.now() - killedAt} ms from SIGKILL until every sentinel named the replica and it said ROLE master`)
  t.equal(failover.port, group.replica.port, 'the replica is promoted')
  t.equal(await group.currentPrimaryPort(), group.replica.port, 'the sentinels now name it')
  const readAt = Date.now()
  t.equal(await client.get('written-before'), 'the kill', 'a sentinel client follows to the new primary, and the data survived')
  t.comment(`the sentinel client's first read after the failover took ${Date.now() - readAt} ms (it reconnects through the sentinels)`)
  t.equal(await client.set('written-after', 'x'), 'OK', 'and can write there')

  await group.stop()
  await group.stop()
  const ports = [group.primary.port, group.replica.port, ...group.sentinels.map((s) => s.port)]
  t.same((await Promise.all(ports.map(refused))), ports.map(() => true), 'stop (twice) leaves no server or sentinel listening')
  t.notOk(group.replica.process, 'and no process')
})

t.test('a cluster group of six nodes', async (t) => {
  const cluster = new RedisClusterGroup()
  t.teardown(() => cluster.stop())
  const started = Date.now()
  await cluster.start()
  t.comment(`cluster started in ${Date.now() - started} ms`)
  const client = cluster.client()
  t.teardown(() => client.disconnect())

  await t.test('has three primaries owning all slots and three replicas, one for each', async (t) => {
    t.plan(5)
    const [n1, n2, n3] = cluster.nodes.map((n) => `127.0.0.1:${n.port}`)
    t.equal(cluster.url(), `redis+cluster://${n1},${n2},${n3}`, 'the URL lists three seed nodes')
    const primaries = await cluster.primaries()
    const replicas = await cluster.replicas()
    t.equal(primaries.length, 3, 'three primaries')
    t.equal(replicas.length, 3, 'three replicas')
    t.same(replicas.map((r) => r.primaryId).sort(), primaries.map((p) => p.id).sort(), 'each primary has one replica')
    const owned = primaries.flatMap((p) => p.slots).reduce((sum, [start, end]) => sum + end - start + 1, 0)
    t.equal(owned, 16_384, 'the primaries own every slot')
  })

  await t.test('tokensOnEveryNode puts token and user keys on every primary, where a plain client finds them', async (t) => {
    const placements = await tokensOnEveryNode(cluster, 2)
    t.plan(4 + placements.length * 2)
    const primaryPorts = (await cluster.primaries()).map((p) => p.port).sort()
    t.equal(placements.length, 6, 'two per primary')
    t.same([...new Set(placements.map((p) => p.tokenPort))].sort(), primaryPorts, 'token keys on all three primaries')
    t.same([...new Set(placements.map((p) => p.userPort))].sort(), primaryPorts, 'user keys on all three primaries')
    t.ok(placements.every((p) => p.tokenPort !== p.userPort), 'each token and its user on different primaries')
    for (const p of placements) {
      await client.set(`token:${p.token}`, p.userId)
      await client.sadd(`features:user:${p.userId}`, 'feature_3')
      t.equal(await command(p.tokenPort, 'GET', `token:${p.token}`), p.userId, `token:${p.token} is on ${p.tokenPort}`)
      t.same(await command(p.userPort, 'SMEMBERS', `features:user:${p.userId}`), ['feature_3'], `features:user:${p.userId} is on ${p.userPort}`)
    }
  })

  await t.test('moveSlots moves a slot with its keys: ASK while half-moved, MOVED after, and a cluster client reads throughout', async (t) => {
    t.plan(10)
    // A hash tag puts all ten keys in one slot, so moving that slot moves all of them.
    const keys = Array.from({ length: 10 }, (_, i) => `{moving}:${i}`)
    const spread = Array.from({ length: 300 }, (_, i) => `spread:${i}`)
    await writeKeys(client, [...keys, ...spread])
    const [slot = -1] = await cluster.keySlots(['{moving}'])
    const fromPort = await cluster.nodeForKey(keys[0] ?? '')
    const toPort = (await cluster.primaries()).map((p) => p.port).find((port) => port !== fromPort) ?? 0

    let moving = true
    const reading = keepReading(client, [...keys, ...spread], () => !moving)
    const source = nodeClient(cluster, fromPort)
    t.teardown(() => source.disconnect())
    const moved = await cluster.moveSlots(fromPort, toPort, [slot], {
      whileMigrating: async (step) => {
        t.equal(step.moved.length + step.notMoved.length, 10, 'half-way, every key of the slot is on one side or the other')
        await t.rejects(source.get(step.moved[0] ?? ''), { message: new RegExp(`^ASK ${slot} 127\\.0\\.0\\.1:${toPort}$`) },
          'the source answers ASK for a key already moved')
        t.equal(await source.get(step.notMoved[0] ?? ''), step.notMoved[0], 'and serves a key not moved yet')
        t.equal(await client.get(step.moved[0] ?? ''), step.moved[0], 'the cluster client follows the ASK')
        await sleep(300) // let the reader loop run a few rounds inside the ASK window
      },
    })
    moving = false
    t.comment(`moved 1 slot with ${moved.keys} keys in ${moved.ms} ms`)
    t.same(moved, { slots: [slot], keys: 10, ms: moved.ms }, 'the slot and its ten keys moved')
    t.equal(await cluster.nodeForKey(keys[0] ?? ''), toPort, 'the slot has a new owner')
    await t.rejects(source.get(keys[0] ?? ''), { message: new RegExp(`^MOVED ${slot} 127\\.0\\.0\\.1:${toPort}$`) },
      'the old owner now answers MOVED')
    t.equal(await reading, 0, 'no read failed or came back wrong while the slot moved')
    t.same(await wrongKeys(client, [...keys, ...spread]), [], 'every key reads back through the cluster client afterwards')
    t.equal(await command(toPort, 'GET', keys[0] ?? ''), keys[0], 'a plain client finds the key on the new owner')
  })

  await t.test('moveSlots with a count moves that many of the lowest slots and their keys', async (t) => {
    t.plan(5)
    const keys = Array.from({ length: 2_000 }, (_, i) => `bulk:${i}`)
    await writeKeys(client, keys)
    const [from, to] = await cluster.primaries()
    const fromPort = from?.port ?? 0
    const toPort = to?.port ?? 0
    const lowest = from?.slots[0]?.[0] ?? -1
    let moving = true
    const reading = keepReading(client, keys.slice(0, 200), () => !moving)
    const moved = await cluster.moveSlots(fromPort, toPort, 100)
    moving = false
    t.comment(`moved 100 slots with ${moved.keys} keys in ${moved.ms} ms`)
    t.same(moved.slots, Array.from({ length: 100 }, (_, i) => lowest + i), 'the source\'s 100 lowest slots')
    t.ok(moved.keys > 0, `keys moved with them (${moved.keys})`)
    t.equal((await cluster.slotMap()).find((r) => r.start <= lowest && lowest <= r.end)?.port, toPort, 'owned by the target now')
    t.equal(await reading, 0, 'no read failed while the slots moved')
    t.same(await wrongKeys(client, keys), [], 'every key reads back')
  })

  await t.test('failover without a kill swaps a primary and its replica', async (t) => {
    t.plan(4)
    const [primary] = await cluster.primaries()
    const replica = (await cluster.replicas()).find((r) => r.primaryId === primary?.id)
    const result = await cluster.failover(primary?.port ?? 0, { kill: false })
    t.comment(`CLUSTER FAILOVER: promoted in ${result.promotedMs} ms, cluster settled in ${result.readyMs} ms`)
    t.equal(result.newPrimaryPort, replica?.port, 'the replica is the new primary')
    t.ok((await cluster.primaries()).some((p) => p.port === replica?.port), 'CLUSTER NODES says so')
    t.ok((await cluster.replicas()).some((r) => r.port === primary?.port), 'the old primary is now a replica')
    t.same(await wrongKeys(client, ['spread:1', 'spread:2', '{moving}:1']), [], 'keys still read through the cluster client')
  })

  await t.test('failover with a kill gets the replica promoted and the cluster ok again', async (t) => {
    t.plan(6)
    const keys = Array.from({ length: 300 }, (_, i) => `spread:${i}`)
    const primaries = await cluster.primaries()
    const victim = primaries.find((p) => p.slots.length > 0) ?? primaries[0]
    const replica = (await cluster.replicas()).find((r) => r.primaryId === victim?.id)
    const result = await cluster.failover(victim?.port ?? 0, { kill: true })
    t.comment(`SIGKILL: replica promoted after ${result.promotedMs} ms, cluster ok and agreed after ${result.readyMs} ms`)
    t.equal(result.newPrimaryPort, replica?.port, 'its replica is promoted')
    t.notOk(victim?.server?.process, 'the old primary\'s process is gone')
    t.equal((await cluster.primaries()).length, 3, 'three primaries again')
    t.ok((await cluster.members()).find((m) => m.port === victim?.port)?.failed, 'the killed node is marked failed')
    const readAt = Date.now()
    t.same(await wrongKeys(client, keys), [], 'a cluster client made before the kill reads every key')
    t.comment(`that client's first full read after the failover took ${Date.now() - readAt} ms`)

    await cluster.stop()
    await cluster.stop()
    const ports = cluster.nodes.map((n) => n.port)
    t.same(await Promise.all(ports.map(refused)), ports.map(() => true), 'stop (twice) leaves no node listening')
  })
})
