// The development store: the Redis data model held in process, loaded from a JSON file, so the
// service runs with no Redis at all. Read-only; reloads when the file changes. Same semantics as
// Redis through src/core/evaluate.ts. Not for production: each worker holds its own copy.
// The file itself: data-file.ts.

import { unwatchFile, watchFile, type Stats } from 'node:fs'
import type { Logger } from 'pino'
import { DEFAULTS } from '../../config/config.js'
import type { RequestContext } from '../../core/context.js'
import { evaluate, flagReasons, sortFeatures, type FlagReason, type Inputs } from '../../core/evaluate.js'
import { OFREP_KEY, Refusals, type AnswerLimits } from '../limits.js'
import type { FeatureStore } from '../store.js'
import { loadDataFile, type EmbeddedData } from './data-file.js'


/** Store reading the data file; each reload swaps the whole data set at once, like an atomic write. */
export class EmbeddedStore implements FeatureStore {
  readonly kind = 'embedded' as const
  readonly file: string
  #data: EmbeddedData
  readonly #log: Logger
  readonly #limits: AnswerLimits
  readonly #refusals: Refusals
  readonly #onChange: (current: Stats, previous: Stats) => void
  #closed = false

  /**
   * @param limits the same answer limits as the Redis store applies (config)
   * @throws DataFileError when the file is missing or invalid
   */
  constructor (file: string, log: Logger, limits: AnswerLimits = DEFAULTS) {
    this.file = file
    this.#log = log
    this.#limits = limits
    this.#refusals = new Refusals(log)
    this.#onChange = (current, previous) => {
      if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size) this.reload()
    }
    this.#data = this.#decodable(loadDataFile(file))
    watchFile(file, { interval: DEFAULTS.reloadPollMs, persistent: false }, this.#onChange)
  }

  /** Re-read the file; a bad file keeps the previous data and logs why. */
  reload (): void {
    try {
      this.#data = this.#decodable(loadDataFile(this.file))
      this.#log.info({ file: this.file }, 'embedded store reloaded')
    } catch (err) {
      this.#log.error({ err }, 'embedded store reload failed; keeping the previous data')
    }
  }

  async reachable (): Promise<boolean> {
    return true
  }

  async userIdForToken (token: string): Promise<string | null> {
    return this.#data.tokens.get(token) ?? null
  }

  async featuresFor (context: RequestContext): Promise<readonly string[]> {
    const data = this.#data
    const userId = context.userId
    const mine = userId === null ? undefined : data.userFeatures.get(userId) ?? []
    // The Redis store's bound (src/store/redis/scripts/answers.lua), checked before the answer is computed.
    const bound = data.global.length + (mine === undefined ? 0 : Math.min(mine.length, data.active.size))
    if (bound > this.#limits.maxAnswerFeatures) {
      throw this.#refusals.tooLarge(userId === null ? 'global_features' : `features:user:${userId}`, bound, this.#limits.maxAnswerFeatures)
    }
    return evaluate(inputs(data, mine), context)
  }

  async flagsFor (context: RequestContext): Promise<ReadonlyMap<string, FlagReason>> {
    const data = this.#data
    const userId = context.userId
    // The Redis store's bound (src/store/redis/scripts/flags.lua): the listed flags are global ∪ active.
    const bound = data.global.length + data.active.size
    if (bound > this.#limits.maxOfrepFlags) throw this.#refusals.tooLarge(OFREP_KEY, bound, this.#limits.maxOfrepFlags)
    return flagReasons(inputs(data, userId === null ? undefined : data.userFeatures.get(userId) ?? []), context)
  }

  /**
   * The data without feature names that hold U+FFFD (bytes of the file that are not UTF-8, or the
   * escape itself), as the Redis store skips them; logged once per key, like there.
   */
  #decodable (data: EmbeddedData): EmbeddedData {
    const userFeatures = new Map<string, readonly string[]>()
    for (const [userId, features] of data.userFeatures) {
      userFeatures.set(userId, this.#refusals.decodable(`features:user:${userId}`, features as string[]))
    }
    return {
      global: sortFeatures(this.#refusals.decodable('global_features', data.global as string[]).slice()),
      active: new Set(this.#refusals.decodable('active_features', Array.from(data.active))),
      tokens: data.tokens,
      userFeatures,
    }
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    unwatchFile(this.file, this.#onChange)
  }
}

/**
 * The rule's inputs for one caller, as the Redis store reads them (its script intersects the user's
 * set with the active one): the decision itself is core/evaluate.ts, for both stores.
 */
function inputs (data: EmbeddedData, own: readonly string[] | undefined): Inputs {
  return { global: data.global, active: data.active, mine: own === undefined ? [] : own.filter((feature) => data.active.has(feature)) }
}
