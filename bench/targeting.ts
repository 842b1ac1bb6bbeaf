// The targeting scenario's extra data (issue 11): 50 location sets, 20 schedules (half of them open)
// and 10 rollouts, written before the scenario and removed after it, so the plain scenarios measure
// the original data alone. Deterministic, like the rest of the data set; the schedules are open or
// closed for decades, so the expected answers do not depend on when the benchmark runs.

import type { Cluster, Redis } from 'ioredis'
import { parsePercent, type BasisPoints } from '../src/core/rollout.js'
import { parseSchedule, type Schedule } from '../src/core/schedule.js'
import { prng, type DataSet } from './data.js'

/** The targeting data, and its parsed form for computing expected answers. */
export interface TargetingData {
  /** location name -> features */
  readonly locations: ReadonlyMap<string, readonly string[]>
  /** feature -> percent, as written to the rollout hash */
  readonly rollouts: ReadonlyMap<string, string>
  /** feature -> schedule hash fields */
  readonly schedules: ReadonlyMap<string, Readonly<Record<string, string>>>
  readonly parsedRollouts: ReadonlyMap<string, BasisPoints>
  readonly parsedSchedules: ReadonlyMap<string, Schedule | null>
}

export const LOCATION_COUNT = 50
/** The header the service is started with (LOCATION_HEADER) and the targeting calls send. */
export const LOCATION_HEADER = 'x-location'

/** The name of location `i`: L00 ... L49. */
export function locationName (i: number): string {
  return `L${String(i % LOCATION_COUNT).padStart(2, '0')}`
}

// Open for decades: a whole-week window in a zone with daylight saving, so the open schedules cost
// what a real weekly window costs (the zone offset), not only a date comparison.
const OPEN: Readonly<Record<string, string>>[] = [
  { start: '2000-01-01T00:00:00Z', end: '2100-01-01T00:00:00Z' },
  { days: 'mon,tue,wed,thu,fri,sat,sun', from: '00:00', to: '24:00', tz: 'Europe/Madrid' },
]
const CLOSED: Readonly<Record<string, string>>[] = [
  { end: '2001-01-01T00:00:00Z' },
  { start: '2100-01-01T00:00:00+01:00' },
]

/** Build the targeting data over the data set's features. */
export function generateTargeting (data: DataSet, seed = 0x11a7): TargetingData {
  const random = prng(seed)
  const active = [...data.active].sort()
  const locations = new Map<string, string[]>()
  for (let i = 0; i < LOCATION_COUNT; i++) {
    const set = new Set<string>()
    while (set.size < 3) set.add(active[Math.floor(random() * active.length)] as string)
    set.add('retired_01') // never active: the script's intersection must drop it
    locations.set(locationName(i), [...set])
  }
  const rollouts = new Map<string, string>()
  for (let i = 0; i < 10; i++) rollouts.set(active[i] as string, String(5 + i * 10))
  // 20 schedules: two of the global features and 18 active ones, open and closed in turn.
  const scheduled = [...[...data.global].sort().slice(0, 2), ...active.slice(2, 20)]
  const schedules = new Map<string, Readonly<Record<string, string>>>()
  scheduled.forEach((feature, i) => schedules.set(feature, (i % 2 === 0 ? OPEN : CLOSED)[(i >> 1) % 2] as Record<string, string>))
  const parsedRollouts = new Map<string, BasisPoints>()
  for (const [feature, percent] of rollouts) parsedRollouts.set(feature, parsePercent(percent) as BasisPoints)
  const parsedSchedules = new Map<string, Schedule | null>()
  for (const [feature, fields] of schedules) {
    const parsed = parseSchedule(fields)
    parsedSchedules.set(feature, parsed.ok ? parsed.schedule : null)
  }
  return { locations, rollouts, schedules, parsedRollouts, parsedSchedules }
}

/** Write the targeting keys to the features Redis (each key by itself: on a Cluster they span slots). */
export async function loadTargeting (targeting: TargetingData, features: Redis | Cluster): Promise<void> {
  const writes: Array<Promise<unknown>> = []
  for (const [name, set] of targeting.locations) writes.push(features.sadd(`location:${name}`, ...set))
  for (const [feature, percent] of targeting.rollouts) writes.push(features.hset('rollout', feature, percent))
  for (const [feature, fields] of targeting.schedules) writes.push(features.hset(`schedule:${feature}`, fields))
  await Promise.all(writes)
}

/** Remove them again. */
export async function unloadTargeting (targeting: TargetingData, features: Redis | Cluster): Promise<void> {
  const keys = ['rollout', ...[...targeting.locations.keys()].map((name) => `location:${name}`),
    ...[...targeting.schedules.keys()].map((feature) => `schedule:${feature}`)]
  await Promise.all(keys.map(async (key) => await features.del(key)))
}
