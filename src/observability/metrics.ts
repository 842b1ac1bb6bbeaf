// Prometheus metrics of one worker: the counters and their rendering. The hot path only bumps numbers
// in typed arrays (no label hashing, no allocation); prom-client turns them into metric objects when
// scraped. How a scrape reaches the whole cluster is process/metrics-relay.ts; the route is
// routes/metrics.ts.

import { collectDefaultMetrics, Registry, type Metric } from 'prom-client'
import { HttpError, type RedisFailureKind } from '../errors.js'

/** Upper bounds of the latency histogram (s): a healthy answer takes ~1 ms; the Redis timeout is 250 ms. */
export const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

/** Label of requests to paths no route serves: one series, so random URLs cannot explode cardinality. */
export const UNMATCHED = 'unmatched'

// The kinds of tideflags_redis_errors_total, in the order of its counters.
const REDIS_FAILURE_KINDS: readonly RedisFailureKind[] = ['timeout', 'connection', 'reply', 'overload', 'cluster']

const MAX_STATUS = 600

/** The counters of one route label; the router holds one per route and hands it over per request. */
export interface RouteCounters {
  readonly label: string
  /** Requests by status code: index = status. */
  readonly byStatus: Float64Array
  /** Histogram buckets (cumulative at scrape time), then +Inf at the end. */
  readonly buckets: Float64Array
  sum: number
  count: number
}

/** The numbers one worker keeps, and its prom-client registry. */
export class Metrics {
  readonly registry = new Registry()
  readonly #routes = new Map<string, RouteCounters>()
  /** Requests to paths no route serves, and requests node could not parse. */
  readonly unmatched: RouteCounters
  readonly #redisErrors = new Float64Array(REDIS_FAILURE_KINDS.length)
  #inFlight = 0
  #locationInvalid = 0
  #scheduleInvalid = 0
  /** The Redis servers the store reads from, asked at scrape time; none for the embedded store. */
  #redisNodes: RedisNodesSource = async () => []

  /** @param options.defaultMetrics prom-client's process metrics (default on) */
  constructor (options: { defaultMetrics?: boolean } = {}) {
    this.unmatched = counters(UNMATCHED)
    this.#routes.set(UNMATCHED, this.unmatched)
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry })
    for (const metric of this.#metricObjects()) this.registry.registerMetric(metric as unknown as Metric)
  }

  /**
   * The counters of a route label, made on first use. The router asks once per route when it is
   * built, so the labels are the routes it serves and a request is matched once, by the router.
   */
  counters (label: string): RouteCounters {
    let r = this.#routes.get(label)
    if (r === undefined) this.#routes.set(label, r = counters(label))
    return r
  }

  /** Report each Redis server's state (tideflags_redis_node_up) from `source`, asked per scrape. */
  watchRedisNodes (source: RedisNodesSource): void {
    this.#redisNodes = source
  }

  /** A request started. */
  begin (): void {
    this.#inFlight++
  }

  /** A request ended (answered or aborted); `seconds` since it began. */
  end (r: RouteCounters, status: number, seconds: number): void {
    this.#inFlight--
    const s = status < MAX_STATUS ? status : 0
    r.byStatus[s] = (r.byStatus[s] as number) + 1
    r.sum += seconds
    r.count++
    const buckets = r.buckets
    let i = 0
    while (i < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[i] as number)) i++
    buckets[i] = (buckets[i] as number) + 1
  }

  /**
   * A request node could not parse (or that timed out before its headers ended) was answered with
   * `status` straight on the socket: it never began, so it counts under `unmatched` (or the
   * listener's own unmatched counters) in requests_total only, without a duration.
   */
  rejected (status: number, counters: RouteCounters = this.unmatched): void {
    const byStatus = counters.byStatus
    byStatus[status] = (byStatus[status] as number) + 1
  }

  /** A request's location header was present but not a valid location name (it was answered without one). */
  locationInvalid (): void {
    this.#locationInvalid++
  }

  /** The store met a malformed schedule content for the first time (that feature is off until it is fixed). */
  scheduleInvalid (): void {
    this.#scheduleInvalid++
  }

  /** Count a failed request's Redis failure, if it was one (the store marks them: HttpError.failure). */
  failure (err: unknown): void {
    if (!(err instanceof HttpError) || err.failure === undefined) return
    const i = REDIS_FAILURE_KINDS.indexOf(err.failure)
    this.#redisErrors[i] = (this.#redisErrors[i] as number) + 1
  }

  // prom-client metric objects built from the counters at scrape time; `aggregator: 'sum'` tells the
  // primary's AggregatorRegistry how to combine workers.
  #metricObjects (): object[] {
    const all = (): RouteCounters[] => [...this.#routes.values()]
    const metric = (name: string, help: string, type: string, values: () => object[] | Promise<object[]>, aggregator = 'sum'): object =>
      ({ name, help, type, aggregator, get: async () => ({ name, help, type, aggregator, values: await values() }) })
    return [
      metric('tideflags_http_requests_total', 'HTTP requests answered, by route and status.', 'counter', () => {
        const values: object[] = []
        for (const r of all()) {
          r.byStatus.forEach((n, status) => { if (n > 0) values.push({ labels: { route: r.label, status }, value: n }) })
        }
        return values
      }),
      metric('tideflags_http_request_duration_seconds', 'Time from request to response end, by route.', 'histogram', () => {
        const name = 'tideflags_http_request_duration_seconds'
        const values: object[] = []
        for (const r of all()) {
          if (r.count === 0) continue
          let cumulative = 0
          r.buckets.forEach((n, i) => {
            cumulative += n
            const le = i < LATENCY_BUCKETS.length ? LATENCY_BUCKETS[i] as number : '+Inf'
            values.push({ labels: { le, route: r.label }, value: cumulative, metricName: `${name}_bucket` })
          })
          values.push({ labels: { route: r.label }, value: r.sum, metricName: `${name}_sum` })
          values.push({ labels: { route: r.label }, value: r.count, metricName: `${name}_count` })
        }
        return values
      }),
      metric('tideflags_http_requests_in_flight', 'Requests being answered now.', 'gauge',
        () => [{ labels: {}, value: this.#inFlight }]),
      metric('tideflags_redis_errors_total', 'Requests failed by Redis: timeout, connection, reply (e.g. wrong key type), overload (pending bound), cluster (a Cluster resharding, failing over or down).', 'counter',
        () => REDIS_FAILURE_KINDS.map((kind, i) => ({ labels: { kind }, value: this.#redisErrors[i] }))),
      // 'min' across workers: a node is up for the service only if every worker reaches it.
      metric('tideflags_redis_node_up', 'Whether each Redis server the service reads from answered a PING (1) or not (0), by role and address.', 'gauge',
        async () => (await this.#redisNodes()).map(({ redis, node, up }) => ({ labels: { redis, node }, value: up ? 1 : 0 })), 'min'),
      metric('tideflags_location_invalid_total', 'Requests whose location header held no valid location name; answered without a location.', 'counter',
        () => [{ labels: {}, value: this.#locationInvalid }]),
      metric('tideflags_schedule_invalid_total', 'Malformed schedule:<feature> contents met, once per distinct content per worker; each turns its feature off.', 'counter',
        () => [{ labels: {}, value: this.#scheduleInvalid }]),
    ]
  }
}

/** Each Redis server the store reads from and whether it answered (FeatureStore.nodes). */
export type RedisNodesSource = () => Promise<ReadonlyArray<{ readonly redis: string, readonly node: string, readonly up: boolean }>>

function counters (label: string): RouteCounters {
  return { label, byStatus: new Float64Array(MAX_STATUS), buckets: new Float64Array(LATENCY_BUCKETS.length + 1), sum: 0, count: 0 }
}
