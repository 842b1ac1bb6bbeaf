// The published web SDK and OFREP web provider, unmodified, run in Node against the service on both
// stores: bulk evaluation as a client app would make it, and the ETag re-fetch it relies on.

import { OFREPWebProvider } from '@openfeature/ofrep-web-provider'
import { InMemoryProvider, OpenFeature, ProviderEvents, type Client } from '@openfeature/web-sdk'
import t from 'tap'
import { EmbeddedStore } from '../../../src/store/embedded/embedded-store.js'
import type { FeatureStore } from '../../../src/store/index.js'
import { EXAMPLE_DATA, quiet, serve, startRedisPair, writeDataFile } from '../../helpers/in-process.js'

interface Backend {
  readonly store: FeatureStore
  readonly env: Record<string, string>
  /** Switch feature_5 on for user 1 (add it to active_features and their set). */
  grantFeature5 (): Promise<void>
  /** Take feature_3 out of active_features: retired for everyone. */
  retireFeature3 (): Promise<void>
  stop (): Promise<void>
}

/** What one provider's fetches saw: request If-None-Match and response status, in order. */
interface Exchange { ifNoneMatch: string | null, status: number }

t.teardown(() => OpenFeature.close())

function suite (name: string, open: () => Promise<Backend>): void {
  t.test(`web SDK over the ${name} store`, async (t) => {
    t.plan(6)
    const backend = await open()
    const served = await serve(backend.store, backend.env)
    t.teardown(async () => {
      await served.close()
      await backend.stop()
    })

    function provider (exchanges: Exchange[], headers: [string, string][], pollInterval = 0): OFREPWebProvider {
      return new OFREPWebProvider({
        baseUrl: served.url,
        cacheMode: 'disabled',
        headers,
        pollInterval,
        // Wraps the global fetch only to observe the exchanges; requests and responses pass untouched.
        fetchImplementation: async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
          const res = await fetch(input, init)
          exchanges.push({ ifNoneMatch: input instanceof Request ? input.headers.get('if-none-match') : null, status: res.status })
          return res
        },
      })
    }
    async function client (domain: string, exchanges: Exchange[], headers: [string, string][] = [], pollInterval = 0): Promise<Client> {
      const d = `${name}-${domain}`
      await OpenFeature.setProviderAndWait(d, provider(exchanges, headers, pollInterval), { targetingKey: 'device-42' })
      return OpenFeature.getClient(d)
    }

    t.test('an anonymous app gets global flags on, active ones off, and defaults for unknown flags or other types', async (t) => {
      t.plan(5)
      const exchanges: Exchange[] = []
      const anonymous = await client('anonymous', exchanges)
      t.match(anonymous.getNumberDetails('feature_1', 7), { value: 7, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' })
      t.match(anonymous.getBooleanDetails('feature_1', false), { value: true, reason: 'STATIC', variant: 'on' })
      t.match(anonymous.getBooleanDetails('feature_3', true), { value: false, reason: 'DISABLED', variant: 'off' })
      t.match(anonymous.getBooleanDetails('no_such_flag', true), { value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' })
      t.same(exchanges, [{ ifNoneMatch: null, status: 200 }], 'one bulk request at start')
    })

    t.test("a known user's active feature is on; an inactive one falls back to the app's default", async (t) => {
      t.plan(3)
      const user = await client('user', [], [['Authorization', 'Bearer 1234']])
      t.match(user.getBooleanDetails('feature_3', false), { value: true, reason: 'TARGETING_MATCH' })
      t.match(user.getBooleanDetails('feature_4', false), { value: false, errorCode: 'FLAG_NOT_FOUND' })
      t.equal(user.getBooleanValue('feature_4', true), true)
    })

    t.test('an unknown token fails provider start-up and every flag gives its default', async (t) => {
      t.plan(3)
      const d = `${name}-stranger`
      const exchanges: Exchange[] = []
      await t.rejects(OpenFeature.setProviderAndWait(d, provider(exchanges, [['Authorization', 'Bearer nobody']])))
      t.match(OpenFeature.getClient(d).getBooleanDetails('feature_1', false), { value: false, reason: 'ERROR' })
      t.same(exchanges, [{ ifNoneMatch: null, status: 401 }])
    })

    t.test('a re-fetch sends the ETag and gets 304 until the answer changes, then the change arrives', async (t) => {
      t.plan(4)
      const exchanges: Exchange[] = []
      const d = `${name}-refetch`
      const user = await client('refetch', exchanges, [['Authorization', 'Bearer 1234']])
      // A context change with the same targeting key makes the provider re-fetch with If-None-Match.
      await OpenFeature.setContext(d, { targetingKey: 'device-42', screen: 'settings' })
      t.equal(user.getBooleanValue('feature_5', false), false)
      await backend.grantFeature5()
      await OpenFeature.setContext(d, { targetingKey: 'device-42', screen: 'home' })
      t.match(user.getBooleanDetails('feature_5', false), { value: true, reason: 'TARGETING_MATCH' })
      const [first, second, third] = exchanges
      t.same([first?.status, second?.status, third?.status], [200, 304, 200])
      t.ok(second?.ifNoneMatch !== null && second?.ifNoneMatch === third?.ifNoneMatch, 'both re-fetches sent the first ETag')
    })

    t.test('a polling app learns of a change on its next poll', async (t) => {
      t.plan(2)
      const d = `${name}-polling`
      const user = await client('polling', [], [['Authorization', 'Bearer 1234']], 50)
      t.equal(user.getBooleanValue('feature_3', false), true)
      const changed = new Promise<void>((resolve) => user.addHandler(ProviderEvents.ConfigurationChanged, () => resolve()))
      await backend.retireFeature3()
      await changed
      t.match(user.getBooleanDetails('feature_3', false), { value: false, errorCode: 'FLAG_NOT_FOUND' })
      // Replacing the provider closes it, which stops its polling.
      await OpenFeature.setProviderAndWait(d, new InMemoryProvider({}))
    })

    t.test('the ETag a provider keeps is its own: another identity never gets its 304', async (t) => {
      t.plan(2)
      const exchanges: Exchange[] = []
      const d = `${name}-anonymous-after`
      const anonymous = await client('anonymous-after', exchanges)
      await OpenFeature.setContext(d, { targetingKey: 'device-42', again: true })
      t.same(exchanges.map((e) => e.status), [200, 304])
      t.equal(anonymous.getBooleanValue('feature_1', false), true)
    })
  })
}

suite('redis', async () => {
  const pair = await startRedisPair()
  async function write (edit: (features: ReturnType<typeof pair.features.client>) => Promise<unknown>): Promise<void> {
    const features = pair.features.client()
    await edit(features)
    features.disconnect()
  }
  return {
    store: pair.store,
    env: pair.env,
    grantFeature5: () => write(async (f) => f.sadd('active_features', 'feature_5').then(() => f.sadd('features:user:1', 'feature_5'))),
    retireFeature3: () => write((f) => f.srem('active_features', 'feature_3')),
    stop: () => pair.stop(),
  }
})

suite('embedded', async () => {
  const dir = t.testdir()
  const store = new EmbeddedStore(writeDataFile(dir, EXAMPLE_DATA), quiet)
  let data = { ...EXAMPLE_DATA }
  function rewrite (next: typeof data): void {
    data = next
    writeDataFile(dir, data)
    store.reload() // the file watcher polls; reload now rather than wait for it
  }
  return {
    store,
    env: {},
    async grantFeature5 () {
      rewrite({ ...data, active_features: [...data.active_features, 'feature_5'], user_features: { 1: ['feature_3', 'feature_4', 'feature_5'] } })
    },
    async retireFeature3 () {
      rewrite({ ...data, active_features: data.active_features.filter((f) => f !== 'feature_3') })
    },
    stop: () => store.close(),
  }
})
