// How a scrape reaches the whole cluster. Under our primary (`npm start`) a worker answers /metrics by
// asking the primary over IPC, and the primary gathers every worker's numbers with prom-client's
// AggregatorRegistry (sums). Both ends of that exchange are here. Under pm2's cluster mode there is no
// primary of ours: a worker answers with its own numbers.

import cluster from 'node:cluster'
import { AggregatorRegistry } from 'prom-client'
import { DEFAULTS } from '../config/config.js'
import type { Metrics } from '../observability/metrics.js'
import { shareRecent, type Dated } from '../observability/shared-result.js'
import { isMetricsResponse, METRICS_REQUEST, type MetricsRequest } from './ipc.js'


/**
 * Worker side: ask the primary for the cluster's metrics. One pending promise per request, settled by
 * the primary's answer, which keeps the time the primary gathered it, so reusing it in the worker does
 * not add to its age. Needs the IPC channel our primary forks workers with.
 */
export function askPrimary (): () => Promise<Dated<string>> {
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
    }, DEFAULTS.metricsTimeoutMs)
    pending.set(id, {
      resolve: (answer) => { clearTimeout(timer); resolve(answer) },
      reject: (err) => { clearTimeout(timer); reject(err) },
    })
    const request: MetricsRequest = { type: METRICS_REQUEST, id }
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
