// The contract every feature store fulfils. Two implementations: Redis (production) and embedded
// (development, read from a JSON file). Sentinel/Cluster connections will be new implementations here.

import type { FlagReason } from '../core/evaluate.js'

/** A source of users and features. Methods reject with HttpError (503 or 500) on store failure. */
export interface FeatureStore {
  /** 'redis' or 'embedded', for logs and readiness. */
  readonly kind: 'redis' | 'embedded'
  /** The user id the token belongs to, or null for an unknown token. */
  userIdForToken (token: string): Promise<string | null>
  /**
   * The features a caller sees, sorted ascending.
   * @param userId the caller's user id, or null for an anonymous caller
   */
  featuresFor (userId: string | null): Promise<string[]>
  /**
   * Whether the store can answer now (Redis: a PING to each instance answers within the command
   * timeout; embedded: always). Never rejects. Readiness (/readyz, a new worker's start) asks this.
   */
  reachable (): Promise<boolean>
  /**
   * Every known flag (global ∪ active) with its reason for this caller, sorted by key, read in one
   * atomic step (see resolveFlags in src/evaluate.ts). Used by OFREP.
   * @param userId the caller's user id, or null for an anonymous caller
   */
  flagsFor (userId: string | null): Promise<ReadonlyMap<string, FlagReason>>
  /** Release connections, file watchers and timers. Idempotent. */
  close (): Promise<void>
}
