// Prometheus metrics of one worker, and the way a scrape reaches the whole cluster.
//
// The hot path only bumps numbers in typed arrays (no label hashing, no allocation); prom-client turns
// them into metric objects when scraped. Under our primary (`npm start`) a worker answers /metrics by
// asking the primary over IPC, and the primary gathers every worker's numbers with prom-client's
// AggregatorRegistry (sums). Under pm2's cluster mode there is no primary of ours: a worker answers
// with its own numbers. README "Operations" says what a scrape returns in each case.

import cluster from 'node:cluster'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ReplyError } from 'ioredis'
import { AggregatorRegistry, collectDefaultMetrics, Registry, type Metric } from 'prom-client'
import { DEFAULTS, type Config } from '../config/config.js'
import { HTTP_ERRORS, HttpError } from '../errors.js'
import { isMetricsResponse, type MetricsRequest } from '../process/ipc.js'
import type { Replier } from '../http/reply.js'
import { pathOf, segmentAfter, type Route } from '../http/router.js'
import { shareRecent, type Dated } from './shared-result.js'

/** Upper bounds of the latency histogram (s): a healthy answer takes ~1 ms; the Redis timeout is 250 ms. */
export const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

/** Label of requests to paths no route serves: one series, so random URLs cannot explode cardinality. */
export const UNMATCHED = 'unmatched'

/** Why a Redis command failed, as the `kind` label of tideflags_redis_errors_total. */
export type RedisErrorKind = 'timeout' | 'connection' | 'reply' | 'overload'
const REDIS_ERROR_KINDS: readonly RedisErrorKind[] = ['timeout', 'connection', 'reply', 'overload']

// ioredis rejects a command past `commandTimeout` with a plain Error that has no code: its message is
// the only mark. Confined to this one comparison, and test/functional/redis-faults.test.ts provokes a real
// timeout, so a change in ioredis shows up as a failing test rather than as a silent miscount.
const IOREDIS_TIMEOUT_MESSAGE = 'Command timed out'

const MAX_STATUS = 600

interface RouteCounters {
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
  readonly #prefixes: { prefix: string, counters: RouteCounters }[] = []
  readonly #unmatched: RouteCounters
  readonly #redisErrors = new Float64Array(REDIS_ERROR_KINDS.length)
  #inFlight = 0

  /** @param options.defaultMetrics prom-client's process metrics (default on) */
  constructor (options: { defaultMetrics?: boolean } = {}) {
    this.#unmatched = counters(UNMATCHED)
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry })
    for (const metric of this.#metricObjects()) this.registry.registerMetric(metric as unknown as Metric)
  }

  /**
   * Count requests to these routes under their own labels; any other path is `unmatched`. The server
   * passes the routes it actually serves, so the labels cannot drift from the routing table.
   * @param paths exact paths
   * @param prefixes prefix routes (`/a/b/` + one segment), labelled `/a/b/{key}`
   */
  addRoutes (paths: readonly string[], prefixes: readonly string[] = []): void {
    for (const path of paths) if (!this.#routes.has(path)) this.#routes.set(path, counters(path))
    for (const prefix of prefixes) {
      if (!this.#prefixes.some((p) => p.prefix === prefix)) this.#prefixes.push({ prefix, counters: counters(`${prefix}{key}`) })
    }
  }

  /** A request started. */
  begin (): void {
    this.#inFlight++
  }

  /** A request ended (answered or aborted); `seconds` since it began. */
  end (url: string | undefined, status: number, seconds: number): void {
    this.#inFlight--
    const r = this.#route(url)
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
   * `status` straight on the socket: it never began, so it counts under `unmatched` in
   * requests_total only, without a duration.
   */
  rejected (status: number): void {
    const byStatus = this.#unmatched.byStatus
    byStatus[status] = (byStatus[status] as number) + 1
  }

  /** Count a failed request's Redis error, if it was one. */
  failure (err: unknown): void {
    const kind = redisErrorKind(err)
    if (kind === undefined) return
    const i = REDIS_ERROR_KINDS.indexOf(kind)
    this.#redisErrors[i] = (this.#redisErrors[i] as number) + 1
  }

  #route (url: string | undefined): RouteCounters {
    if (url === undefined) return this.#unmatched
    const path = pathOf(url)
    const exact = this.#routes.get(path)
    if (exact !== undefined) return exact
    for (const p of this.#prefixes) if (segmentAfter(path, p.prefix) !== undefined) return p.counters
    return this.#unmatched
  }

  // prom-client metric objects built from the counters at scrape time; `aggregator: 'sum'` tells the
  // primary's AggregatorRegistry how to combine workers.
  #metricObjects (): object[] {
    const all = (): RouteCounters[] => [...this.#routes.values(), ...this.#prefixes.map((p) => p.counters), this.#unmatched]
    const metric = (name: string, help: string, type: string, values: () => object[]): object =>
      ({ name, help, type, aggregator: 'sum', get: async () => ({ name, help, type, aggregator: 'sum', values: values() }) })
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
      metric('tideflags_redis_errors_total', 'Requests failed by Redis: timeout, connection, reply (e.g. wrong key type), overload (pending bound).', 'counter',
        () => REDIS_ERROR_KINDS.map((kind, i) => ({ labels: { kind }, value: this.#redisErrors[i] }))),
    ]
  }
}

function counters (label: string): RouteCounters {
  return { label, byStatus: new Float64Array(MAX_STATUS), buckets: new Float64Array(LATENCY_BUCKETS.length + 1), sum: 0, count: 0 }
}

/** Classify a request failure as a Redis error kind, or undefined when it was not a Redis failure. */
export function redisErrorKind (err: unknown): RedisErrorKind | undefined {
  if (!(err instanceof HttpError) || err.def.statusCode < 500) return undefined
  const cause = err.cause
  // The Redis store's pending bound throws a 503 of its own, without a cause.
  if (cause === undefined) return err.code === 'TF_ERR_SERVICE_UNAVAILABLE' ? 'overload' : undefined
  if (cause instanceof ReplyError) return 'reply'
  if (cause instanceof Error && cause.message === IOREDIS_TIMEOUT_MESSAGE) return 'timeout'
  return 'connection'
}

const METRICS_TIMEOUT_MS = 5_000 // 5 s: prom-client's own limit for gathering worker metrics

/**
 * The /metrics route. With `config.clusterMetrics` (set by our primary) it relays the primary's
 * cluster-wide answer; otherwise it answers with this worker's own registry. Either way, scrapes
 * that arrive together share one gathering, reused for `maxAgeMs`: a crowd of scrapers must not
 * take the CPU that serving needs.
 * @param maxAgeMs how old a gathered answer may be and still be served (ms)
 */
export function metricsRoute (metrics: Metrics, config: Pick<Config, 'clusterMetrics'>, replier: Replier,
  maxAgeMs: number = DEFAULTS.metricsMaxAgeMs): Route {
  // clusterMetrics is set only by our primary, which always forks with an IPC channel.
  const gather = config.clusterMetrics ? askPrimary() : async () => ({ value: await metrics.registry.metrics(), at: Date.now() })
  const collect = shareRecent(gather, maxAgeMs)
  async function get (req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text: string
    try {
      text = (await collect()).value
    } catch {
      return replier.error(res, HTTP_ERRORS.TF_ERR_METRICS_UNAVAILABLE)
    }
    res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) })
    res.end(req.method === 'HEAD' ? undefined : text)
  }
  return { path: '/metrics', methods: { GET: get, HEAD: get } }
}

// Worker side of the IPC protocol: one pending promise per request, settled by the primary's answer.
// The answer keeps the time the primary gathered it, so reusing it here does not add to its age.
function askPrimary (): () => Promise<Dated<string>> {
  let nextId = 0
  const pending = new Map<number, { resolve: (answer: Dated<string>) => void, reject: (err: Error) => void }>()
  process.on('message', (message: unknown) => {
    if (!isMetricsResponse(message)) return
    const p = pending.get(message.id)
    if (p === undefined) return
    pending.delete(message.id)
    if (message.text !== undefined) p.resolve({ value: message.text, at: message.gatheredAt ?? Date.now() })
    else p.reject(new Error(message.error ?? 'no metrics'))
  })
  return () => new Promise<Dated<string>>((resolve, reject) => {
    const id = nextId++
    const timer = setTimeout(() => {
      pending.delete(id)
      reject(new Error('metrics request timed out'))
    }, METRICS_TIMEOUT_MS)
    pending.set(id, {
      resolve: (answer) => { clearTimeout(timer); resolve(answer) },
      reject: (err) => { clearTimeout(timer); reject(err) },
    })
    const request: MetricsRequest = { type: 'tideflags:metrics-req', id }
    ;(process.send as (message: MetricsRequest) => boolean)(request)
  })
}

/**
 * Let the primary's AggregatorRegistry collect this worker's registry. prom-client installs its IPC
 * listener when an AggregatorRegistry is built in a worker.
 */
export function answerPrimaryScrapes (metrics: Metrics): void {
  if (!cluster.isWorker) return
  AggregatorRegistry.setRegistries([metrics.registry])
  void new AggregatorRegistry()
}

const GATHERS_NAME = 'tideflags_metrics_gathers_total'
const GATHERS_HEAD = `# HELP ${GATHERS_NAME} Times the primary gathered every worker's metrics (scrapes arriving together share one).\n# TYPE ${GATHERS_NAME} counter\n`

/**
 * Primary side: gathers every worker's numbers into one Prometheus text. Never touches HTTP.
 * Requests from several workers at once share one gathering, reused for `maxAgeMs`; the text ends
 * with tideflags_metrics_gathers_total, the primary's own count of gatherings, so that sharing can
 * be watched.
 */
export class ClusterMetrics {
  readonly #aggregator = new AggregatorRegistry()
  readonly #shared: () => Promise<Dated<string>>
  #gathers = 0

  /** @param maxAgeMs how old a gathered answer may be and still be served (ms) */
  constructor (maxAgeMs: number = DEFAULTS.metricsMaxAgeMs) {
    this.#shared = shareRecent(async () => {
      this.#gathers++
      const text = await this.#aggregator.clusterMetrics()
      return { value: `${text}${GATHERS_HEAD}${GATHERS_NAME} ${this.#gathers}\n`, at: Date.now() }
    }, maxAgeMs)
  }

  /** The sum over all connected workers, in Prometheus text format, and when it was gathered. */
  async text (): Promise<Dated<string>> {
    return await this.#shared()
  }
}
