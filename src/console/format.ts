// Short texts for values in tables: the same words the CLI prints (src/cli/format.ts), so that a
// screen and a terminal read alike.

import type { AuditValue, FeatureState, ScheduleState } from './types.js'

/** An audit value (membership, percent, schedule fields) or nothing ('-'). */
export function auditValue (value: AuditValue | undefined): string {
  if (value === null || value === undefined) return '-'
  if (typeof value === 'object') return Object.entries(value).map(([k, v]) => `${k}=${v}`).join(' ')
  return String(value)
}

/** A schedule's fields and whether it is open now: "days=mon,fri tz=Europe/Madrid (closed)". */
export function scheduleText (schedule: ScheduleState | null): string {
  if (schedule === null) return '-'
  const state = !schedule.valid ? 'invalid' : schedule.open ? 'open' : 'closed'
  return `${auditValue(schedule.fields)} (${state})`
}

/** A rollout percent, and whether the rule can read it. */
export function rolloutText (rollout: FeatureState['rollout']): string {
  if (rollout === null) return '-'
  return rollout.valid ? `${rollout.percent}%` : `${rollout.percent} (invalid)`
}

/** What a write did, for the status line: "feature_3 active: true -> false" or "... unchanged". */
export function changeText (what: string, result: { changed: boolean, before: AuditValue, after: AuditValue }): string {
  return result.changed
    ? `${what}: ${auditValue(result.before)} -> ${auditValue(result.after)}`
    : `${what}: unchanged (${auditValue(result.after)})`
}
