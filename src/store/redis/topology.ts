// Connects to what a Redis URL names (config/redis-target.ts): one instance, a Sentinel-managed
// primary (or one of its replicas), or a Cluster. Everything above gets an ioredis client and the list
// of nodes behind it; how a Cluster's reads are split by slot is cluster-reads.ts.

import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis'
import type { RedisTarget } from '../../config/redis-target.js'
import { DEFAULTS } from '../../config/defaults.js'

/** A client of any topology: the commands tideflags sends exist on both. */
export type RedisClient = Redis | Cluster

/** Which server a connection reads from. */
export type ReadFrom = 'primary' | 'replica'

/** One server the service uses, and whether it answered a PING. */
export interface NodeState {
  readonly node: string
  readonly up: boolean
}

/**
 * A client for `target`. `options` are the per-connection options (timeouts, protocol, retry); a
 * Cluster applies them to each node connection and adds its own redirection handling.
 */
export function connectTarget (target: RedisTarget, options: RedisOptions, readFrom: ReadFrom = 'primary'): RedisClient {
  if (target.kind === 'single') return new Redis(target.url, options)
  const tls = target.tls ? {} : undefined
  if (target.kind === 'sentinel') {
    return new Redis({
      ...options,
      sentinels: target.sentinels.map(({ host, port }) => ({ host, port })),
      name: target.name,
      db: target.db,
      username: target.username,
      password: target.password,
      tls,
      enableTLSForSentinelMode: target.tls,
      role: readFrom === 'replica' ? 'slave' : 'master',
      // Listen for +switch-master on the sentinels: reconnect to the new primary as soon as it is
      // named, instead of at the next reconnect attempt.
      failoverDetector: true,
      // Ask the sentinels again quickly, capped like the data connection, forever.
      sentinelRetryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 1_000),
    })
  }
  const { retryStrategy, enableOfflineQueue, ...perNode } = options
  const clusterOptions: ClusterOptions = {
    // Fail fast while the cluster is not ready, as a single connection does (README "Redis failures").
    enableOfflineQueue: enableOfflineQueue === true,
    lazyConnect: options.lazyConnect,
    // Off on a Cluster: ioredis 6 groups an auto-pipeline by node and retries it whole, so a MOVED or
    // a lost node during a reshard or failover fails or misroutes the commands of other slots in it
    // (redis/ioredis#2075, open), which test/functional/topology/cluster.test.ts saw as wrong answers.
    // cluster-reads.ts corks each node's socket for a batch instead: one write per node, same effect.
    enableAutoPipelining: false,
    scaleReads: readFrom === 'replica' ? 'slave' : 'master',
    clusterRetryStrategy: typeof retryStrategy === 'function' ? (attempt: number) => retryStrategy(attempt) as number : undefined,
    // MOVED is answered at once (the slot map is refreshed meanwhile); ASK, TRYAGAIN and a failover
    // wait a little. Every retry stays inside the command timeout, so a request still fails fast.
    maxRedirections: DEFAULTS.clusterMaxRedirections,
    retryDelayOnMoved: 0,
    retryDelayOnFailover: DEFAULTS.clusterRetryDelayMs,
    retryDelayOnClusterDown: DEFAULTS.clusterRetryDelayMs,
    retryDelayOnTryAgain: DEFAULTS.clusterRetryDelayMs,
    slotsRefreshTimeout: DEFAULTS.clusterSlotsRefreshTimeoutMs,
    slotsRefreshInterval: DEFAULTS.clusterSlotsRefreshIntervalMs,
    redisOptions: { ...perNode, username: target.username, password: target.password, tls },
  }
  return new Cluster(target.nodes.map(({ host, port }) => ({ host, port })), clusterOptions)
}

/**
 * PING every server the client reads from: the primary (or replica) of a single or Sentinel
 * connection, every primary of a Cluster (and its replicas when reads go there). Never rejects.
 */
export async function nodeStates (client: RedisClient, readFrom: ReadFrom): Promise<NodeState[]> {
  if (client instanceof Cluster) {
    const nodes = client.nodes(readFrom === 'replica' ? 'all' : 'master')
    // Before the first slot map, or after losing every node, there is nothing to ask: not up.
    if (nodes.length === 0) return [{ node: 'cluster', up: false }]
    // ioredis makes every node connection from a host and port it learnt from CLUSTER SLOTS.
    return await Promise.all(nodes.map(async (node) => ({ node: `${node.options.host as string}:${node.options.port as number}`, up: await pinged(node) })))
  }
  return [{ node: nodeName(client), up: await pinged(client) }]
}

/**
 * A single connection's name: where it is connected now (a Sentinel connection's server changes with
 * failovers), else the Sentinel master name, else the configured address.
 */
function nodeName (client: Redis): string {
  const stream = client.stream as { remoteAddress?: string, remotePort?: number } | undefined
  if (client.status === 'ready' && stream?.remoteAddress !== undefined) return `${stream.remoteAddress}:${stream.remotePort as number}`
  const { sentinels, name, host, port } = client.options
  return sentinels != null ? `sentinel:${name as string}` : `${host as string}:${port as number}`
}

async function pinged (client: Redis): Promise<boolean> {
  return client.ping().then(() => true, () => false)
}
