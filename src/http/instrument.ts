// Wraps the router with what every request needs besides its answer: the drain rule, metrics, and
// the optional access log. Kept out of the router so routes stay unaware of operations.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { Logger } from 'pino'
import { HTTP_ERRORS } from '../errors.js'
import type { Metrics } from '../observability/metrics.js'
import { ConnectionLimit } from './pipeline.js'
import type { Replier } from './reply.js'
import { pathOf } from './path.js'
import type { Match, Router } from './router.js'
import type { Drain } from './drain.js'

type Listener = (req: IncomingMessage, res: ServerResponse) => void
/** Answers a request the router has matched (the router's dispatch, possibly behind checks). */
type Dispatch = (req: IncomingMessage, res: ServerResponse, match: Match) => void

/** What the wrapper needs. `accessLog` undefined keeps the access log off (the default). */
export interface InstrumentParts {
  /** Matches each request once; the match goes to the metrics, the access log and `dispatch`. */
  readonly router: Pick<Router, 'match'>
  readonly drain: Drain
  readonly metrics: Metrics
  readonly replier: Replier
  readonly accessLog: Logger | undefined
  /** Pipelined requests of one connection handed to the listener at a time (src/http/pipeline.ts). */
  readonly maxPipelined: number
  /** Pipelined requests of one connection held back before it is cut (src/http/pipeline.ts). */
  readonly maxWaiting: number
}

/** Wrap a request listener with drain handling, metrics and the access log. */
export function instrument (dispatch: Dispatch, parts: InstrumentParts): Listener {
  const { drain, metrics, replier, accessLog, router } = parts
  const limit = new ConnectionLimit(dispatch, parts.maxPipelined, parts.maxWaiting)
  return function instrumented (req, res) {
    if (drain.phase !== 'serving') {
      // Tell the client to reconnect elsewhere; node closes the socket after this response.
      res.setHeader('connection', 'close')
      if (drain.phase === 'closing') return replier.error(res, HTTP_ERRORS.TF_ERR_SHUTTING_DOWN)
    }
    const match = router.match(pathOf(req.url as string)) // url is always set on a server's request
    const start = performance.now()
    metrics.begin()
    // 'close' fires once, for answered and aborted requests alike (src/http/pipeline.ts emits it for
    // responses node leaves queued on a dead socket), so in-flight never leaks; `on` rather than
    // `once` saves the once-wrapper allocation per request.
    res.on('close', () => {
      const ms = performance.now() - start
      metrics.end(match.counters, res.statusCode, ms / 1000)
      // Path only: the query string and headers may carry a token.
      if (accessLog !== undefined) {
        accessLog.info({ method: req.method, path: match.path, status: res.statusCode, ms: Math.round(ms * 1000) / 1000, aborted: !res.writableFinished })
      }
      limit.release(res)
    })
    limit.admit(req, res, match)
  }
}
