// The resolution rule, stated once, for every route and every store. Stores only read the rule's inputs
// (the Redis store in one atomic script call per batch, the embedded store from its file); routes only
// render the outcome (/features a list, OFREP values with reasons). Pure: no I/O, no clock, no config.
//
//   answer = global_features ∪ ((features:user:<id> ∪ location:<name> ∪ rollout-selected) ∩ active_features)
//            minus every feature whose schedule:<feature> is closed at the store's clock
//
// Removing a feature from active_features retires it for every user at once: the rollback lever.
// A feature with a schedule is in an answer only while the schedule is open, whatever put it there
// (global_features too); a malformed schedule is closed. Anonymous callers are never in a rollout.

import type { RequestContext } from './context.js'
import { inRollout, type BasisPoints } from './rollout.js'
import { isOpen, type Schedule } from './schedule.js'

/**
 * Why a known flag has its value for a caller (OpenFeature resolution reasons):
 * `STATIC` on for everyone (global), `TARGETING_MATCH` switched on for this caller (their user set or
 * their location's set), `SPLIT` on only because the caller falls in the feature's percentage rollout,
 * `DISABLED` known (global or active) but off for this caller, a closed schedule included.
 */
export type FlagReason = 'STATIC' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED'

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
  /** Members of the caller's `location:<name>` set that are active (intersected by the store), if any. */
  readonly local?: readonly string[]
  /**
   * The `rollout` hash's features that are active, each with its percent in basis points (parsed by the
   * store, once per content; a malformed percent is left out by the store: nobody is selected).
   */
  readonly rollouts?: ReadonlyMap<string, BasisPoints>
  /**
   * The schedules of the features that may be in this answer: feature -> parsed schedule, or null for
   * a malformed one (closed). A feature without an entry has no schedule.
   */
  readonly schedules?: ReadonlyMap<string, Schedule | null>
  /** The store's clock (epoch ms) the schedules are read at; needed only with `schedules`. */
  readonly now?: number
  /** Members of `active_features`: read only when the reasons of every known flag are asked for. */
  readonly active?: Iterable<string>
}

/**
 * Decide the features a caller sees. When `reasons` is given, it is also filled with every known flag
 * (global ∪ active) and the reason for its value: a flag is on there exactly when it is in the answer,
 * so /features and OFREP cannot disagree.
 * @returns the answer, sorted with {@link sortFeatures}; `inputs.global` itself when nothing is added
 *   or removed
 */
export function evaluate (inputs: Inputs, context: RequestContext, reasons?: Map<string, FlagReason>): readonly string[] {
  const global = inputs.global
  const userId = context.userId
  // An anonymous caller has no features of its own and is in no rollout, whatever a store passes.
  const mine = userId === null ? NONE : inputs.mine
  const local = context.location === undefined || inputs.local === undefined ? NONE : inputs.local
  const rollouts = userId === null || inputs.rollouts === undefined || inputs.rollouts.size === 0 ? undefined : inputs.rollouts
  const schedules = inputs.schedules === undefined || inputs.schedules.size === 0 ? undefined : inputs.schedules
  if (local.length === 0 && rollouts === undefined && schedules === undefined && reasons === undefined) {
    // The rule as it was before targeting: no allocation when the caller adds nothing.
    return mine.length === 0 ? global : withMine(global, inputs.inGlobal, mine)
  }

  const now = inputs.now ?? 0
  const closed = (feature: string): boolean => {
    const schedule = schedules?.get(feature)
    return schedule !== undefined && (schedule === null || !isOpen(schedule, now))
  }
  const inGlobal = inputs.inGlobal ?? new Set(global)
  let rolled: string[] | undefined
  if (rollouts !== undefined) {
    // A linear scan of a short list beats building a set; a long one (up to MAX_ANSWER_FEATURES) gets one.
    const own = mine.length + local.length > SCAN_LIMIT ? new Set([...mine, ...local]) : undefined
    for (const [feature, basisPoints] of rollouts) {
      // The draw (one SHA-1) only where it can change the outcome: a feature that is global, the
      // caller's own, the location's or closed gets the same value and reason whatever the draw says.
      if (inGlobal.has(feature) || closed(feature)) continue
      if (own === undefined ? mine.includes(feature) || local.includes(feature) : own.has(feature)) continue
      if (inRollout(feature, userId as string, basisPoints)) (rolled ??= []).push(feature)
    }
  }

  if (reasons !== undefined) {
    if (inputs.active !== undefined) for (const feature of inputs.active) reasons.set(feature, 'DISABLED')
    if (rolled !== undefined) for (const feature of rolled) reasons.set(feature, 'SPLIT')
    // A user's or location's own switch names the caller: it wins over the rollout's draw.
    for (const feature of mine) reasons.set(feature, 'TARGETING_MATCH')
    for (const feature of local) reasons.set(feature, 'TARGETING_MATCH')
    // Global last: a feature on for everyone is STATIC even when also switched on for this caller.
    for (const feature of global) reasons.set(feature, 'STATIC')
    if (schedules !== undefined) for (const feature of reasons.keys()) if (closed(feature)) reasons.set(feature, 'DISABLED')
  }

  let added: Set<string> | undefined
  for (const list of [mine, local, rolled ?? NONE]) {
    for (const feature of list) if (!inGlobal.has(feature) && !closed(feature)) (added ??= new Set()).add(feature)
  }
  let answer: string[] | undefined
  if (schedules !== undefined) {
    for (let i = 0; i < global.length; i++) {
      const feature = global[i] as string
      if (closed(feature)) answer ??= global.slice(0, i)
      else if (answer !== undefined) answer.push(feature)
    }
  }
  if (added === undefined) return answer ?? global
  answer ??= global.slice()
  for (const feature of added) answer.push(feature)
  return sortFeatures(answer)
}

/** global ∪ mine, the rule without targeting data. */
function withMine (global: readonly string[], known: ReadonlySet<string> | undefined, mine: readonly string[]): readonly string[] {
  const inGlobal = known ?? new Set(global)
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
const SCAN_LIMIT = 16 // features: below this, Array.includes is cheaper than a Set
