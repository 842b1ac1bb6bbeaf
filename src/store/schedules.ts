// The `schedule:<feature>` hashes as the rule takes them: feature -> parsed schedule, or null for a
// malformed one (core/evaluate.ts treats null as closed). Both stores hand over the raw fields; a
// hash is parsed once per distinct content, not per request, and a malformed value is logged once.

import type { Logger } from 'pino'
import { parseSchedule, type Schedule } from '../core/schedule.js'
import { DEFAULTS } from '../config/defaults.js'
import { Refusals } from './limits.js'

/** One schedule hash as read: the feature and its fields as field, value, field, value, ... */
export interface RawSchedule {
  readonly feature: string
  readonly pairs: readonly string[]
}

const EMPTY: ReadonlyMap<string, Schedule | null> = new Map()
// Joins a hash's pairs into one cache key: field names and values are Redis strings, and NUL cannot
// be told apart from a separator only in a hash nobody writes (a NUL inside a schedule is malformed anyway).
const SEPARATOR = '\u0000'

/** Parses schedule hashes, remembering each distinct content; a malformed one is logged once and fails closed. */
export class Schedules {
  readonly #log: Logger
  readonly #refusals: Refusals
  readonly #onInvalid: () => void
  /** feature + content -> the parse, so a hash that did not change is not parsed again. */
  #parsed = new Map<string, Schedule | null>()

  /** @param onInvalid called once per distinct malformed hash content (the metric) */
  constructor (log: Logger, onInvalid: () => void) {
    this.#log = log
    this.#refusals = new Refusals(log)
    this.#onInvalid = onInvalid
  }

  /** The schedules of `raw`, by feature; the same empty map when there are none. */
  parse (raw: readonly RawSchedule[]): ReadonlyMap<string, Schedule | null> {
    if (raw.length === 0) return EMPTY
    const schedules = new Map<string, Schedule | null>()
    for (const { feature, pairs } of raw) schedules.set(feature, this.#one(feature, pairs))
    return schedules
  }

  #one (feature: string, pairs: readonly string[]): Schedule | null {
    const key = feature + SEPARATOR + pairs.join(SEPARATOR)
    const known = this.#parsed.get(key)
    if (known !== undefined) return known
    const fields: Record<string, string> = {}
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      // defineProperty: a `__proto__` field must become a field (and be reported as unknown), not a prototype.
      Object.defineProperty(fields, pairs[i] as string, { value: pairs[i + 1], enumerable: true, writable: true, configurable: true })
    }
    const parsed = parseSchedule(fields)
    const schedule = parsed.ok ? parsed.schedule : null
    if (!parsed.ok && this.#refusals.first(key)) {
      this.#onInvalid()
      this.#log.warn({ key: `schedule:${feature}`, feature, errors: parsed.errors }, 'malformed schedule: the feature is off until it is fixed (reported once per value)')
    }
    // Bounded like the refusals: data that changes without end starts the memo over.
    if (this.#parsed.size >= DEFAULTS.reportedKeys) this.#parsed = new Map()
    this.#parsed.set(key, schedule)
    return schedule
  }
}
