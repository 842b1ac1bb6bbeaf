import t from 'tap'
import { Checks, Invalid } from '../../../src/admin/validate.js'

function problems (check: (c: Checks) => void): Record<string, string> {
  const checks = new Checks()
  check(checks)
  try {
    checks.done()
    return {}
  } catch (err) {
    return { ...(err as Invalid).errors }
  }
}

t.test('feature names: letters, digits and _ . : -, 1 to 128, read from a percent-encoded segment', async (t) => {
  t.plan(6)
  const c = new Checks()
  t.equal(c.feature('f', 'feature_1'), 'feature_1')
  t.equal(c.feature('f', 'checkout%3Anew-flow.v2'), 'checkout:new-flow.v2')
  t.same(problems((c) => c.feature('feature', 'a%20b')), { feature: 'expected 1 to 128 letters, digits, _ . : or -' })
  t.same(Object.keys(problems((c) => c.feature('feature', 'x'.repeat(129)))), ['feature'])
  t.same(Object.keys(problems((c) => c.feature('feature', '%E0%A4%A'))), ['feature'], 'broken percent-encoding')
  t.same(problems((c) => c.feature('feature', 'x'.repeat(128))), {})
})

t.test('user ids: 1 to 256 characters without control characters; location names are upper-cased', async (t) => {
  t.plan(7)
  const c = new Checks()
  t.equal(c.user('user', 'a%2Fb%20c', true), 'a/b c')
  t.equal(c.user('user', 'a%2Fb', false), 'a%2Fb', 'a body value is taken as it is')
  t.same(Object.keys(problems((c) => c.user('user', '', false))), ['user'])
  t.same(Object.keys(problems((c) => c.user('user', 'a\nb', false))), ['user'])
  t.same(Object.keys(problems((c) => c.user('user', 42, false))), ['user'])
  t.equal(c.location('location', 'us-ca', true), 'US-CA')
  t.same(problems((c) => c.location('location', 'U S', false)), { location: 'expected 1 to 64 letters, digits, _ or -' })
})

t.test('percents: 0 to 100 with at most two decimals, as JSON numbers or text', async (t) => {
  t.plan(6)
  const c = new Checks()
  t.equal(c.percent('percent', 12.5), '12.5')
  t.equal(c.percent('percent', '100'), '100')
  t.equal(c.percent('percent', 0), '0')
  for (const bad of [12.345, 101, '-1']) t.same(Object.keys(problems((c) => c.percent('percent', bad))), ['percent'], String(bad))
})

t.test('schedules are checked by the schedule parser itself, one message per bad field', async (t) => {
  t.plan(5)
  const c = new Checks()
  t.same(c.schedule({ days: 'mon', tz: 'Europe/Madrid' }), { days: 'mon', tz: 'Europe/Madrid' })
  t.same(Object.keys(problems((c) => c.schedule({ strat: '2026-01-01T00:00Z', from: '25:00', to: '10:00' }))).sort(), ['from', 'strat'])
  t.same(problems((c) => c.schedule({ days: 1 })), { days: 'expected a string' }, 'a field that is not a string is not also reported otherwise')
  t.same(problems((c) => c.schedule({})), { schedule: 'give at least one of start, end, days, from, to, tz' })
  t.same(Object.keys(problems((c) => c.schedule(JSON.parse('{"__proto__": "x"}') as Record<string, unknown>))), ['__proto__'], 'a __proto__ field is reported, not swallowed')
})

t.test('instants are read as a schedule start is: ISO-8601 with an offset, or epoch ms', async (t) => {
  t.plan(4)
  const c = new Checks()
  t.equal(c.instant('at', '2026-12-24T18:00:00+01:00'), Date.UTC(2026, 11, 24, 17))
  t.equal(c.instant('at', '1000'), 1000)
  t.same(Object.keys(problems((c) => c.instant('at', '2026-12-24T18:00:00'))), ['at'], 'no offset: ambiguous')
  t.same(Object.keys(problems((c) => c.instant('at', 5))), ['at'])
})

t.test('a body must be an object; every problem of a request is reported at once', async (t) => {
  t.plan(3)
  const c = new Checks()
  t.same(c.object('body', { a: 1 }), { a: 1 })
  t.same(problems((c) => c.object('body', [1])), { body: 'expected a JSON object' })
  t.same(Object.keys(problems((c) => { c.feature('feature', '%'); c.user('user', '', false) })), ['feature', 'user'])
})
