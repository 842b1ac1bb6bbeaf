// A node:http server with the service's deliberate timeouts and its handling of requests node cannot
// route itself: malformed ones (400/431/408 written on the socket), a missing Host and an unknown
// Expect (answered through the registry). Shared by the public listener (src/app.ts) and the admin
// listener (src/admin/admin-server.ts), so both have the same limits.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { DEFAULTS, type Config } from '../config/config.js'
import { HTTP_ERRORS, type HttpErrorDef } from '../errors.js'
import type { Metrics, RouteCounters } from '../observability/metrics.js'
import type { Drain } from './drain.js'
import { instrument } from './instrument.js'
import type { Replier } from './reply.js'
import type { Match, Router } from './router.js'

// Written straight to the socket: node has no response object for a request it could not parse.
function rawResponse (def: HttpErrorDef, reason: string): { readonly status: number, readonly bytes: Buffer } {
  const head = `HTTP/1.1 ${def.statusCode} ${reason}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${def.body.length}\r\nConnection: close\r\n\r\n`
  return { status: def.statusCode, bytes: Buffer.concat([Buffer.from(head), def.body]) }
}
const BAD_REQUEST = rawResponse(HTTP_ERRORS.TF_ERR_BAD_REQUEST, 'Bad Request')
const REQUEST_TIMEOUT = rawResponse(HTTP_ERRORS.TF_ERR_REQUEST_TIMEOUT, 'Request Timeout')
const HEADERS_TOO_LARGE = rawResponse(HTTP_ERRORS.TF_ERR_HEADERS_TOO_LARGE, 'Request Header Fields Too Large')

const CLOSE = Object.freeze({ connection: 'close' })
// node's own test for the one expectation HTTP/1.1 defines (lib/_http_server.js continueExpression).
const CONTINUE = /(?:^|\W)100-continue(?:$|\W)/i

/** Answers a request the router has matched. */
export type Dispatch = (req: IncomingMessage, res: ServerResponse, match: Match) => void

/** What a listener is made of. */
export interface ListenerParts {
  readonly router: Router
  readonly replier: Replier
  readonly metrics: Metrics
  readonly drain: Drain
  /** The access logger; undefined keeps the access log off. */
  readonly accessLog: Logger | undefined
  /** Where requests node could not parse are counted (the router's unmatched counters). */
  readonly unmatched: RouteCounters
}

/**
 * Create (not start) a server for a router.
 * @param dispatch answers a conforming request (default: the router's own dispatch); the admin
 *   listener puts its sign-in check here
 */
export function createListener (config: Config, parts: ListenerParts, dispatch: Dispatch = parts.router.dispatch): Server {
  const { router, replier, metrics, drain, accessLog, unmatched } = parts
  // node answers a missing Host (400) and an unknown Expect (417) itself, with empty bodies and past
  // the metrics; the server options below hand both to this listener instead.
  const conforming = (req: IncomingMessage, res: ServerResponse, match: Match): void => {
    if (req.httpVersionMinor === 1) {
      const headers = req.headers
      if (headers.host === undefined) return replier.error(res, HTTP_ERRORS.TF_ERR_MISSING_HOST, CLOSE)
      const expect = headers.expect
      if (expect !== undefined && !CONTINUE.test(expect)) return replier.error(res, HTTP_ERRORS.TF_ERR_EXPECTATION_FAILED)
    }
    dispatch(req, res, match)
  }
  const listener = instrument(conforming, {
    router, drain, metrics, replier, accessLog, maxPipelined: DEFAULTS.maxPipelinedRequests, maxWaiting: DEFAULTS.maxWaitingRequests,
  })
  const server = createServer({
    requireHostHeader: false,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // node requires headersTimeout <= requestTimeout; a request that cannot finish its headers in
    // time is cut (slow loris), with 408.
    headersTimeout: Math.min(config.headersTimeoutMs, config.requestTimeoutMs),
    requestTimeout: config.requestTimeoutMs,
    // node enforces the two timeouts above only when it sweeps its connections, every 30 s by
    // default: a slow-loris client would hold a socket up to 30 s past the limit.
    connectionsCheckingInterval: DEFAULTS.connectionsCheckMs,
  }, listener)
  // node emits this instead of 'request' for an Expect header other than 100-continue.
  server.on('checkExpectation', listener)
  // A malformed request (bad header bytes, oversized headers -> 431) is answered by node itself;
  // without this listener such a socket error would be unhandled.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy()
      return
    }
    const def = err.code === 'HPE_HEADER_OVERFLOW' ? HEADERS_TOO_LARGE
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? REQUEST_TIMEOUT
        : BAD_REQUEST
    metrics.rejected(def.status, unmatched)
    socket.end(def.bytes)
  })
  return server
}
