// Server-assisted client-side caching (Redis CLIENT TRACKING, RESP2 redirect mode). Redis remembers
// which keys this worker read and pushes an invalidation on a second connection the moment one of
// them changes, so an entry is dropped before the next request can see it. The freshness promise
// holds only while both connections are up: any drop flushes everything and turns caching off until
// tracking is re-established on the new connections.

import type { Redis, RedisOptions } from 'ioredis'
import type { Logger } from 'pino'
import { DEFAULTS } from '../../config/defaults.js'
import { noop } from '../../core/values.js'

const INVALIDATE_CHANNEL = '__redis__:invalidate'

/**
 * A bounded map of values read from tracked keys. Reads race with invalidations (they arrive on
 * different connections), so a read takes a ticket first and its result is stored only if no
 * invalidation or flush happened while it was in flight.
 */
export class TrackedCache<V> {
  readonly #entries = new Map<string, V>()
  readonly #maxEntries: number
  /** Keys whose change invalidates every entry (inputs shared by all answers). */
  readonly #sharedKeys: ReadonlySet<string>
  /** Prefixes of such keys (schedule:<feature>: any feature's schedule may bear on any answer). */
  readonly #sharedPrefixes: readonly string[]
  #generation = 0
  #enabled = false

  constructor (maxEntries: number, sharedKeys: readonly string[] = [], sharedPrefixes: readonly string[] = []) {
    this.#maxEntries = maxEntries
    this.#sharedKeys = new Set(sharedKeys)
    this.#sharedPrefixes = sharedPrefixes
  }

  get size (): number {
    return this.#entries.size
  }

  /** The cached value, or undefined when absent (a cached null is a real answer). */
  get (key: string): V | undefined {
    return this.#entries.get(key)
  }

  /** Call before sending the read; pass the result to set(). -1 when caching is off. */
  ticket (): number {
    return this.#enabled ? this.#generation : -1
  }

  /** Store a read's result unless something was invalidated since its ticket. */
  set (key: string, value: V, ticket: number): void {
    if (ticket !== this.#generation || !this.#enabled) return
    if (this.#entries.size >= this.#maxEntries) {
      // Bounded memory: drop the oldest entry (Map keeps insertion order). Redis keeps tracking its
      // key; the stray invalidation it may send later is harmless.
      const oldest = this.#entries.keys().next().value as string
      this.#entries.delete(oldest)
    }
    this.#entries.set(key, value)
  }

  /** Apply an invalidation: null means everything (FLUSHDB, or the tracking table overflowed). */
  invalidate (keys: readonly string[] | null): void {
    this.#generation++
    if (keys === null) {
      this.#entries.clear()
      return
    }
    for (const key of keys) {
      if (this.#sharedKeys.has(key) || this.#sharedPrefixes.some((prefix) => key.startsWith(prefix))) {
        this.#entries.clear()
        return
      }
      this.#entries.delete(key)
    }
  }

  /**
   * Refuse the reads in flight: their results are not stored. For a read whose result depends on the
   * clock (an answer with a schedule), which no invalidation would ever drop.
   */
  refuseInFlight (): void {
    this.#generation++
  }

  /** Drop everything and stop caching (a connection dropped). */
  disable (): void {
    this.#enabled = false
    this.invalidate(null)
  }

  /** Start caching (tracking is on for the data connection). */
  enable (): void {
    this.#generation++
    this.#enabled = true
  }
}

/**
 * Keeps CLIENT TRACKING on for `data`, with invalidations on a connection of its own, and feeds them
 * to the caches. Re-establishes both after reconnects.
 */
export class Tracker {
  readonly #data: Redis
  readonly #invalidations: Redis
  readonly #caches: TrackedCache<unknown>[]
  readonly #log: Logger
  readonly #broadcastPrefixes: readonly string[]
  readonly #heartbeat: NodeJS.Timeout
  /** CLIENT ID of the subscribed invalidation connection; undefined while it is down. */
  #redirectId: string | undefined
  #attempt = 0

  /**
   * @param broadcastPrefixes key prefixes whose every change is reported, read or not: Redis tracks the
   *   keys a script declares, not the ones it builds from the data it reads (schedule:<feature>)
   */
  constructor (data: Redis, connect: (options: RedisOptions) => Redis, caches: TrackedCache<unknown>[], log: Logger, broadcastPrefixes: readonly string[] = []) {
    this.#data = data
    this.#caches = caches
    this.#log = log
    this.#broadcastPrefixes = broadcastPrefixes
    // A connection to the same server as `data` (through the sentinels for a Sentinel primary, so it
    // follows a failover too; tracking is then re-established on both, below).
    this.#invalidations = connect({
      // Renewed by hand after a reconnect: CLIENT ID must be asked before subscribing.
      autoResubscribe: false,
      enableAutoPipelining: false,
    })
    this.#invalidations.on('error', noop) // the data connection's handler logs outages
    // RESP2 invalidation (the only channel this connection subscribes to): an array of keys, or null
    // when everything is invalid (FLUSHDB/FLUSHALL). Anything else is treated as "everything".
    this.#invalidations.on('messageBuffer', (_channel: Buffer, message: Buffer[] | Buffer | null) => {
      const keys = Array.isArray(message) ? message.map(String) : null
      for (const cache of this.#caches) cache.invalidate(keys)
    })
    this.#invalidations.on('ready', () => { void this.#subscribe() })
    this.#invalidations.on('close', () => {
      this.#redirectId = undefined
      this.#disable()
    })
    this.#data.on('ready', () => { void this.#track() })
    this.#data.on('close', () => { this.#disable() })
    // A link that died without a FIN would keep stale entries until TCP gives up: ping it, and
    // drop it (flushing the caches) when the ping times out.
    this.#heartbeat = setInterval(() => {
      if (this.#redirectId === undefined) return
      this.#invalidations.ping().catch(() => {
        this.#disable()
        this.#invalidations.disconnect(true)
      })
    }, DEFAULTS.trackingHeartbeatMs)
    this.#heartbeat.unref()
  }

  /** Stop the heartbeat and close the invalidation connection. */
  close (): void {
    clearInterval(this.#heartbeat)
    this.#disable()
    this.#invalidations.disconnect()
  }

  #disable (): void {
    this.#attempt++ // a tracking setup in flight must not enable the caches
    for (const cache of this.#caches) cache.disable()
  }

  async #subscribe (): Promise<void> {
    try {
      const id = String(await this.#invalidations.client('ID'))
      // Broadcast mode on this connection itself, before it subscribes (a subscribed RESP2 connection
      // takes no other command): changes to those prefixes land on the channel below with the rest.
      if (this.#broadcastPrefixes.length > 0) {
        try {
          await this.#invalidations.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', id, 'BCAST', ...this.#broadcastPrefixes.flatMap((prefix) => ['PREFIX', prefix]))
        } catch (err) {
          // Without these invalidations a cached answer could miss a new schedule: no cache at all.
          this.#log.warn({ err }, 'client-side cache not enabled; serving from Redis')
          return
        }
      }
      await this.#invalidations.subscribe(INVALIDATE_CHANNEL)
      this.#redirectId = id
      await this.#track()
    } catch (err) {
      this.#log.warn({ err }, 'client-side cache: invalidation connection not subscribed')
    }
  }

  async #track (): Promise<void> {
    const id = this.#redirectId
    if (id === undefined || this.#data.status !== 'ready') return
    const attempt = ++this.#attempt
    try {
      await this.#data.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', id)
      if (attempt !== this.#attempt || this.#redirectId !== id) return // something dropped meanwhile
      for (const cache of this.#caches) cache.enable()
    } catch (err) {
      this.#log.warn({ err }, 'client-side cache not enabled; serving from Redis')
    }
  }
}
