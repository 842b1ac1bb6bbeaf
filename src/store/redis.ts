// The production store: two Redis instances in the layout existing data and backoffice scripts use.
//   users Redis:    token:<token> -> <user_id>
//   features Redis: global_features (set), active_features (set), features:user:<id> (set)
// One round trip per lookup on each side; ioredis auto-pipelining batches concurrent requests.

import { readFileSync } from 'node:fs'
import { Redis, ReplyError, type Result, type RedisOptions } from 'ioredis'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import { HttpError } from '../errors.js'
import { resolveFlags, sortFeatures, type FlagReason } from '../evaluate.js'
import type { FeatureStore } from './store.js'
import { TrackedCache, Tracker } from './tracking.js'

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** src/scripts/features.lua: the answer for a known user, atomically. */
    tideflagsFeatures (globalKey: string, activeKey: string, userKey: string): Result<string[], Context>
    /** src/scripts/flags.lua: global, active, and the user's active features, atomically. */
    tideflagsFlags (globalKey: string, activeKey: string, userKey: string, known: '0' | '1'): Result<[string[], string[], string[]], Context>
  }
}

// Read once at startup; ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT (a restarted Redis).
const FEATURES_LUA = readFileSync(new URL('../../src/scripts/features.lua', import.meta.url), 'utf8')
const FLAGS_LUA = readFileSync(new URL('../../src/scripts/flags.lua', import.meta.url), 'utf8')

export const GLOBAL_KEY = 'global_features'
export const ACTIVE_KEY = 'active_features'
export const TOKEN_PREFIX = 'token:'
export const USER_PREFIX = 'features:user:'

// Redis replies that mean "not now" rather than "never": the request may succeed on retry.
const TRANSIENT_REPLIES = new Set(['LOADING', 'BUSY', 'TRYAGAIN', 'MASTERDOWN', 'CLUSTERDOWN', 'READONLY'])

/** Connection options shared by both clients; see README "Redis failures" for the reasoning. */
export function clientOptions (config: Config, name: string): RedisOptions {
  return {
    connectionName: `tideflags-${name}`,
    enableAutoPipelining: true,
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
  readonly users: Redis
  readonly features: Redis
  readonly #maxPending: number
  readonly #log: Logger
  /** Client-side caches (undefined when off): token key -> user id or null; answer key -> answer. */
  readonly #tokens: TrackedCache<string | null> | undefined
  readonly #answers: TrackedCache<string[]> | undefined
  readonly #trackers: Tracker[] = []
  /** One array per distinct answer: many users share one, which keeps the answers cache small. */
  #interned = new Map<string, string[]>()
  readonly #maxInterned: number
  #pending = 0
  #closed = false

  constructor (config: Config & { store: { kind: 'redis' } }, log: Logger) {
    this.#log = log
    this.#maxPending = config.redisMaxPending
    this.#maxInterned = config.clientCacheEntries
    this.features = this.#connect(config.store.featuresUrl, config, 'features')
    this.features.defineCommand('tideflagsFeatures', { numberOfKeys: 3, lua: FEATURES_LUA })
    this.features.defineCommand('tideflagsFlags', { numberOfKeys: 3, lua: FLAGS_LUA })
    // Both URLs may name the same instance and db: share one connection then.
    this.users = config.store.usersUrl === config.store.featuresUrl
      ? this.features
      : this.#connect(config.store.usersUrl, config, 'users')
    if (config.clientCacheEntries > 0) {
      const tokens = new TrackedCache<string | null>(config.clientCacheEntries)
      // global and active features are inputs of every answer: a change to either drops them all.
      const answers = new TrackedCache<string[]>(config.clientCacheEntries, [GLOBAL_KEY, ACTIVE_KEY])
      this.#tokens = tokens
      this.#answers = answers
      const { usersUrl, featuresUrl } = config.store
      if (this.users === this.features) {
        this.#trackers.push(new Tracker(this.features, featuresUrl, clientOptions(config, 'features'), [tokens, answers] as TrackedCache<unknown>[], log))
      } else {
        this.#trackers.push(new Tracker(this.users, usersUrl, clientOptions(config, 'users'), [tokens] as TrackedCache<unknown>[], log))
        this.#trackers.push(new Tracker(this.features, featuresUrl, clientOptions(config, 'features'), [answers] as TrackedCache<unknown>[], log))
      }
    }
  }

  async reachable (): Promise<boolean> {
    const clients = this.users === this.features ? [this.features] : [this.users, this.features]
    return Promise.all(clients.map(async (client) => await client.ping())).then(() => true, () => false)
  }

  async userIdForToken (token: string): Promise<string | null> {
    const key = TOKEN_PREFIX + token
    const cache = this.#tokens
    if (cache === undefined) return this.#run(this.users.get(key))
    const hit = cache.get(key)
    if (hit !== undefined) return hit
    const ticket = cache.ticket()
    const userId = await this.#run(this.users.get(key))
    cache.set(key, userId, ticket)
    return userId
  }

  /** The answer; the array may be shared with later calls (cached), so callers must not change it. */
  async featuresFor (userId: string | null): Promise<string[]> {
    const cache = this.#answers
    const key = userId === null ? GLOBAL_KEY : USER_PREFIX + userId
    const hit = cache?.get(key)
    if (hit !== undefined) return hit
    const ticket = cache?.ticket() ?? -1
    const reply = userId === null
      ? this.features.smembers(GLOBAL_KEY)
      : this.features.tideflagsFeatures(GLOBAL_KEY, ACTIVE_KEY, key)
    const answer = sortFeatures(await this.#run(reply))
    if (cache === undefined) return answer
    const shared = this.#intern(answer)
    cache.set(key, shared, ticket)
    return shared
  }

  async flagsFor (userId: string | null): Promise<ReadonlyMap<string, FlagReason>> {
    const [global, active, mine] = await this.#run(userId === null
      ? this.features.tideflagsFlags(GLOBAL_KEY, ACTIVE_KEY, USER_PREFIX, '0')
      : this.features.tideflagsFlags(GLOBAL_KEY, ACTIVE_KEY, USER_PREFIX + userId, '1'))
    return resolveFlags(global, new Set(active), userId === null ? undefined : mine)
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const tracker of this.#trackers) tracker.close()
    const clients = this.users === this.features ? [this.features] : [this.users, this.features]
    await Promise.all(clients.map(async (client) => {
      try {
        await client.quit()
      } catch {
        client.disconnect()
      }
    }))
  }

  #intern (answer: string[]): string[] {
    const json = JSON.stringify(answer)
    const shared = this.#interned.get(json)
    if (shared !== undefined) return shared
    if (this.#interned.size >= this.#maxInterned) this.#interned = new Map()
    this.#interned.set(json, answer)
    return answer
  }

  // Bounds the commands in flight: while Redis stalls, requests past the bound get a 503 at once
  // instead of piling up in memory until the command timeout clears them.
  #run<T> (command: Promise<T>): Promise<T> {
    if (this.#pending >= this.#maxPending) {
      command.catch(noop)
      return Promise.reject(new HttpError('TF_ERR_SERVICE_UNAVAILABLE'))
    }
    this.#pending++
    return command.then(
      (value) => { this.#pending--; return value },
      (err: unknown) => { this.#pending--; throw classify(err) })
  }

  #connect (url: string, config: Config, name: string): Redis {
    const client = new Redis(url, clientOptions(config, name))
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

/** Map a Redis client error to the client response: 503 when retrying may help, 500 otherwise. */
export function classify (err: unknown): HttpError {
  if (err instanceof ReplyError) {
    // The first word of a Redis error reply is its error code (RESP protocol), not free text.
    const message = (err as Error).message
    const code = message.split(' ', 1)[0] as string
    return new HttpError(TRANSIENT_REPLIES.has(code) ? 'TF_ERR_SERVICE_UNAVAILABLE' : 'TF_ERR_INTERNAL', { cause: err })
  }
  // Everything else comes from the connection: refused, closed, not writeable, timed out.
  return new HttpError('TF_ERR_SERVICE_UNAVAILABLE', { cause: err })
}

function noop (): void {}
