// What the admin API needs of a store: one consistent read of everything a feature's state depends
// on, the sets of one user or location, atomic writes that each carry their audit entry, and the audit
// trail. Two implementations, like the feature stores: Redis (redis-admin-store.ts, a Lua script per
// kind of write) and the embedded data file (embedded-admin-store.ts, one rename per write).
// The key layout is the public contract of README "API"; targets in the audit name those keys.

import { ACTIVE_KEY, GLOBAL_KEY, LOCATION_PREFIX, ROLLOUT_KEY, USER_PREFIX } from '../redis/redis-store.js'

/** The schedule hash prefix: schedule:<feature>. */
export const SCHEDULE_PREFIX = 'schedule:'
/** The capped audit stream of the features Redis. */
export const AUDIT_KEY = 'audit'

/** A feature set the admin API writes. */
export type SetRef =
  | { readonly kind: 'global' }
  | { readonly kind: 'active' }
  | { readonly kind: 'user', readonly id: string }
  | { readonly kind: 'location', readonly name: string }

/** A schedule's fields as the hash holds them (src/core/schedule.ts). */
export type ScheduleFields = Readonly<Record<string, string>>

/** One write: a set membership, a rollout percent, or a schedule; null removes the value. */
export type Change =
  | { readonly kind: 'member', readonly set: SetRef, readonly feature: string, readonly present: boolean }
  | { readonly kind: 'rollout', readonly feature: string, readonly percent: string | null }
  | { readonly kind: 'schedule', readonly feature: string, readonly fields: ScheduleFields | null }

/** A value before or after a write: membership, percent text, schedule fields, or absent (null). */
export type AuditValue = boolean | string | ScheduleFields | null

/** What a write did. A write that changes nothing is not audited (README "Backoffice"). */
export interface WriteResult {
  readonly changed: boolean
  readonly before: AuditValue
  readonly after: AuditValue
}

/** One entry of the audit trail. */
export interface AuditEntry {
  /** Stream entry id `<ms>-<seq>`: orders entries, and pages the trail. */
  readonly id: string
  /** The store's clock at the write (epoch ms). */
  readonly time: number
  readonly actor: string
  /** e.g. `global.add`, `user.remove`, `schedule.set`, `rollout.delete` */
  readonly action: string
  /** The key written, and the feature when the key holds many: `features:user:42 feature_3`, `schedule:feature_5`. */
  readonly target: string
  readonly before: AuditValue
  readonly after: AuditValue
}

/** A page of the trail, newest first; `next` is the `before` of the following page (null: no more). */
export interface AuditPage {
  readonly entries: readonly AuditEntry[]
  readonly next: string | null
}

/** Everything a feature's state depends on, read at one instant. */
export interface Snapshot {
  /** The store's clock (epoch ms): Redis TIME, read with the data. */
  readonly now: number
  readonly global: ReadonlySet<string>
  readonly active: ReadonlySet<string>
  /** Non-empty location sets by name. */
  readonly locations: ReadonlyMap<string, readonly string[]>
  /** schedule:<feature> hashes by feature. */
  readonly schedules: ReadonlyMap<string, ScheduleFields>
  /** The rollout hash: feature -> percent text, as stored. */
  readonly rollout: ReadonlyMap<string, string>
  /** The asked user's set (snapshot(userId)); undefined when no user was asked for. */
  readonly user: readonly string[] | undefined
}

/** The admin API's view of a store. Methods reject with HttpError (503 or 500) on store failure. */
export interface AdminStore {
  /** Read every key a feature's state depends on, at one instant; with a user id, that user's set too. */
  snapshot (userId?: string): Promise<Snapshot>
  /** The members of a user's or a location's set, sorted (empty when the set does not exist). */
  members (set: SetRef & { kind: 'user' | 'location' }): Promise<readonly string[]>
  /** The user id of a user token (users Redis `token:<token>`), or null. */
  userIdForToken (token: string): Promise<string | null>
  /** Apply a change and append its audit entry, atomically: both or neither. */
  write (change: Change, actor: string): Promise<WriteResult>
  /** Up to `limit` entries older than `before` (an entry id), newest first. */
  audit (limit: number, before?: string): Promise<AuditPage>
  close (): Promise<void>
}

/** The key a set lives under. */
export function setKey (set: SetRef): string {
  switch (set.kind) {
    case 'global': return GLOBAL_KEY
    case 'active': return ACTIVE_KEY
    case 'user': return USER_PREFIX + set.id
    case 'location': return LOCATION_PREFIX + set.name
  }
}

/** The audit action and target of a change; both stores record the same. */
export function describe (change: Change): { readonly action: string, readonly target: string } {
  switch (change.kind) {
    case 'member':
      return { action: `${change.set.kind}.${change.present ? 'add' : 'remove'}`, target: `${setKey(change.set)} ${change.feature}` }
    case 'rollout':
      return { action: change.percent === null ? 'rollout.delete' : 'rollout.set', target: `${ROLLOUT_KEY} ${change.feature}` }
    case 'schedule':
      return { action: change.fields === null ? 'schedule.delete' : 'schedule.set', target: SCHEDULE_PREFIX + change.feature }
  }
}

/** The value a change leaves. */
export function afterOf (change: Change): AuditValue {
  switch (change.kind) {
    case 'member': return change.present
    case 'rollout': return change.percent
    case 'schedule': return change.fields === null ? null : sortedFields(change.fields)
  }
}

/** Schedule fields with their keys sorted: the one JSON form both stores write to the audit. */
export function sortedFields (fields: ScheduleFields): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key of Object.keys(fields).sort()) out[key] = fields[key] as string
  return out
}

/** Compare entry ids `<ms>-<seq>` numerically: negative when a is older. */
export function compareIds (a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number)
  const [bm = 0, bs = 0] = b.split('-').map(Number)
  return am === bm ? as - bs : am - bm
}
