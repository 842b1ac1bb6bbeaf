// The published server SDK and OFREP provider, unmodified, against the service on both stores:
// single-flag evaluations as a back-end application would make them.

import { OFREPProvider } from '@openfeature/ofrep-provider'
import { OpenFeature, type Client } from '@openfeature/server-sdk'
import t from 'tap'
import { EmbeddedStore } from '../../../src/store/embedded/embedded-store.js'
import type { FeatureStore } from '../../../src/store/index.js'
import { EXAMPLE_DATA, quiet, serve, startRedisPair, writeDataFile } from '../../helpers/in-process.js'

interface Backend {
  readonly store: FeatureStore
  readonly env: Record<string, string>
  /** Switch feature_5 on for user 1 (add it to active_features and their set). */
  grantFeature5 (): Promise<void>
  stop (): Promise<void>
}

t.teardown(() => OpenFeature.close())

function suite (name: string, open: () => Promise<Backend>): void {
  t.test(`server SDK over the ${name} store`, async (t) => {
    t.plan(8)
    const backend = await open()
    const served = await serve(backend.store, backend.env)
    t.teardown(async () => {
      await served.close()
      await backend.stop()
    })
    async function client (domain: string, headers?: Record<string, string>): Promise<Client> {
      await OpenFeature.setProviderAndWait(`${name}-${domain}`, new OFREPProvider({ baseUrl: served.url, headers }))
      return OpenFeature.getClient(`${name}-${domain}`)
    }
    const anonymous = await client('anonymous')
    const user = await client('user', { Authorization: 'Bearer 1234' })
    const basicUser = await client('basic', { Authorization: 'Basic ' + Buffer.from(':1234').toString('base64') })
    const stranger = await client('stranger', { Authorization: 'Bearer nobody' })

    t.test('an anonymous caller gets global flags on (STATIC) and active ones off (DISABLED)', async (t) => {
      t.plan(2)
      t.match(await anonymous.getBooleanDetails('feature_1', false), { value: true, reason: 'STATIC', variant: 'on' })
      t.match(await anonymous.getBooleanDetails('feature_3', true), { value: false, reason: 'DISABLED', variant: 'off' })
    })

    t.test('a known user gets their active feature on, by Bearer or by Basic', async (t) => {
      t.plan(3)
      t.match(await user.getBooleanDetails('feature_3', false), { value: true, reason: 'TARGETING_MATCH' })
      t.equal(await basicUser.getBooleanValue('feature_3', false), true)
      t.equal(await user.getBooleanValue('feature_2', false), true)
    })

    t.test('the evaluation context cannot change who the caller is', async (t) => {
      t.plan(1)
      t.equal(await anonymous.getBooleanValue('feature_3', false, { targetingKey: '1' }), false)
    })

    t.test("an inactive user feature is not found, so the SDK returns the caller's default", async (t) => {
      t.plan(2)
      t.match(await user.getBooleanDetails('feature_4', false), { value: false, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' })
      t.equal(await user.getBooleanValue('feature_4', true), true)
    })

    t.test("an unknown flag returns the caller's default with FLAG_NOT_FOUND", async (t) => {
      t.plan(2)
      t.match(await anonymous.getBooleanDetails('no_such_flag', true), { value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' })
      t.equal(await anonymous.getStringValue('no_such_flag', 'fallback'), 'fallback')
    })

    t.test('an unknown token makes the provider report a failure and the default is used', async (t) => {
      t.plan(2)
      let reported: unknown
      const details = await stranger.getBooleanDetails('feature_1', false, {}, {
        hooks: [{ error: (_context, err) => { reported = err } }],
      })
      t.match(details, { value: false, reason: 'ERROR', errorCode: 'GENERAL' })
      // The provider's own error for a 401, handed to the application's error hooks.
      t.match(reported, { name: 'OFREPApiUnauthorizedError', response: { status: 401 } })
    })

    t.test('asking for a non-boolean value of a flag gives the default with TYPE_MISMATCH', async (t) => {
      t.plan(1)
      t.match(await anonymous.getStringDetails('feature_1', 'text'), { value: 'text', reason: 'ERROR', errorCode: 'TYPE_MISMATCH' })
    })

    t.test('a change in the store reaches the very next evaluation', async (t) => {
      t.plan(2)
      t.match(await user.getBooleanDetails('feature_5', false), { value: false, errorCode: 'FLAG_NOT_FOUND' })
      await backend.grantFeature5()
      t.match(await user.getBooleanDetails('feature_5', false), { value: true, reason: 'TARGETING_MATCH' })
    })
  })
}

suite('redis', async () => {
  const pair = await startRedisPair()
  return {
    store: pair.store,
    env: pair.env,
    async grantFeature5 () {
      const features = pair.features.client()
      await features.sadd('active_features', 'feature_5')
      await features.sadd('features:user:1', 'feature_5')
      features.disconnect()
    },
    stop: () => pair.stop(),
  }
})

suite('embedded', async () => {
  const dir = t.testdir()
  const file = writeDataFile(dir, EXAMPLE_DATA)
  const store = new EmbeddedStore(file, quiet)
  return {
    store,
    env: {},
    async grantFeature5 () {
      writeDataFile(dir, {
        ...EXAMPLE_DATA,
        active_features: ['feature_3', 'feature_5'],
        user_features: { 1: ['feature_3', 'feature_4', 'feature_5'] },
      })
      store.reload() // the file watcher polls; reload now rather than wait for it
    },
    stop: () => store.close(),
  }
})
