// The HTTP server of one worker: plain node:http, the routes, and deliberate timeouts.

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { DEFAULTS, type Config } from './config/config.js'
import { HTTP_ERRORS, type HttpErrorDef } from './errors.js'
import { featuresRoute } from './routes/features.js'
import { healthRoutes } from './routes/health.js'
import { readinessProbe } from './store/readiness.js'
import { instrument } from './http/instrument.js'
import { Metrics } from './observability/metrics.js'
import { metricsRoute } from './routes/metrics.js'
import { askPrimary } from './process/metrics-relay.js'
import { ofrepRoutes } from './routes/ofrep/ofrep.js'
import { Replier } from './http/reply.js'
import { createRouter, type Match } from './http/router.js'
import { Cors } from './http/cors.js'
import { Drain } from './http/drain.js'
import type { FeatureStore } from './store/index.js'
import { locator } from './http/identify.js'
import { openGeoIp } from './location/geoip.js'

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


/** The operations parts a worker shares with its server; tests may omit them. */
export interface ServerOps {
  readonly drain: Drain
  readonly metrics: Metrics
  readonly probe: () => Promise<boolean>
  /** The access logger; undefined keeps the access log off. */
  readonly accessLog: Logger | undefined
}

/** Create (not start) the HTTP server for a store. */
export function createServer (config: Config, store: FeatureStore, log: Logger, ops?: ServerOps): Server {
  const { drain, metrics, probe, accessLog } = ops ?? {
    drain: new Drain(),
    metrics: new Metrics({ defaultMetrics: false }),
    probe: readinessProbe(store),
    accessLog: undefined,
  }
  const replier = new Replier(config, log, (err) => metrics.failure(err))
  // The location sources, built once: the GeoIP database is read into this worker's memory here.
  const { header, geoipFile, trusted } = config.location
  const locate = locator({ header, geoip: geoipFile === undefined ? undefined : openGeoIp(geoipFile), trusted }, () => metrics.locationInvalid())
  const routes = [
    featuresRoute(store, replier, locate),
    ...ofrepRoutes(config, store, replier, locate),
    ...healthRoutes(probe, drain, replier),
    // clusterMetrics is set only by our primary, which always forks with an IPC channel.
    metricsRoute(metrics.registry.contentType, config.clusterMetrics ? askPrimary() : async () => ({ value: await metrics.registry.metrics(), at: Date.now() }), replier),
  ]
  const cors = config.corsOrigins === undefined ? undefined : new Cors(config.corsOrigins, DEFAULTS.corsMaxAgeSeconds, replier)
  const router = createRouter(routes, replier, metrics, cors)
  // node answers a missing Host (400) and an unknown Expect (417) itself, with empty bodies and past
  // the metrics; the server options below hand both to this listener instead.
  const conforming = (req: IncomingMessage, res: ServerResponse, match: Match): void => {
    if (req.httpVersionMinor === 1) {
      const headers = req.headers
      if (headers.host === undefined) return replier.error(res, HTTP_ERRORS.TF_ERR_MISSING_HOST, CLOSE)
      const expect = headers.expect
      if (expect !== undefined && !CONTINUE.test(expect)) return replier.error(res, HTTP_ERRORS.TF_ERR_EXPECTATION_FAILED)
    }
    router.dispatch(req, res, match)
  }
  const listener = instrument(conforming, {
    router, drain, metrics, replier, accessLog, maxPipelined: DEFAULTS.maxPipelinedRequests, maxWaiting: DEFAULTS.maxWaitingRequests,
  })
  const server = createHttpServer({
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
    metrics.rejected(def.status)
    socket.end(def.bytes)
  })
  return server
}
