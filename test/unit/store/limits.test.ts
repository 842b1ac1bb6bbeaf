import t from 'tap'
import { pino } from 'pino'
import { DEFAULTS } from '../../../src/config/config.js'
import { HttpError } from '../../../src/errors.js'
import { Refusals } from '../../../src/store/limits.js'

function logged (): { refusals: Refusals, lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const log = pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>) } })
  return { refusals: new Refusals(log), lines }
}

t.test('a refused key is logged the first time only, with its bound and the limit', async (t) => {
  t.plan(4)
  const { refusals, lines } = logged()
  const errors = [refusals.tooLarge('features:user:1', 12, 5), refusals.tooLarge('features:user:1', 12, 5), refusals.tooLarge('features:user:2', 9, 5)]
  t.ok(errors.every((err) => err instanceof HttpError && err.code === 'TF_ERR_ANSWER_TOO_LARGE'), 'every caller gets the error')
  t.equal(lines.length, 2, 'one line per key')
  t.match(lines[0], { level: 40, code: 'TF_ERR_ANSWER_TOO_LARGE', key: 'features:user:1', bound: 12, limit: 5 })
  t.equal(lines[1]?.key, 'features:user:2')
})

t.test('the memory of reported keys is bounded: past DEFAULTS.reportedKeys it starts over', async (t) => {
  t.plan(2)
  const { refusals, lines } = logged()
  for (let i = 0; i < DEFAULTS.reportedKeys; i++) refusals.tooLarge(`k${i}`, 2, 1)
  refusals.tooLarge('k0', 2, 1)
  t.equal(lines.length, DEFAULTS.reportedKeys, 'each key once while they fit')
  refusals.tooLarge('one more', 2, 1)
  refusals.tooLarge('k0', 2, 1)
  t.equal(lines.length, DEFAULTS.reportedKeys + 2, 'then the set starts over, so k0 may be reported once more')
})

t.test('names holding U+FFFD are dropped and the key logged once; a clean list comes back as the same array', async (t) => {
  t.plan(4)
  const { refusals, lines } = logged()
  const clean = ['a', 'b']
  t.equal(refusals.decodable('global_features', clean), clean, 'no copy when nothing is dropped')
  t.same(refusals.decodable('global_features', ['a', '\uFFFD', 'x\uFFFDy', 'b']), ['a', 'b'])
  t.same(refusals.decodable('global_features', ['\uFFFD']), [])
  t.same(lines.map((line) => [line.key, line.skipped]), [['global_features', 2]])
})
