// Writing responses. Header sets are built once per error at startup; the hot path only picks one.

import type { ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import type { Config } from './config.js'
import { HTTP_ERRORS, HttpError, type HttpErrorDef } from './errors.js'

type Headers = Record<string, string | number>

/** Writes JSON error responses from the registry, with their headers prepared in advance. */
export class Replier {
  readonly #headers = new Map<HttpErrorDef, Headers>()
  readonly #log: Logger

  constructor (config: Pick<Config, 'retryAfterSeconds'>, log: Logger) {
    this.#log = log
    for (const def of Object.values(HTTP_ERRORS)) {
      const headers: Headers = {
        'content-type': 'application/json',
        'content-length': def.body.length,
        // Errors are never cached: a retry must reach the service.
        'cache-control': 'no-store',
      }
      if (def.statusCode === 503) headers['retry-after'] = config.retryAfterSeconds
      if (def.statusCode === 401) headers['www-authenticate'] = 'Bearer realm="tideflags"'
      this.#headers.set(def, headers)
    }
  }

  /** Send a registry error. `extra` adds headers (e.g. Allow on 405). */
  error (res: ServerResponse, def: HttpErrorDef, extra?: Headers): void {
    const headers = this.#headers.get(def) as Headers
    res.writeHead(def.statusCode, extra === undefined ? headers : { ...headers, ...extra })
    res.end(res.req.method === 'HEAD' ? undefined : def.body)
  }

  /**
   * Answer a request whose handler failed. HttpErrors are expected (503, 500 from the store) and
   * answered as such; anything else is a bug, logged with its stack, answered 500. Never throws.
   */
  failure (res: ServerResponse, err: unknown): void {
    let def: HttpErrorDef
    if (err instanceof HttpError) {
      def = err.def
      if (def.statusCode >= 500) this.#log.warn({ err: err.cause ?? err, code: err.code, url: pathOf(res) }, 'request failed')
    } else {
      def = HTTP_ERRORS.TF_ERR_INTERNAL
      this.#log.error({ err, url: pathOf(res) }, 'unexpected error')
    }
    if (res.headersSent) {
      // Too late for a clean error: cut the connection so the client sees a failure, not a short body.
      res.destroy()
      return
    }
    this.error(res, def)
  }
}

// The path only: a query string could carry anything, and logs must never hold a token.
function pathOf (res: ServerResponse): string {
  const url = res.req.url as string // always set on a server's request
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}
