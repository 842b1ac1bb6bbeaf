// What every load generator takes and returns, so the harness treats autocannon and wrk alike.

import type { Call } from '../scenarios.js'

/** One load run against one target. */
export interface LoadOptions {
  /** Full URL of /features on the target. */
  readonly url: string
  readonly connections: number
  /** Length of the run (s). */
  readonly durationS: number
  /** One is drawn at random per request. */
  readonly calls: readonly Call[]
  /** Send `Connection: close` with every request: one new connection per request (connection churn). */
  readonly closeEach?: boolean
}

/** What a load run measured. Latencies in ms. */
export interface LoadResult {
  readonly requests: number
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly p999: number
  /** The slowest answer of the run: a starved connection shows here, not in p99. */
  readonly maxLatency: number
  /** Requests the generator gave up on (wrk: no answer within 2 s; autocannon: its 10 s), also in `errors`. */
  readonly timeouts: number
  /** Socket errors and timeouts. */
  readonly errors: number
  /** Responses with a status outside 2xx (the 401 scenario expects them). */
  readonly non2xx: number
  /** CPU the generator used, as a share of one core over the run (1 = one core busy). */
  readonly generatorCpu: number
}

/** A load generator. */
export type Generator = (options: LoadOptions) => Promise<LoadResult>
