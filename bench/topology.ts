// The Redis deployment a benchmark run measures (`--topology`): two plain instances (the default and
// the figures everything else is stated in), a Sentinel-managed primary with a replica, or a Cluster
// of three primaries with a replica each, or `split`: the users on such a Cluster and the features on
// one plain instance (the layout for a user count whose tokens outgrow one node while the features'
// shared keys stay on one primary). All are real processes on free ports, started and stopped
// here; the service gets the URL forms an operator would write (README "Scaling out").

import type { Cluster, Redis } from 'ioredis'
import { RedisServer } from '../test/helpers/redis-server.js'
import { RedisSentinelGroup } from '../test/helpers/redis-sentinel.js'
import { RedisClusterGroup } from '../test/helpers/redis-cluster.js'

export const TOPOLOGIES = ['single', 'sentinel', 'cluster', 'split'] as const
export type Topology = typeof TOPOLOGIES[number]

/** A started deployment: the service's two URLs, clients to write data with, and how to stop it. */
export interface RedisUnderTest {
  readonly usersUrl: string
  readonly featuresUrl: string
  /** A plain single-instance pair (the seed target and same-instance need one); undefined otherwise. */
  readonly plain: boolean
  /** A new client for the users side; the caller disconnects it. */
  users: () => Redis | Cluster
  /** A new client for the features side; the caller disconnects it. */
  features: () => Redis | Cluster
  /** The ports of the servers the service reads from now (the primaries), for INFO per node. */
  dataPorts: () => Promise<number[]>
  stop: () => Promise<void>
}

/** Start `topology` and wait until it serves. */
export async function startTopology (topology: Topology): Promise<RedisUnderTest> {
  if (topology === 'sentinel') {
    // One primary (users in db 0, features in db 1), one replica, three sentinels.
    const group = await new RedisSentinelGroup().start()
    return {
      usersUrl: group.url(0),
      featuresUrl: group.url(1),
      plain: false,
      users: () => group.client(),
      features: () => group.client({ db: 1 }),
      dataPorts: async () => [await group.currentPrimaryPort()],
      stop: async () => await group.stop(),
    }
  }
  if (topology === 'cluster') {
    // Both data sets in one Cluster: a Cluster has one keyspace, and the service shares its client.
    const group = await new RedisClusterGroup().start()
    const client = (): Cluster => group.client({ enableAutoPipelining: true })
    const dataPorts = async (): Promise<number[]> => (await group.primaries()).map((m) => m.port)
    return { usersUrl: group.url(), featuresUrl: group.url(), plain: false, users: client, features: client, dataPorts, stop: async () => await group.stop() }
  }
  if (topology === 'split') {
    const group = await new RedisClusterGroup().start()
    const features = new RedisServer()
    try {
      await features.start()
    } catch (err) {
      await group.stop()
      throw err
    }
    return {
      usersUrl: group.url(),
      featuresUrl: features.url,
      plain: false,
      users: () => group.client({ enableAutoPipelining: true }),
      features: () => features.client(),
      dataPorts: async () => [...(await group.primaries()).map((m) => m.port), features.port],
      stop: async () => { await Promise.allSettled([group.stop(), features.stop()]) },
    }
  }
  const users = new RedisServer()
  const features = new RedisServer()
  const stop = async (): Promise<void> => {
    await Promise.allSettled([users.stop(), features.stop()])
  }
  try {
    await Promise.all([users.start(), features.start()])
  } catch (err) {
    await stop()
    throw err
  }
  return { usersUrl: users.url, featuresUrl: features.url, plain: true, users: () => users.client(), features: () => features.client(), dataPorts: async () => [users.port, features.port], stop }
}
