// One contract for flagsFor, run against both stores: they must give every caller the same flags
// with the same reasons, and agree with featuresFor (a flag is on exactly when /features lists it).

import t from 'tap'
import { EmbeddedStore } from '../../../src/store/embedded/embedded-store.js'
import type { FeatureStore } from '../../../src/store/index.js'
import { quiet, startRedisPair, writeDataFile } from '../../helpers/in-process.js'
import { caller } from '../../../src/core/context.js'

const DATA = {
  global_features: ['feature_1', 'feature_2', 'shared'],
  active_features: ['feature_3', 'feature_5', 'shared'],
  tokens: { 1234: '1', 5678: '2' },
  user_features: { 1: ['feature_3', 'feature_4', 'shared'] },
}

const ANONYMOUS = [
  ['feature_1', 'STATIC'], ['feature_2', 'STATIC'], ['feature_3', 'DISABLED'], ['feature_5', 'DISABLED'], ['shared', 'STATIC'],
]

function contract (name: string, open: () => Promise<{ store: FeatureStore, stop: () => Promise<void> }>): void {
  t.test(`${name} store: flagsFor follows the rule and agrees with featuresFor`, async (t) => {
    t.plan(3)
    const { store, stop } = await open()
    t.teardown(stop)

    t.test('an anonymous caller sees global flags as STATIC and active ones as DISABLED, sorted by key', async (t) => {
      t.plan(2)
      const flags = await store.flagsFor(caller(null))
      t.same([...flags], ANONYMOUS)
      t.same(onFlags(flags), await store.featuresFor(caller(null)))
    })

    t.test("a user's active features are TARGETING_MATCH, inactive ones unknown, global ones stay STATIC", async (t) => {
      t.plan(2)
      const flags = await store.flagsFor(caller('1'))
      t.same([...flags], [
        ['feature_1', 'STATIC'], ['feature_2', 'STATIC'], ['feature_3', 'TARGETING_MATCH'], ['feature_5', 'DISABLED'], ['shared', 'STATIC'],
      ])
      t.same(onFlags(flags), await store.featuresFor(caller('1')))
    })

    t.test('a user with no set of their own sees what an anonymous caller sees', async (t) => {
      t.plan(2)
      const flags = await store.flagsFor(caller('2'))
      t.same([...flags], ANONYMOUS)
      t.same(onFlags(flags), await store.featuresFor(caller('2')))
    })
  })
}

function onFlags (flags: ReadonlyMap<string, string>): string[] {
  return [...flags].filter(([, reason]) => reason !== 'DISABLED').map(([key]) => key)
}

contract('embedded', async () => {
  const store = new EmbeddedStore(writeDataFile(t.testdir(), DATA), quiet)
  return { store, stop: () => store.close() }
})

contract('redis', async () => {
  const pair = await startRedisPair()
  const users = pair.users.client()
  const features = pair.features.client()
  await users.set('token:5678', '2')
  await features.sadd('global_features', 'shared')
  await features.sadd('active_features', 'feature_5', 'shared')
  await features.sadd('features:user:1', 'shared')
  users.disconnect()
  features.disconnect()
  return { store: pair.store, stop: () => pair.stop() }
})
