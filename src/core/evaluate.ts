// The resolution rule, stated once. The embedded store runs it in JS; the Redis store reads its inputs
// atomically in one Lua call (src/scripts/answers.lua intersects the user's set with the active one)
// and takes the union with the global features in the worker. test/functional/store-contract.test.ts
// runs one suite against both stores so the two cannot drift apart. Future targeting rules (locations,
// schedules, rollouts) belong here.
//
//   answer = global_features ∪ (features:user:<id> ∩ active_features)
//
// Removing a feature from active_features retires it for every user at once: the rollback lever.

/**
 * Resolve the features a caller sees.
 * @param global members of `global_features`
 * @param active members of `active_features`
 * @param mine members of `features:user:<id>`, or undefined for an anonymous caller
 * @returns the answer, deduplicated and sorted with {@link sortFeatures}
 */
export function resolveFeatures (
  global: Iterable<string>,
  active: ReadonlySet<string>,
  mine: Iterable<string> | undefined,
): string[] {
  const answer = new Set(global)
  if (mine !== undefined) {
    for (const feature of mine) if (active.has(feature)) answer.add(feature)
  }
  return sortFeatures(Array.from(answer))
}

/**
 * Sort feature names ascending, in place, by UTF-16 code unit (JS default order): deterministic, so
 * the same answer always serialises to the same bytes and the same ETag.
 */
export function sortFeatures (features: string[]): string[] {
  return features.sort()
}

/**
 * Why a known flag has its value for a caller (OpenFeature resolution reasons):
 * `STATIC` on for everyone (global), `TARGETING_MATCH` switched on for this user,
 * `DISABLED` known (global or active) but off for this caller.
 */
export type FlagReason = 'STATIC' | 'TARGETING_MATCH' | 'DISABLED'

/**
 * Every known flag (global ∪ active) with the reason for its value, keys in {@link sortFeatures}
 * order. A flag is on exactly when it is in {@link resolveFeatures}' answer for the same data, so
 * /features and OFREP cannot disagree.
 * @param global members of `global_features`
 * @param active members of `active_features`
 * @param mine members of `features:user:<id>`, or undefined for an anonymous caller
 */
export function resolveFlags (
  global: Iterable<string>,
  active: ReadonlySet<string>,
  mine: Iterable<string> | undefined,
): ReadonlyMap<string, FlagReason> {
  const reasons = new Map<string, FlagReason>()
  for (const feature of active) reasons.set(feature, 'DISABLED')
  if (mine !== undefined) {
    for (const feature of mine) if (active.has(feature)) reasons.set(feature, 'TARGETING_MATCH')
  }
  // Global last: a feature on for everyone is STATIC even when also switched on for this user.
  for (const feature of global) reasons.set(feature, 'STATIC')
  const sorted = new Map<string, FlagReason>()
  for (const key of sortFeatures(Array.from(reasons.keys()))) sorted.set(key, reasons.get(key) as FlagReason)
  return sorted
}
