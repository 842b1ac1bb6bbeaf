// The people's view of each admin answer (scripts get the JSON itself with --json).

import { table } from './table.js'

type Json = Record<string, unknown>

const yes = (value: unknown): string => value === true ? 'yes' : 'no'

/** A value before or after a write, or in an audit entry, in one short cell. */
export function value (v: unknown): string {
  if (v === null || v === undefined) return '-'
  if (typeof v === 'object') return Object.entries(v as Json).map(([k, x]) => `${k}=${String(x)}`).join(' ')
  return String(v)
}

/** GET /admin/v1/features */
export function features (answer: Json): string {
  const rows = (answer.features as Json[]).map((f) => {
    const schedule = f.schedule as Json | null
    const rollout = f.rollout as Json | null
    return [
      f.name as string,
      yes(f.global),
      yes(f.active),
      schedule === null ? '-' : schedule.valid === true ? (schedule.open === true ? 'open' : 'closed') : 'invalid',
      rollout === null ? '-' : `${rollout.percent as string}%${rollout.valid === true ? '' : ' (invalid)'}`,
      (f.locations as string[]).join(',') || '-',
    ]
  })
  return table(['FEATURE', 'GLOBAL', 'ACTIVE', 'SCHEDULE', 'ROLLOUT', 'LOCATIONS'], rows)
}

/** A write's answer: what changed, or that nothing did. */
export function write (what: string, answer: Json): string {
  return answer.changed === true
    ? `${what}: ${value(answer.before)} -> ${value(answer.after)}\n`
    : `${what}: unchanged (${value(answer.after)})\n`
}

/** A list of feature names under one heading. */
export function names (heading: string, list: readonly string[]): string {
  return table([heading], list.map((name) => [name]))
}

/** GET /admin/v1/locations */
export function locations (answer: Json): string {
  return table(['LOCATION', 'FEATURES'], (answer.locations as Json[]).map((l) => [l.name as string, (l.features as string[]).join(',')]))
}

/** POST /admin/v1/explain */
export function explanation (answer: Json): string {
  const head = `user ${value(answer.user)}, location ${value(answer.location)}, at ${answer.at as string}\n` +
    `/features answers: ${JSON.stringify((answer.answer as Json).active_features)}\n\n`
  const rows = (answer.features as Json[]).map((f) => {
    const rollout = f.rollout as Json | null
    const schedule = f.schedule as Json | null
    return [
      f.name as string,
      f.on === true ? 'on' : 'off',
      f.why as string,
      rollout === null ? '-' : `${rollout.percent as string}% bucket ${value(rollout.bucket)}`,
      schedule === null ? '-' : schedule.open === true ? 'open' : 'closed',
    ]
  })
  return head + table(['FEATURE', 'ON', 'WHY', 'ROLLOUT', 'SCHEDULE'], rows)
}

/** GET /admin/v1/audit */
export function audit (answer: Json): string {
  const rows = (answer.entries as Json[]).map((e) => [e.time as string, e.actor as string, e.action as string, e.target as string, value(e.before), value(e.after)])
  const next = answer.next === null ? '' : `\nmore: --before ${answer.next as string}\n`
  return table(['TIME', 'ACTOR', 'ACTION', 'TARGET', 'BEFORE', 'AFTER'], rows) + next
}
