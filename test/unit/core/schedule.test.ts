import t from 'tap'
import { isOpen, parseSchedule, type Schedule } from '../../../src/core/schedule.js'

/** Parse fields that must be valid; fail the test loudly if they are not. */
function schedule (fields: Record<string, string>): Schedule {
  const parsed = parseSchedule(fields)
  if (!parsed.ok) throw new Error(`unexpected errors: ${JSON.stringify(parsed.errors)}`)
  return parsed.schedule
}

/** The errors of fields that must be malformed (an empty object if they parsed). */
function errorsOf (fields: Record<string, string>): Record<string, string> {
  const parsed = parseSchedule(fields)
  return parsed.ok ? {} : parsed.errors
}

const at = (iso: string): number => Date.parse(iso)

t.test('start is inclusive and end exclusive, in epoch milliseconds', async (t) => {
  t.plan(5)
  const s = schedule({ start: '1767225600000', end: '1767312000000' }) // 2026-01-01T00:00Z to 2026-01-02T00:00Z
  t.notOk(isOpen(s, 1767225600000 - 1), 'closed a millisecond before start')
  t.ok(isOpen(s, 1767225600000), 'open exactly at start')
  t.ok(isOpen(s, 1767312000000 - 1), 'open a millisecond before end')
  t.notOk(isOpen(s, 1767312000000), 'closed exactly at end')
  t.notOk(isOpen(s, 1767312000000 + 3_600_000), 'closed after end')
})

t.test('start is inclusive and end exclusive, in ISO-8601 with an offset', async (t) => {
  t.plan(5)
  const s = schedule({ start: '2026-12-24T18:00:00+01:00', end: '2026-12-26T00:00Z' })
  t.notOk(isOpen(s, at('2026-12-24T16:59:59.999Z')), 'closed just before 18:00 at +01:00')
  t.ok(isOpen(s, at('2026-12-24T17:00:00.000Z')), 'open exactly at 18:00+01:00 = 17:00Z')
  t.ok(isOpen(s, at('2026-12-25T23:59:59.999Z')), 'open a millisecond before end')
  t.notOk(isOpen(s, at('2026-12-26T00:00:00.000Z')), 'closed exactly at end')
  t.equal(s.start, at('2026-12-24T17:00:00Z'))
})

t.test('start alone or end alone bounds one side only', async (t) => {
  t.plan(4)
  const from = schedule({ start: '2026-06-01T00:00:00.5-04:30' })
  t.notOk(isOpen(from, at('2026-06-01T04:30:00.499Z')))
  t.ok(isOpen(from, at('2026-06-01T04:30:00.500Z')), 'fraction and negative offset both count')
  const until = schedule({ end: '0' })
  t.notOk(isOpen(until, 0), 'end is exclusive at the epoch too')
  t.ok(isOpen(until, -1))
})

t.test('valid ISO instants mean what a strict reading of ISO-8601 says they mean', async (t) => {
  const valid = [
    '2026-12-24T18:00Z', '2026-12-24T18:00:30Z', '2026-12-24T18:00:30.1Z', '2026-12-24T18:00:30.12Z',
    '2026-12-24T18:00:30.123+05:45', '2028-02-29T00:00Z', '2000-02-29T12:00-00:00', '2026-01-31T23:59:59+14:00',
    '2026-03-01T00:00-12:00', '2026-04-30T00:00Z', '2026-12-31T23:59:59.999Z', '0050-01-01T00:00Z', '9999-12-31T23:59Z',
  ]
  t.plan(valid.length)
  // Date.parse is right about these well-formed strings; our parser must agree (it differs only in
  // what it rejects). The year 0050 checks that years 0-99 are not read as 1900-1999.
  for (const iso of valid) t.equal(schedule({ start: iso }).start, Date.parse(iso), iso)
})

t.test('a weekly window keeps its local hours across a daylight-saving change (Europe/Madrid)', async (t) => {
  t.plan(10)
  const s = schedule({ days: 'mon,tue,wed,thu,fri', from: '09:00', to: '17:00', tz: 'Europe/Madrid' })
  // Friday 2026-03-27, winter time (UTC+1): 09:00-17:00 local is 08:00Z-16:00Z.
  t.notOk(isOpen(s, at('2026-03-27T07:59:59Z')), 'winter: closed at 08:59 local')
  t.ok(isOpen(s, at('2026-03-27T08:00:00Z')), 'winter: open at 09:00 local = 08:00Z')
  t.ok(isOpen(s, at('2026-03-27T15:59:59Z')), 'winter: open at 16:59 local')
  t.notOk(isOpen(s, at('2026-03-27T16:00:00Z')), 'winter: closed at 17:00 local = 16:00Z')
  // Monday 2026-03-30, summer time (UTC+2) since Sunday: the same window is 07:00Z-15:00Z.
  t.notOk(isOpen(s, at('2026-03-30T06:59:59Z')), 'summer: closed at 08:59 local')
  t.ok(isOpen(s, at('2026-03-30T07:00:00Z')), 'summer: open at 09:00 local = 07:00Z')
  t.ok(isOpen(s, at('2026-03-30T14:59:59Z')), 'summer: open at 16:59 local')
  t.notOk(isOpen(s, at('2026-03-30T15:00:00Z')), 'summer: closed at 17:00 local = 15:00Z')
  t.notOk(isOpen(s, at('2026-03-30T15:30:00Z')), 'summer: 15:30Z is 17:30 local, closed...')
  t.ok(isOpen(s, at('2026-03-27T15:30:00Z')), '...while in winter 15:30Z is 16:30 local, open')
})

t.test('a window in the skipped spring-forward hour opens at the first local time that exists', async (t) => {
  t.plan(4)
  // 2026-03-29 in Madrid: 02:00 CET jumps to 03:00 CEST at 01:00Z; 02:00-02:59 local never happens.
  const s = schedule({ days: 'sun', from: '02:30', to: '03:30', tz: 'Europe/Madrid' })
  t.notOk(isOpen(s, at('2026-03-29T00:59:59Z')), 'closed at 01:59:59 CET')
  t.ok(isOpen(s, at('2026-03-29T01:00:00Z')), 'open at 03:00 CEST, the first minute after the gap')
  t.ok(isOpen(s, at('2026-03-29T01:29:59Z')), 'open at 03:29 CEST')
  t.notOk(isOpen(s, at('2026-03-29T01:30:00Z')), 'closed at 03:30 CEST')
})

t.test('a window in the repeated fall-back hour is open both times the hour happens', async (t) => {
  t.plan(6)
  // 2026-10-25 in Madrid: 03:00 CEST falls back to 02:00 CET at 01:00Z; 02:00-02:59 local happens twice.
  const s = schedule({ days: 'sun', from: '02:00', to: '03:00', tz: 'Europe/Madrid' })
  t.notOk(isOpen(s, at('2026-10-24T23:59:59Z')), 'closed at 01:59 CEST')
  t.ok(isOpen(s, at('2026-10-25T00:00:00Z')), 'open at the first 02:00 (CEST)')
  t.ok(isOpen(s, at('2026-10-25T00:59:59Z')), 'open at the first 02:59 (CEST)')
  t.ok(isOpen(s, at('2026-10-25T01:00:00Z')), 'open at the second 02:00 (CET)')
  t.ok(isOpen(s, at('2026-10-25T01:59:59Z')), 'open at the second 02:59 (CET)')
  t.notOk(isOpen(s, at('2026-10-25T02:00:00Z')), 'closed at 03:00 CET')
})

t.test('from/to without days applies every day, in America/New_York across its DST change', async (t) => {
  t.plan(4)
  const s = schedule({ from: '09:00', to: '17:00', tz: 'America/New_York' })
  // 2026-03-08: EST (UTC-5) becomes EDT (UTC-4).
  t.ok(isOpen(s, at('2026-03-07T14:00:00Z')), 'Saturday, EST: 14:00Z is 09:00 local')
  t.notOk(isOpen(s, at('2026-03-07T13:00:00Z')), 'Saturday, EST: 13:00Z is 08:00 local')
  t.ok(isOpen(s, at('2026-03-09T13:00:00Z')), 'Monday, EDT: 13:00Z is 09:00 local')
  t.notOk(isOpen(s, at('2026-03-09T21:00:00Z')), 'Monday, EDT: 21:00Z is 17:00 local')
})

t.test('a window crossing midnight belongs to the day it starts', async (t) => {
  t.plan(8)
  const s = schedule({ days: 'fri', from: '22:00', to: '02:00' })
  // 2026-12-04 is a Friday, 2026-12-05 a Saturday.
  t.notOk(isOpen(s, at('2026-12-04T21:59:59Z')), 'closed on Friday before 22:00')
  t.ok(isOpen(s, at('2026-12-04T22:00:00Z')), 'open on Friday at 22:00')
  t.ok(isOpen(s, at('2026-12-04T23:59:59Z')), 'open on Friday just before midnight')
  t.ok(isOpen(s, at('2026-12-05T00:00:00Z')), 'open on Saturday at midnight')
  t.ok(isOpen(s, at('2026-12-05T01:59:59Z')), 'open on Saturday at 01:59')
  t.notOk(isOpen(s, at('2026-12-05T02:00:00Z')), 'closed on Saturday at 02:00')
  t.notOk(isOpen(s, at('2026-12-05T22:00:00Z')), 'closed on Saturday evening: Saturday is not listed')
  t.notOk(isOpen(s, at('2026-12-04T01:00:00Z')), 'closed early on Friday: that would be Thursday\'s window')
})

t.test('days alone means those whole days, in the given zone', async (t) => {
  t.plan(5)
  const s = schedule({ days: ' Sat , SUN', tz: 'Asia/Tokyo' })
  t.equal(s.window?.tz, 'Asia/Tokyo')
  t.notOk(isOpen(s, at('2026-12-04T14:59:59Z')), 'Friday 23:59:59 in Tokyo')
  t.ok(isOpen(s, at('2026-12-04T15:00:00Z')), 'Saturday 00:00 in Tokyo, still Friday in UTC')
  t.ok(isOpen(s, at('2026-12-06T14:59:59Z')), 'Sunday 23:59:59 in Tokyo')
  t.notOk(isOpen(s, at('2026-12-06T15:00:00Z')), 'Monday 00:00 in Tokyo')
})

t.test('to may be 24:00, the end of the day', async (t) => {
  t.plan(3)
  const s = schedule({ days: 'wed', from: '18:00', to: '24:00' })
  t.ok(isOpen(s, at('2026-12-02T23:59:59Z')), 'open on Wednesday at 23:59')
  t.notOk(isOpen(s, at('2026-12-03T00:00:00Z')), 'closed on Thursday at 00:00')
  t.notOk(isOpen(s, at('2026-12-02T17:59:59Z')), 'closed before 18:00')
})

t.test('the weekly window is in UTC when tz is not given', async (t) => {
  t.plan(3)
  const s = schedule({ from: '09:00', to: '17:00' })
  t.equal(s.window?.tz, 'UTC')
  t.ok(isOpen(s, at('2026-07-01T09:00:00Z')))
  t.notOk(isOpen(s, at('2026-07-01T08:59:59Z')))
})

t.test('the range and the weekly window must both be open', async (t) => {
  t.plan(4)
  const s = schedule({ start: '2026-12-07T00:00Z', end: '2026-12-14T00:00Z', days: 'mon', from: '09:00', to: '10:00' })
  t.ok(isOpen(s, at('2026-12-07T09:30:00Z')), 'Monday in the range, in the window')
  t.notOk(isOpen(s, at('2026-12-07T10:30:00Z')), 'Monday in the range, out of the window')
  t.notOk(isOpen(s, at('2026-11-30T09:30:00Z')), 'in the window, a week before the range')
  t.notOk(isOpen(s, at('2026-12-14T09:30:00Z')), 'in the window, at the end of the range')
})

t.test('an empty schedule is always open', async (t) => {
  t.plan(2)
  const s = schedule({})
  t.ok(isOpen(s, 0))
  t.ok(isOpen(s, at('2126-01-01T00:00:00Z')))
})

t.test('answers do not depend on the order of the instants asked, nor on other schedules of the zone', async (t) => {
  t.plan(6)
  const a = schedule({ from: '09:00', to: '10:00', tz: 'Europe/Madrid' })
  const b = schedule({ from: '10:00', to: '11:00', tz: 'europe/madrid' })
  t.equal(b.window?.zone, a.window?.zone, 'a case variant of a zone name shares its formatter')
  t.equal(b.window?.tz, 'Europe/Madrid')
  // Summer, then winter, then summer again within one UTC minute: each answer uses its own offset.
  t.ok(isOpen(a, at('2026-07-01T07:30:00Z')), 'summer 09:30 local')
  t.notOk(isOpen(a, at('2026-01-01T07:30:00Z')), 'winter 08:30 local')
  t.ok(isOpen(b, at('2026-01-01T09:30:10Z')), 'winter 10:30 local, another schedule of the zone')
  t.ok(isOpen(a, at('2026-07-01T07:30:30Z')), 'summer again')
})

t.test('weekdays are right before 1970 too', async (t) => {
  t.plan(2)
  // 1969-12-31 was a Wednesday.
  t.ok(isOpen(schedule({ days: 'wed' }), -1))
  t.notOk(isOpen(schedule({ days: 'thu' }), -1))
})

t.test('a malformed start or end is reported on its field', async (t) => {
  const bad = [
    '', '2026-12-24T18:00:00', '2026-12-24', '2026-12-24 18:00Z', '2026-12-24t18:00Z', '2026-12-24T18:00z',
    '2026-12-24T18:00+0100', '2026-12-24T18:00+01', '2026-12-24T18Z', '2026-12-24T18:00:00.1234Z',
    '2026-13-01T00:00Z', '2026-00-01T00:00Z', '2026-01-00T00:00Z', '2026-02-29T00:00Z', '1900-02-29T00:00Z',
    '2026-04-31T00:00Z', '2026-12-24T24:00Z', '2026-12-24T18:60Z', '2026-12-24T18:00:60Z', '2026-12-24T18:00+24:00',
    '2026-12-24T18:00+01:60', '-1', '1767225600000.5', '1e12', '1234567890123456', ' 1767225600000',
    'Thu, 24 Dec 2026 18:00:00 GMT', 'tomorrow', '+002026-12-24T18:00Z',
  ]
  t.plan(bad.length * 2)
  for (const raw of bad) {
    t.match(errorsOf({ start: raw }), { start: /ISO-8601 with an offset/ }, `start ${JSON.stringify(raw)}`)
    t.match(errorsOf({ end: raw }), { end: /epoch milliseconds/ }, `end ${JSON.stringify(raw)}`)
  }
})

t.test('end must be later than start', async (t) => {
  t.plan(3)
  t.same(errorsOf({ start: '1000', end: '1000' }), { end: 'end must be later than start' }, 'equal: an empty range')
  t.same(errorsOf({ start: '2026-12-24T18:00Z', end: '2026-12-24T18:00+01:00' }), { end: 'end must be later than start' })
  t.same(errorsOf({ start: '1000', end: '1001' }), {}, 'one millisecond is enough')
})

t.test('malformed days are reported on days', async (t) => {
  const bad = ['', 'monday', 'mon,,tue', 'mon,', 'mon-fri', 'lun', 'mon;tue', 'm', 'mo n']
  t.plan(bad.length)
  for (const raw of bad) t.match(errorsOf({ days: raw }), { days: /comma-separated/ }, JSON.stringify(raw))
})

t.test('malformed from and to are reported on their fields', async (t) => {
  t.plan(12)
  for (const raw of ['9:00', '24:00', '23:60', '12:00:00', '', '25:00', 'noon']) {
    t.match(errorsOf({ from: raw, to: '12:30' }), { from: /HH:MM between 00:00 and 23:59/ }, `from ${JSON.stringify(raw)}`)
  }
  for (const raw of ['9:00', '24:01', '23:60', '']) {
    t.match(errorsOf({ from: '12:30', to: raw }), { to: /HH:MM between 00:00 and 23:59, or 24:00/ }, `to ${JSON.stringify(raw)}`)
  }
  t.same(errorsOf({ from: '12:30', to: '12:30' }), { to: 'to must differ from from (for a whole day, use 00:00 and 24:00)' })
})

t.test('from without to, or to without from, is malformed', async (t) => {
  t.plan(2)
  t.same(errorsOf({ from: '09:00' }), { to: 'to is required when from is given' })
  t.same(errorsOf({ days: 'mon', to: '17:00' }), { from: 'from is required when to is given' })
})

t.test('a tz that is not an IANA zone, or a tz without a weekly window, is malformed', async (t) => {
  t.plan(6)
  for (const raw of ['Mars/Olympus', '+01:00', '', ' UTC']) {
    t.match(errorsOf({ days: 'mon', tz: raw }), { tz: /IANA time zone/ }, JSON.stringify(raw))
  }
  t.same(errorsOf({ tz: 'Europe/Madrid' }), { tz: 'tz applies only to a weekly window: give days, or from and to' })
  t.same(errorsOf({ start: '0', tz: 'UTC' }), { tz: 'tz applies only to a weekly window: give days, or from and to' })
})

t.test('an unknown field is malformed, and every bad field gets its own message', async (t) => {
  t.plan(2)
  t.same(Object.keys(errorsOf({ strat: '0', Start: '0' })).sort(), ['Start', 'strat'])
  t.same(Object.keys(errorsOf({ start: 'x', end: 'y', days: 'z', from: '1', to: '2', tz: 'Q/Q', note: 'n' })).sort(),
    ['days', 'end', 'from', 'note', 'start', 'to', 'tz'])
})

t.test('a field named __proto__ is reported as unknown, not lost', async (t) => {
  t.plan(3)
  const fields = JSON.parse('{"__proto__": "x", "days": "mon"}') as Record<string, string>
  const parsed = parseSchedule(fields)
  t.equal(parsed.ok, false)
  const errors = parsed.ok ? {} : parsed.errors
  t.same(Object.keys(errors), ['__proto__'])
  t.match(JSON.stringify(errors), /"__proto__":"unknown field/)
})
