// CORS for the routes browsers call (/features, OFREP), so that a page on another origin can send
// Authorization and read the answer. Every header set is built at boot, per route and per allowed
// origin; a request without Origin costs the router one header lookup and nothing else.
//
// A preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered here: 204 with the
// route's methods and the request headers the clients send, or 403 for an origin not allowed. Any
// other request from an allowed origin gets its CORS headers set on the response before the route
// runs, so that every answer the route writes carries them, errors included: a page can read a 401
// or a 503. A request from an origin not allowed is answered as usual without them, and the browser
// keeps the answer from the page.

import { ServerResponse, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import type { CorsOrigins } from '../config/config.js'
import { HTTP_ERRORS } from '../errors.js'
import type { Headers, Replier } from './reply.js'

/**
 * The request headers a page may send: the ones the OFREP web provider and a plain fetch use. Named,
 * since `*` in Access-Control-Allow-Headers does not cover Authorization.
 */
export const ALLOWED_REQUEST_HEADERS = 'authorization, content-type, if-none-match'
/** The response headers a page may read besides the safelisted ones: ETag to revalidate, Retry-After on 503. */
export const EXPOSED_RESPONSE_HEADERS = 'ETag, Retry-After'

/** The header sets of one route for one origin (or for every origin, with `*`). */
interface OriginHeaders {
  readonly preflight: Headers
  /** Set on the response of an actual request, as [name, value] pairs. */
  readonly actual: readonly (readonly [string, string])[]
}

/** The CORS answer of one route; built by Cors.forRoute at boot. */
export class RouteCors {
  readonly #any: OriginHeaders | undefined
  readonly #byOrigin: ReadonlyMap<string, OriginHeaders>
  readonly #replier: Replier

  constructor (any: OriginHeaders | undefined, byOrigin: ReadonlyMap<string, OriginHeaders>, replier: Replier) {
    this.#any = any
    this.#byOrigin = byOrigin
    this.#replier = replier
  }

  /**
   * Handle a request that carries Origin. Returns true when it answered the request (a preflight),
   * false when the route should answer it, with the CORS headers already set for an allowed origin.
   */
  handle (req: IncomingMessage, res: ServerResponse, origin: string): boolean {
    const headers = this.#any ?? this.#byOrigin.get(origin)
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      if (headers === undefined) {
        this.#replier.error(res, HTTP_ERRORS.TF_ERR_CORS_ORIGIN)
      } else {
        res.writeHead(204, headers.preflight)
        res.end()
      }
      return true
    }
    if (headers === undefined) return false
    for (const [name, value] of headers.actual) res.setHeader(name, value)
    // With a list the answer varies by Origin. But node lets the headers given to writeHead replace
    // those set above, and answers give their own Vary (Authorization) in shared, frozen header
    // objects (http/answer.ts), where adding Origin would cost every request: so this response
    // alone gets a writeHead that appends Origin to the Vary it is given.
    if (this.#any === undefined) res.writeHead = writeHeadVaryingByOrigin as ServerResponse['writeHead']
    return false
  }
}

const nodeWriteHead = ServerResponse.prototype.writeHead

// Shared by every such response: no closure per request. The service's writers pass a status and a
// header object (never a reason phrase).
function writeHeadVaryingByOrigin (this: ServerResponse, statusCode: number, headers?: OutgoingHttpHeaders): ServerResponse {
  const vary = headers?.vary
  return nodeWriteHead.call(this, statusCode, vary === undefined ? headers : { ...headers, vary: `${String(vary)}, Origin` })
}

/** The service's CORS policy (CORS_ORIGINS), from which each browser-facing route gets its header sets. */
export class Cors {
  readonly #origins: CorsOrigins
  readonly #maxAgeSeconds: number
  readonly #replier: Replier

  /**
   * @param maxAgeSeconds how long browsers may reuse a preflight answer
   * @param replier writes the 403 of a preflight from an origin not allowed
   */
  constructor (origins: CorsOrigins, maxAgeSeconds: number, replier: Replier) {
    this.#origins = origins
    this.#maxAgeSeconds = maxAgeSeconds
    this.#replier = replier
  }

  /** The CORS answer of a route that allows `methods` (as in Allow: `GET, HEAD`). */
  forRoute (methods: string): RouteCors {
    if (this.#origins === '*') return new RouteCors(this.#headers('*', methods, false), new Map(), this.#replier)
    const byOrigin = new Map<string, OriginHeaders>()
    for (const origin of this.#origins) byOrigin.set(origin, this.#headers(origin, methods, true))
    return new RouteCors(undefined, byOrigin, this.#replier)
  }

  #headers (allowOrigin: string, methods: string, varies: boolean): OriginHeaders {
    const preflight: Headers = {
      'access-control-allow-origin': allowOrigin,
      'access-control-allow-methods': methods,
      'access-control-allow-headers': ALLOWED_REQUEST_HEADERS,
      'access-control-max-age': this.#maxAgeSeconds,
    }
    const actual: [string, string][] = [
      ['access-control-allow-origin', allowOrigin],
      ['access-control-expose-headers', EXPOSED_RESPONSE_HEADERS],
    ]
    if (varies) {
      preflight.vary = 'Origin'
      actual.push(['vary', 'Origin'])
    }
    return { preflight: Object.freeze(preflight), actual: Object.freeze(actual) }
  }
}
