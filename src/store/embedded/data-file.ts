// The embedded store's data file: read, validated and turned into the Redis data model. Apart from the
// store so that the primary can validate the file before forking without loading any store code.
//
// File format (mirrors the Redis keys):
//   { "global_features": [..], "active_features": [..],
//     "tokens": { "<token>": "<user_id>" }, "user_features": { "<user_id>": [..] },
//     "locations": { "<name>": [..] }, "rollouts": { "<feature>": "<percent>" },
//     "schedules": { "<feature>": { "start": "..", "days": "..", ... } } }
// locations, rollouts and schedules mirror the location:<name> sets, the rollout hash and the
// schedule:<feature> hashes: values are text (or JSON numbers) with the hashes' semantics, so a
// malformed percent selects nobody and a malformed schedule turns its feature off, as on Redis. Only
// the shape is checked here; the content is the rule's to judge, the same way for both stores.
// Written by the admin API too (src/store/admin/embedded-admin-store.ts), which also keeps
//   "audit": [ {entry}, ... ]  (the audit trail, oldest first, capped), here only checked for its shape.

import { readFileSync } from 'node:fs'
import { isObject } from '../../core/values.js'
import { DataFileError } from '../../errors.js'

/**
 * The parsed contents of a data file. Feature lists are deduplicated, as Redis sets are, so their
 * lengths are the cardinalities the size limits are checked on.
 */
export interface EmbeddedData {
  readonly global: readonly string[]
  readonly active: ReadonlySet<string>
  readonly tokens: ReadonlyMap<string, string>
  readonly userFeatures: ReadonlyMap<string, readonly string[]>
  /** location:<name> sets, by name as written (the request's location is upper-case). */
  readonly locations: ReadonlyMap<string, readonly string[]>
  /** The rollout hash: feature -> percent as text, unparsed (the store parses the active ones once). */
  readonly rollouts: ReadonlyMap<string, string>
  /** The schedule:<feature> hashes: feature -> field, value, field, value, ... as text, unparsed. */
  readonly schedules: ReadonlyMap<string, readonly string[]>
}

const KEYS = ['global_features', 'active_features', 'tokens', 'user_features', 'locations', 'rollouts', 'schedules', 'audit']


/**
 * Read and validate a data file.
 * @throws DataFileError naming the file and the problem
 */
export function loadDataFile (file: string): EmbeddedData {
  return readDataFile(file).data
}

/**
 * Read and validate a data file, and keep the parsed JSON too: the admin store rewrites it.
 * @throws DataFileError naming the file and the problem
 */
export function readDataFile (file: string): { readonly data: EmbeddedData, readonly raw: Record<string, unknown> } {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new DataFileError(file, `cannot read: ${(err as Error).message}`, { cause: err })
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new DataFileError(file, `not valid JSON: ${(err as Error).message}`, { cause: err })
  }
  if (!isObject(raw)) throw new DataFileError(file, 'expected a JSON object at the top level')
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key)) {
      throw new DataFileError(file, `unknown key "${key}" (expected ${KEYS.join(', ')})`)
    }
  }
  const global = stringArray(file, raw.global_features ?? [], 'global_features')
  const active = stringArray(file, raw.active_features ?? [], 'active_features')
  const tokens = new Map<string, string>()
  for (const [token, userId] of objectEntries(file, raw.tokens ?? {}, 'tokens')) {
    if (typeof userId !== 'string' || userId === '') {
      throw new DataFileError(file, `tokens["${token}"]: expected a non-empty user id string`)
    }
    tokens.set(token, userId)
  }
  const userFeatures = new Map<string, readonly string[]>()
  for (const [userId, features] of objectEntries(file, raw.user_features ?? {}, 'user_features')) {
    userFeatures.set(userId, unique(stringArray(file, features, `user_features["${userId}"]`)))
  }
  const locations = new Map<string, readonly string[]>()
  for (const [name, features] of objectEntries(file, raw.locations ?? {}, 'locations')) {
    locations.set(name, unique(stringArray(file, features, `locations["${name}"]`)))
  }
  const rollouts = new Map<string, string>()
  for (const [feature, percent] of objectEntries(file, raw.rollouts ?? {}, 'rollouts')) {
    if (typeof percent !== 'string' && typeof percent !== 'number') {
      throw new DataFileError(file, `rollouts["${feature}"]: expected a percent, as text or a number`)
    }
    rollouts.set(feature, String(percent))
  }
  const schedules = new Map<string, readonly string[]>()
  for (const [feature, fields] of objectEntries(file, raw.schedules ?? {}, 'schedules')) {
    const pairs: string[] = []
    for (const [field, value] of objectEntries(file, fields, `schedules["${feature}"]`)) {
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new DataFileError(file, `schedules["${feature}"].${field}: expected text or a number`)
      }
      pairs.push(field, String(value))
    }
    // Redis cannot hold an empty hash: an empty object is no schedule, as HDEL of the last field leaves none.
    if (pairs.length > 0) schedules.set(feature, pairs)
  }
  const audit = raw.audit ?? []
  if (!Array.isArray(audit) || !audit.every((entry) => isObject(entry) && typeof entry.id === 'string')) {
    throw new DataFileError(file, 'audit: expected an array of entries, each with an "id"')
  }
  return { data: { global: unique(global), active: new Set(active), tokens, userFeatures, locations, rollouts, schedules }, raw }
}

function unique (list: string[]): string[] {
  return Array.from(new Set(list))
}

function stringArray (file: string, value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new DataFileError(file, `${what}: expected an array of non-empty strings`)
  }
  return value as string[]
}

function objectEntries (file: string, value: unknown, what: string): [string, unknown][] {
  if (!isObject(value)) throw new DataFileError(file, `${what}: expected an object`)
  return Object.entries(value)
}
