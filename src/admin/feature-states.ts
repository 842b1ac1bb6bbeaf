// The state of every known feature, from one snapshot of the store: pure, so the listing and the
// explanation agree on what "known" means. A feature is known when it is in global_features or
// active_features, in a location's set, or has a schedule or a rollout (users' own sets are not
// scanned: there may be millions; a user's features are read one user at a time).

import { sortFeatures } from '../core/evaluate.js'
import { parsePercent } from '../core/rollout.js'
import { isOpen, parseSchedule } from '../core/schedule.js'
import type { ScheduleFields, Snapshot } from '../store/admin/admin-store.js'

/** A schedule as the admin sees it: its fields, whether the rule can read them, and whether it is open. */
export interface ScheduleState {
  readonly fields: ScheduleFields
  /** false: malformed, so closed (it fails closed); `errors` says why. */
  readonly valid: boolean
  /** Open at the snapshot's clock (always false when malformed). */
  readonly open: boolean
  readonly errors?: Readonly<Record<string, string>>
}

/** A rollout as stored, and whether the rule can read it (a malformed percent selects nobody). */
export interface RolloutState {
  readonly percent: string
  readonly valid: boolean
}

/** One feature's state. */
export interface FeatureState {
  readonly name: string
  readonly global: boolean
  readonly active: boolean
  readonly schedule: ScheduleState | null
  readonly rollout: RolloutState | null
  /** Names of the locations whose set holds it, sorted. */
  readonly locations: readonly string[]
}

/** Every known feature of a snapshot, sorted by name. */
export function knownFeatures (snapshot: Snapshot): string[] {
  const names = new Set<string>([...snapshot.global, ...snapshot.active, ...snapshot.schedules.keys(), ...snapshot.rollout.keys()])
  for (const features of snapshot.locations.values()) for (const feature of features) names.add(feature)
  return sortFeatures(Array.from(names))
}

/** The state of every known feature. */
export function featureStates (snapshot: Snapshot): FeatureState[] {
  const holders = new Map<string, string[]>()
  for (const [name, features] of snapshot.locations) {
    for (const feature of features) {
      let list = holders.get(feature)
      if (list === undefined) holders.set(feature, list = [])
      list.push(name)
    }
  }
  return knownFeatures(snapshot).map((name) => {
    const fields = snapshot.schedules.get(name)
    const percent = snapshot.rollout.get(name)
    return {
      name,
      global: snapshot.global.has(name),
      active: snapshot.active.has(name),
      schedule: fields === undefined ? null : scheduleState(fields, snapshot.now),
      rollout: percent === undefined ? null : { percent, valid: parsePercent(percent) !== undefined },
      locations: (holders.get(name) ?? []).sort(),
    }
  })
}

/** A schedule's state at an instant. */
export function scheduleState (fields: ScheduleFields, now: number): ScheduleState {
  const parsed = parseSchedule(fields)
  return parsed.ok
    ? { fields, valid: true, open: isOpen(parsed.schedule, now) }
    : { fields, valid: false, open: false, errors: parsed.errors }
}
