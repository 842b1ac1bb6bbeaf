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
}
