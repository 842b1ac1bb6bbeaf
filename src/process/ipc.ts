// The messages a worker and its parent exchange over the cluster IPC channel. Plain values, one place,
// so primary and worker cannot disagree on a name.

import { DEFAULTS } from '../config/defaults.js'

/** Parent -> worker: drain and exit 0 (a planned exit: the primary does not replace the worker). */
export const SHUTDOWN = 'tideflags:shutdown'

/**
 * Worker -> parent: this worker listens and its store answers. The bare word 'ready' is pm2's
 * `wait_ready` convention, so the same message serves our primary and pm2's cluster mode.
 */
export const READY = 'ready'

/**
 * Worker -> parent: this worker listens, but its store does not answer yet (it serves 503 until it
 * does). READY follows once the store answers. pm2 ignores it.
 */
export const LISTENING = 'tideflags:listening'

/** The `type` of a MetricsRequest. */
export const METRICS_REQUEST = 'tideflags:metrics-req'
/** The `type` of a MetricsResponse. */
export const METRICS_RESPONSE = 'tideflags:metrics-res'

/** Worker -> primary: send me the whole cluster's metrics in Prometheus text. */
export interface MetricsRequest {
  readonly type: typeof METRICS_REQUEST
  readonly id: number
}

/** Primary -> worker: the answer to a MetricsRequest; `text` on success, `error` otherwise. */
export interface MetricsResponse {
  readonly type: typeof METRICS_RESPONSE
  readonly id: number
  readonly text?: string
  /** When the primary gathered `text` (epoch ms): the worker reuses it only while it is recent. */
  readonly gatheredAt?: number
  readonly error?: string
}

/** Whether an IPC message is a MetricsResponse. */
export function isMetricsResponse (message: unknown): message is MetricsResponse {
  return typeof message === 'object' && message !== null &&
    (message as { type?: unknown }).type === METRICS_RESPONSE &&
    typeof (message as { id?: unknown }).id === 'number'
}

/**
 * Worker -> parent: my server is closed. Our primary answers with SETTLED. IPC is ordered both ways,
 * so once SETTLED arrives, every connection the primary handed this worker before it read the
 * server's close has arrived too and been refused back to it (node redistributes a refused one).
 * Exiting before that would strand such a connection in the primary: its client would hang.
 */
export const CLOSED = 'tideflags:closed'
/** Primary -> worker: the answer to CLOSED. */
export const SETTLED = 'tideflags:settled'

// pm2 does not answer CLOSED: after this long the worker exits anyway (by then pm2 has long read
// the close, IPC on one machine takes microseconds).

/** Send CLOSED to the parent and resolve on its SETTLED, or after DEFAULTS.settleTimeoutMs. */
export async function settleWithParent (): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      process.off('message', onMessage)
      resolve()
    }
    const onMessage = (message: unknown): void => { if (message === SETTLED) done() }
    const timer = setTimeout(done, DEFAULTS.settleTimeoutMs)
    process.on('message', onMessage)
    // A worker always has an IPC channel: our primary's or pm2's.
    ;(process.send as NonNullable<typeof process.send>)(CLOSED)
  })
}
