// The development store: the Redis data model held in process, loaded from a JSON file, so the
// service runs with no Redis at all. Read-only; reloads when the file changes. Same semantics as
// Redis through src/core/evaluate.ts; the schedule clock is this machine's (Redis's TIME there). Not for
// production: each worker holds its own copy.
// The file itself: data-file.ts.

import { unwatchFile, watchFile, type Stats } from 'node:fs'
import type { Logger } from 'pino'
import { DEFAULTS } from '../../config/config.js'
import type { RequestContext } from '../../core/context.js'
import { evaluate, flagReasons, sortFeatures, type FlagReason, type Inputs } from '../../core/evaluate.js'
import { OFREP_KEY, Refusals, type AnswerLimits } from '../limits.js'
import { NO_HOOKS, type FeatureStore, type StoreHooks } from '../store.js'
import { loadDataFile, type EmbeddedData } from './data-file.js'
import { Rollouts } from '../rollouts.js'
import type { BasisPoints } from '../../core/rollout.js'
import type { Schedule } from '../../core/schedule.js'
import { Schedules, type RawSchedule } from '../schedules.js'

/** The file's data as the rule reads it: names checked, the active rollouts and the schedules parsed once per load. */
interface Loaded extends EmbeddedData {
  readonly activeRollouts: ReadonlyMap<string, BasisPoints>
  /** The schedules of known features (global ∪ active), as the Redis scripts read them; undefined: none. */
  readonly parsedSchedules: ReadonlyMap<string, Schedule | null> | undefined
}


/** Store reading the data file; each reload swaps the whole data set at once, like an atomic write. */
export class EmbeddedStore implements FeatureStore {
  readonly kind = 'embedded' as const
  readonly file: string
  #data: Loaded
  readonly #log: Logger
  readonly #limits: AnswerLimits
  readonly #refusals: Refusals
  readonly #rollouts: Rollouts
  readonly #schedules: Schedules
  readonly #onChange: (current: Stats, previous: Stats) => void
  #closed = false

  /**
   * @param limits the same answer limits as the Redis store applies (config)
   * @throws DataFileError when the file is missing or invalid
   */
  constructor (file: string, log: Logger, limits: AnswerLimits = DEFAULTS, hooks: StoreHooks = NO_HOOKS) {
    this.file = file
    this.#log = log
    this.#limits = limits
    this.#refusals = new Refusals(log)
    this.#rollouts = new Rollouts(log)
    this.#schedules = new Schedules(log, hooks.scheduleInvalid)
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
    const { userId, location } = context
    const limit = this.#limits.maxAnswerFeatures
    const mine = userId === null ? undefined : data.userFeatures.get(userId) ?? []
    const here = location === undefined ? undefined : data.locations.get(location) ?? []
    // The Redis store's bounds (src/store/redis/scripts/answers.lua), checked before the answer is computed:
    // global alone, then global with each set, then the rollout hash for a user.
    if (data.global.length > limit) throw this.#refusals.tooLarge('global_features', data.global.length, limit)
    if (mine !== undefined) this.#bound(`features:user:${userId as string}`, data, mine, limit)
    if (here !== undefined) this.#bound(`location:${location as string}`, data, here, limit)
    if (userId !== null && data.rollouts.size > limit) throw this.#refusals.tooLarge('rollout', data.rollouts.size, limit)
    const answer = evaluate(inputs(data, mine, here, Date.now()), context)
    // As the Redis store: the sets and the rollout together are bounded on the answer itself.
    if (answer.length > limit) throw this.#refusals.tooLarge(slotKey(userId, location), answer.length, limit)
    return answer
  }

  /** The bound of one set: |global| + min(|set|, |active|), as the script checks it. */
  #bound (key: string, data: Loaded, set: readonly string[], limit: number): void {
    const bound = data.global.length + Math.min(set.length, data.active.size)
    if (bound > limit) throw this.#refusals.tooLarge(key, bound, limit)
  }

  async flagsFor (context: RequestContext): Promise<ReadonlyMap<string, FlagReason>> {
    const data = this.#data
    const { userId, location } = context
    const limit = this.#limits.maxOfrepFlags
    // The Redis store's bound (src/store/redis/scripts/flags.lua): the listed flags are global ∪ active.
    const bound = data.global.length + data.active.size
    if (bound > limit) throw this.#refusals.tooLarge(OFREP_KEY, bound, limit)
    if (userId !== null && data.rollouts.size > limit) throw this.#refusals.tooLarge(OFREP_KEY, data.rollouts.size, limit)
    return flagReasons(inputs(data, userId === null ? undefined : data.userFeatures.get(userId) ?? [],
      location === undefined ? undefined : data.locations.get(location) ?? [], Date.now()), context)
  }

  /**
   * The data without feature names that hold U+FFFD (bytes of the file that are not UTF-8, or the
   * escape itself), as the Redis store skips them; logged once per key, like there.
   */
  #decodable (data: EmbeddedData): Loaded {
    const userFeatures = new Map<string, readonly string[]>()
    for (const [userId, features] of data.userFeatures) {
      userFeatures.set(userId, this.#refusals.decodable(`features:user:${userId}`, features as string[]))
    }
    const locations = new Map<string, readonly string[]>()
    for (const [name, features] of data.locations) {
      locations.set(name, this.#refusals.decodable(`location:${name}`, features as string[]))
    }
    const active = new Set(this.#refusals.decodable('active_features', Array.from(data.active)))
    // The pairs the script would return: the rollout hash's fields that are active.
    const pairs: string[] = []
    for (const [feature, percent] of data.rollouts) if (active.has(feature)) pairs.push(feature, percent)
    const global = sortFeatures(this.#refusals.decodable('global_features', data.global as string[]).slice())
    // Parsed at load, not per request: only known features' schedules can bear on an answer.
    const raw: RawSchedule[] = []
    for (const [feature, fields] of data.schedules) {
      if (active.has(feature) || global.includes(feature)) raw.push({ feature, pairs: fields })
    }
    return {
      global,
      active,
      tokens: data.tokens,
      userFeatures,
      locations,
      rollouts: data.rollouts,
      activeRollouts: this.#rollouts.parse(pairs),
      schedules: data.schedules,
      parsedSchedules: raw.length === 0 ? undefined : this.#schedules.parse(raw),
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
function inputs (data: Loaded, own: readonly string[] | undefined, here: readonly string[] | undefined, now: number): Inputs {
  return {
    schedules: data.parsedSchedules,
    now,
    global: data.global,
    active: data.active,
    mine: own === undefined ? [] : own.filter((feature) => data.active.has(feature)),
    local: here === undefined ? [] : here.filter((feature) => data.active.has(feature)),
    rollouts: data.activeRollouts,
  }
}

/** The name a refusal is reported under: the Redis store's batch slot key for the caller. */
function slotKey (userId: string | null, location: string | undefined): string {
  const user = userId === null ? undefined : `features:user:${userId}`
  if (location === undefined) return user ?? 'global_features'
  return user === undefined ? `location:${location}` : `location:${location}|${user}`
}
