// One suite of resolution semantics that every FeatureStore must pass (src/core/evaluate.ts states the rule).

import type { Test } from 'tap'
import { HttpError } from '../../src/errors.js'
import type { FeatureStore } from '../../src/store/index.js'
import { caller } from '../../src/core/context.js'

/** A data set in the shape of the embedded store's file (which mirrors the Redis keys). */
export interface DataSet {
  global_features?: string[]
  active_features?: string[]
  tokens?: Record<string, string>
  user_features?: Record<string, string[]>
  locations?: Record<string, string[]>
  rollouts?: Record<string, string>
  /** schedule:<feature> hashes: feature -> field -> value */
  schedules?: Record<string, Record<string, string>>
}

/** Creates a store holding `data`, configured by `env` on top of the defaults; the suite closes it. */
export type StoreFactory = (data: DataSet, env?: Record<string, string>) => Promise<FeatureStore>

// Small limits, so that the size cases need only a few members.
const LIMITS = { MAX_ANSWER_FEATURES: '5', MAX_OFREP_FLAGS: '8' }
const range = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

/** Whether a store call failed with the size refusal. */
async function refused (call: Promise<unknown>): Promise<boolean> {
  return call.then(() => false, (err: unknown) => err instanceof HttpError && err.code === 'TF_ERR_ANSWER_TOO_LARGE')
}

export const CONTRACT_DATA: DataSet = {
  global_features: ['feature_2', 'feature_1', 'Zeta', 'éclair'],
  active_features: ['feature_3', 'feature_5', 'feature_1', 'b10', 'b9'],
  tokens: { 1234: '1', 'tok:with:colons': '2', 'no-set': '3', 'jeton-é': '4' },
  user_features: {
    1: ['feature_3', 'feature_4'],
    2: ['feature_1', 'feature_5', 'feature_4', 'b9', 'b10'],
    4: ['feature_3'],
  },
}

/**
 * Targeting data. Buckets of `r50` (src/core/rollout.ts, the public formula): users 1, 2, 3 and 7 are
 * under 5000 (in at 50%), users 4, 5, 6 and 8 are not (4555, 3224, 1793, 5926, ... computed apart
 * from the code, with Python's hashlib).
 */
export const TARGETING_DATA: DataSet = {
  global_features: ['g1'],
  active_features: ['a1', 'a2', 'loc1', 'r0', 'r50', 'r100', 'rbad'],
  user_features: { 1: ['a1', 'r0'], 4: ['zz'] },
  locations: { US: ['loc1', 'a2', 'hidden'], 'EU-WEST': ['a1'] },
  // hidden and g1 are not active: a rollout reaches active features only; rbad is malformed.
  rollouts: { r0: '0', r50: '50', r100: '100', rbad: '12.345', hidden: '100', g1: '100' },
}

/**
 * Schedules whose state does not depend on when the suite runs: open since 2000 until 2100, closed
 * since 2001, not yet open until 2100, malformed, and a weekly window open on every day of the week.
 * Each kind sits on a feature that reaches the answer another way: global, a user's, a location's, a rollout.
 */
export const SCHEDULE_DATA: DataSet = {
  global_features: ['g_open', 'g_ended', 'g_plain'],
  active_features: ['u_open', 'u_later', 'u_bad', 'loc_ended', 'r_ended', 'r_open', 'weekly'],
  user_features: { 1: ['u_open', 'u_later', 'u_bad', 'weekly'] },
  locations: { US: ['loc_ended'] },
  rollouts: { r_ended: '100', r_open: '100' },
  schedules: {
    g_open: { start: '2000-01-01T00:00:00Z', end: '4102444800000' },
    g_ended: { end: '2001-01-01T00:00:00+01:00' },
    u_open: { start: '946684800000' },
    u_later: { start: '2100-01-01T00:00Z' },
    u_bad: { start: 'tomorrow' },
    loc_ended: { start: '2000-01-01T00:00Z', end: '2001-01-01T00:00Z' },
    r_ended: { end: '978307200000' },
    r_open: { days: 'mon,tue,wed,thu,fri,sat,sun', tz: 'Europe/Madrid' },
    weekly: { days: 'mon,tue,wed,thu,fri,sat,sun', from: '00:00', to: '24:00', tz: 'America/New_York' },
    // Not a known feature: a schedule alone does not make a feature known.
    stray: { start: '2000-01-01T00:00Z' },
  },
}

/** Run the contract against a store factory. */
export function storeContract (t: Test, name: string, factory: StoreFactory): void {
  t.test(`${name}: resolution semantics`, async (t) => {
    const store = await factory(CONTRACT_DATA)
    t.teardown(() => store.close())

    t.test('an anonymous caller gets exactly the global features, sorted', async (t) => {
      t.plan(1)
      t.same(await store.featuresFor(caller(null)), ['Zeta', 'feature_1', 'feature_2', 'éclair'])
    })

    t.test('a user gets the global features plus their own features that are active', async (t) => {
      t.plan(1)
      t.same(await store.featuresFor(caller('1')), ['Zeta', 'feature_1', 'feature_2', 'feature_3', 'éclair'],
        'feature_4 is the user\'s but not active, so it stays hidden')
    })

    t.test('a feature both global and the user\'s appears once, and names sort by code unit', async (t) => {
      t.plan(1)
      t.same(await store.featuresFor(caller('2')), ['Zeta', 'b10', 'b9', 'feature_1', 'feature_2', 'feature_5', 'éclair'])
    })

    t.test('a user with no set of their own gets the global features', async (t) => {
      t.plan(2)
      t.same(await store.featuresFor(caller('3')), ['Zeta', 'feature_1', 'feature_2', 'éclair'])
      t.same(await store.featuresFor(caller('no-such-user')), ['Zeta', 'feature_1', 'feature_2', 'éclair'])
    })

    t.test('tokens resolve to user ids; unknown tokens to null', async (t) => {
      t.plan(5)
      t.equal(await store.userIdForToken('1234'), '1')
      t.equal(await store.userIdForToken('tok:with:colons'), '2')
      t.equal(await store.userIdForToken('jeton-é'), '4')
      t.equal(await store.userIdForToken('nope'), null)
      t.equal(await store.userIdForToken('12345'), null, 'no prefix matching')
    })

    t.test('closing twice is harmless', async (t) => {
      t.plan(1)
      const other = await factory({})
      await other.close()
      await other.close()
      t.pass()
    })
  })

  t.test(`${name}: an empty data set`, async (t) => {
    t.plan(3)
    const store = await factory({})
    t.teardown(() => store.close())
    t.same(await store.featuresFor(caller(null)), [], 'no global_features key: nothing is on')
    t.same(await store.featuresFor(caller('1')), [])
    t.equal(await store.userIdForToken('1234'), null)
  })

  t.test(`${name}: an answer past MAX_ANSWER_FEATURES is refused for its caller alone, judged on |global| + min(|mine|, |active|)`, async (t) => {
    t.plan(6)
    const store = await factory({
      global_features: ['g0', 'g1'],
      active_features: range('a', 10),
      user_features: { big: range('a', 10), small: ['a1', 'x'], wide: ['a1', ...range('x', 20)] },
    }, LIMITS)
    t.teardown(() => store.close())
    const [big, small, wide, anonymous] = await Promise.all([
      refused(store.featuresFor(caller('big'))), store.featuresFor(caller('small')), refused(store.featuresFor(caller('wide'))), store.featuresFor(caller(null)),
    ])
    t.ok(big, '2 + min(10, 10) = 12 features is past 5: refused')
    t.same(small, ['a1', 'g0', 'g1'], 'a neighbour in the same turn gets its answer')
    t.ok(wide, 'judged on the bound, never computed: 2 + min(21, 10) = 12 is past 5, though only a1 is active')
    t.same(anonymous, ['g0', 'g1'], 'anonymous callers are unaffected')
    t.ok(await refused(store.flagsFor(caller(null))), 'OFREP lists 2 + 10 = 12 flags, past 8: refused even anonymously')
    t.ok(await refused(store.flagsFor(caller('small'))), 'and for every user, since every caller is listed global ∪ active')
  })

  t.test(`${name}: a bound exactly at the limit is answered, and global_features past it refuses everyone`, async (t) => {
    t.plan(5)
    const atLimit = await factory({
      global_features: ['g0', 'g1'],
      active_features: ['a0', 'a1', 'a2'],
      user_features: { wide: ['a0', 'a1', 'a2', ...range('x', 50)] },
    }, LIMITS)
    t.teardown(() => atLimit.close())
    t.same(await atLimit.featuresFor(caller('wide')), ['a0', 'a1', 'a2', 'g0', 'g1'], '2 + min(53, 3) = 5 features: answered')
    t.equal((await atLimit.flagsFor(caller('wide'))).size, 5, '5 flags, within 8: answered')
    const bigGlobal = await factory({ global_features: range('g', 6), user_features: { 1: ['a'] } }, LIMITS)
    t.teardown(() => bigGlobal.close())
    t.ok(await refused(bigGlobal.featuresFor(caller(null))), '6 global features: anonymous refused')
    t.ok(await refused(bigGlobal.featuresFor(caller('1'))), 'and every user')
    t.same(Array.from((await bigGlobal.flagsFor(caller(null))).keys()), range('g', 6), 'OFREP has its own limit: 6 flags are within 8')
  })

  t.test(`${name}: feature names holding U+FFFD (bytes that were not UTF-8) are skipped on both routes`, async (t) => {
    t.plan(3)
    const store = await factory({
      global_features: ['ok', 'bad\uFFFD'],
      active_features: ['\uFFFD', 'b'],
      user_features: { 1: ['\uFFFD', 'b'] },
    })
    t.teardown(() => store.close())
    t.same(await store.featuresFor(caller(null)), ['ok'])
    t.same(await store.featuresFor(caller('1')), ['b', 'ok'])
    t.same(Array.from(await store.flagsFor(caller('1'))), [['b', 'TARGETING_MATCH'], ['ok', 'STATIC']])
  })

  t.test(`${name}: retiring a feature from active_features hides it from every user at once`, async (t) => {
    t.plan(2)
    const store = await factory({ ...CONTRACT_DATA, active_features: ['feature_5'] })
    t.teardown(() => store.close())
    t.same(await store.featuresFor(caller('1')), ['Zeta', 'feature_1', 'feature_2', 'éclair'])
    t.same(await store.featuresFor(caller('2')), ['Zeta', 'feature_1', 'feature_2', 'feature_5', 'éclair'])
  })

  t.test(`${name}: schedules close a feature whatever put it in the answer`, async (t) => {
    const store = await factory(SCHEDULE_DATA)
    t.teardown(() => store.close())

    t.test('an anonymous caller loses a global feature whose schedule has ended', async (t) => {
      t.plan(2)
      t.same(await store.featuresFor(caller(null)), ['g_open', 'g_plain'])
      t.same(await store.featuresFor(caller(null, 'US')), ['g_open', 'g_plain'], 'a location feature with an ended schedule is off')
    })

    t.test('a user keeps open features only: open, not yet open, malformed, ended rollout, weekly', async (t) => {
      t.plan(2)
      t.same(await store.featuresFor(caller('1')), ['g_open', 'g_plain', 'r_open', 'u_open', 'weekly'],
        'u_later not yet open, u_bad malformed (closed), r_ended ended though selected at 100%')
      t.same(await store.featuresFor(caller('2', 'US')), ['g_open', 'g_plain', 'r_open'])
    })

    t.test('OFREP: a closed schedule makes a known flag DISABLED, whatever would have switched it on', async (t) => {
      t.plan(1)
      t.same(Array.from(await store.flagsFor(caller('1', 'US'))), [
        ['g_ended', 'DISABLED'], ['g_open', 'STATIC'], ['g_plain', 'STATIC'], ['loc_ended', 'DISABLED'], ['r_ended', 'DISABLED'],
        ['r_open', 'SPLIT'], ['u_bad', 'DISABLED'], ['u_later', 'DISABLED'], ['u_open', 'TARGETING_MATCH'], ['weekly', 'TARGETING_MATCH'],
      ])
    })
  })

  t.test(`${name}: every schedule among more than a thousand features of one answer is read`, async (t) => {
    // The scripts count the schedule keys of an answer's features with EXISTS in chunks of 1000 and
    // stop reading once that many are found: a lost chunk or a short count would leave some of the
    // 500 ended features on.
    t.plan(2)
    const global = Array.from({ length: 1_500 }, (_, i) => `g${String(i).padStart(4, '0')}`)
    const ended = global.filter((_, i) => i % 3 === 0)
    const schedules = Object.fromEntries([...ended, 'u_ended'].map((feature) => [feature, { end: '978307200000' }]))
    const store = await factory({ global_features: global, active_features: ['u_open', 'u_ended'], user_features: { 1: ['u_open', 'u_ended'] }, schedules })
    t.teardown(() => store.close())
    const open = global.filter((_, i) => i % 3 !== 0)
    t.same(await store.featuresFor(caller(null)), open, 'the 1,000 without an ended schedule, for an anonymous caller')
    t.same(await store.featuresFor(caller('1')), [...open, 'u_open'], 'and for a user, whose own ended feature is off too')
  })

  t.test(`${name}: targeting by location and rollout`, async (t) => {
    const store = await factory(TARGETING_DATA)
    t.teardown(() => store.close())

    t.test('an anonymous caller gets its location\'s active features, and is in no rollout', async (t) => {
      t.plan(4)
      t.same(await store.featuresFor(caller(null)), ['g1'], 'no location: the global features only, r100 included for nobody')
      t.same(await store.featuresFor(caller(null, 'US')), ['a2', 'g1', 'loc1'], 'hidden is in location:US but not active')
      t.same(await store.featuresFor(caller(null, 'EU-WEST')), ['a1', 'g1'])
      t.same(await store.featuresFor(caller(null, 'FR')), ['g1'], 'a location with no set adds nothing')
    })

    t.test('a user gets global ∪ ((own ∪ location ∪ rollout-selected) ∩ active)', async (t) => {
      t.plan(6)
      t.same(await store.featuresFor(caller('1')), ['a1', 'g1', 'r0', 'r100', 'r50'], 'user 1 is in r50; r0 is their own, though its rollout is 0')
      t.same(await store.featuresFor(caller('4')), ['g1', 'r100'], 'user 4 is out of r50; their own zz is not active')
      t.same(await store.featuresFor(caller('2')), ['g1', 'r100', 'r50'], 'a user with no set of their own is still in rollouts')
      t.same(await store.featuresFor(caller('1', 'US')), ['a1', 'a2', 'g1', 'loc1', 'r0', 'r100', 'r50'])
      t.same(await store.featuresFor(caller('4', 'US')), ['a2', 'g1', 'loc1', 'r100'])
      t.same(await store.featuresFor(caller('5', 'FR')), ['g1', 'r100'], 'user 5 is out of r50')
    })

    t.test('callers of one turn with different locations and users each get their own answer', async (t) => {
      t.plan(1)
      const contexts = [caller(null, 'US'), caller('1', 'US'), caller('1'), caller(null), caller('4', 'EU-WEST'), caller(null, 'US'), caller('7')]
      t.same(await Promise.all(contexts.map((c) => store.featuresFor(c))), [
        ['a2', 'g1', 'loc1'], ['a1', 'a2', 'g1', 'loc1', 'r0', 'r100', 'r50'], ['a1', 'g1', 'r0', 'r100', 'r50'], ['g1'],
        ['a1', 'g1', 'r100'], ['a2', 'g1', 'loc1'], ['g1', 'r100', 'r50'],
      ])
    })

    t.test('OFREP reasons: STATIC global, TARGETING_MATCH user or location, SPLIT rollout only, DISABLED otherwise', async (t) => {
      t.plan(3)
      t.same(Array.from(await store.flagsFor(caller('1', 'US'))), [
        ['a1', 'TARGETING_MATCH'], ['a2', 'TARGETING_MATCH'], ['g1', 'STATIC'], ['loc1', 'TARGETING_MATCH'],
        ['r0', 'TARGETING_MATCH'], ['r100', 'SPLIT'], ['r50', 'SPLIT'], ['rbad', 'DISABLED'],
      ])
      t.same(Array.from(await store.flagsFor(caller(null, 'US'))), [
        ['a1', 'DISABLED'], ['a2', 'TARGETING_MATCH'], ['g1', 'STATIC'], ['loc1', 'TARGETING_MATCH'],
        ['r0', 'DISABLED'], ['r100', 'DISABLED'], ['r50', 'DISABLED'], ['rbad', 'DISABLED'],
      ], 'anonymous: in no rollout')
      t.same(Array.from(await store.flagsFor(caller('4'))), [
        ['a1', 'DISABLED'], ['a2', 'DISABLED'], ['g1', 'STATIC'], ['loc1', 'DISABLED'],
        ['r0', 'DISABLED'], ['r100', 'SPLIT'], ['r50', 'DISABLED'], ['rbad', 'DISABLED'],
      ])
    })

    t.test('every user of the rollout keeps the same answer, and exactly those under the percent have it', async (t) => {
      t.plan(2)
      const ids = ['1', '2', '3', '4', '5', '6', '7', '8']
      const first = await Promise.all(ids.map((id) => store.featuresFor(caller(id))))
      t.same(ids.filter((_, i) => first[i]?.includes('r50')), ['1', '2', '3', '7'])
      t.same(await Promise.all(ids.map((id) => store.featuresFor(caller(id)))), first, 'asked again')
    })
  })

  t.test(`${name}: targeting answers are bounded on the whole answer, and a rollout hash past the limit refuses users only`, async (t) => {
    t.plan(9)
    const store = await factory({
      global_features: ['g0', 'g1'],
      active_features: ['a0', 'a1', 'a2', 'b0', 'b1', 'b2'],
      user_features: { u: ['a0', 'a1', 'a2'] },
      locations: { US: ['b0', 'b1', 'b2'] },
    }, LIMITS)
    t.teardown(() => store.close())
    t.same(await store.featuresFor(caller('u')), ['a0', 'a1', 'a2', 'g0', 'g1'], '5 features: at the limit')
    t.same(await store.featuresFor(caller(null, 'US')), ['b0', 'b1', 'b2', 'g0', 'g1'], 'the location alone: 5')
    t.ok(await refused(store.featuresFor(caller('u', 'US'))), 'both: 8 features, past 5')
    const wide = await factory({ global_features: ['g0'], active_features: ['r0'], rollouts: Object.fromEntries(range('r', 9).map((f) => [f, '100'])) }, LIMITS)
    t.teardown(() => wide.close())
    t.ok(await refused(wide.featuresFor(caller('u'))), 'a rollout hash of 9 fields is past 5 for a user')
    t.same(await wide.featuresFor(caller(null, 'US')), ['g0'], 'an anonymous caller does not read it')
    t.ok(await refused(wide.flagsFor(caller('u'))), 'and past 8 for OFREP, for a user')
    t.same(Array.from(await wide.flagsFor(caller(null))), [['g0', 'STATIC'], ['r0', 'DISABLED']], 'not for an anonymous caller')
    const rolled = await factory({ global_features: ['g0', 'g1'], active_features: range('r', 5), rollouts: Object.fromEntries(range('r', 5).map((f) => [f, '100'])) }, LIMITS)
    t.teardown(() => rolled.close())
    t.ok(await refused(rolled.featuresFor(caller('u'))), '5 rollout fields are within 5, but 2 + 5 features are past it')
    t.same(await rolled.featuresFor(caller(null)), ['g0', 'g1'], 'anonymous callers are in no rollout')
  })
}
