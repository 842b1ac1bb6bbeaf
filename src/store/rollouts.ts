// The `rollout` hash as the rule takes it: feature -> percent in basis points (src/core/rollout.ts).
// Both stores read it as field/value pairs of active features; parsing happens once per distinct
// content, not per request: a batch whose pairs equal the last ones gets the same map back.

import type { Logger } from 'pino'
import { parsePercent, type BasisPoints } from '../core/rollout.js'
import { Refusals } from './limits.js'

const EMPTY: ReadonlyMap<string, BasisPoints> = new Map()
// U+FFFD is what a decoder puts where bytes are not UTF-8: such a field cannot name a real feature.
const REPLACEMENT = '\uFFFD'

/** Parses rollout pairs, remembering the last content; a malformed percent is logged once and selects nobody. */
export class Rollouts {
  readonly #refusals: Refusals
  readonly #log: Logger
  #lastPairs: readonly string[] = []
  #last: ReadonlyMap<string, BasisPoints> = EMPTY

  constructor (log: Logger) {
    this.#log = log
    this.#refusals = new Refusals(log)
  }

  /**
   * @param pairs feature, percent, feature, percent, ... (HGETALL's shape), active features only
   * @returns feature -> basis points, without the malformed ones (those fail closed: nobody is in)
   */
  parse (pairs: readonly string[]): ReadonlyMap<string, BasisPoints> {
    if (pairs.length === 0) return EMPTY
    if (samePairs(pairs, this.#lastPairs)) return this.#last
    const parsed = new Map<string, BasisPoints>()
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const feature = pairs[i] as string
      const raw = pairs[i + 1] as string
      if (feature.includes(REPLACEMENT)) continue
      const basisPoints = parsePercent(raw)
      if (basisPoints !== undefined) {
        parsed.set(feature, basisPoints)
      } else if (this.#refusals.first(`rollout ${feature} ${raw}`)) {
        this.#log.warn({ key: 'rollout', feature, value: raw }, 'malformed rollout percent: nobody is selected (expected 0 to 100, at most two decimals; reported once per value)')
      }
    }
    this.#lastPairs = pairs
    this.#last = parsed
    return parsed
  }
}

function samePairs (a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
