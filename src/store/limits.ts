// What both stores refuse, stated once so they agree (the store contract suite checks): answers past
// the configured size, and feature names that did not survive decoding. Each refusal is logged once
// per key per worker, not once per request: one oversized set must not turn into a log flood.

import type { Logger } from 'pino'
import { DEFAULTS, type Config } from '../config/config.js'
import { HttpError } from '../errors.js'

/** The limits a store applies to one request's answer. */
export type AnswerLimits = Pick<Config, 'maxAnswerFeatures' | 'maxOfrepFlags'>

/**
 * The name OFREP refusals are reported under: the listed flags are global ∪ active whoever asks, so
 * one key stands for every caller.
 */
export const OFREP_KEY = 'global_features+active_features'

// U+FFFD is what a decoder puts where bytes are not UTF-8: no real feature name holds it.
const REPLACEMENT = '\uFFFD'

/** Refuses and reports for one store. */
export class Refusals {
  readonly #log: Logger
  #reported = new Set<string>()

  constructor (log: Logger) {
    this.#log = log
  }

  /**
   * The error for a caller whose answer would hold `bound` entries, past `limit`; logged the first
   * time `key` is refused.
   */
  tooLarge (key: string, bound: number, limit: number): HttpError {
    if (this.#first('size ' + key)) {
      this.#log.warn({ code: 'TF_ERR_ANSWER_TOO_LARGE', key, bound, limit }, 'answer refused: larger than the limit (reported once per key)')
    }
    return new HttpError('TF_ERR_ANSWER_TOO_LARGE')
  }

  /**
   * `names` without those that hold U+FFFD (bytes that are not UTF-8, decoded), logged the first
   * time `key` holds any. The same array when there are none, which is the common case: one scan.
   */
  decodable (key: string, names: string[]): string[] {
    let i = 0
    while (i < names.length && !(names[i] as string).includes(REPLACEMENT)) i++
    if (i === names.length) return names
    const kept = names.filter((name) => !name.includes(REPLACEMENT))
    if (this.#first('utf8 ' + key)) {
      this.#log.warn({ key, skipped: names.length - kept.length }, 'feature names that are not valid UTF-8 skipped (reported once per key)')
    }
    return kept
  }

  /** Whether `key` is reported for the first time (then the caller logs it); bounded like the rest. */
  first (key: string): boolean {
    return this.#first(key)
  }

  #first (key: string): boolean {
    if (this.#reported.has(key)) return false
    // Bounded: past the cap the set starts over, so a key may be reported once more, never unboundedly.
    if (this.#reported.size >= DEFAULTS.reportedKeys) this.#reported = new Set()
    this.#reported.add(key)
    return true
  }
}
