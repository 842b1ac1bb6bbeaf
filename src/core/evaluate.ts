// The resolution rule, stated once, for every route and every store. Stores only read the rule's inputs
// (the Redis store in one atomic script call per batch, the embedded store from its file); routes only
// render the outcome (/features a list, OFREP values with reasons). Pure: no I/O, no clock, no config.
//
//   answer = global_features ∪ (features:user:<id> ∩ active_features)
//
// Removing a feature from active_features retires it for every user at once: the rollback lever.

import type { RequestContext } from './context.js'

/**
 * Why a known flag has its value for a caller (OpenFeature resolution reasons):
 * `STATIC` on for everyone (global), `TARGETING_MATCH` switched on for this caller,
 * `DISABLED` known (global or active) but off for this caller.
 */
export type FlagReason = 'STATIC' | 'TARGETING_MATCH' | 'DISABLED'

/** What the rule needs to decide for one caller, as a store reads it (atomically). */
export interface Inputs {
  /**
   * Members of `global_features`, sorted with {@link sortFeatures}. Callers of one batch share the
   * same array: an answer that adds nothing to it is this array itself, which lets the HTTP layer
   * reuse its serialisation by identity.
   */
  readonly global: readonly string[]
  /** The same members, as a set; a store that reads global_features once for many callers passes it. */
  readonly inGlobal?: ReadonlySet<string>
  /**
   * The caller's own features that are active: `features:user:<id> ∩ active_features`, intersected by
   * the store where the data lives (the Redis script). Empty for an anonymous caller.
   */
  readonly mine: readonly string[]
  /** Members of `active_features`: read only when the reasons of every known flag are asked for. */
  readonly active?: Iterable<string>
}

/**
 * Decide the features a caller sees. When `reasons` is given, it is also filled with every known flag
 * (global ∪ active) and the reason for its value: a flag is on there exactly when it is in the answer,
 * so /features and OFREP cannot disagree.
 * @returns the answer, sorted with {@link sortFeatures}; `inputs.global` itself when nothing is added
 */
export function evaluate (inputs: Inputs, context: RequestContext, reasons?: Map<string, FlagReason>): readonly string[] {
  const global = inputs.global
  // An anonymous caller has no features of its own, whatever a store passes.
  const mine = context.userId === null ? NONE : inputs.mine
  if (reasons !== undefined) {
    if (inputs.active !== undefined) for (const feature of inputs.active) reasons.set(feature, 'DISABLED')
    for (const feature of mine) reasons.set(feature, 'TARGETING_MATCH')
    // Global last: a feature on for everyone is STATIC even when also switched on for this caller.
    for (const feature of global) reasons.set(feature, 'STATIC')
  }
  if (mine.length === 0) return global
  const inGlobal = inputs.inGlobal ?? new Set(global)
  let answer: string[] | undefined
  for (const feature of mine) {
    if (inGlobal.has(feature)) continue
    answer ??= global.slice()
    answer.push(feature)
  }
  return answer === undefined ? global : sortFeatures(answer)
}

/**
 * Every known flag (global ∪ active) with its reason, keys in {@link sortFeatures} order: OFREP's view
 * of {@link evaluate}.
 */
export function flagReasons (inputs: Inputs, context: RequestContext): ReadonlyMap<string, FlagReason> {
  const reasons = new Map<string, FlagReason>()
  evaluate(inputs, context, reasons)
  const sorted = new Map<string, FlagReason>()
  for (const key of sortFeatures(Array.from(reasons.keys()))) sorted.set(key, reasons.get(key) as FlagReason)
  return sorted
}

/**
 * Sort feature names ascending, in place, by UTF-16 code unit (JS default order): deterministic, so
 * the same answer always serialises to the same bytes and the same ETag.
 */
export function sortFeatures (features: string[]): string[] {
  return features.sort()
}

const NONE: readonly string[] = Object.freeze([])
