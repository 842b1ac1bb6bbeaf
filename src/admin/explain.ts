// Why a caller sees what it sees: the support desk's first question. Pure. The answer comes from the
// rule itself (core/evaluate.ts), fed the inputs a store would read for this caller from the same
// snapshot; the per-feature "why" only names which of the rule's terms applied, and a test checks that
// it never contradicts the answer.

import type { RequestContext } from '../core/context.js'
import { evaluate, sortFeatures, type Inputs } from '../core/evaluate.js'
import { inRollout, parsePercent, rolloutBucket, type BasisPoints } from '../core/rollout.js'
import { parseSchedule, type Schedule } from '../core/schedule.js'
import type { Snapshot } from '../store/admin/admin-store.js'
import { knownFeatures, scheduleState, type ScheduleState } from './feature-states.js'

/**
 * Why a feature is on or off for the caller:
 * on:  `global` (global_features), `user` (the user's own set, active), `location` (the location's set,
 *      active), `rollout` (active, and the user's bucket is under the percent);
 * off: `schedule_closed` (it would be on, but its schedule is closed or malformed), `not_active`
 *      (switched on for this caller, but not in active_features), `rollout_miss` (active with a
 *      rollout, and the user's bucket is at or over the percent), `not_targeted` (nothing applies).
 */
export type Why = 'global' | 'user' | 'location' | 'rollout' | 'schedule_closed' | 'not_active' | 'rollout_miss' | 'not_targeted'

/** One feature, for one caller. */
export interface FeatureWhy {
  readonly name: string
  readonly on: boolean
  readonly why: Why
  readonly global: boolean
  readonly active: boolean
  /** In the user's own set. */
  readonly user: boolean
  /** In the set of the caller's location. */
  readonly location: boolean
  /** The rollout: its percent, the user's bucket (0..9999; null for an anonymous caller), and whether it selects the user. */
  readonly rollout: { readonly percent: string, readonly valid: boolean, readonly bucket: number | null, readonly selected: boolean } | null
  readonly schedule: ScheduleState | null
}

/** The answer /features gives the caller at `at`, and every known feature's why. */
export interface Explanation {
  readonly answer: readonly string[]
  readonly features: readonly FeatureWhy[]
}

/**
 * Explain a caller's answer.
 * @param snapshot read with the user's set when the caller is a user
 * @param at the instant schedules are decided at (epoch ms)
 */
export function explain (snapshot: Snapshot, context: RequestContext, at: number): Explanation {
  const { userId, location } = context
  const active = snapshot.active
  const own = new Set(snapshot.user ?? [])
  const here = new Set(location === undefined ? [] : snapshot.locations.get(location) ?? [])
  const percents = new Map<string, BasisPoints | undefined>()
  const rollouts = new Map<string, BasisPoints>()
  for (const [feature, percent] of snapshot.rollout) {
    const basisPoints = parsePercent(percent)
    percents.set(feature, basisPoints)
    // As the stores pass them: the active features' rollouts, malformed ones left out (nobody is in).
    if (active.has(feature) && basisPoints !== undefined) rollouts.set(feature, basisPoints)
  }
  const schedules = new Map<string, Schedule | null>()
  for (const [feature, fields] of snapshot.schedules) {
    const parsed = parseSchedule(fields)
    schedules.set(feature, parsed.ok ? parsed.schedule : null)
  }
  const inputs: Inputs = {
    global: sortFeatures(Array.from(snapshot.global)),
    mine: Array.from(own).filter((feature) => active.has(feature)),
    local: Array.from(here).filter((feature) => active.has(feature)),
    rollouts,
    schedules,
    now: at,
    active,
  }
  const answer = evaluate(inputs, context)
  const on = new Set(answer)

  const names = sortFeatures(Array.from(new Set([...knownFeatures(snapshot), ...own])))
  const features = names.map((name): FeatureWhy => {
    const global = snapshot.global.has(name)
    const isActive = active.has(name)
    const user = own.has(name)
    const local = here.has(name)
    const percent = snapshot.rollout.get(name)
    const basisPoints = percents.get(name)
    // Whether the draw alone would select the user; the rule also wants the feature active.
    const drawn = userId !== null && basisPoints !== undefined && inRollout(name, userId, basisPoints)
    const fields = snapshot.schedules.get(name)
    const schedule = fields === undefined ? null : scheduleState(fields, at)
    const wouldBe = global || (isActive && (user || local || drawn))
    let why: Why
    if (on.has(name)) why = global ? 'global' : isActive && user ? 'user' : isActive && local ? 'location' : 'rollout'
    else if (wouldBe) why = 'schedule_closed'
    else if (!isActive && (user || local || drawn)) why = 'not_active'
    else if (isActive && percent !== undefined && userId !== null) why = 'rollout_miss'
    else why = 'not_targeted'
    return {
      name,
      on: on.has(name),
      why,
      global,
      active: isActive,
      user,
      location: local,
      rollout: percent === undefined
        ? null
        : { percent, valid: basisPoints !== undefined, bucket: userId === null ? null : rolloutBucket(name, userId), selected: isActive && drawn },
      schedule,
    }
  })
  return { answer, features }
}
