// The operations settings in the configuration.

import t from 'tap'
import { DEFAULTS, loadConfig } from '../../../src/config/config.js'
import { ConfigError } from '../../../src/errors.js'

t.test('operations settings default to a 10 s shutdown deadline, no access log, local metrics', async (t) => {
  const c = loadConfig({})
  t.equal(c.shutdownTimeoutMs, DEFAULTS.shutdownTimeoutMs)
  t.equal(c.shutdownTimeoutMs, 10_000)
  t.equal(c.accessLog, false)
  t.equal(c.clusterMetrics, false)
})

t.test('operations settings are read from SHUTDOWN_TIMEOUT_MS, ACCESS_LOG and TIDEFLAGS_CLUSTER_METRICS', async (t) => {
  const c = loadConfig({ SHUTDOWN_TIMEOUT_MS: '2500', ACCESS_LOG: 'true', TIDEFLAGS_CLUSTER_METRICS: '1' })
  t.equal(c.shutdownTimeoutMs, 2500)
  t.equal(c.accessLog, true)
  t.equal(c.clusterMetrics, true)
  t.equal(loadConfig({ ACCESS_LOG: '0' }).accessLog, false)
  t.equal(loadConfig({ ACCESS_LOG: 'false' }).accessLog, false)
  t.equal(loadConfig({ ACCESS_LOG: '1' }).accessLog, true)
})

t.test('a bad operations value stops the boot with one line naming the variable', async (t) => {
  t.throws(() => loadConfig({ ACCESS_LOG: 'yes' }), new ConfigError('ACCESS_LOG', '1, true, 0 or false, got "yes"'))
  t.throws(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: '0' }), { name: 'ConfigError', message: /^SHUTDOWN_TIMEOUT_MS: / })
  t.throws(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: '10s' }), { name: 'ConfigError', message: /^SHUTDOWN_TIMEOUT_MS: / })
})

t.test('WORKER_SEMI_SPACE_MB defaults to 2, takes 0 for V8\'s default, refuses what is not a size', async (t) => {
  t.equal(loadConfig({}).workerSemiSpaceMb, 2)
  t.equal(loadConfig({ WORKER_SEMI_SPACE_MB: '0' }).workerSemiSpaceMb, 0)
  t.equal(loadConfig({ WORKER_SEMI_SPACE_MB: '16' }).workerSemiSpaceMb, 16)
  t.throws(() => loadConfig({ WORKER_SEMI_SPACE_MB: '2MB' }), { name: 'ConfigError', message: /^WORKER_SEMI_SPACE_MB: / })
  t.throws(() => loadConfig({ WORKER_SEMI_SPACE_MB: '4096' }), { name: 'ConfigError', message: /^WORKER_SEMI_SPACE_MB: / })
})

t.test('the pm2 ecosystem gives its workers the same semi-space as the default', async (t) => {
  const { createRequire } = await import('node:module')
  const ecosystem = createRequire(import.meta.url)('../../../ecosystem.config.cjs') as { apps: Array<{ node_args: string[] }> }
  t.same(ecosystem.apps[0]?.node_args, [`--max-semi-space-size=${DEFAULTS.workerSemiSpaceMb}`])
})

t.test('CLUSTER_SCHEDULING defaults to rr (the primary accepts), takes none, refuses anything else', async (t) => {
  t.equal(loadConfig({}).clusterScheduling, 'rr')
  t.equal(DEFAULTS.clusterScheduling, 'rr')
  t.equal(loadConfig({ CLUSTER_SCHEDULING: 'rr' }).clusterScheduling, 'rr')
  t.equal(loadConfig({ CLUSTER_SCHEDULING: 'none' }).clusterScheduling, 'none')
  t.throws(() => loadConfig({ CLUSTER_SCHEDULING: 'round-robin' }), { name: 'ConfigError', message: /^CLUSTER_SCHEDULING: expected rr or none/ })
})
