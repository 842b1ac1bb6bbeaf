// Starts and stops a real Redis Cluster on free ports for tests: six redis-server processes, three
// primaries with one replica each, plus live resharding and failovers so clients meet MOVED, ASK and
// promoted replicas for real. Never the machine's shared Redis on 6379.

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { Cluster, type ClusterOptions, type Redis } from 'ioredis'
import { RedisServer } from './redis-server.js'
import {
  adminClient, command, HOST, isRunning, killNow, makeDir, parseInfo, removeDir, removeDirSync,
  startOnFreePort, trackUntilStopped, untrack, waitFor, withAdmin,
} from './redis-topology.js'

/** Number of hash slots in every Redis Cluster. */
export const SLOT_COUNT = 16_384

/** A node as CLUSTER NODES describes it. */
export interface ClusterMember {
  id: string
  port: number
  role: 'primary' | 'replica'
  /** The primary's node id, for a replica. */
  primaryId: string | undefined
  /** Slot ranges it owns, inclusive (primaries only). */
  slots: Array<[number, number]>
  /** Marked failed by the cluster (killed, or unreachable for longer than the node timeout). */
  failed: boolean
  /** Our process for it. */
  server: RedisServer | undefined
}

/** A slot range as CLUSTER SLOTS reports it. */
export interface SlotRange {
  start: number
  end: number
  port: number
  replicaPorts: number[]
}

/** The state of one slot half-way through moveSlots, handed to `whileMigrating`. */
export interface MigrationStep {
  slot: number
  fromPort: number
  toPort: number
  /** Keys already on the target: the source answers ASK for them. */
  moved: string[]
  /** Keys still on the source: it serves them itself. */
  notMoved: string[]
}

export interface MoveSlotsOptions {
  /**
   * Called for each slot while it is MIGRATING on the source and IMPORTING on the target, with about
   * half of its keys moved: the window in which clients get ASK. Without it the window is a few ms.
   */
  whileMigrating?: (step: MigrationStep) => Promise<void>
}

/** What moveSlots did. */
export interface MoveResult {
  slots: number[]
  /** Keys migrated along with the slots. */
  keys: number
  /** From the call until every node agreed on the new owners. */
  ms: number
}

/** What failover saw, in milliseconds from the kill or the CLUSTER FAILOVER command. */
export interface ClusterFailoverResult {
  oldPrimaryPort: number
  newPrimaryPort: number
  /** Until the replica called itself primary. */
  promotedMs: number
  /** Until every running node said cluster_state:ok and agreed on the slot owners. */
  readyMs: number
}

/** Failure detection takes one node timeout; 1 s (default 15 s) makes a failover take seconds. */
const NODE_TIMEOUT_MS = 1_000
const SETTLE_TIMEOUT_MS = 20_000

/**
 * Six cluster nodes on free ports made into three primaries with one replica each by
 * `redis-cli --cluster create`. `nodes` keeps all six in start order; roles change with failovers,
 * so ask primaries() / replicas(). A killed node can be brought back with `nodes[i].start()` (same
 * port, same nodes.conf: it rejoins, as a replica if its slots were taken over) and then
 * waitUntilSettled().
 */
export class RedisClusterGroup {
  readonly nodes: RedisServer[] = []
  #dir: string | undefined

  /** The URL form the service parses: the first three nodes as seeds (any node would do). */
  url (): string {
    return `redis+cluster://${this.#seeds().map((s) => `${s.host}:${s.port}`).join(',')}`
  }

  /** Start six nodes, create the cluster, and wait until every node is ok, agrees on the slots and every replica is in sync. */
  async start (): Promise<this> {
    trackUntilStopped(this)
    try {
      this.#dir = await makeDir('cluster')
      const dir = this.#dir
      for (let i = 0; i < 6; i++) {
        const taken = new Set(this.nodes.map((n) => n.port))
        this.nodes.push(await startOnFreePort((port) => new RedisServer([
          '--cluster-enabled', 'yes',
          '--cluster-config-file', join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout', String(NODE_TIMEOUT_MS),
          // A replica's full resync writes an RDB file, by default into the cwd (the repo), and a
          // primary waits 5 s for more replicas before its first sync.
          '--dir', dir, '--dbfilename', `dump-${port}.rdb`, '--repl-diskless-sync-delay', '0',
        ]), taken))
      }
      await createCluster(this.nodes.map((n) => n.port))
      await this.waitUntilSettled(SETTLE_TIMEOUT_MS)
      return this
    } catch (error) {
      await this.stop()
      throw error
    }
  }

  /**
   * An ioredis Cluster client seeded with the first three nodes. Caller quits it. `options` are
   * merged over the defaults. No natMap is needed: the nodes announce 127.0.0.1, where tests connect.
   */
  client (options: ClusterOptions = {}): Cluster {
    const client = new Cluster(this.#seeds(), options)
    // Without a listener ioredis prints refused reconnects to a killed node as "Unhandled error
    // event"; commands still reject with their error, and a caller can add its own listener.
    client.on('error', () => {})
    return client
  }

  /** Every node as a running node sees it (CLUSTER NODES), sorted by port. */
  async members (): Promise<ClusterMember[]> {
    return await this.#fromAnyNode(async (client) => {
      const text = String(await client.call('CLUSTER', ['NODES']))
      return parseClusterNodes(text).map((m) => ({ ...m, server: this.nodes.find((n) => n.port === m.port) }))
        .sort((a, b) => a.port - b.port)
    })
  }

  /** Current primaries not marked failed. */
  async primaries (): Promise<ClusterMember[]> {
    return (await this.members()).filter((m) => m.role === 'primary' && !m.failed)
  }

  /** Current replicas not marked failed. */
  async replicas (): Promise<ClusterMember[]> {
    return (await this.members()).filter((m) => m.role === 'replica' && !m.failed)
  }

  /** Slot ranges and their owners (CLUSTER SLOTS from a running node), sorted by slot. */
  async slotMap (): Promise<SlotRange[]> {
    return await this.#fromAnyNode(async (client) => parseClusterSlots(await client.call('CLUSTER', ['SLOTS'])))
  }

  /** The hash slot of each key (CLUSTER KEYSLOT, pipelined on one connection). */
  async keySlots (keys: readonly string[]): Promise<number[]> {
    return await this.#fromAnyNode(async (client) => await Promise.all(
      keys.map(async (key) => Number(await client.call('CLUSTER', ['KEYSLOT', key]))),
    ))
  }

  /** Port of the primary that owns the key's slot now. */
  async nodeForKey (key: string): Promise<number> {
    const [slot] = await this.keySlots([key])
    return ownerOf(await this.slotMap(), slot ?? -1)
  }

  /**
   * Move slots live from one primary to another, keys included, the way redis-cli reshard does
   * (SETSLOT IMPORTING/MIGRATING, MIGRATE in batches, SETSLOT NODE on every primary), so clients in
   * flight get real ASK and then MOVED replies. `slots`: a count takes the source's lowest slots (as
   * redis-cli would), a list moves exactly those. Resolves once every node agrees on the new owners.
   */
  async moveSlots (fromPort: number, toPort: number, slots: number | readonly number[], options: MoveSlotsOptions = {}): Promise<MoveResult> {
    const started = Date.now()
    const primaries = await this.primaries()
    const from = primaries.find((m) => m.port === fromPort)
    const to = primaries.find((m) => m.port === toPort)
    if (from === undefined || to === undefined || from === to) throw new Error(`moveSlots: ${fromPort} and ${toPort} must be two different primaries`)
    const owned = from.slots.flatMap(([start, end]) => Array.from({ length: end - start + 1 }, (_, i) => start + i))
    const chosen = typeof slots === 'number' ? owned.slice(0, slots) : [...slots]
    if (typeof slots === 'number' && chosen.length < slots) throw new Error(`moveSlots: ${fromPort} owns only ${owned.length} slots`)
    const notOwned = chosen.filter((slot) => !owned.includes(slot))
    if (notOwned.length > 0) throw new Error(`moveSlots: ${fromPort} does not own slots ${notOwned.join(', ')}`)

    const source = await adminClient(fromPort)
    const target = await adminClient(toPort)
    const others = await Promise.all(primaries.filter((m) => m !== from && m !== to).map(async (m) => await adminClient(m.port)))
    let keys = 0
    try {
      for (const slot of chosen) {
        // Target first: once the source says MIGRATING it sends ASK, and the target must accept ASKING.
        await target.call('CLUSTER', ['SETSLOT', slot, 'IMPORTING', from.id])
        await source.call('CLUSTER', ['SETSLOT', slot, 'MIGRATING', to.id])
        if (options.whileMigrating !== undefined) {
          const present = await keysInSlot(source, slot)
          const moved = present.slice(0, Math.ceil(present.length / 2))
          keys += await migrate(source, toPort, moved)
          await options.whileMigrating({ slot, fromPort, toPort, moved, notMoved: present.slice(moved.length) })
        }
        // Until the source is empty: clients may still write existing keys of the slot on the source.
        for (let batch = await keysInSlot(source, slot); batch.length > 0; batch = await keysInSlot(source, slot)) {
          keys += await migrate(source, toPort, batch)
        }
        // Target first again, so the slot never has no owner that accepts it; the others learn it
        // now rather than by gossip, as redis-cli does.
        await target.call('CLUSTER', ['SETSLOT', slot, 'NODE', to.id])
        await source.call('CLUSTER', ['SETSLOT', slot, 'NODE', to.id])
        for (const other of others) await other.call('CLUSTER', ['SETSLOT', slot, 'NODE', to.id])
      }
    } finally {
      for (const client of [source, target, ...others]) client.disconnect()
    }
    await this.waitUntilSettled(SETTLE_TIMEOUT_MS)
    return { slots: chosen, keys, ms: Date.now() - started }
  }

  /**
   * Fail a primary over to its replica. `kill: true` SIGKILLs it (a crash: the cluster detects it
   * after the node timeout and the replica elects itself); by default it first waits (WAIT, up to
   * 2 s) until the replica has every write, so data written before the call survives. `kill: false`
   * runs CLUSTER FAILOVER on the replica (a planned switch, no data loss) and waits for the role swap.
   * Either way resolves once the running nodes are ok and agree on the slot owners.
   */
  async failover (primaryPort: number, options: { kill: boolean, waitForReplicas?: boolean }): Promise<ClusterFailoverResult> {
    // Gossip may not have told the node we ask about a recent role change yet (a busy machine makes
    // that seconds): wait until it lists the primary with a running replica.
    const { primary, replicas } = await waitFor(`primary ${primaryPort} to be listed with a running replica`, SETTLE_TIMEOUT_MS, async () => {
      const members = await this.members()
      const found = members.find((m) => m.port === primaryPort && m.role === 'primary' && !m.failed)
      if (found?.server === undefined) return undefined
      const running = members.filter((m) => m.primaryId === found.id && !m.failed && m.server !== undefined && isRunning(m.server))
      return running.length > 0 ? { primary: found as ClusterMember & { server: RedisServer }, replicas: running } : undefined
    })
    const first = replicas[0] as ClusterMember
    let started: number
    if (options.kill) {
      if (options.waitForReplicas !== false) await command(primaryPort, 'WAIT', replicas.length, 2_000)
      started = Date.now()
      await primary.server.kill()
    } else {
      started = Date.now()
      await command(first.port, 'CLUSTER', 'FAILOVER')
    }
    const newPrimaryPort = await waitFor(`a replica of ${primaryPort} to be promoted`, SETTLE_TIMEOUT_MS, async () => {
      for (const replica of replicas) {
        if (await ownRole(replica.port) === 'primary') return replica.port
      }
      return undefined
    })
    const promotedMs = Date.now() - started
    if (!options.kill) {
      await waitFor(`${primaryPort} to become a replica`, SETTLE_TIMEOUT_MS, async () => await ownRole(primaryPort) === 'replica' ? true : undefined)
      // And until the cluster's own listing says so too: that is what callers read next.
      await waitFor(`the cluster to list ${primaryPort} as a replica`, SETTLE_TIMEOUT_MS, async () =>
        (await this.members()).some((m) => m.port === primaryPort && m.role === 'replica') ? true : undefined)
    }
    await this.waitUntilSettled(SETTLE_TIMEOUT_MS)
    return { oldPrimaryPort: primaryPort, newPrimaryPort, promotedMs, readyMs: Date.now() - started }
  }

  /**
   * Wait until every running node reports cluster_state:ok, knows every node, sees all 16384 slots
   * assigned, reports the same slot owners as the others, and (for a replica) has its link to its
   * primary up. A SIGSTOPped node counts as running, so pause nodes only after waiting.
   */
  async waitUntilSettled (timeoutMs = SETTLE_TIMEOUT_MS): Promise<void> {
    await waitFor('every cluster node to be ok and agree on the slot owners', timeoutMs, async () => {
      let agreed: string | undefined
      const running = this.nodes.filter(isRunning)
      const runningPorts = new Set(running.map((n) => n.port))
      for (const node of running) {
        const view = await withAdmin(node.port, async (client) => await nodeView(client, this.nodes.length, runningPorts))
        if (view === undefined) return undefined
        if (agreed !== undefined && view !== agreed) return undefined
        agreed = view
      }
      return agreed === undefined ? undefined : true
    })
  }

  /** Kill every node (SIGKILL) and remove the temp dir. Safe to call twice, or after a failed start. */
  async stop (): Promise<void> {
    await Promise.all(this.nodes.map(async (node) => await node.stop()))
    await removeDir(this.#dir)
    this.#dir = undefined
    untrack(this)
  }

  /** For the exit hook: kill and remove without waiting (an 'exit' handler cannot await). */
  cleanupSync (): void {
    for (const node of this.nodes) {
      node.resume()
      killNow(node.process)
    }
    removeDirSync(this.#dir)
  }

  #seeds (): Array<{ host: string, port: number }> {
    return this.nodes.slice(0, 3).map((n) => ({ host: HOST, port: n.port }))
  }

  /** Ask the first running node that answers: a killed node refuses, the others all know the answer. */
  async #fromAnyNode<T> (ask: (client: Redis) => Promise<T>): Promise<T> {
    let lastError: unknown = new Error('no cluster node is running')
    for (const node of this.nodes.filter(isRunning)) {
      try {
        return await withAdmin(node.port, ask)
      } catch (error) {
        lastError = error
      }
    }
    throw lastError
  }
}

/**
 * One node's settled view as a string to compare across nodes, or undefined if it is not settled yet.
 * The view is the slot owners and every member's role and primary: `redis-cli --cluster create`
 * returns once the slots agree, but a node can still list a fresh replica as a slotless primary
 * until gossip reaches it (a loaded CI run saw four primaries and two replicas right after start),
 * so the roles must agree too. A running node that anyone suspects (`fail?`) or has failed is not
 * settled either: a failover may be on its way.
 */
async function nodeView (client: Redis, nodeCount: number, runningPorts: ReadonlySet<number>): Promise<string | undefined> {
  const info = parseInfo(String(await client.call('CLUSTER', ['INFO'])))
  if (info.get('cluster_state') !== 'ok') return undefined
  if (info.get('cluster_slots_assigned') !== String(SLOT_COUNT)) return undefined
  if (info.get('cluster_known_nodes') !== String(nodeCount)) return undefined
  const members = parseClusterNodes(String(await client.call('CLUSTER', ['NODES'])))
  if (members.some((m) => m.handshake)) return undefined
  if (members.some((m) => runningPorts.has(m.port) && (m.failed || m.suspected))) return undefined
  const self = members.find((m) => m.myself)
  if (self?.role === 'replica') {
    const replication = parseInfo(String(await client.call('INFO', ['replication'])))
    if (replication.get('master_link_status') !== 'up') return undefined
  }
  const ranges = parseClusterSlots(await client.call('CLUSTER', ['SLOTS']))
  if (ranges.reduce((sum, r) => sum + r.end - r.start + 1, 0) !== SLOT_COUNT) return undefined
  const portOf = new Map(members.map((m) => [m.id, m.port]))
  const roles = [...members].sort((a, b) => a.port - b.port)
    .map((m) => `${m.port}:${m.role}${m.primaryId === undefined ? '' : `->${portOf.get(m.primaryId) ?? '?'}`}${m.failed ? ':fail' : ''}`)
  return `${ranges.map((r) => `${r.start}-${r.end}@${r.port}`).join(' ')} | ${roles.join(' ')}`
}

/** Run `redis-cli --cluster create` and fail with its output if it fails. */
async function createCluster (ports: number[]): Promise<void> {
  const cli = spawn('redis-cli', [
    '--cluster', 'create', ...ports.map((p) => `${HOST}:${p}`), '--cluster-replicas', '1', '--cluster-yes',
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  cli.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  cli.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  // It polls the nodes once a second until they agree; far longer means something is wrong.
  const timer = setTimeout(() => cli.kill('SIGKILL'), 30_000)
  const [code] = await once(cli, 'exit') as [number | null]
  clearTimeout(timer)
  if (code !== 0) throw new Error(`redis-cli --cluster create failed (exit ${code ?? 'killed'}):\n${output}`)
}

async function keysInSlot (client: Redis, slot: number): Promise<string[]> {
  return (await client.call('CLUSTER', ['GETKEYSINSLOT', slot, 100]) as unknown[]).map(String)
}

/** MIGRATE keys to the target; REPLACE because only an earlier, interrupted move can have left them there. */
async function migrate (source: Redis, toPort: number, keys: string[]): Promise<number> {
  if (keys.length === 0) return 0
  await source.call('MIGRATE', [HOST, toPort, '', 0, 5_000, 'REPLACE', 'KEYS', ...keys])
  return keys.length
}

/** A node's own role, from the `myself` line of its CLUSTER NODES. */
async function ownRole (port: number): Promise<'primary' | 'replica' | undefined> {
  const members = parseClusterNodes(String(await command(port, 'CLUSTER', 'NODES')))
  return members.find((m) => m.myself)?.role
}

function ownerOf (ranges: SlotRange[], slot: number): number {
  const range = ranges.find((r) => r.start <= slot && slot <= r.end)
  if (range === undefined) throw new Error(`slot ${slot} has no owner`)
  return range.port
}

interface ParsedMember extends Omit<ClusterMember, 'server'> {
  /** Flagged `fail?` (PFAIL): this node has not heard from it within the node timeout. */
  suspected: boolean
  myself: boolean
  handshake: boolean
}

/**
 * CLUSTER NODES lines: `<id> <ip:port@cport[,hostname]> <flags> <primary id|-> <ping> <pong> <epoch>
 * <link> <slot or range>...`; `[slot->-id]` entries (a migration in progress) are not ownership.
 */
function parseClusterNodes (text: string): ParsedMember[] {
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => {
    const fields = line.trim().split(' ')
    const [id = '', address = '', flagList = '', primaryId = '-'] = fields
    const flags = flagList.split(',')
    const hostPort = address.split('@')[0] ?? ''
    const slots: Array<[number, number]> = fields.slice(8).filter((f) => !f.startsWith('[')).map((field) => {
      const [start = '', end = start] = field.split('-')
      return [Number(start), Number(end)]
    })
    return {
      id,
      port: Number(hostPort.slice(hostPort.lastIndexOf(':') + 1)),
      role: flags.includes('master') ? 'primary' : 'replica',
      primaryId: primaryId === '-' ? undefined : primaryId,
      slots,
      failed: flags.includes('fail'),
      suspected: flags.includes('fail?'),
      myself: flags.includes('myself'),
      handshake: flags.includes('handshake') || flags.includes('noaddr'),
    }
  })
}

/** CLUSTER SLOTS: `[[start, end, [ip, port, id, ...], ...replicas]]`, sorted by start. */
function parseClusterSlots (reply: unknown): SlotRange[] {
  if (!Array.isArray(reply)) throw new Error(`unexpected CLUSTER SLOTS reply: ${JSON.stringify(reply)}`)
  return reply.map((entry: unknown) => {
    const [start, end, owner, ...replicas] = entry as [number, number, unknown[], ...unknown[][]]
    return { start: Number(start), end: Number(end), port: Number(owner[1]), replicaPorts: replicas.map((r) => Number(r[1])) }
  }).sort((a, b) => a.start - b.start)
}

/**
 * For each current primary, the first `perPrimary` values of candidate(0), candidate(1), ... whose
 * key(value) lives on it (CLUSTER KEYSLOT against the slot map), so data can be spread over every
 * primary with names picked on purpose. Keyed by primary port.
 */
export async function valuesOnEveryPrimary (
  cluster: RedisClusterGroup, perPrimary: number, key: (value: string) => string, candidate: (i: number) => string,
): Promise<Map<number, string[]>> {
  const ranges = await cluster.slotMap()
  const found = new Map<number, string[]>()
  for (const range of ranges) found.set(range.port, [])
  const full = (): boolean => [...found.values()].every((values) => values.length >= perPrimary)
  // Batches of 64: each key lands on a given primary with chance ~1/3, so a few batches suffice.
  for (let first = 0; !full(); first += 64) {
    if (first > 100_000) throw new Error('valuesOnEveryPrimary: no candidates left for some primary')
    const values = Array.from({ length: 64 }, (_, i) => candidate(first + i))
    const slots = await cluster.keySlots(values.map(key))
    values.forEach((value, i) => {
      const list = found.get(ownerOf(ranges, slots[i] ?? -1))
      if (list !== undefined && list.length < perPrimary) list.push(value)
    })
  }
  return found
}

/** A token and a user id, with the primaries that hold `token:<token>` and `features:user:<userId>`. */
export interface TokenPlacement {
  token: string
  userId: string
  tokenPort: number
  userPort: number
}

/**
 * `perPrimary` tokens whose `token:<t>` key lives on each primary and as many user ids whose
 * `features:user:<id>` key does, paired so that a token's user is on the next primary: a lookup
 * then crosses nodes, as it will in production. Tokens are `tok<n>`, user ids numbers from 1000
 * (clear of the README example's token 1234 and user 1). Seeding the keys is up to the caller.
 */
export async function tokensOnEveryNode (cluster: RedisClusterGroup, perPrimary: number): Promise<TokenPlacement[]> {
  const tokens = await valuesOnEveryPrimary(cluster, perPrimary, (t) => `token:${t}`, (i) => `tok${i}`)
  const users = await valuesOnEveryPrimary(cluster, perPrimary, (id) => `features:user:${id}`, (i) => String(1000 + i))
  const ports = [...tokens.keys()].sort((a, b) => a - b)
  return ports.flatMap((tokenPort, p) => {
    const userPort = ports[(p + 1) % ports.length] ?? tokenPort
    const userIds = users.get(userPort) ?? []
    return (tokens.get(tokenPort) ?? []).map((token, i) => ({ token, userId: userIds[i] ?? '', tokenPort, userPort }))
  })
}
