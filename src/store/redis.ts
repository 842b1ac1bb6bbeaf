// The production store: two Redis instances in the layout existing data and backoffice scripts use.
//   users Redis:    token:<token> -> <user_id>
//   features Redis: global_features (set), active_features (set), features:user:<id> (set)
// One round trip per lookup on each side; ioredis auto-pipelining batches concurrent requests.

import { readFileSync } from 'node:fs'
import { Redis, ReplyError, type Result, type RedisOptions } from 'ioredis'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import { HttpError } from '../errors.js'
import { sortFeatures } from '../evaluate.js'
import type { FeatureStore } from './store.js'

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** src/scripts/features.lua: the answer for a known user, atomically. */
    tideflagsFeatures (globalKey: string, activeKey: string, userKey: string): Result<string[], Context>
  }
}

// Read once at startup; ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT (a restarted Redis).
const FEATURES_LUA = readFileSync(new URL('../../src/scripts/features.lua', import.meta.url), 'utf8')

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
  #pending = 0
  #closed = false

  constructor (config: Config & { store: { kind: 'redis' } }, log: Logger) {
    this.#log = log
    this.#maxPending = config.redisMaxPending
    this.features = this.#connect(config.store.featuresUrl, config, 'features')
    this.features.defineCommand('tideflagsFeatures', { numberOfKeys: 3, lua: FEATURES_LUA })
    // Both URLs may name the same instance and db: share one connection then.
    this.users = config.store.usersUrl === config.store.featuresUrl
      ? this.features
      : this.#connect(config.store.usersUrl, config, 'users')
  }

  async ready (): Promise<void> {
    await Promise.all([this.users, this.features].map((client) =>
      client.status === 'ready' ? undefined : new Promise((resolve) => client.once('ready', resolve))))
  }

  async userIdForToken (token: string): Promise<string | null> {
    return this.#run(this.users.get(TOKEN_PREFIX + token))
  }

  async featuresFor (userId: string | null): Promise<string[]> {
    const answer = userId === null
      ? this.features.smembers(GLOBAL_KEY)
      : this.features.tideflagsFeatures(GLOBAL_KEY, ACTIVE_KEY, USER_PREFIX + userId)
    return sortFeatures(await this.#run(answer))
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const clients = this.users === this.features ? [this.features] : [this.users, this.features]
    await Promise.all(clients.map(async (client) => {
      try {
        await client.quit()
      } catch {
        client.disconnect()
      }
    }))
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
