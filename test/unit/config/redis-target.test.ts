// The three forms a Redis URL variable takes (README "Scaling out"), and what each refuses at boot.

import t from 'tap'
import { loadConfig } from '../../../src/config/config.js'
import { parseRedisTarget } from '../../../src/config/redis-target.js'
import type { ConfigError } from '../../../src/errors.js'

t.test('a plain URL names one instance, and its identity ignores credentials but not the db', async (t) => {
  t.plan(3)
  t.same(parseRedisTarget('V', 'redis://127.0.0.1:6400/2'), { kind: 'single', url: 'redis://127.0.0.1:6400/2', identity: 'redis://127.0.0.1:6400/2' })
  t.equal(parseRedisTarget('V', 'redis://u:p@h:1').identity, parseRedisTarget('V', 'redis://h:1/0').identity, 'db 0 is the default, credentials are not part of it')
  t.not(parseRedisTarget('V', 'redis://h:1/1').identity, parseRedisTarget('V', 'redis://h:1/0').identity)
})

t.test('a Sentinel URL lists the sentinels, the master name and an optional db, with percent-encoded credentials', async (t) => {
  t.plan(3)
  t.same(parseRedisTarget('V', 'redis+sentinel://app:p%40ss@10.0.0.1:26379,[::1]:26380/mymaster/3'), {
    kind: 'sentinel',
    sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '::1', port: 26380 }],
    name: 'mymaster',
    db: 3,
    username: 'app',
    password: 'p@ss',
    tls: false,
    identity: 'sentinel:redis://10.0.0.1:26379,::1:26380/mymaster/3',
  })
  t.match(parseRedisTarget('V', 'rediss+sentinel://:secret@h:1/m'), { kind: 'sentinel', db: 0, tls: true, username: undefined, password: 'secret' })
  t.match(parseRedisTarget('V', 'redis+cluster://onlyuser@h:1'), { username: 'onlyuser', password: undefined }, 'a user without a password')
})

t.test('a Cluster URL lists seed nodes; the same seeds in another order are the same cluster', async (t) => {
  t.plan(3)
  t.same(parseRedisTarget('V', 'rediss+cluster://h1:7000,h2:7001'), {
    kind: 'cluster', nodes: [{ host: 'h1', port: 7000 }, { host: 'h2', port: 7001 }], username: undefined, password: undefined, tls: true, identity: 'cluster:rediss://h1:7000,h2:7001',
  })
  t.equal(parseRedisTarget('V', 'redis+cluster://b:2,a:1/').identity, parseRedisTarget('V', 'redis+cluster://a:1,b:2').identity)
  t.not(parseRedisTarget('V', 'redis+cluster://a:1').identity, parseRedisTarget('V', 'redis://a:1').identity, 'a cluster is never shared with a plain connection')
})

const refusals: Array<[string, string, RegExp]> = [
  ['a cluster with a db', 'redis+cluster://h:1/2', /no path in a redis\+cluster/],
  ['a sentinel URL without a master name', 'redis+sentinel://h:1', /the master name/],
  ['a sentinel URL with a db that is not a number', 'redis+sentinel://h:1/m/x', /database number/],
  ['a sentinel URL with too many path parts', 'redis+sentinel://h:1/m/1/2', /the master name/],
  ['a host without a port', 'redis+cluster://h1:7000,h2', /host:port pairs/],
  ['a port out of range', 'redis+sentinel://h:70000/m', /host:port pairs/],
  ['a malformed percent escape in the password', 'redis+cluster://u:%zz@h:1', /percent-encoded/],
  ['another scheme', 'http://h:1', /protocol "http:"/],
  ['something that is not a URL', 'h:1,h:2', /a redis:\/\//],
]
for (const [what, raw, message] of refusals) {
  t.test(`refused at boot: ${what}`, async (t) => {
    t.plan(2)
    const err = t.throws(() => parseRedisTarget('REDIS_FEATURES_URL', raw)) as ConfigError
    t.match(err, { variable: 'REDIS_FEATURES_URL', message })
  })
}

const CLUSTER = { REDIS_USERS_URL: 'redis+cluster://h:1,h:2', REDIS_FEATURES_URL: 'redis+cluster://h:1,h:2' }
const SENTINEL = { REDIS_USERS_URL: 'redis+sentinel://h:1/m', REDIS_FEATURES_URL: 'redis+sentinel://h:1/m/1' }

t.test('REDIS_READ_FROM is primary by default, replica on request, and nothing else', async (t) => {
  t.plan(4)
  t.match(loadConfig(CLUSTER).store, { readFrom: 'primary', users: { kind: 'cluster' }, features: { kind: 'cluster' } })
  t.match(loadConfig({ ...SENTINEL, REDIS_READ_FROM: 'replica' }).store, { readFrom: 'replica' })
  t.throws(() => loadConfig({ ...SENTINEL, REDIS_READ_FROM: 'secondary' }), { variable: 'REDIS_READ_FROM', message: /primary or replica, got "secondary"/ })
  t.throws(() => loadConfig({ ...SENTINEL, REDIS_USERS_URL: 'redis://h:1', REDIS_READ_FROM: 'replica' }), { variable: 'REDIS_READ_FROM', message: /REDIS_USERS_URL names one instance/ },
    'a plain URL has no replicas to find')
})

t.test('the client-side cache is refused where CLIENT TRACKING cannot keep it fresh', async (t) => {
  t.plan(4)
  t.throws(() => loadConfig({ ...CLUSTER, REDIS_CLIENT_CACHE_ENTRIES: '100' }), { variable: 'REDIS_CLIENT_CACHE_ENTRIES', message: /redis\+cluster/ })
  t.throws(() => loadConfig({ ...SENTINEL, REDIS_READ_FROM: 'replica', REDIS_CLIENT_CACHE_ENTRIES: '100' }), { variable: 'REDIS_CLIENT_CACHE_ENTRIES', message: /REDIS_READ_FROM=replica/ })
  t.equal(loadConfig({ ...SENTINEL, REDIS_CLIENT_CACHE_ENTRIES: '100' }).clientCacheEntries, 100, 'a Sentinel primary keeps it')
  t.equal(loadConfig({ ...CLUSTER, REDIS_CLIENT_CACHE_ENTRIES: '0' }).clientCacheEntries, 0, 'an explicit 0 is accepted anywhere')
})

t.test('the admin API is refused on a Cluster: a write and its audit entry span two slots', async (t) => {
  t.plan(1)
  t.throws(() => loadConfig({ ...CLUSTER, ADMIN_PORT: '9000', ADMIN_TOKENS_FILE: '/nonexistent' }), { variable: 'ADMIN_PORT', message: /redis\+cluster/ })
})
