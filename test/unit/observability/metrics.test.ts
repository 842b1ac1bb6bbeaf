// What the metrics count and how they read in Prometheus text.

import { ReplyError } from 'ioredis'
import t from 'tap'
import { HttpError } from '../../../src/errors.js'
import { Metrics, redisErrorKind } from '../../../src/observability/metrics.js'

t.test('requests are counted by route and status, unknown paths under one unmatched label', async (t) => {
  const m = new Metrics({ defaultMetrics: false })
  m.addRoutes(['/features'])
  m.begin(); m.end('/features?x=1', 200, 0.0007)
  m.begin(); m.end('/features', 503, 0.3)
  m.begin(); m.end('/random/path', 404, 0.0001)
  m.begin(); m.end(undefined, 400, 0.0001)
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
  m.addRoutes(['/features'])
  for (const s of [0.0004, 0.002, 0.3, 9]) { m.begin(); m.end('/features', 200, s) }
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
  m.begin(); m.end('/x', 999, 0.001)
  t.match(await m.registry.metrics(), 'tideflags_http_requests_total{route="unmatched",status="0"} 1')
})

t.test('Redis failures are classified by kind, and other failures are not counted', async (t) => {
  const timeout = new HttpError('TF_ERR_SERVICE_UNAVAILABLE', { cause: new Error('Command timed out') })
  const connection = new HttpError('TF_ERR_SERVICE_UNAVAILABLE', { cause: new Error('Connection is closed.') })
  const reply = new HttpError('TF_ERR_INTERNAL', { cause: new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value') })
  const overload = new HttpError('TF_ERR_SERVICE_UNAVAILABLE')
  t.equal(redisErrorKind(timeout), 'timeout')
  t.equal(redisErrorKind(connection), 'connection')
  t.equal(redisErrorKind(reply), 'reply')
  t.equal(redisErrorKind(overload), 'overload')
  t.equal(redisErrorKind(new HttpError('TF_ERR_INTERNAL')), undefined, 'a 500 without a Redis cause')
  t.equal(redisErrorKind(new HttpError('TF_ERR_UNAUTHORIZED')), undefined, 'a client error')
  t.equal(redisErrorKind(new Error('bug')), undefined, 'a bug is not a Redis error')
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
  m.addRoutes(['/ofrep/v1/evaluate/flags'], ['/ofrep/v1/evaluate/flags/'])
  m.begin(); m.end('/ofrep/v1/evaluate/flags/feature_1', 200, 0.001)
  m.begin(); m.end('/ofrep/v1/evaluate/flags/feature_2?x', 404, 0.001)
  m.begin(); m.end('/ofrep/v1/evaluate/flags', 200, 0.001)
  // Paths the router answers 404 for are not the prefix route: more than one segment, or none.
  m.begin(); m.end('/ofrep/v1/evaluate/flags/a/b', 404, 0.001)
  m.begin(); m.end('/ofrep/v1/evaluate/flags/', 404, 0.001)
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
