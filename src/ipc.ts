// The messages a worker and its parent exchange over the cluster IPC channel. Plain values, one place,
// so primary and worker cannot disagree on a name.

/** Parent -> worker: drain and exit 0 (a planned exit: the primary does not replace the worker). */
export const SHUTDOWN = 'tideflags:shutdown'

/**
 * Worker -> parent: this worker listens and its store answers. The bare word 'ready' is pm2's
 * `wait_ready` convention, so the same message serves our primary and pm2's cluster mode.
 */
export const READY = 'ready'

/** Worker -> primary: send me the whole cluster's metrics in Prometheus text. */
export interface MetricsRequest {
  readonly type: 'tideflags:metrics-req'
  readonly id: number
}

/** Primary -> worker: the answer to a MetricsRequest; `text` on success, `error` otherwise. */
export interface MetricsResponse {
  readonly type: 'tideflags:metrics-res'
  readonly id: number
  readonly text?: string
  readonly error?: string
}

/** Whether an IPC message is a MetricsResponse. */
export function isMetricsResponse (message: unknown): message is MetricsResponse {
  return typeof message === 'object' && message !== null &&
    (message as { type?: unknown }).type === 'tideflags:metrics-res' &&
    typeof (message as { id?: unknown }).id === 'number'
}
