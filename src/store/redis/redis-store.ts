// The production store: two Redis instances in the layout existing data and backoffice scripts use.
//   users Redis:    token:<token> -> <user_id>
//   features Redis: global_features (set), active_features (set), features:user:<id> (set),
//                   location:<name> (set), rollout (hash: feature -> percent),
//                   schedule:<feature> (hash: start, end, days, from, to, tz)
// The hot reads are batched per event-loop turn (batch.ts): one command per turn on each side (an
// MGET of the tokens, a script call for the answers, anonymous callers included: a schedule may close
// a global feature), whatever the number of requests; ioredis
// auto-pipelining batches the other commands.

import { readFileSync } from 'node:fs'
import { type Cluster, Redis, ReplyError, type Result, type RedisOptions } from 'ioredis'
import type { RedisTarget } from '../../config/redis-target.js'
import { ClusterReads, clusterTokens, defineClusterCommands, isCluster } from './cluster-reads.js'
import { connectTarget, nodeStates, type NodeState, type ReadFrom, type RedisClient } from './topology.js'
import type { Logger } from 'pino'
import type { Config } from '../../config/config.js'
import { caller, type RequestContext } from '../../core/context.js'
import { evaluate, flagReasons, sortFeatures, type FlagReason } from '../../core/evaluate.js'
import { Rollouts } from '../rollouts.js'
import { Schedules, type RawSchedule } from '../schedules.js'
import type { Schedule } from '../../core/schedule.js'
import { NO_HOOKS, type FeatureStore, type StoreHooks } from '../store.js'
import { Batch } from './batch.js'
import { OFREP_KEY, Refusals } from '../limits.js'
import { TrackedCache, Tracker } from './tracking.js'
import { classify, overloaded } from './classify.js'
import { DEFAULTS } from '../../config/defaults.js'
import { ACTIVE_KEY, GLOBAL_KEY, LOCATION_PREFIX, ROLLOUT_KEY, SCHEDULE_PREFIX, TOKEN_PREFIX, TOO_LARGE, USER_PREFIX } from './keys.js'

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** src/store/redis/scripts/answers.lua: global_features, the active rollouts, the schedules and TIME, then each set's active features, atomically. */
    tideflagsAnswers (numKeys: number, ...keysThenArgs: string[]): Result<Array<Array<string | ScheduleReply> | Error>, Context>
    /** src/store/redis/scripts/token-answers.lua: per token key, its user id and answer inputs, with the shared parts once. */
    tideflagsTokenAnswers (numKeys: number, ...keysThenArgs: string[]): Result<Array<Array<string | ScheduleReply> | [string, string[] | Error] | null | Error>, Context>
    /** src/store/redis/scripts/tokens.lua: the user id (or null) of each token key. */
    tideflagsTokens (numKeys: number, ...keys: string[]): Result<Array<string | null | Error>, Context>
    /** src/store/redis/scripts/flags.lua: global, active, the user's and the location's active features, the active rollouts, atomically. */
    tideflagsFlags (globalKey: string, activeKey: string, userKey: string, rolloutKey: string, locationKey: string, known: '0' | '1', limit: string, located: '0' | '1'): Result<[string[], string[], string[], string[], string[], Array<string | ScheduleReply>], Context>
  }
}

// Read once at startup; ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT (a restarted Redis).
const script = (name: string): string => readFileSync(new URL(`./scripts/${name}`, import.meta.url), 'utf8')
// rollouts.lua and schedules.lua define functions the answer scripts call; a Redis script cannot
// include another.
const SHARED_LUA = script('rollouts.lua') + script('schedules.lua')
const ANSWERS_LUA = SHARED_LUA + script('answers.lua')
const TOKENS_LUA = script('tokens.lua')
const FLAGS_LUA = SHARED_LUA + script('flags.lua')
const TOKEN_ANSWERS_LUA = SHARED_LUA + script('token-answers.lua')

export { ACTIVE_KEY, GLOBAL_KEY, LOCATION_PREFIX, ROLLOUT_KEY, SCHEDULE_PREFIX, TOKEN_PREFIX, USER_PREFIX } from './keys.js'
// Batch slot of a user with a location: location:<name>|features:user:<id>. A location name holds no
// `|` (src/location/location.ts), so the first `|` ends it whatever the user id holds.
const SLOT_SEPARATOR = '|'

// Most keys per call. A script runs alone on Redis's one thread, stalling every other client of that
// Redis meanwhile: the bound keeps one call under a millisecond (bench/README.md, "Batch size"). A turn
// brings about one request per busy connection, so it only matters at thousands of connections.
export const MAX_BATCH_KEYS = DEFAULTS.maxBatchKeys

// The commands the batches send (ioredis names a script command by its defineCommand name).
const BATCHED_COMMANDS = ['tideflagsAnswers', 'tideflagsTokens', 'tideflagsTokenAnswers', 'mget'] as const


/** Connection options shared by both clients; see README "Redis failures" for the reasoning. */
export function clientOptions (config: Config, name: string): RedisOptions {
  return {
    connectionName: `tideflags-${name}`,
    // RESP2, as ioredis 5 spoke. ioredis 6 defaults to RESP3, where Redis sends tracking invalidations
    // as `invalidate` push frames, which ioredis 6 drops: the client-side cache (tracking.ts) would
    // then serve stale answers for ever. Under RESP2 they arrive as __redis__:invalidate messages.
    protocol: 2,
    enableAutoPipelining: true,
    // The hot reads are already one command per turn (batch.ts). Auto-pipelining would hold each one
    // more turn and wrap it in a pipeline of one, at a measured cost (bench/README.md, step 5). These
    // go out at once; every other command is still auto-pipelined.
    autoPipeliningIgnoredCommands: [...BATCHED_COMMANDS],
    // Fail fast while disconnected instead of queueing: a queue would grow without bound during an
    // outage and then flood Redis when it returns. The client gets a 503 and retries.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: config.redisCommandTimeoutMs,
    connectTimeout: 2_000, // 2 s
    // Reconnect quickly, capped at 1 s, forever: service comes back by itself when Redis does.
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 1_000),
  }
}

/** Store backed by the users and features Redis instances. */
export class RedisStore implements FeatureStore {
  readonly kind = 'redis' as const
  readonly users: RedisClient
  readonly features: RedisClient
  /** Where the hot reads go (REDIS_READ_FROM); readiness pings those servers. */
  readonly #readFrom: ReadFrom
  /** The per-slot reads when the features side is a Cluster; undefined on one primary. */
  readonly #clusterReads: ClusterReads | undefined
  readonly #clusterUsers: boolean
  readonly #maxPending: number
  readonly #log: Logger
  /** Client-side caches (undefined when off): token key -> user id or null; answer key -> answer. */
  readonly #tokens: TrackedCache<string | null> | undefined
  readonly #answers: TrackedCache<readonly string[]> | undefined
  readonly #trackers: Tracker[] = []
  /** One array per distinct answer: many users share one, which keeps the answers cache small. */
  #interned = new Map<string, readonly string[]>()
  readonly #maxInterned: number
  readonly #tokenBatch: Batch<string | null>
  /** Keyed by token:<token>; used when both roles share one instance and db (featuresForToken). */
  readonly #tokenAnswerBatch: Batch<TokenAnswer | null>
  /**
   * A signed-in caller's user id and answer in one round trip: set when the users and the features are
   * one instance and db and the client-side cache is off (the cache keeps the two steps, each cached);
   * undefined otherwise, and the route then asks userIdForToken, then featuresFor.
   */
  readonly featuresForToken: ((token: string) => Promise<TokenAnswer | null>) | undefined
  /** Keyed by features:user:<id>, or GLOBAL_KEY for an anonymous caller. */
  readonly #answerBatch: Batch<readonly string[]>
  #pending = 0
  #closed = false
  readonly #refusals: Refusals
  readonly #rollouts: Rollouts
  readonly #schedules: Schedules
  // The limits as script arguments, made once.
  readonly #maxAnswer: number
  readonly #maxAnswerArg: string
  readonly #maxFlags: number
  readonly #maxFlagsArg: string

  constructor (config: Config & { store: { kind: 'redis' } }, log: Logger, hooks: StoreHooks = NO_HOOKS) {
    this.#log = log
    this.#maxPending = config.redisMaxPending
    this.#maxInterned = config.clientCacheEntries
    this.#refusals = new Refusals(log)
    this.#rollouts = new Rollouts(log)
    this.#schedules = new Schedules(log, hooks.scheduleInvalid)
    this.#maxAnswer = config.maxAnswerFeatures
    this.#maxAnswerArg = String(config.maxAnswerFeatures)
    this.#maxFlags = config.maxOfrepFlags
    this.#maxFlagsArg = String(config.maxOfrepFlags)
    const { users, features, readFrom } = config.store
    this.#readFrom = readFrom
    this.features = this.#connect(features, config, 'features')
    this.#clusterReads = isCluster(this.features) ? new ClusterReads(this.features) : undefined
    // Both URLs may name the same instance and db: share one connection then.
    this.users = users.identity === features.identity ? this.features : this.#connect(users, config, 'users')
    this.#clusterUsers = isCluster(this.users)
    for (const client of new Set([this.users, this.features])) {
      if (isCluster(client)) {
        defineClusterCommands(client)
      } else {
        client.defineCommand('tideflagsAnswers', { lua: ANSWERS_LUA, readOnly: true })
        client.defineCommand('tideflagsFlags', { numberOfKeys: 5, lua: FLAGS_LUA, readOnly: true })
        client.defineCommand('tideflagsTokens', { lua: TOKENS_LUA, readOnly: true })
        client.defineCommand('tideflagsTokenAnswers', { lua: TOKEN_ANSWERS_LUA, readOnly: true })
      }
    }
    this.#tokenBatch = new Batch((keys) => this.#readUserIds(keys), MAX_BATCH_KEYS)
    this.#answerBatch = new Batch((keys) => this.#readAnswers(keys), MAX_BATCH_KEYS)
    this.#tokenAnswerBatch = new Batch((keys) => this.#readTokenAnswers(keys), MAX_BATCH_KEYS)
    this.featuresForToken = this.users === this.features && !isCluster(this.features) && config.clientCacheEntries === 0
      ? (token) => this.#run(this.#tokenAnswerBatch, TOKEN_PREFIX + token)
      : undefined
    if (config.clientCacheEntries > 0) {
      const tokens = new TrackedCache<string | null>(config.clientCacheEntries)
      // global and active features, the rollout and any schedule are inputs of every user's answer: a
      // change to any drops them all. Answers of callers with a location are never cached (featuresFor),
      // nor answers read while a schedule applied (#readAnswers): they change with the clock.
      const answers = new TrackedCache<readonly string[]>(config.clientCacheEntries, [GLOBAL_KEY, ACTIVE_KEY, ROLLOUT_KEY], [SCHEDULE_PREFIX])
      this.#tokens = tokens
      this.#answers = answers
      const broadcast = [SCHEDULE_PREFIX]
      // config.ts refuses the cache on a Cluster or with replica reads: these are single connections
      // to one primary (an instance, or the Sentinel-managed one, followed across failovers).
      const invalidations = (target: RedisTarget, name: string) => (overrides: RedisOptions): Redis =>
        connectTarget(target, { ...clientOptions(config, `${name}-invalidations`), ...overrides }) as Redis
      if (this.users === this.features) {
        this.#trackers.push(new Tracker(this.features as Redis, invalidations(features, 'features'), [tokens, answers] as TrackedCache<unknown>[], log, broadcast))
      } else {
        this.#trackers.push(new Tracker(this.users as Redis, invalidations(users, 'users'), [tokens] as TrackedCache<unknown>[], log))
        this.#trackers.push(new Tracker(this.features as Redis, invalidations(features, 'features'), [answers] as TrackedCache<unknown>[], log, broadcast))
      }
    }
  }

  async reachable (): Promise<boolean> {
    const nodes = await this.nodes()
    return nodes.every((node) => node.up)
  }

  /**
   * Every server the hot reads use, each PINGed: one per role for an instance or a Sentinel
   * connection, every primary (and with REDIS_READ_FROM=replica every replica) of a Cluster.
   */
  async nodes (): Promise<Array<NodeState & { readonly redis: 'users' | 'features' }>> {
    const sides = this.users === this.features ? [['features', this.features]] as const : [['users', this.users], ['features', this.features]] as const
    const states = await Promise.all(sides.map(async ([redis, client]) =>
      (await nodeStates(client, this.#readFrom)).map((state) => ({ ...state, redis }))))
    return states.flat()
  }

  userIdForToken (token: string): Promise<string | null> {
    const key = TOKEN_PREFIX + token
    const cache = this.#tokens
    // Not async: without the cache the caller gets the batch's promise itself, one layer fewer.
    return cache === undefined ? this.#run(this.#tokenBatch, key) : this.#cachedUserId(cache, key)
  }

  async #cachedUserId (cache: TrackedCache<string | null>, key: string): Promise<string | null> {
    const hit = cache.get(key)
    if (hit !== undefined) return hit
    const ticket = cache.ticket()
    const userId = await this.#run(this.#tokenBatch, key)
    cache.set(key, userId, ticket)
    return userId
  }

  /** The answer; the array may be shared with later calls (cached), so callers must not change it. */
  featuresFor (context: RequestContext): Promise<readonly string[]> {
    const { userId, location } = context
    // Callers with the same key share one slot of the batch, and so one decision: the key holds all of
    // the context the rule reads (the caller and the location).
    if (location === undefined) {
      const key = userId === null ? GLOBAL_KEY : USER_PREFIX + userId
      const cache = this.#answers
      return cache === undefined ? this.#run(this.#answerBatch, key) : this.#cachedAnswer(cache, key)
    }
    // Not cached: an entry would have to be dropped on a change to the user's set or to the location's,
    // and the cache drops entries by the one key that changed. The location's set is read once per batch.
    const key = userId === null ? LOCATION_PREFIX + location : LOCATION_PREFIX + location + SLOT_SEPARATOR + USER_PREFIX + userId
    return this.#run(this.#answerBatch, key)
  }

  async #cachedAnswer (cache: TrackedCache<readonly string[]>, key: string): Promise<readonly string[]> {
    const hit = cache.get(key)
    if (hit !== undefined) return hit
    const ticket = cache.ticket()
    const shared = this.#intern(await this.#run(this.#answerBatch, key))
    cache.set(key, shared, ticket)
    return shared
  }

  /**
   * One batch of token lookups. MGET answers a batch at a fraction of a script's cost on Redis, but it
   * answers nil both for an unknown token and for a key of the wrong type; so the keys that come back
   * nil are read again with GET's semantics (tokens.lua), which tells the two apart: an unknown token
   * stays null (401), a wrong type becomes that caller's 500. Only those callers wait for the second
   * call (the 401 path, which needs no speed); the known tokens of the batch are answered at once.
   */
  async #readUserIds (keys: readonly string[]): Promise<Array<string | null | Error | Promise<string | null>>> {
    if (this.#clusterUsers) return await clusterTokens(this.users as Cluster, keys)
    const ids: Array<string | null | Error | Promise<string | null>> = await this.users.mget(keys as string[])
    const unknown: string[] = []
    for (let i = 0; i < ids.length; i++) if (ids[i] === null) unknown.push(keys[i] as string)
    if (unknown.length === 0) return ids
    const again = (this.users as Redis).tideflagsTokens(unknown.length, ...unknown)
    let next = 0
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] !== null) continue
      const at = next++
      ids[i] = again.then((reread) => {
        const id = reread[at] as string | null | Error
        if (id instanceof Error) throw id
        return id
      })
    }
    return ids
  }

  /**
   * One batch of answers: the script's reply turned into one sorted answer per key. A slot key is
   * GLOBAL_KEY (anonymous), features:user:<id>, location:<name> (anonymous with a location) or
   * location:<name>|features:user:<id>; the script reads each distinct set once. A batch of anonymous
   * callers alone is the script with no set: it still reads the global features' schedules and TIME.
   */
  async #readAnswers (keys: readonly string[]): Promise<Array<readonly string[] | Error>> {
    const slots = keys.map(slotOf)
    const sets = new Map<string, number>() // set key -> its place in the reply
    let users = false
    for (const slot of slots) {
      if (slot.userKey !== undefined) {
        users = true
        if (!sets.has(slot.userKey)) sets.set(slot.userKey, sets.size + 3)
      }
      if (slot.locationKey !== undefined && !sets.has(slot.locationKey)) sets.set(slot.locationKey, sets.size + 3)
    }
    const reply = this.#clusterReads !== undefined
      ? await this.#clusterReads.answers([...sets.keys()], this.#maxAnswer, users)
      : await (this.features as Redis).tideflagsAnswers(3 + sets.size, GLOBAL_KEY, ACTIVE_KEY, ROLLOUT_KEY, ...sets.keys(),
        this.#maxAnswerArg, users ? '1' : '0')
    const first = reply[0] as string[] | Error
    if (first instanceof Error) {
      const refused = this.#refused(GLOBAL_KEY, first, this.#maxAnswer)
      return keys.map(() => refused)
    }
    // Every answer in the batch starts from the same global features: sorted once, and shared as is
    // by the callers with nothing of their own (answer.ts then finds it by identity).
    const global = sortFeatures(this.#refusals.decodable(GLOBAL_KEY, first))
    const inGlobal = new Set(global)
    const rolloutReply = reply[1] as string[] | Error
    const rollouts = rolloutReply instanceof Error ? this.#refused(ROLLOUT_KEY, rolloutReply, this.#maxAnswer) : this.#rollouts.parse(rolloutReply)
    const { schedules, now } = this.#clocked(reply[2] as Array<string | ScheduleReply>)
    // An answer read under a schedule is right only until the schedule opens or closes: not cached.
    if (schedules !== undefined) this.#answers?.refuseInFlight()
    const setOf = (key: string): readonly string[] | Error => {
      const members = reply[sets.get(key) as number] as string[] | Error
      return members instanceof Error ? this.#refused(key, members, this.#maxAnswer) : this.#refusals.decodable(key, members)
    }
    let anonymous: readonly string[] | undefined
    return slots.map(({ key, userKey, locationKey }) => {
      if (userKey === undefined && locationKey === undefined) {
        // Decided once per batch: every anonymous caller without a location shares the answer.
        return (anonymous ??= schedules === undefined ? global : evaluate({ global, inGlobal, mine: NONE, schedules, now }, ANONYMOUS))
      }
      const mine = userKey === undefined ? NONE : setOf(userKey)
      if (mine instanceof Error) return mine
      const here = locationKey === undefined ? NONE : setOf(locationKey)
      if (here instanceof Error) return here
      if (userKey !== undefined && rollouts instanceof Error) return rollouts
      const context = caller(userKey === undefined ? null : userKey.slice(USER_PREFIX.length),
        locationKey?.slice(LOCATION_PREFIX.length))
      const answer = evaluate({ global, inGlobal, mine, local: here, rollouts: rollouts instanceof Error ? undefined : rollouts, schedules, now }, context)
      // The script bounds each set; the sets and the rollout together are bounded here, before sending.
      return answer.length > this.#maxAnswer ? this.#refusals.tooLarge(key, answer.length, this.#maxAnswer) : answer
    })
  }

  /**
   * One batch of signed-in callers on a shared instance (token-answers.lua): each token's user id and
   * answer, decided as #readAnswers decides a user's; null for an unknown token.
   */
  async #readTokenAnswers (keys: readonly string[]): Promise<Array<TokenAnswer | null | Error>> {
    const reply = await (this.features as Redis).tideflagsTokenAnswers(3 + keys.length, GLOBAL_KEY, ACTIVE_KEY, ROLLOUT_KEY, ...keys, this.#maxAnswerArg)
    const first = reply[0] as string[] | Error
    if (first instanceof Error) {
      // Known callers are refused; an unknown token is still unknown (401), as on the two-step path.
      const refused = this.#refused(GLOBAL_KEY, first, this.#maxAnswer)
      return keys.map((_, i) => {
        const found = reply[i + 3] as [string, Error] | null | Error
        return found === null || found instanceof Error ? found : refused
      })
    }
    const global = sortFeatures(this.#refusals.decodable(GLOBAL_KEY, first))
    const inGlobal = new Set(global)
    const rolloutReply = reply[1] as string[] | Error
    const rollouts = rolloutReply instanceof Error ? this.#refused(ROLLOUT_KEY, rolloutReply, this.#maxAnswer) : this.#rollouts.parse(rolloutReply)
    const { schedules, now } = this.#clocked(reply[2] as Array<string | ScheduleReply>)
    return keys.map((key, i) => {
      const found = reply[i + 3] as [string, string[] | Error] | null | Error
      if (found === null || found instanceof Error) return found
      const [userId, members] = found
      const userKey = USER_PREFIX + userId
      if (members instanceof Error) return this.#refused(userKey, members, this.#maxAnswer)
      if (rollouts instanceof Error) return rollouts
      const mine = this.#refusals.decodable(userKey, members)
      const answer = evaluate({ global, inGlobal, mine, local: NONE, rollouts, schedules, now }, caller(userId))
      return answer.length > this.#maxAnswer ? this.#refusals.tooLarge(key, answer.length, this.#maxAnswer) : { userId, features: answer }
    })
  }

  /**
   * The schedules part of a script's reply (scripts/schedules.lua): the parsed schedules and the Redis
   * clock they are read at, or no schedules. A schedule key of the wrong type comes as an error in
   * place of its fields: malformed, so that feature is off.
   */
  #clocked (reply: Array<string | ScheduleReply>): { schedules: ReadonlyMap<string, Schedule | null> | undefined, now: number } {
    if (reply.length === 0) return { schedules: undefined, now: 0 }
    const now = Number(reply[0]) * 1000 + Math.floor(Number(reply[1]) / 1000)
    const raw: RawSchedule[] = []
    for (let i = 2; i + 1 < reply.length; i += 2) {
      const fields = reply[i + 1] as ScheduleReply
      raw.push({ feature: reply[i] as string, pairs: fields instanceof Error ? [WRONG_TYPE_FIELD, fields.message] : fields })
    }
    return { schedules: this.#schedules.parse(raw), now }
  }

  /** A script's error reply for `key` as the caller's error: TOOLARGE is refused (and reported once). */
  #refused (key: string, err: Error, limit: number): Error {
    const [code, bound] = err.message.split(' ', 2) // RESP: the first word of an error reply is its code
    return code === TOO_LARGE ? this.#refusals.tooLarge(key, Number(bound), limit) : err
  }

  async flagsFor (context: RequestContext): Promise<ReadonlyMap<string, FlagReason>> {
    const { userId, location } = context
    const locationKey = LOCATION_PREFIX + (location ?? '')
    const located = location === undefined ? '0' : '1'
    const features = this.features as Redis
    const cluster = this.#clusterReads
    const [global, active, mine, here, rollout, scheduled] = await this.#bounded(() => (cluster !== undefined
      ? cluster.flags(userId === null ? null : USER_PREFIX + userId, location === undefined ? null : locationKey, this.#maxFlags)
      : userId === null
        ? features.tideflagsFlags(GLOBAL_KEY, ACTIVE_KEY, USER_PREFIX, ROLLOUT_KEY, locationKey, '0', this.#maxFlagsArg, located)
        : features.tideflagsFlags(GLOBAL_KEY, ACTIVE_KEY, USER_PREFIX + userId, ROLLOUT_KEY, locationKey, '1', this.#maxFlagsArg, located))
      .catch((err: unknown) => { throw err instanceof ReplyError ? this.#refused(OFREP_KEY, err as Error, this.#maxFlags) : err }))
    const { schedules, now } = this.#clocked(scheduled)
    return flagReasons({
      global: sortFeatures(this.#refusals.decodable(GLOBAL_KEY, global)),
      active: this.#refusals.decodable(ACTIVE_KEY, active),
      mine: userId === null ? mine : this.#refusals.decodable(USER_PREFIX + userId, mine),
      local: location === undefined ? here : this.#refusals.decodable(locationKey, here),
      rollouts: this.#rollouts.parse(rollout),
      schedules,
      now,
    }, context)
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const tracker of this.#trackers) tracker.close()
    const clients = this.users === this.features ? [this.features] : [this.users, this.features]
    await Promise.all(clients.map(async (client) => {
      try {
        await client.quit()
      } catch {}
      // Also after a clean QUIT: a Sentinel client's failover detector keeps its own connections to
      // the sentinels, which only disconnect() closes (they would keep the process alive).
      client.disconnect()
    }))
  }

  #intern (answer: readonly string[]): readonly string[] {
    const json = JSON.stringify(answer)
    const shared = this.#interned.get(json)
    if (shared !== undefined) return shared
    if (this.#interned.size >= this.#maxInterned) this.#interned = new Map()
    this.#interned.set(json, answer)
    return answer
  }

  // Bounds the lookups waiting on Redis: while Redis stalls, requests past the bound get a 503 at once
  // instead of piling up in memory until the command timeout clears them. Every caller counts, also
  // one sharing a batch slot with another: the bound is on requests held, not on keys sent.
  #run<T> (batch: Batch<T>, key: string): Promise<T> {
    if (this.#pending >= this.#maxPending) return Promise.reject(overloaded())
    this.#pending++
    return batch.get(key).then(this.#settled as (value: T) => T, this.#failed)
  }

  #bounded<T> (read: () => Promise<T>): Promise<T> {
    if (this.#pending >= this.#maxPending) return Promise.reject(overloaded())
    this.#pending++
    return read().then(this.#settled as (value: T) => T, this.#failed)
  }

  // Bound once: the hot path allocates no closures for them.
  readonly #settled = (value: unknown): unknown => {
    this.#pending--
    return value
  }

  readonly #failed = (err: unknown): never => {
    this.#pending--
    throw classify(err)
  }

  #connect (target: RedisTarget, config: Config & { store: { kind: 'redis' } }, name: string): RedisClient {
    const client = connectTarget(target, clientOptions(config, name), config.store.readFrom)
    let healthy = true
    // Log transitions only: a Redis outage must not turn into a log flood.
    const lost = (err?: Error): void => {
      if (healthy) this.#log.warn({ err, redis: name }, 'redis connection lost')
      healthy = false
    }
    client.on('error', lost)
    client.on('close', () => lost())
    client.on('ready', () => {
      if (!healthy) this.#log.info({ redis: name }, 'redis connection restored')
      healthy = true
    })
    return client
  }
}

const NONE: readonly string[] = Object.freeze([])
const ANONYMOUS = caller(null)
// Stands in for the fields of a schedule key of the wrong type: an unknown field makes the schedule
// malformed, and the log line shows the Redis error as its value.
const WRONG_TYPE_FIELD = 'not a hash'

/** A signed-in caller's user id and answer (featuresForToken). */
interface TokenAnswer {
  readonly userId: string
  readonly features: readonly string[]
}

/** A schedule's fields in a script reply, or the error that reading them gave (a wrong type). */
type ScheduleReply = string[] | Error

/** The sets a batch slot's callers need (see featuresFor); undefined: none of that kind. */
interface Slot {
  readonly key: string
  readonly userKey: string | undefined
  readonly locationKey: string | undefined
}

function slotOf (key: string): Slot {
  if (key === GLOBAL_KEY) return { key, userKey: undefined, locationKey: undefined }
  if (!key.startsWith(LOCATION_PREFIX)) return { key, userKey: key, locationKey: undefined }
  const bar = key.indexOf(SLOT_SEPARATOR)
  return bar < 0
    ? { key, userKey: undefined, locationKey: key }
    : { key, userKey: key.slice(bar + 1), locationKey: key.slice(0, bar) }
}
