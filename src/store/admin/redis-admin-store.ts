// The admin API on Redis. Its own connections (created only when ADMIN_PORT is set), so that a slow
// admin read never sits in front of the public path's replies on a shared socket. Each write is one
// Lua script that changes the data and appends the audit entry together (scripts/admin-*.lua).
// Listing every feature needs the location:* and schedule:* keys: found with SCAN, an admin-only
// cost of one pass over the keyspace, never paid on the public path.

import { readFileSync } from 'node:fs'
import type { Redis, Result } from 'ioredis'
import type { Logger } from 'pino'
import type { Config } from '../../config/config.js'
import type { RedisTarget } from '../../config/redis-target.js'
import { connectTarget } from '../redis/topology.js'
import { DEFAULTS } from '../../config/defaults.js'
import { classify } from '../redis/classify.js'
import { ACTIVE_KEY, clientOptions, GLOBAL_KEY, LOCATION_PREFIX, ROLLOUT_KEY, TOKEN_PREFIX, USER_PREFIX } from '../redis/redis-store.js'
import {
  afterOf, AUDIT_KEY, describe, SCHEDULE_PREFIX, setKey, sortedFields,
  type AdminStore, type AuditEntry, type AuditPage, type AuditValue, type Change, type ScheduleFields, type SetRef, type Snapshot, type WriteResult,
} from './admin-store.js'

/** A write script's reply: changed (1 or 0), and the value before as JSON. */
type WriteReply = [number, string]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** scripts/admin-member.lua: add or remove a set member, with its audit entry. */
    tideflagsAdminMember (set: string, audit: string, present: '1' | '0', feature: string, maxlen: string, actor: string, action: string, target: string): Result<WriteReply, Context>
    /** scripts/admin-rollout.lua: set or remove a rollout field, with its audit entry. */
    tideflagsAdminRollout (rollout: string, audit: string, feature: string, percent: string, maxlen: string, actor: string, action: string, target: string): Result<WriteReply, Context>
    /** scripts/admin-schedule.lua: replace or remove a schedule hash, with its audit entry. */
    tideflagsAdminSchedule (schedule: string, audit: string, ...args: string[]): Result<WriteReply, Context>
  }
}

const script = (name: string): string => readFileSync(new URL(`../redis/scripts/${name}`, import.meta.url), 'utf8')
const AUDIT_LUA = script('admin-audit.lua')
const MAXLEN = String(DEFAULTS.auditMaxEntries)

/** The admin view of the users and features Redis. */
export class RedisAdminStore implements AdminStore {
  readonly #features: Redis
  readonly #users: Redis

  constructor (config: Config & { store: { kind: 'redis' } }, log: Logger) {
    // Always the primary (writes), whatever REDIS_READ_FROM says; config.ts refuses a Cluster here.
    const connect = (target: RedisTarget, name: string): Redis => {
      const client = connectTarget(target, clientOptions(config, name)) as Redis
      // The feature store logs connection trouble; the admin connections only keep it from being unhandled.
      client.on('error', (err: Error) => { log.debug({ err, redis: name }, 'admin redis connection error') })
      return client
    }
    this.#features = connect(config.store.features, 'admin-features')
    this.#features.defineCommand('tideflagsAdminMember', { numberOfKeys: 2, lua: AUDIT_LUA + script('admin-member.lua') })
    this.#features.defineCommand('tideflagsAdminRollout', { numberOfKeys: 2, lua: AUDIT_LUA + script('admin-rollout.lua') })
    this.#features.defineCommand('tideflagsAdminSchedule', { numberOfKeys: 2, lua: AUDIT_LUA + script('admin-schedule.lua') })
    this.#users = config.store.users.identity === config.store.features.identity ? this.#features : connect(config.store.users, 'admin-users')
  }

  async snapshot (userId?: string): Promise<Snapshot> {
    try {
      const [locationKeys, scheduleKeys] = await Promise.all([this.#scan(LOCATION_PREFIX, 'set'), this.#scan(SCHEDULE_PREFIX, 'hash')])
      // One transaction: the sets, hashes and clock are read at one instant. A key found by SCAN but
      // deleted since reads as empty and is left out below.
      const multi = this.#features.multi().time().smembers(GLOBAL_KEY).smembers(ACTIVE_KEY).hgetall(ROLLOUT_KEY)
      for (const key of locationKeys) multi.smembers(key)
      for (const key of scheduleKeys) multi.hgetall(key)
      if (userId !== undefined) multi.smembers(USER_PREFIX + userId)
      const replies = await multi.exec() as [Error | null, unknown][]
      const values = replies.map(([err, value]) => {
        if (err !== null) throw err
        return value
      })
      const [time, global, active, rollout] = values as [[string, string], string[], string[], Record<string, string>]
      const locations = new Map<string, readonly string[]>()
      locationKeys.forEach((key, i) => {
        const members = values[4 + i] as string[]
        if (members.length > 0) locations.set(key.slice(LOCATION_PREFIX.length), members.sort())
      })
      const schedules = new Map<string, ScheduleFields>()
      scheduleKeys.forEach((key, i) => {
        const fields = values[4 + locationKeys.length + i] as Record<string, string>
        if (Object.keys(fields).length > 0) schedules.set(key.slice(SCHEDULE_PREFIX.length), fields)
      })
      return {
        now: Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000),
        global: new Set(global),
        active: new Set(active),
        locations,
        schedules,
        rollout: new Map(Object.entries(rollout)),
        user: userId === undefined ? undefined : (values[values.length - 1] as string[]).sort(),
      }
    } catch (err) {
      throw classify(err)
    }
  }

  /** Every key under a prefix holding the given type; SCAN's TYPE filter skips other apps' keys. */
  async #scan (prefix: string, type: 'set' | 'hash'): Promise<string[]> {
    const keys: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await this.#features.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', DEFAULTS.scanCount, 'TYPE', type)
      keys.push(...batch)
      cursor = next
    } while (cursor !== '0')
    // SCAN may return a key more than once.
    return Array.from(new Set(keys)).sort()
  }

  async members (set: SetRef & { kind: 'user' | 'location' }): Promise<readonly string[]> {
    try {
      return (await this.#features.smembers(setKey(set))).sort()
    } catch (err) {
      throw classify(err)
    }
  }

  async userIdForToken (token: string): Promise<string | null> {
    try {
      return await this.#users.get(TOKEN_PREFIX + token)
    } catch (err) {
      throw classify(err)
    }
  }

  async write (change: Change, actor: string): Promise<WriteResult> {
    const { action, target } = describe(change)
    let reply: WriteReply
    try {
      switch (change.kind) {
        case 'member':
          reply = await this.#features.tideflagsAdminMember(setKey(change.set), AUDIT_KEY, change.present ? '1' : '0', change.feature, MAXLEN, actor, action, target)
          break
        case 'rollout':
          reply = await this.#features.tideflagsAdminRollout(ROLLOUT_KEY, AUDIT_KEY, change.feature, change.percent ?? '', MAXLEN, actor, action, target)
          break
        case 'schedule': {
          const fields = change.fields === null ? null : sortedFields(change.fields)
          const pairs = fields === null ? [] : Object.entries(fields).flat()
          reply = await this.#features.tideflagsAdminSchedule(SCHEDULE_PREFIX + change.feature, AUDIT_KEY,
            MAXLEN, actor, action, target, JSON.stringify(fields), ...pairs)
          break
        }
      }
    } catch (err) {
      throw classify(err)
    }
    const [changed, beforeJson] = reply
    const before = JSON.parse(beforeJson) as AuditValue
    return { changed: changed === 1, before, after: changed === 1 ? afterOf(change) : before }
  }

  async audit (limit: number, before?: string): Promise<AuditPage> {
    let raw: [string, string[]][]
    try {
      // `(id` excludes the id itself (Redis 6.2): the page starts just below the previous one.
      raw = await this.#features.xrevrange(AUDIT_KEY, before === undefined ? '+' : `(${before}`, '-', 'COUNT', limit)
    } catch (err) {
      throw classify(err)
    }
    const entries = raw.map(([id, flat]) => entryOf(id, flat))
    return { entries, next: entries.length === limit ? (entries[limit - 1] as AuditEntry).id : null }
  }

  async close (): Promise<void> {
    const clients = this.#users === this.#features ? [this.#features] : [this.#users, this.#features]
    await Promise.all(clients.map(async (client) => {
      try {
        await client.quit()
      } catch {}
      client.disconnect() // closes a Sentinel client's failover-detector connections too
    }))
  }
}

function entryOf (id: string, flat: readonly string[]): AuditEntry {
  const fields = new Map<string, string>()
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string)
  const text = (name: string): string => fields.get(name) ?? ''
  return {
    id,
    time: Number(text('time')),
    actor: text('actor'),
    action: text('action'),
    target: text('target'),
    before: json(text('before')),
    after: json(text('after')),
  }
}

// Entries are written by the scripts as JSON; one added by hand that is not stays readable as text.
function json (text: string): AuditValue {
  try {
    return JSON.parse(text) as AuditValue
  } catch {
    return text
  }
}
