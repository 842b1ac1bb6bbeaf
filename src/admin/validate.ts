// What the admin API accepts: names in the path, and the bodies of writes. A request is checked whole,
// so a client learns every bad field at once (422 with `errors`: field -> message), and nothing is
// written unless every field is valid. The schedule fields and the percent are checked by the very
// parsers the stores apply (src/core/schedule.ts, src/core/rollout.ts): what is accepted here is what
// the public path will read as intended.

import { parsePercent } from '../core/rollout.js'
import { parseSchedule } from '../core/schedule.js'
import { isObject } from '../core/values.js'
import { isLocationName } from '../location/location.js'
import type { ScheduleFields } from '../store/admin/admin-store.js'

/**
 * A feature name the admin API writes: letters, digits and `_ . : -`, 1 to 128 of them. Printable,
 * safe in a Redis key and a URL path segment, and far longer than any real name. Names already in the
 * data that break the rule are still listed; they can only be changed with redis-cli.
 */
export const FEATURE_NAME = /^[A-Za-z0-9_.:-]{1,128}$/
/** The longest user id accepted (characters); ids are opaque to the service and go into a key. */
export const MAX_USER_ID = 256
const CONTROL = /[\u0000-\u001f\u007f]/

/** The fields of a request that failed validation, with one message each. */
export class Invalid extends Error {
  readonly errors: Readonly<Record<string, string>>

  constructor (errors: Record<string, string>) {
    super('invalid request')
    this.name = 'Invalid'
    this.errors = errors
  }
}

/** Collects the problems of one request; `done()` throws them all at once. */
export class Checks {
  readonly #errors: Record<string, string> = {}

  /**
   * Record a problem with a field. The checks below then return an empty value, never used: done()
   * throws before the request goes on.
   */
  fail (field: string, message: string): void {
    // The first problem of a field is its message: a field that is not a string is not also "missing".
    if (Object.hasOwn(this.#errors, field)) return
    // defineProperty: a field named __proto__ (a schedule body's key) must be reported, not swallowed.
    Object.defineProperty(this.#errors, field, { value: message, enumerable: true, writable: true, configurable: true })
  }

  /** @throws Invalid when any check failed */
  done (): void {
    if (Object.keys(this.#errors).length > 0) throw new Invalid(this.#errors)
  }

  /** A feature name from a path segment (percent-encoded). */
  feature (field: string, segment: string): string {
    const name = decode(segment)
    if (name === undefined || !FEATURE_NAME.test(name)) {
      this.fail(field, 'expected 1 to 128 letters, digits, _ . : or -')
      return ''
    }
    return name
  }

  /** A user id from a path segment or a body: any text up to 256 characters without control characters. */
  user (field: string, value: unknown, encoded: boolean): string {
    const id = typeof value !== 'string' ? undefined : encoded ? decode(value) : value
    if (id === undefined || id === '' || id.length > MAX_USER_ID || CONTROL.test(id)) {
      this.fail(field, `expected a user id: 1 to ${MAX_USER_ID} characters, no control characters`)
      return ''
    }
    return id
  }

  /**
   * A location name, upper-cased as the public path upper-cases a request's location, so that `es`
   * and `ES` name the one set the service reads.
   */
  location (field: string, value: unknown, encoded: boolean): string {
    const name = typeof value !== 'string' ? undefined : encoded ? decode(value) : value
    if (name === undefined || !isLocationName(name)) {
      this.fail(field, 'expected 1 to 64 letters, digits, _ or -')
      return ''
    }
    return name.toUpperCase()
  }

  /** A rollout percent (a JSON number or text): 0 to 100 with at most two decimals, as stored. */
  percent (field: string, value: unknown): string {
    const text = typeof value === 'number' ? String(value) : value
    if (typeof text !== 'string' || parsePercent(text) === undefined) {
      this.fail(field, 'expected a percent from 0 to 100 with at most two decimals')
      return ''
    }
    return text
  }

  /** Schedule fields: an object of strings the schedule parser accepts; each bad field reported. */
  schedule (body: Record<string, unknown>): ScheduleFields {
    const fields: Record<string, string> = {}
    for (const [field, value] of Object.entries(body)) {
      if (typeof value === 'string') Object.defineProperty(fields, field, { value, enumerable: true })
      else this.fail(field, 'expected a string')
    }
    if (Object.keys(body).length === 0) this.fail('schedule', 'give at least one of start, end, days, from, to, tz')
    const parsed = parseSchedule(fields)
    if (!parsed.ok) for (const [field, message] of Object.entries(parsed.errors)) this.fail(field, message)
    return fields
  }

  /** An instant: ISO-8601 with an offset, or epoch ms, exactly as a schedule's start. */
  instant (field: string, value: unknown): number {
    // The schedule parser is the one strict instant parser: a start alone is a valid schedule.
    const parsed = typeof value === 'string' ? parseSchedule({ start: value }) : undefined
    if (parsed === undefined || !parsed.ok) {
      this.fail(field, 'expected ISO-8601 with an offset (2026-12-24T18:00:00+01:00 or ...Z) or epoch milliseconds')
      return NaN
    }
    return parsed.schedule.start
  }

  /** A body that must be a JSON object. */
  object (field: string, value: unknown): Record<string, unknown> {
    if (isObject(value)) return value
    this.fail(field, 'expected a JSON object')
    return {}
  }
}

/** A percent-decoded path segment, or undefined when the encoding is broken. */
function decode (segment: string): string | undefined {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}
