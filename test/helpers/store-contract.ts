// One suite of resolution semantics that every FeatureStore must pass (src/evaluate.ts states the rule).

import type { Test } from 'tap'
import type { FeatureStore } from '../../src/store/index.js'

/** A data set in the shape of the embedded store's file (which mirrors the Redis keys). */
export interface DataSet {
  global_features?: string[]
  active_features?: string[]
  tokens?: Record<string, string>
  user_features?: Record<string, string[]>
}

/** Creates a store holding `data`; the suite closes it. */
export type StoreFactory = (data: DataSet) => Promise<FeatureStore>

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
      t.same(await store.featuresFor(null), ['Zeta', 'feature_1', 'feature_2', 'éclair'])
    })

    t.test('a user gets the global features plus their own features that are active', async (t) => {
      t.plan(1)
      t.same(await store.featuresFor('1'), ['Zeta', 'feature_1', 'feature_2', 'feature_3', 'éclair'],
        'feature_4 is the user\'s but not active, so it stays hidden')
    })

    t.test('a feature both global and the user\'s appears once, and names sort by code unit', async (t) => {
      t.plan(1)
      t.same(await store.featuresFor('2'), ['Zeta', 'b10', 'b9', 'feature_1', 'feature_2', 'feature_5', 'éclair'])
    })

    t.test('a user with no set of their own gets the global features', async (t) => {
      t.plan(2)
      t.same(await store.featuresFor('3'), ['Zeta', 'feature_1', 'feature_2', 'éclair'])
      t.same(await store.featuresFor('no-such-user'), ['Zeta', 'feature_1', 'feature_2', 'éclair'])
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
    t.same(await store.featuresFor(null), [], 'no global_features key: nothing is on')
    t.same(await store.featuresFor('1'), [])
    t.equal(await store.userIdForToken('1234'), null)
  })

  t.test(`${name}: retiring a feature from active_features hides it from every user at once`, async (t) => {
    t.plan(2)
    const store = await factory({ ...CONTRACT_DATA, active_features: ['feature_5'] })
    t.teardown(() => store.close())
    t.same(await store.featuresFor('1'), ['Zeta', 'feature_1', 'feature_2', 'éclair'])
    t.same(await store.featuresFor('2'), ['Zeta', 'feature_1', 'feature_2', 'feature_5', 'éclair'])
  })
}
