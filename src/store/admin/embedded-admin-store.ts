// The admin API on the embedded development store: writes go to the data file itself, so that the
// README's first command (no Redis) lets a newcomer toggle a feature and see /features change.
//   - A write reads the file, changes it, writes a temporary file next to it, checks that file with the
//     very loader the workers use, then renames it over the original: a reader sees the old file or
//     the new one, never half of one, and never one the workers would refuse.
//   - The audit trail lives in the same file ("audit", oldest first, capped): the change and its entry
//     are one rename, so they are atomic together, which a sidecar log could not be.
//   - Every worker's EmbeddedStore polls the file (DEFAULTS.reloadPollMs) and picks the change up.
//   - Writers in different workers take the file's lock (file-lock.ts) around the read-modify-rename.
// Reads parse the file afresh: an admin read sees the last write at once, whichever worker made it.

import { randomBytes } from 'node:crypto'
import { open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { DEFAULTS } from '../../config/defaults.js'
import { isObject } from '../../core/values.js'
import { HttpError } from '../../errors.js'
import { readDataFile, type EmbeddedData } from '../embedded/data-file.js'
import {
  afterOf, compareIds, describe, sortedFields,
  type AdminStore, type AuditEntry, type AuditPage, type AuditValue, type Change, type ScheduleFields, type SetRef, type Snapshot, type WriteResult,
} from './admin-store.js'
import { withFileLock, type LockTiming } from './file-lock.js'

type Raw = Record<string, unknown>

/** The admin view of an embedded data file. */
export class EmbeddedAdminStore implements AdminStore {
  readonly #file: string
  readonly #lock: LockTiming | undefined

  /** @param lock the lock's timing (tests); DEFAULTS otherwise */
  constructor (file: string, lock?: LockTiming) {
    this.#file = file
    this.#lock = lock
  }

  async snapshot (userId?: string): Promise<Snapshot> {
    const { data } = this.#read()
    const locations = new Map<string, readonly string[]>()
    for (const [name, features] of data.locations) if (features.length > 0) locations.set(name, features.slice().sort())
    return {
      now: Date.now(),
      global: new Set(data.global),
      active: data.active,
      locations: new Map([...locations].sort(([a], [b]) => a < b ? -1 : 1)),
      schedules: new Map(Array.from(data.schedules, ([feature, pairs]) => [feature, fieldsOf(pairs)])),
      rollout: data.rollouts,
      user: userId === undefined ? undefined : (data.userFeatures.get(userId) ?? []).slice().sort(),
    }
  }

  async members (set: SetRef & { kind: 'user' | 'location' }): Promise<readonly string[]> {
    const { data } = this.#read()
    const map = set.kind === 'user' ? data.userFeatures : data.locations
    return (map.get(set.kind === 'user' ? set.id : set.name) ?? []).slice().sort()
  }

  async userIdForToken (token: string): Promise<string | null> {
    return this.#read().data.tokens.get(token) ?? null
  }

  async write (change: Change, actor: string): Promise<WriteResult> {
    return await withFileLock(this.#file, async () => {
      const { data, raw } = this.#read()
      const before = valueOf(data, change)
      const after = afterOf(change)
      if (JSON.stringify(before) === JSON.stringify(after)) return { changed: false, before, after: before }
      apply(raw, change)
      const { action, target } = describe(change)
      const audit = (raw.audit ?? []) as AuditEntry[]
      audit.push({ id: nextId(audit), time: Date.now(), actor, action, target, before, after })
      raw.audit = audit.slice(-DEFAULTS.embeddedAuditEntries)
      await this.#replace(raw)
      return { changed: true, before, after }
    }, this.#lock)
  }

  async audit (limit: number, before?: string): Promise<AuditPage> {
    const all = ((this.#read().raw.audit ?? []) as AuditEntry[]).slice().reverse()
    const older = before === undefined ? all : all.filter((entry) => compareIds(entry.id, before) < 0)
    const entries = older.slice(0, limit)
    return { entries, next: older.length > limit ? (entries[limit - 1] as AuditEntry).id : null }
  }

  async close (): Promise<void> {}

  /** The file as the workers load it; a broken file is the operator's to fix, and refuses admin calls. */
  #read (): { data: EmbeddedData, raw: Raw } {
    try {
      return readDataFile(this.#file)
    } catch (err) {
      throw new HttpError('TF_ERR_ADMIN_DATA_FILE', { cause: err })
    }
  }

  /** Write the new contents beside the file, check them with the workers' loader, then rename over it. */
  async #replace (raw: Raw): Promise<void> {
    const tmp = join(dirname(this.#file), `.${basename(this.#file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
    try {
      const handle = await open(tmp, 'w')
      try {
        await handle.writeFile(JSON.stringify(raw, null, 2) + '\n')
        // On disk before the rename: a crash after it must not leave an empty file in its place.
        await handle.sync()
      } finally {
        await handle.close()
      }
      readDataFile(tmp)
      await rename(tmp, this.#file)
    } catch (err) {
      await unlink(tmp).catch(() => {})
      throw err
    }
  }
}

/** The value a change would replace, read from the file. */
function valueOf (data: EmbeddedData, change: Change): AuditValue {
  switch (change.kind) {
    case 'member': return members(data, change.set).includes(change.feature)
    case 'rollout': return data.rollouts.get(change.feature) ?? null
    case 'schedule': {
      const pairs = data.schedules.get(change.feature)
      return pairs === undefined ? null : sortedFields(fieldsOf(pairs))
    }
  }
}

/** A schedule's fields from the loader's field, value, ... pairs (numbers in the file read as text). */
function fieldsOf (pairs: readonly string[]): ScheduleFields {
  const fields: Record<string, string> = {}
  for (let i = 0; i + 1 < pairs.length; i += 2) Object.defineProperty(fields, pairs[i] as string, { value: pairs[i + 1], enumerable: true })
  return fields
}

function members (data: EmbeddedData, set: SetRef): readonly string[] {
  switch (set.kind) {
    case 'global': return data.global
    case 'active': return Array.from(data.active)
    case 'user': return data.userFeatures.get(set.id) ?? []
    case 'location': return data.locations.get(set.name) ?? []
  }
}

/** Change the parsed file in place, as the Redis commands would change the keys. */
function apply (raw: Raw, change: Change): void {
  switch (change.kind) {
    case 'member': {
      const [key, holder] = listOf(raw, change.set)
      const list = ((holder === undefined ? raw[key] : own(holder, key)) ?? []) as string[]
      const next = change.present ? [...list, change.feature] : list.filter((f) => f !== change.feature)
      // Redis deletes an empty set; the file drops an empty user or location list likewise.
      if (holder === undefined) raw[key] = next
      else if (next.length > 0) put(holder, key, next)
      else delete holder[key]
      return
    }
    case 'rollout':
      return setOrDelete(objectAt(raw, 'rollouts', true), change.feature, change.percent)
    case 'schedule':
      return setOrDelete(objectAt(raw, 'schedules', true), change.feature, change.fields === null ? null : sortedFields(change.fields))
  }
}

/** Where a set's list lives: a top-level key, or a key of the user_features or locations object. */
function listOf (raw: Raw, set: SetRef): [string, Raw | undefined] {
  switch (set.kind) {
    case 'global': return ['global_features', undefined]
    case 'active': return ['active_features', undefined]
    case 'user': return [set.id, objectAt(raw, 'user_features', true)]
    case 'location': return [set.name, objectAt(raw, 'locations', true)]
  }
}

function setOrDelete (holder: Raw, key: string, value: unknown): void {
  if (value === null) delete holder[key]
  else put(holder, key, value)
}

/** The object under a top-level key (validated by the loader); created when `create` and absent. */
function objectAt (raw: Raw, key: string, create = false): Raw {
  const value = raw[key]
  if (isObject(value)) return value
  const made: Raw = {}
  if (create) raw[key] = made
  return made
}

// User ids and location names are data: `__proto__` must be an ordinary key, never the prototype.
function own (holder: Raw, key: string): unknown {
  return Object.hasOwn(holder, key) ? holder[key] : undefined
}

function put (holder: Raw, key: string, value: unknown): void {
  Object.defineProperty(holder, key, { value, enumerable: true, writable: true, configurable: true })
}

/** The id of the next entry, `<ms>-<seq>` like a stream's, later than the last one even if the clock went back. */
function nextId (audit: readonly AuditEntry[]): string {
  const now = Date.now()
  const last = audit[audit.length - 1]
  if (last === undefined) return `${now}-0`
  const [ms = 0, seq = 0] = last.id.split('-').map(Number)
  return now > ms ? `${now}-0` : `${ms}-${seq + 1}`
}
