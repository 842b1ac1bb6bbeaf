// The one classification of Redis client errors: which registry error a caller gets, and which kind of
// failure the metrics count (tideflags_redis_errors_total{kind}). Decided here, where the client's
// error types are known, so nothing above the store needs to know ioredis.

import { ReplyError } from 'ioredis'
import { HttpError } from '../../errors.js'

// Redis replies that mean "not now" rather than "never": the request may succeed on retry.
const TRANSIENT_REPLIES = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'READONLY'])
// A Cluster's own "not now": a slot moving (MOVED/ASK past ioredis's redirections, TRYAGAIN for a
// multi-key command during a migration) or the cluster down. Counted apart: a reshard or failover
// shows on the metrics as what it is.
const CLUSTER_REPLIES = new Set(['CLUSTERDOWN', 'TRYAGAIN', 'MOVED', 'ASK'])

// ioredis's Cluster gives these plain Errors (no code) when it cannot route a command: the slot map
// is being rebuilt or no node answers. Their message prefixes are the only mark, confined here like
// the timeout below; test/functional/topology/cluster.test.ts provokes them with a real failover.
const IOREDIS_CLUSTER_MESSAGES = ['Too many Cluster redirections', "Cluster isn't ready", 'None of startup nodes is available', 'Failed to refresh slots cache']

// ioredis rejects a command past `commandTimeout` with a plain Error that has no code: its message is
// the only mark. Confined to this one comparison, and test/functional/store/redis-faults.test.ts
// provokes a real timeout, so a change in ioredis shows up as a failing test rather than a miscount.
const IOREDIS_TIMEOUT_MESSAGE = 'Command timed out'

/** Map a Redis client error to the caller's error: 503 when retrying may help, 500 otherwise. */
export function classify (err: unknown): HttpError {
  if (err instanceof HttpError) return err // already decided (an answer refused for its size)
  if (err instanceof ReplyError) {
    // The first word of a Redis error reply is its error code (RESP protocol), not free text.
    const code = (err as Error).message.split(' ', 1)[0] as string
    if (CLUSTER_REPLIES.has(code)) return new HttpError('TF_ERR_SERVICE_UNAVAILABLE', { cause: err, failure: 'cluster' })
    return new HttpError(TRANSIENT_REPLIES.has(code) ? 'TF_ERR_SERVICE_UNAVAILABLE' : 'TF_ERR_INTERNAL', { cause: err, failure: 'reply' })
  }
  // Everything else comes from the connection: refused, closed, not writeable, timed out.
  const message = err instanceof Error ? err.message : ''
  const failure = message === IOREDIS_TIMEOUT_MESSAGE
    ? 'timeout'
    : IOREDIS_CLUSTER_MESSAGES.some((prefix) => message.startsWith(prefix)) ? 'cluster' : 'connection'
  return new HttpError('TF_ERR_SERVICE_UNAVAILABLE', { cause: err, failure })
}

/** The 503 of a store whose bound on lookups waiting for Redis is reached. */
export function overloaded (): HttpError {
  return new HttpError('TF_ERR_SERVICE_UNAVAILABLE', { failure: 'overload' })
}
