// The resolution rule, stated once. The embedded store runs it in JS; the Redis store runs the same
// rule inside Lua (src/scripts/features.lua) so it is atomic. test/unit/store-contract.test.ts runs one
// suite against both stores so the two cannot drift apart. Future targeting rules (locations,
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
