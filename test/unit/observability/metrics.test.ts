// What the metrics count and how they read in Prometheus text.

import { ReplyError } from 'ioredis'
import { pino } from 'pino'
import t from 'tap'
import { loadConfig } from '../../../src/config/config.js'
import { HttpError } from '../../../src/errors.js'
import { pathOf } from '../../../src/http/path.js'
import { Replier } from '../../../src/http/reply.js'
import { createRouter } from '../../../src/http/router.js'
import { Metrics, type RouteCounters } from '../../../src/observability/metrics.js'
import { classify, overloaded } from '../../../src/store/redis/classify.js'

// The router matches each request once and hands the match's counters to the metrics: these tests
// count through a real router's matches, as the server does.
function routed (m: Metrics, paths: readonly string[], prefixes: readonly string[] = []): (url: string | undefined) => RouteCounters {
  const noop = (): void => {}
  const router = createRouter([
    ...paths.map((path) => ({ path, methods: { GET: noop } })),
    ...prefixes.map((prefix) => ({ prefix, methods: { GET: noop } })),
  ], new Replier(loadConfig({}), pino({ level: 'silent' })), m)
  return (url) => url === undefined ? m.unmatched : router.match(pathOf(url)).counters
}

t.test('requests are counted by route and status, unknown paths under one unmatched label', async (t) => {
  const m = new Metrics({ defaultMetrics: false })
  const at = routed(m, ['/features'])
  m.begin(); m.end(at('/features?x=1'), 200, 0.0007)
  m.begin(); m.end(at('/features'), 503, 0.3)
  m.begin(); m.end(at('/random/path'), 404, 0.0001)
  m.begin(); m.end(at(undefined), 400, 0.0001)
  m.begin()
  const text = await m.registry.metrics()
  t.match(text, 'tideflags_http_requests_total{route="/features",status="200"} 1')
  t.match(text, 'tideflags_http_requests_total{route="/features",status="503"} 1')
  t.match(text, 'tideflags_http_requests_total{route="unmatched",status="404"} 1')
  t.match(text, 'tideflags_http_requests_total{route="unmatched",status="400"} 1')
  t.match(text, 'tideflags_http_requests_in_flight 1', 'one request still in flight')
})

t.test('the latency histogram is cumulative and ends with +Inf, sum and count', async (t) => {
  const m = new Metrics({ defaultMetrics: false })
  const at = routed(m, ['/features'])
  for (const s of [0.0004, 0.002, 0.3, 9]) { m.begin(); m.end(at('/features'), 200, s) }
  const text = await m.registry.metrics()
  t.match(text, 'tideflags_http_request_duration_seconds_bucket{le="0.0005",route="/features"} 1')
  t.match(text, 'tideflags_http_request_duration_seconds_bucket{le="0.0025",route="/features"} 2')
  t.match(text, 'tideflags_http_request_duration_seconds_bucket{le="0.5",route="/features"} 3')
  t.match(text, 'tideflags_http_request_duration_seconds_bucket{le="2.5",route="/features"} 3')
  t.match(text, 'tideflags_http_request_duration_seconds_bucket{le="+Inf",route="/features"} 4')
  t.match(text, 'tideflags_http_request_duration_seconds_count{route="/features"} 4')
  t.match(text, /tideflags_http_request_duration_seconds_sum\{route="\/features"\} 9\.302/)
})

t.test('an out-of-range status is counted as 0 rather than lost or thrown', async (t) => {
  const m = new Metrics({ defaultMetrics: false })
  m.begin(); m.end(routed(m, [])('/x'), 999, 0.001)
  t.match(await m.registry.metrics(), 'tideflags_http_requests_total{route="unmatched",status="0"} 1')
})

t.test('Redis failures are classified by kind, and other failures are not counted', async (t) => {
  // The store classifies (store/redis/classify.ts); the metrics count what it decided.
  const timeout = classify(new Error('Command timed out'))
  const connection = classify(new Error('Connection is closed.'))
  const reply = classify(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'))
  const overload = overloaded()
  const kindOf = (err: unknown): string | undefined => err instanceof HttpError ? err.failure : undefined
  t.equal(kindOf(timeout), 'timeout')
  t.equal(kindOf(connection), 'connection')
  t.equal(kindOf(reply), 'reply')
  t.equal(kindOf(overload), 'overload')
  t.equal(kindOf(new HttpError('TF_ERR_INTERNAL')), undefined, 'a 500 without a Redis cause')
  t.equal(kindOf(new HttpError('TF_ERR_UNAUTHORIZED')), undefined, 'a client error')
  t.equal(kindOf(new Error('bug')), undefined, 'a bug is not a Redis error')
  t.equal(kindOf(new HttpError('TF_ERR_SERVICE_UNAVAILABLE')), undefined, 'a 503 the store did not mark is not filed under overload')
  const m = new Metrics({ defaultMetrics: false })
  for (const err of [timeout, timeout, connection, reply, overload, new Error('bug')]) m.failure(err)
  const text = await m.registry.metrics()
  t.match(text, 'tideflags_redis_errors_total{kind="timeout"} 2')
  t.match(text, 'tideflags_redis_errors_total{kind="connection"} 1')
  t.match(text, 'tideflags_redis_errors_total{kind="reply"} 1')
  t.match(text, 'tideflags_redis_errors_total{kind="overload"} 1')
})

t.test('process metrics are included by default', async (t) => {
  const m = new Metrics()
  t.match(await m.registry.metrics(), /process_resident_memory_bytes \d+/)
})

t.test('prefix routes are counted under one label per prefix', async (t) => {
  const m = new Metrics({ defaultMetrics: false })
  const at = routed(m, ['/ofrep/v1/evaluate/flags'], ['/ofrep/v1/evaluate/flags/'])
  m.begin(); m.end(at('/ofrep/v1/evaluate/flags/feature_1'), 200, 0.001)
  m.begin(); m.end(at('/ofrep/v1/evaluate/flags/feature_2?x'), 404, 0.001)
  m.begin(); m.end(at('/ofrep/v1/evaluate/flags'), 200, 0.001)
  // Paths the router answers 404 for are not the prefix route: more than one segment, or none.
  m.begin(); m.end(at('/ofrep/v1/evaluate/flags/a/b'), 404, 0.001)
  m.begin(); m.end(at('/ofrep/v1/evaluate/flags/'), 404, 0.001)
  const text = await m.registry.metrics()
  t.match(text, 'tideflags_http_requests_total{route="unmatched",status="404"} 2')
  t.match(text, 'tideflags_http_requests_total{route="/ofrep/v1/evaluate/flags/{key}",status="200"} 1')
  t.match(text, 'tideflags_http_requests_total{route="/ofrep/v1/evaluate/flags/{key}",status="404"} 1')
  t.match(text, 'tideflags_http_requests_total{route="/ofrep/v1/evaluate/flags",status="200"} 1')
})

t.test('a request node rejected before it began counts under unmatched, without a duration or in-flight change', async (t) => {
  t.plan(3)
  const m = new Metrics({ defaultMetrics: false })
  m.rejected(431)
  const text = await m.registry.metrics()
  t.match(text, 'tideflags_http_requests_total{route="unmatched",status="431"} 1')
  t.notMatch(text, 'tideflags_http_request_duration_seconds_count{route="unmatched"}')
  t.match(text, 'tideflags_http_requests_in_flight 0')
})

t.test('malformed schedules met are counted, starting at zero', async (t) => {
  t.plan(2)
  const metrics = new Metrics({ defaultMetrics: false })
  t.match(await metrics.registry.metrics(), /^tideflags_schedule_invalid_total 0$/m)
  metrics.scheduleInvalid()
  metrics.scheduleInvalid()
  t.match(await metrics.registry.metrics(), /^tideflags_schedule_invalid_total 2$/m)
})

t.test('a Cluster that is resharding, failing over or down is a 503 of its own kind, and a wrong type is not', async (t) => {
  t.plan(9)
  for (const message of ['CLUSTERDOWN The cluster is down', 'TRYAGAIN Multiple keys request during rehashing of slot', 'MOVED 3999 127.0.0.1:7002', 'ASK 3999 127.0.0.1:7002']) {
    t.match(classify(new ReplyError(message)), { failure: 'cluster', code: 'TF_ERR_SERVICE_UNAVAILABLE' }, message.slice(0, message.indexOf(' ')))
  }
  for (const message of ['Too many Cluster redirections. Last error: Error: Connection is closed.', "Cluster isn't ready and enableOfflineQueue options is false"]) {
    t.match(classify(new Error(message)), { failure: 'cluster', code: 'TF_ERR_SERVICE_UNAVAILABLE' }, message)
  }
  t.match(classify(new ReplyError('CROSSSLOT Keys in request don\'t hash to the same slot')), { failure: 'reply', code: 'TF_ERR_INTERNAL' }, 'CROSSSLOT would be our bug: a 500')
  t.match(classify('not an Error'), { failure: 'connection', code: 'TF_ERR_SERVICE_UNAVAILABLE' }, 'anything else thrown by the client: the connection')
  const m = new Metrics({ defaultMetrics: false })
  m.failure(classify(new ReplyError('CLUSTERDOWN The cluster is down')))
  t.match(await m.registry.metrics(), 'tideflags_redis_errors_total{kind="cluster"} 1')
})

t.test('every Redis server the store reads from is a tideflags_redis_node_up series, 1 up and 0 down', async (t) => {
  t.plan(3)
  const m = new Metrics({ defaultMetrics: false })
  t.notMatch(await m.registry.metrics(), /tideflags_redis_node_up\{/, 'none without a Redis store (the embedded store)')
  m.watchRedisNodes(async () => [{ redis: 'users', node: '10.0.0.1:6379', up: true }, { redis: 'features', node: '10.0.0.2:7000', up: false }])
  const text = await m.registry.metrics()
  t.match(text, 'tideflags_redis_node_up{redis="users",node="10.0.0.1:6379"} 1')
  t.match(text, 'tideflags_redis_node_up{redis="features",node="10.0.0.2:7000"} 0')
})
