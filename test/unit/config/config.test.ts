import { availableParallelism } from 'node:os'
import t from 'tap'
import { DEFAULTS, EXAMPLE_FEATURES_FILE, loadConfig } from '../../../src/config/config.js'
import { ConfigError } from '../../../src/errors.js'
import { PACKAGED_GEOIP_DATABASE } from '../../../src/location/geoip.js'

const REDIS = { REDIS_USERS_URL: 'redis://127.0.0.1:6400/0', REDIS_FEATURES_URL: 'redis://127.0.0.1:6401' }

t.test('with no environment the service runs on the embedded example store with the defaults', async (t) => {
  t.plan(8)
  const config = loadConfig({})
  t.same(config.store, { kind: 'embedded', file: EXAMPLE_FEATURES_FILE })
  t.equal(config.port, 5000)
  t.equal(config.host, undefined)
  t.equal(config.workers, availableParallelism())
  t.equal(config.redisCommandTimeoutMs, DEFAULTS.redisCommandTimeoutMs)
  t.ok(config.redisCommandTimeoutMs < 1000, 'the default Redis timeout is well under a second')
  t.equal(config.logLevel, 'info')
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.store), 'the config is frozen')
})

t.test('both Redis URLs select the Redis store', async (t) => {
  t.plan(1)
  t.match(loadConfig(REDIS).store, { kind: 'redis', usersUrl: REDIS.REDIS_USERS_URL, featuresUrl: REDIS.REDIS_FEATURES_URL, users: { kind: 'single' }, features: { kind: 'single' }, readFrom: 'primary' })
})

t.test('every setting is read from its variable', async (t) => {
  t.plan(11)
  const config = loadConfig({
    PORT: '8080', HOST: '127.0.0.1', WORKERS: '3', REDIS_COMMAND_TIMEOUT_MS: '100', REDIS_MAX_PENDING: '50',
    RETRY_AFTER_SECONDS: '5', LOG_LEVEL: 'warn', FEATURES_FILE: '/tmp/f.json', HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
    HTTP_HEADERS_TIMEOUT_MS: '2000', HTTP_REQUEST_TIMEOUT_MS: '3000',
  })
  t.equal(config.port, 8080)
  t.equal(config.host, '127.0.0.1')
  t.equal(config.workers, 3)
  t.equal(config.redisCommandTimeoutMs, 100)
  t.equal(config.redisMaxPending, 50)
  t.equal(config.retryAfterSeconds, 5)
  t.equal(config.logLevel, 'warn')
  t.same(config.store, { kind: 'embedded', file: '/tmp/f.json' })
  t.equal(config.keepAliveTimeoutMs, 1000)
  t.equal(config.headersTimeoutMs, 2000)
  t.equal(config.requestTimeoutMs, 3000)
})

t.test('an empty variable counts as unset', async (t) => {
  t.plan(2)
  t.equal(loadConfig({ PORT: '' }).port, 5000)
  t.equal(loadConfig({ REDIS_USERS_URL: '', REDIS_FEATURES_URL: '' }).store.kind, 'embedded')
})

const bad: [string, Record<string, string>, string, RegExp][] = [
  ['a port that is not a number', { PORT: 'http' }, 'PORT', /^PORT: expected an integer from 0 to 65535/],
  ['a port out of range', { PORT: '70000' }, 'PORT', /^PORT: expected an integer from 0 to 65535, got 70000$/],
  ['a negative worker count', { WORKERS: '-1' }, 'WORKERS', /^WORKERS: expected an integer from 1/],
  ['zero workers', { WORKERS: '0' }, 'WORKERS', /^WORKERS: /],
  ['a fractional timeout', { REDIS_COMMAND_TIMEOUT_MS: '1.5' }, 'REDIS_COMMAND_TIMEOUT_MS', /^REDIS_COMMAND_TIMEOUT_MS: /],
  ['an unknown log level', { LOG_LEVEL: 'verbose' }, 'LOG_LEVEL', /^LOG_LEVEL: expected one of fatal, error/],
  ['a zero answer limit', { MAX_ANSWER_FEATURES: '0' }, 'MAX_ANSWER_FEATURES', /^MAX_ANSWER_FEATURES: expected an integer from 1 to 10000000, got 0$/],
  ['an answer limit that is not a number', { MAX_ANSWER_FEATURES: '10k' }, 'MAX_ANSWER_FEATURES', /^MAX_ANSWER_FEATURES: expected an integer/],
  ['a zero OFREP limit', { MAX_OFREP_FLAGS: '0' }, 'MAX_OFREP_FLAGS', /^MAX_OFREP_FLAGS: expected an integer from 1 to 10000000, got 0$/],
  ['an OFREP limit that is not a number', { MAX_OFREP_FLAGS: '-5' }, 'MAX_OFREP_FLAGS', /^MAX_OFREP_FLAGS: expected an integer/],
  ['only the users URL', { REDIS_USERS_URL: 'redis://x:1' }, 'REDIS_FEATURES_URL', /^REDIS_FEATURES_URL: expected set together with REDIS_USERS_URL/],
  ['only the features URL', { REDIS_FEATURES_URL: 'redis://x:1' }, 'REDIS_USERS_URL', /^REDIS_USERS_URL: expected set together with REDIS_FEATURES_URL/],
  ['a URL that does not parse', { ...REDIS, REDIS_USERS_URL: 'not a url' }, 'REDIS_USERS_URL', /^REDIS_USERS_URL: expected a redis:\/\//],
  ['another protocol', { ...REDIS, REDIS_FEATURES_URL: 'http://x:1' }, 'REDIS_FEATURES_URL', /got protocol "http:"/],
  ['a database that is not a number', { ...REDIS, REDIS_FEATURES_URL: 'redis://x:1/db' }, 'REDIS_FEATURES_URL', /database number/],
  ['a location header that is no header name', { LOCATION_HEADER: 'x location' }, 'LOCATION_HEADER', /^LOCATION_HEADER: expected an HTTP header name/],
  ['a GeoIP file that does not exist', { GEOIP: '/nonexistent/country.mmdb' }, 'GEOIP', /^GEOIP: expected off, on, or the path of a country database \(expected a readable MaxMind DB \(\.mmdb\) file at \/nonexistent\/country\.mmdb/],
  ['a GeoIP file that is not a MaxMind DB', { GEOIP: EXAMPLE_FEATURES_FILE }, 'GEOIP', /no MaxMind DB metadata section/],
  ['a trusted proxy that is no address', { GEOIP: 'on', TRUST_PROXY: '10.0.0.0/8, proxy.local' }, 'TRUST_PROXY', /^TRUST_PROXY: expected comma-separated IPv4\/IPv6 addresses or CIDR blocks .*got "proxy.local"$/],
  ['trusted proxies without GeoIP', { TRUST_PROXY: '10.0.0.0/8' }, 'TRUST_PROXY', /^TRUST_PROXY: expected to be set only together with GEOIP/],
]

for (const [what, env, variable, message] of bad) {
  t.test(`${what} stops the boot with a ConfigError naming ${variable}`, async (t) => {
    t.plan(3)
    const err = t.throws(() => loadConfig(env)) as ConfigError
    t.equal(err.code, 'TF_ERR_CONFIG')
    t.match(err, { variable, message })
  })
}

t.test('a password in an unparsable Redis URL is not echoed', async (t) => {
  t.plan(2)
  const err = t.throws(() => loadConfig({ ...REDIS, REDIS_USERS_URL: 'redis://user:s3cret@ho st:1' })) as Error
  t.notMatch(err.message, /s3cret/)
})

t.test('the answer size limits default to 10000 each and are read from MAX_ANSWER_FEATURES and MAX_OFREP_FLAGS', async (t) => {
  t.plan(5)
  const defaults = loadConfig({})
  t.equal(defaults.maxAnswerFeatures, 10_000)
  t.equal(defaults.maxOfrepFlags, 10_000)
  t.equal(DEFAULTS.maxAnswerFeatures, defaults.maxAnswerFeatures, 'the default lives in DEFAULTS')
  const set = loadConfig({ MAX_ANSWER_FEATURES: '250', MAX_OFREP_FLAGS: '300' })
  t.equal(set.maxAnswerFeatures, 250)
  t.equal(set.maxOfrepFlags, 300)
})

t.test('no location source by default; LOCATION_HEADER, GEOIP and TRUST_PROXY are read and checked at boot', async (t) => {
  t.plan(8)
  t.same(loadConfig({}).location, { header: undefined, geoipFile: undefined, trusted: undefined })
  t.equal(DEFAULTS.geoip, 'off')
  t.equal(loadConfig({ GEOIP: 'off' }).location.geoipFile, undefined)
  const config = loadConfig({ LOCATION_HEADER: 'CF-IPCountry', GEOIP: 'on', TRUST_PROXY: '10.0.0.0/8, ::1' })
  t.equal(config.location.header, 'cf-ipcountry', 'lower-cased, as node names headers')
  t.equal(config.location.geoipFile, PACKAGED_GEOIP_DATABASE, 'on: the packaged database')
  const trusted = config.location.trusted
  t.ok(trusted !== undefined && trusted.has('10.1.2.3') && trusted.has('::1') && !trusted.has('8.8.8.8'), 'the proxies, parsed once')
  t.equal(loadConfig({ GEOIP: PACKAGED_GEOIP_DATABASE }).location.geoipFile, PACKAGED_GEOIP_DATABASE, 'a path: that file')
  t.ok(Object.isFrozen(config.location))
})
