import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { explain, type FeatureWhy } from '../../../src/admin/explain.js'
import { caller } from '../../../src/core/context.js'
import { rolloutBucket } from '../../../src/core/rollout.js'
import type { Snapshot } from '../../../src/store/admin/admin-store.js'
import { EmbeddedAdminStore } from '../../../src/store/admin/embedded-admin-store.js'
import { EmbeddedStore } from '../../../src/store/embedded/embedded-store.js'

const NOW = Date.UTC(2026, 5, 1, 12) // a Monday, noon UTC

function snapshot (parts: Partial<Snapshot>): Snapshot {
  return {
    now: NOW,
    global: new Set(),
    active: new Set(),
    locations: new Map(),
    schedules: new Map(),
    rollout: new Map(),
    user: undefined,
    ...parts,
  }
}

const byName = (features: readonly FeatureWhy[]): Record<string, FeatureWhy> => Object.fromEntries(features.map((f) => [f.name, f]))

t.test('each feature says why it is on or off, and the answer is the rule\'s', async (t) => {
  t.plan(12)
  const data = snapshot({
    global: new Set(['g', 'g_closed']),
    active: new Set(['mine', 'here', 'all', 'none', 'just_active', 'mine_closed']),
    user: ['mine', 'retired', 'mine_closed'],
    locations: new Map([['ES', ['here', 'retired_here']], ['FR', ['elsewhere']]]),
    rollout: new Map([['all', '100'], ['none', '0']]),
    schedules: new Map<string, Record<string, string>>([['g_closed', { days: 'sun' }], ['mine_closed', { strat: 'typo' }]]),
  })
  const { answer, features } = explain(data, caller('42', 'ES'), NOW)
  t.same(answer, ['all', 'g', 'here', 'mine'])
  const why = byName(features)
  t.equal(why.g?.why, 'global')
  t.equal(why.mine?.why, 'user')
  t.equal(why.here?.why, 'location')
  t.equal(why.all?.why, 'rollout')
  t.equal(why.none?.why, 'rollout_miss')
  t.equal(why.retired?.why, 'not_active', "in the user's set, but not active")
  t.equal(why.retired_here?.why, 'not_active', "in the location's set, but not active")
  t.equal(why.g_closed?.why, 'schedule_closed')
  t.match(why.mine_closed, { why: 'schedule_closed', schedule: { valid: false, open: false } }, 'a malformed schedule is closed')
  t.match(why.elsewhere, { why: 'not_targeted', location: false })
  t.match(why.all?.rollout, { percent: '100', valid: true, bucket: rolloutBucket('all', '42'), selected: true })
})

t.test('an anonymous caller has no bucket and is in no rollout', async (t) => {
  t.plan(2)
  const { answer, features } = explain(snapshot({ active: new Set(['all']), rollout: new Map([['all', '100']]) }), caller(null), NOW)
  t.same(answer, [])
  t.match(byName(features).all, { on: false, why: 'not_targeted', rollout: { bucket: null, selected: false } })
})

t.test('`at` decides schedules: the same data explained at another instant', async (t) => {
  t.plan(2)
  const data = snapshot({ global: new Set(['weekend']), schedules: new Map([['weekend', { days: 'sat,sun' }]]) })
  t.same(explain(data, caller(null), NOW).answer, [])
  t.same(explain(data, caller(null), NOW + 5 * 86_400_000).answer, ['weekend'], 'the Saturday after')
})

t.test('a rollout percent that is malformed selects nobody, and says so', async (t) => {
  t.plan(1)
  const { features } = explain(snapshot({ active: new Set(['f']), rollout: new Map([['f', 'lots']]) }), caller('1'), NOW)
  t.match(byName(features).f, { on: false, why: 'rollout_miss', rollout: { valid: false, selected: false } })
})

// The answer must be the public path's, not a copy of the rule: the embedded store answers /features
// from the same file the admin store snapshots (schedules included), for many generated callers and data sets.
t.test('explain gives the answer the public store gives, for generated data and callers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tideflags-explain-'))
  const names = ['a', 'b', 'c', 'd', 'e', 'f']
  let seed = 7
  const random = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
  const some = (): string[] => names.filter(() => random() < 0.35)
  const log = pino({ level: 'silent' })
  let checked = 0
  for (let round = 0; round < 30; round++) {
    const file = join(dir, `f${round}.json`)
    writeFileSync(file, JSON.stringify({
      global_features: some(),
      active_features: some(),
      tokens: { t1: '1', t2: '2' },
      user_features: { 1: some(), 2: some() },
      locations: { ES: some(), FR: some() },
      rollouts: Object.fromEntries(some().map((f) => [f, String(Math.floor(random() * 101))])),
      // Whole days, so that the instant each side decides at cannot straddle a boundary; one malformed.
      schedules: Object.fromEntries(some().map((f, i) => [f, i === 0 ? { days: 'someday' } : { days: random() < 0.5 ? 'sat,sun' : 'mon,tue,wed,thu,fri' }])),
    }))
    const store = new EmbeddedStore(file, log)
    const admin = new EmbeddedAdminStore(file)
    for (const userId of [null, '1', '2', '3']) {
      for (const location of [undefined, 'ES', 'FR', 'DE']) {
        const context = caller(userId, location)
        const data = await admin.snapshot(userId ?? undefined)
        t.same(explain(data, context, data.now).answer, await store.featuresFor(context), `round ${round} user ${userId} location ${location}`)
        checked++
      }
    }
    await store.close()
  }
  t.equal(checked, 480)
})

t.test("every feature's why agrees with whether it is in the answer", async (t) => {
  const on = new Set(['global', 'user', 'location', 'rollout'])
  const data = snapshot({
    global: new Set(['a', 'b']),
    active: new Set(['b', 'c', 'd']),
    user: ['c', 'e'],
    locations: new Map([['ES', ['d', 'e']]]),
    rollout: new Map([['c', '50'], ['d', '50'], ['e', '50']]),
    schedules: new Map([['b', { days: 'mon' }], ['d', { days: 'tue' }]]),
  })
  for (const userId of ['1', '2', '3', '4', '5', null]) {
    const { answer, features } = explain(data, caller(userId, 'ES'), NOW)
    for (const f of features) t.equal(on.has(f.why), answer.includes(f.name), `${userId} ${f.name} ${f.why}`)
  }
})
