// The contract every feature store fulfils. Two implementations: Redis (production) and embedded
// (development, read from a JSON file). Redis may be one instance, Sentinel or a Cluster
// (src/store/redis/topology.ts): one implementation follows all three.

import type { RequestContext } from '../core/context.js'
import type { FlagReason } from '../core/evaluate.js'
import { noop } from '../core/values.js'

/** A source of users and features. Methods reject with HttpError (503 or 500) on store failure. */
export interface FeatureStore {
  /** 'redis' or 'embedded', for logs and readiness. */
  readonly kind: 'redis' | 'embedded'
  /** The user id the token belongs to, or null for an unknown token. */
  userIdForToken (token: string): Promise<string | null>
  /**
   * The features a caller sees, sorted ascending: the store reads the rule's inputs for this caller
   * and core/evaluate.ts decides. The array may be shared with other callers: never change it.
   */
  featuresFor (context: RequestContext): Promise<readonly string[]>
  /**
   * Whether the store can answer now (Redis: a PING to each instance answers within the command
   * timeout; embedded: always). Never rejects. Readiness (/readyz, a new worker's start) asks this.
   */
  reachable (): Promise<boolean>
  /**
   * Every known flag (global ∪ active) with its reason for this caller, sorted by key: the inputs
   * read in one atomic step, decided by the same rule (core/evaluate.ts flagReasons). Used by OFREP.
   */
  flagsFor (context: RequestContext): Promise<ReadonlyMap<string, FlagReason>>
  /**
   * A signed-in caller's user id and answer together, or null for an unknown token: one round trip
   * instead of userIdForToken then featuresFor, where the store can (the Redis store when the users and
   * the features share one instance and db). Absent otherwise. For a caller without a location.
   */
  featuresForToken?: (token: string) => Promise<{ readonly userId: string, readonly features: readonly string[] } | null>
  /**
   * Each Redis server the store reads from, PINGed now (the redis_node_up gauge). Absent for the
   * embedded store, which has none. Never rejects.
   */
  nodes?: () => Promise<ReadonlyArray<{ readonly redis: 'users' | 'features', readonly node: string, readonly up: boolean }>>
  /** Release connections, file watchers and timers. Idempotent. */
  close (): Promise<void>
}

/** What a store reports to the metrics, which it does not import (the worker wires them). */
export interface StoreHooks {
  /** A malformed `schedule:<feature>` content was met for the first time in this worker. */
  readonly scheduleInvalid: () => void
}

/** Hooks that count nothing: tests and tools that keep no metrics. */
export const NO_HOOKS: StoreHooks = Object.freeze({ scheduleInvalid: noop })
