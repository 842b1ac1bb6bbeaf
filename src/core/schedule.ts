// Schedules: when a feature may be on. Pure (no I/O, no env, no logging); the stores read the hash
// `schedule:<feature>`, parse it once per distinct content with parseSchedule and ask isOpen per request.
// The same parser will validate admin writes, so it reports one message per bad field.
//
// Fields (all optional; field names are case-sensitive):
//   start, end   an instant: ISO-8601 extended format with an explicit offset
//                (`2026-12-24T18:00+01:00`, `2026-12-24T17:00:00.000Z`), or epoch milliseconds (digits).
//                start is inclusive, end exclusive; end must be later than start.
//   days         comma-separated mon,tue,wed,thu,fri,sat,sun; case-insensitive, blanks around names allowed
//   from, to     local wall-clock HH:MM (00:00-23:59); `to` may also be 24:00 (end of the day)
//   tz           IANA zone of the weekly window (default UTC)
// Open = inside [start, end) AND inside the weekly window, for each part that is given.
//
// Decisions (documented in docs/targeting.md, Schedules):
// - A window with from > to crosses midnight and belongs to the day it starts:
//   days=fri from=22:00 to=02:00 is open Fri 22:00 -> Sat 02:00.
// - from == to is malformed (it could mean an empty window or a whole day; 00:00-24:00 says the latter).
// - days alone = those whole days; from/to without days = every day; from without to (or the reverse)
//   is malformed; tz without a weekly window is malformed (it would be silently meaningless).
// - Unknown fields are malformed, so that a typo (`strat`) turns the feature off instead of silently
//   dropping the constraint: a malformed schedule fails closed.
// - Wall-clock times follow the zone's rules: across a spring-forward gap a window opens at the first
//   local minute that exists at or after `from`; in a repeated fall-back hour it is open both times.

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const
const ALL_DAYS = 0b111_1111
const KNOWN_FIELDS = new Set(['start', 'end', 'days', 'from', 'to', 'tz'])
const MINUTE_MS = 60_000
const DAY_MS = 86_400_000
const WHOLE_DAY = 1440 // minutes

// Strict shapes, checked before any arithmetic: Date.parse accepts far too much (no offset, `2026-2-3`,
// RFC 2822, ...), and an ISO string without an offset is ambiguous.
const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(?:Z|([+-])(\d{2}):(\d{2}))$/
const EPOCH_MS = /^\d{1,15}$/
const HHMM = /^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$/
// Offset-style zones (`+01:00`) are accepted by newer Intl versions only; reject them so that what parses
// does not depend on the Node version.
const IANA_LIKE = /^[A-Za-z]/

/** A zone's formatter, built once per canonical zone, and the offset it gave for the last UTC minute. */
export interface Zone {
  readonly name: string
  readonly format: Intl.DateTimeFormat
  /** UTC minute (epoch ms / 60 000, floored) for which `offset` was computed; NaN before the first call */
  minute: number
  /** local time minus UTC, in ms */
  offset: number
}

/** A weekly window in local wall-clock minutes of the day, [from, to), crossing midnight when from > to. */
export interface WeeklyWindow {
  /** bit d set = open on weekday d (0 = Sunday ... 6 = Saturday), for the day the window starts */
  readonly days: number
  /** minutes after local midnight, 0..1439 */
  readonly from: number
  /** minutes after local midnight, 0..1440, exclusive */
  readonly to: number
  /** canonical IANA name of the zone, e.g. `Europe/Madrid` */
  readonly tz: string
  readonly zone: Zone
}

/** A parsed schedule. Build it with {@link parseSchedule}; query it with {@link isOpen}. */
export interface Schedule {
  /** inclusive, epoch ms; -Infinity when no `start` */
  readonly start: number
  /** exclusive, epoch ms; +Infinity when no `end` */
  readonly end: number
  /** undefined when none of days/from/to is given */
  readonly window: WeeklyWindow | undefined
}

/** The outcome of {@link parseSchedule}: the schedule, or one message per malformed field. */
export type ParsedSchedule =
  | { readonly ok: true, readonly schedule: Schedule }
  | { readonly ok: false, readonly errors: Record<string, string> }

const zones = new Map<string, Zone>()

/**
 * Parse the fields of a `schedule:<feature>` hash. An empty hash is a schedule that is always open
 * (Redis cannot store one, so a caller only sees it when it builds one).
 * @param fields the hash as HGETALL returns it
 * @returns the schedule, or `errors`: field name -> message, for every malformed or unknown field
 */
export function parseSchedule (fields: Readonly<Record<string, string>>): ParsedSchedule {
  const errors: Record<string, string> = {}
  for (const field of Object.keys(fields)) {
    // defineProperty, not assignment: `errors['__proto__'] = ...` would set no key, and a hash (or an
    // admin request's JSON) with a `__proto__` field would then pass as valid.
    if (!KNOWN_FIELDS.has(field)) {
      Object.defineProperty(errors, field, { value: UNKNOWN_FIELD, enumerable: true, writable: true, configurable: true })
    }
  }

  const start = fields.start === undefined ? -Infinity : parseInstant(fields.start)
  if (Number.isNaN(start)) errors.start = INSTANT_EXPECTED
  const end = fields.end === undefined ? Infinity : parseInstant(fields.end)
  if (Number.isNaN(end)) errors.end = INSTANT_EXPECTED
  else if (end <= start) errors.end = 'end must be later than start'

  const window = parseWindow(fields, errors)
  if (Object.keys(errors).length > 0) return { ok: false, errors }
  return { ok: true, schedule: { start, end, window } }
}

/**
 * Whether a schedule is open at an instant: inside [start, end) and inside the weekly window.
 * Cheap on the hot path: no formatter is built, and the zone offset is computed at most once per
 * UTC minute per zone (every transition in the time zone database since 1972 falls on a whole UTC minute).
 * @param schedule from {@link parseSchedule}
 * @param nowMs the instant, epoch ms
 */
export function isOpen (schedule: Schedule, nowMs: number): boolean {
  if (nowMs < schedule.start || nowMs >= schedule.end) return false
  const window = schedule.window
  if (window === undefined) return true

  const zone = window.zone
  const minute = Math.floor(nowMs / MINUTE_MS)
  if (minute !== zone.minute) {
    zone.offset = offsetAt(zone.format, nowMs)
    zone.minute = minute
  }
  const local = nowMs + zone.offset
  const localDay = Math.floor(local / DAY_MS)
  const minuteOfDay = Math.floor((local - localDay * DAY_MS) / MINUTE_MS)
  // 1970-01-01 was a Thursday (4); the double modulo keeps days before 1970 non-negative.
  const weekday = (((localDay + 4) % 7) + 7) % 7
  const { days, from, to } = window
  if (from < to) return minuteOfDay >= from && minuteOfDay < to && (days & (1 << weekday)) !== 0
  // Crossing midnight: the evening part belongs to today, the morning part to yesterday's window.
  if (minuteOfDay >= from) return (days & (1 << weekday)) !== 0
  return minuteOfDay < to && (days & (1 << ((weekday + 6) % 7))) !== 0
}

const UNKNOWN_FIELD = 'unknown field; expected start, end, days, from, to or tz'
const INSTANT_EXPECTED =
  'expected ISO-8601 with an offset (2026-12-24T18:00:00+01:00 or ...Z) or epoch milliseconds'

/** Epoch ms of an ISO-8601-with-offset or epoch-ms string; NaN when malformed. */
function parseInstant (raw: string): number {
  if (EPOCH_MS.test(raw)) return Number(raw)
  const m = ISO.exec(raw)
  if (m === null) return NaN
  const [, y, mo, d, h, mi, s = '0', frac = '', sign, oh = '0', om = '0'] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const minute = Number(mi)
  const second = Number(s)
  const offsetHours = Number(oh)
  const offsetMinutes = Number(om)
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return NaN
  const ms = Number(frac.padEnd(3, '0'))
  const offset = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * MINUTE_MS
  return daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000 + ms - offset
}

/** Parse days/from/to/tz into a weekly window, adding a message to `errors` for each bad field. */
function parseWindow (fields: Readonly<Record<string, string>>, errors: Record<string, string>): WeeklyWindow | undefined {
  const { days: rawDays, from: rawFrom, to: rawTo, tz: rawTz } = fields
  if (rawDays === undefined && rawFrom === undefined && rawTo === undefined) {
    if (rawTz !== undefined) errors.tz = 'tz applies only to a weekly window: give days, or from and to'
    return undefined
  }

  let days = ALL_DAYS
  if (rawDays !== undefined) {
    days = parseDays(rawDays)
    if (days === 0) errors.days = 'expected a comma-separated list of mon, tue, wed, thu, fri, sat, sun'
  }

  let from = 0
  let to = WHOLE_DAY
  if (rawFrom !== undefined || rawTo !== undefined) {
    from = rawFrom === undefined ? NaN : parseHhmm(rawFrom)
    to = rawTo === undefined ? NaN : parseHhmm(rawTo)
    if (rawFrom === undefined) errors.from = 'from is required when to is given'
    else if (Number.isNaN(from) || from === WHOLE_DAY) errors.from = 'expected HH:MM between 00:00 and 23:59'
    if (rawTo === undefined) errors.to = 'to is required when from is given'
    else if (Number.isNaN(to)) errors.to = 'expected HH:MM between 00:00 and 23:59, or 24:00'
    else if (from === to) errors.to = 'to must differ from from (for a whole day, use 00:00 and 24:00)'
  }

  const zone = zoneOf(rawTz ?? 'UTC')
  if (zone === undefined) errors.tz = 'expected an IANA time zone name, e.g. Europe/Madrid'
  if (Object.keys(errors).length > 0 || zone === undefined) return undefined
  return { days, from, to, tz: zone.name, zone }
}

/** Bitmask of the listed weekdays; 0 when the list is malformed. */
function parseDays (raw: string): number {
  let mask = 0
  for (const item of raw.split(',')) {
    const index = DAY_NAMES.indexOf(item.trim().toLowerCase() as typeof DAY_NAMES[number])
    if (index < 0) return 0
    mask |= 1 << index
  }
  return mask
}

/** Minutes after midnight of `HH:MM` (24:00 gives 1440); NaN when malformed. */
function parseHhmm (raw: string): number {
  const m = HHMM.exec(raw)
  if (m === null) return NaN
  return m[3] === undefined ? Number(m[1]) * 60 + Number(m[2]) : WHOLE_DAY
}

/** The shared Zone for a tz name, building its formatter once per canonical zone; undefined if invalid. */
function zoneOf (tz: string): Zone | undefined {
  if (!IANA_LIKE.test(tz)) return undefined
  // A canonical name (the usual case) skips building a formatter: that costs far more than a parse.
  const known = zones.get(tz)
  if (known !== undefined) return known
  let format: Intl.DateTimeFormat
  try {
    // en-US with Latin digits and h23: the parts are plain ASCII numbers, hours 0-23 (never 24).
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
  } catch {
    return undefined // RangeError: not a zone this runtime knows
  }
  // Aliases and case variants (europe/madrid) share one entry, so the map is bounded by the zone database.
  const name = format.resolvedOptions().timeZone
  let zone = zones.get(name)
  if (zone === undefined) {
    zone = { name, format, minute: NaN, offset: 0 }
    zones.set(name, zone)
  }
  return zone
}

/** Local time minus UTC at an instant, in ms, read from the zone's formatter. */
function offsetAt (format: Intl.DateTimeFormat, ms: number): number {
  let year = 0
  let month = 0
  let day = 0
  let hour = 0
  let minute = 0
  let second = 0
  for (const part of format.formatToParts(ms)) {
    const value = Number(part.value)
    switch (part.type) {
      case 'year': year = value; break
      case 'month': month = value; break
      case 'day': day = value; break
      case 'hour': hour = value; break
      case 'minute': minute = value; break
      case 'second': second = value; break
    }
  }
  const local = daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000
  return local - Math.floor(ms / 1000) * 1000
}

function daysInMonth (year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil): integer arithmetic,
 * free of Date.UTC's mapping of years 0-99 to 1900-1999.
 */
function daysFromCivil (year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}
