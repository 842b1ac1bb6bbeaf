// The hot reads on a Redis Cluster (README "Scaling out", the design). token:<t> and features:user:<id>
// spread over hash slots, and a command or script may touch only keys of one slot, so the batched MGET
// and the multi-key answer scripts would fail with CROSSSLOT. Here:
//   - tokens: one GET per key. ioredis auto-pipelining sends each node's GETs of a turn as one write,
//     so a batch costs one round trip per node, not per key;
//   - answers: the small keys every request reads (global_features, active_features, rollout) are read
//     once per batch from their own slots, each user's or location's set from its own, all in one
//     round; the intersection with active_features is done in the worker. The schedules of the
//     features that may be in an answer, and Redis TIME from the node of global_features, follow in a
//     second round (which keys to read is known only from the first).
// Each reply has the shape the answer scripts give (answers.lua, flags.lua), sizes bounded the same
// way, so the store decides from it with the same code and the store contract suite holds for both.
// What is lost: the keys are no longer read at one instant. Each key is read atomically, and every
// read is sent after the request arrived (never older than its request), but a change written between
// the reads of one batch may be seen in one key and not in another.

import { ReplyError, type Cluster, type Redis, type Result } from 'ioredis'
import { readFileSync } from 'node:fs'
import { DEFAULTS } from '../../config/defaults.js'
import { ACTIVE_KEY, GLOBAL_KEY, ROLLOUT_KEY, SCHEDULE_PREFIX, TOO_LARGE } from './keys.js'

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** src/store/redis/scripts/bounded.lua: { size } past the bound, else { size, members }. */
    tideflagsBounded (key: string, bound: string, kind: 'set' | 'hash'): Result<BoundedReply, Context>
    /** src/store/redis/scripts/clock.lua: TIME from the node of the key. */
    tideflagsClock (key: string): Result<[string, string], Context>
  }
}

/** bounded.lua's reply: the size alone past the bound, else the size and the members. */
type BoundedReply = [number] | [number, string[]]

/** A reply part: a list, or the error read in its place (a wrong type, a size past the limit). */
type Part = string[] | Error

/** The schedules part, as schedules.lua gives it: [] or [sec, usec, feature, fields, ...]. */
type ScheduleParts = Array<string | string[] | Error>

const lua = (name: string): string => readFileSync(new URL(`./scripts/${name}`, import.meta.url), 'utf8')

/** Define the Cluster read scripts on a client; read-only, so REDIS_READ_FROM=replica may send them to replicas. */
export function defineClusterCommands (client: Cluster): void {
  client.defineCommand('tideflagsBounded', { numberOfKeys: 1, lua: lua('bounded.lua'), readOnly: true })
  client.defineCommand('tideflagsClock', { numberOfKeys: 1, lua: lua('clock.lua'), readOnly: true })
}

// ioredis rejects with Error instances only (ReplyError for a Redis error reply).
const asError = (err: unknown): Error => err as Error
const tooLarge = (bound: number): Error => new ReplyError(`${TOO_LARGE} ${bound}`)
// The first word of a Redis error reply is its code (RESP): WRONGTYPE is the key's content, while
// CLUSTERDOWN, TRYAGAIN, MOVED and the like are the cluster's state.
const wrongTypeOnly = (err: unknown): Error => { if (isWrongType(err)) return err; throw err }
const isWrongType = (err: unknown): err is Error => err instanceof ReplyError && (err as Error).message.startsWith('WRONGTYPE')


/** The user id (or null) of each token key, or that key's error (a wrong type) in its place. */
export async function clusterTokens (users: Cluster, keys: readonly string[]): Promise<Array<string | null | Error>> {
  return await corked(users, () => Promise.all(keys.map(async (key) => await users.get(key).catch(asError))))
}

/**
 * The answer reads of one store on a Cluster. It remembers global_features and active_features as
 * last read, because every feature an answer can hold is in one of them: the next batch reads those
 * features' schedules (and TIME) in its first round, alongside the sets, and needs a second round only
 * for a feature that was not there yet. Every read is still sent after the batch's requests arrived.
 */
export class ClusterReads {
  readonly #features: Cluster
  #lastGlobal: readonly string[] = []
  #lastActive: readonly string[] = []

  constructor (features: Cluster) {
    this.#features = features
  }

  /**
   * answers.lua's reply: [global, active rollouts, schedules, ...one part per set key]. Rejects as the
   * script would for a failure of global_features itself, and on any failure to read a schedule.
   */
  async answers (setKeys: readonly string[], limit: number, withRollout: boolean): Promise<Array<Part | ScheduleParts>> {
    const features = this.#features
    const bound = String(limit)
    // Only sets and the rollout are filtered by active_features: a batch of anonymous callers without
    // a location reads global_features alone (and the schedules).
    const needsActive = setKeys.length > 0 || withRollout
    const guess = this.#guess(needsActive)
    const [[global, active, rollout, ...sets], known] = await Promise.all(corked(features, () => [
      Promise.all([
        features.tideflagsBounded(GLOBAL_KEY, bound, 'set'),
        needsActive ? features.smembers(ACTIVE_KEY).catch(asError) : [],
        withRollout ? features.tideflagsBounded(ROLLOUT_KEY, bound, 'hash').catch(asError) : undefined,
        ...setKeys.map(async (key) => await features.tideflagsBounded(key, bound, 'set').catch(asError)),
      ]),
      schedulesRead(features, guess),
    ] as const))
    const [nglobal, globalMembers] = global
    if (globalMembers === undefined) return [tooLarge(nglobal)]
    this.#lastGlobal = globalMembers
    if (needsActive && !(active instanceof Error)) this.#lastActive = active
    const activeSet = active instanceof Error ? undefined : new Set(active)
    const out: Array<Part | ScheduleParts> = [globalMembers, [], []]
    if (rollout !== undefined) out[1] = active instanceof Error ? active : activeRollouts(rollout, activeSet as Set<string>)
    const parts = await Promise.all(sets.map(async (set, i) => {
      if (set instanceof Error) return set
      if (active instanceof Error) return active // SINTER names active_features first: its error wins
      const [nset, members] = set
      const size = nglobal + Math.min(nset, active.length)
      if (size > limit) return tooLarge(size)
      return await intersect(features, setKeys[i] as string, members, active, activeSet as Set<string>)
    }))
    out.push(...parts)
    out[2] = await schedulesOf(features, [out[0] as Part, out[1] as Part, ...parts], [1, 2, ...parts.map(() => 1)], known)
    return out
  }

  /**
   * flags.lua's reply: [global, active, the user's active features, the location's, active rollouts,
   * schedules of global ∪ active]. Rejects on any error, as the script does.
   */
  async flags (userKey: string | null, locationKey: string | null, limit: number): Promise<[string[], string[], string[], string[], string[], ScheduleParts]> {
    const features = this.#features
    const bound = String(limit)
    const guess = this.#guess(true)
    const [[global, active, mine, here, rollout], known] = await Promise.all(corked(features, () => [
      Promise.all([
        features.tideflagsBounded(GLOBAL_KEY, bound, 'set'),
        features.tideflagsBounded(ACTIVE_KEY, bound, 'set'),
        userKey === null ? undefined : features.tideflagsBounded(userKey, bound, 'set'),
        locationKey === null ? undefined : features.tideflagsBounded(locationKey, bound, 'set'),
        userKey === null ? undefined : features.tideflagsBounded(ROLLOUT_KEY, bound, 'hash'),
      ]),
      schedulesRead(features, guess),
    ] as const))
    const size = global[0] + active[0]
    if (size > limit) throw tooLarge(size)
    const globalMembers = global[1] as string[]
    const activeMembers = active[1] as string[]
    this.#lastGlobal = globalMembers
    this.#lastActive = activeMembers
    const activeSet = new Set(activeMembers)
    if (rollout !== undefined && rollout[1] === undefined) throw tooLarge(rollout[0])
    const [mineActive, hereActive] = await Promise.all([
      mine === undefined ? [] : intersect(features, userKey as string, mine[1], activeMembers, activeSet),
      here === undefined ? [] : intersect(features, locationKey as string, here[1], activeMembers, activeSet),
    ])
    // Not an error: a rollout read that failed rejected above, and one past the bound was thrown.
    const rollouts = rollout === undefined ? [] : activeRollouts(rollout, activeSet) as string[]
    return [globalMembers, activeMembers, mineActive, hereActive, rollouts, await schedulesOf(features, [globalMembers, activeMembers], [1, 1], known)]
  }

  /** The features whose schedules to read in the first round: global (∪ active) as last read, bounded. */
  #guess (withActive: boolean): readonly string[] {
    const guess = withActive ? [...new Set([...this.#lastGlobal, ...this.#lastActive])] : this.#lastGlobal
    // Past the bound the guess would cost more than the second round it saves.
    return guess.length > DEFAULTS.clusterScheduleGuess ? [] : guess
  }
}

/**
 * A set's members that are active. A set past the read bound was not read whole: its active members
 * are then asked of its own node (SMISMEMBER with the active features, which are few enough here).
 */
async function intersect (features: Cluster, key: string, members: string[] | undefined, active: string[], activeSet: Set<string>): Promise<string[]> {
  if (members !== undefined) return members.filter((member) => activeSet.has(member))
  // SMISMEMBER needs at least one member to ask about. A failure here (the set was just read, so not
  // a wrong type: a lost node, a timeout) fails the batch, a 503.
  const flags = active.length === 0 ? [] : await features.smismember(key, ...active)
  return active.filter((_, i) => flags[i] === 1)
}

/** The rollout hash's fields whose feature is active, flat { feature, percent, ... } (rollouts.lua). */
function activeRollouts (rollout: BoundedReply | Error, activeSet: Set<string>): Part {
  if (rollout instanceof Error) return rollout
  const [nrollout, fields] = rollout
  if (fields === undefined) return tooLarge(nrollout)
  const selected: string[] = []
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (activeSet.has(fields[i] as string)) selected.push(fields[i] as string, fields[i + 1] as string)
  }
  return selected
}

/** TIME and the schedule hashes of some features, read in one round. */
interface KnownSchedules {
  readonly time: [string, string]
  readonly fields: ReadonlyMap<string, string[] | Error>
}

/** Read TIME (from the node of global_features: one clock for every worker) and `names`' schedules. */
async function schedulesRead (features: Cluster, names: readonly string[]): Promise<KnownSchedules> {
  const [time, ...fields] = await Promise.all([
    features.tideflagsClock(GLOBAL_KEY),
    // Only a wrong type stands in for a schedule: the feature is then closed, as for a malformed hash.
    // Any other failure (a lost node, a timeout, CLUSTERDOWN) fails the batch instead (503): taken
    // for "no schedule" or "malformed", it would open or close features wrongly.
    ...names.map(async (name) => await (features.call('HGETALL', SCHEDULE_PREFIX + name) as Promise<string[]>).catch(wrongTypeOnly)),
  ])
  return { time, fields: new Map(names.map((name, i) => [name, fields[i] as string[] | Error])) }
}

/**
 * schedules.lua from a Cluster: the schedules of the features in `lists`, from those read in the
 * first round (`known`) and, for any feature not among them, a second round.
 */
async function schedulesOf (features: Cluster, lists: readonly Part[], steps: readonly number[], known: KnownSchedules): Promise<ScheduleParts> {
  const seen = new Set<string>()
  lists.forEach((list, l) => {
    if (list instanceof Error) return
    for (let i = 0; i < list.length; i += steps[l] as number) seen.add(list[i] as string)
  })
  if (seen.size === 0) return []
  const missing = [...seen].filter((name) => !known.fields.has(name))
  const late = missing.length === 0 ? undefined : await corked(features, () => schedulesRead(features, missing))
  const { time } = late ?? known
  const out: ScheduleParts = [time[0], time[1]]
  for (const name of seen) {
    const found = (known.fields.get(name) ?? late?.fields.get(name)) as string[] | Error
    if (found instanceof Error || found.length > 0) out.push(name, found)
  }
  return out.length === 2 ? [] : out
}

/**
 * Issue a batch's commands with every node's socket corked, so each node gets them in one write
 * instead of one write per command: what auto-pipelining does on one instance, kept off on a Cluster
 * (topology.ts). ioredis writes a command to its node's socket synchronously once the cluster is
 * ready; one issued later (the cluster still connecting) simply goes out on its own.
 */
function corked<T> (cluster: Cluster, issue: () => T): T {
  const nodes = cluster.nodes()
  for (const node of nodes) node.stream?.cork()
  try {
    return issue()
  } finally {
    for (const node of nodes) node.stream?.uncork()
  }
}

/** Whether a client is a Cluster: the reads above apply. */
export function isCluster (client: Redis | Cluster): client is Cluster {
  return (client as Cluster).isCluster === true
}
