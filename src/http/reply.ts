// Writing responses. Header sets are built once per error at startup; the hot path only picks one.

import type { ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { DEFAULTS, type Config } from '../config/config.js'
import { HTTP_ERRORS, HttpError, type HttpErrorDef } from '../errors.js'
import { LogLimiter, type Timers } from '../observability/log-limiter.js'
import { pathOf } from './path.js'
import { noop } from '../core/values.js'

/** Response headers as node's writeHead takes them. */
export type Headers = Record<string, string | number>

/**
 * Headers every error response carries, whatever its body's shape (JSON registry body here, OFREP's
 * shape in ofrep-reply.ts): errors are never cached, 503 says when to retry, 401 names the scheme.
 */
export function errorHeaders (def: HttpErrorDef, config: Pick<Config, 'retryAfterSeconds'>): Headers {
  const headers: Headers = { 'content-type': 'application/json', 'cache-control': 'no-store' }
  if (def.statusCode === 503) headers['retry-after'] = config.retryAfterSeconds
  if (def.statusCode === 401) headers['www-authenticate'] = 'Bearer realm="tideflags"'
  return headers
}

/** Writes JSON error responses from the registry, with their headers prepared in advance. */
export class Replier {
  readonly #headers = new Map<HttpErrorDef, Headers>()
  readonly #log: Logger
  readonly #onFailure: (err: unknown) => void
  readonly #limiter: LogLimiter<Failure>

  /**
   * @param onFailure sees every failed request's error (metrics count Redis failures by kind)
   * @param timers of the failure lines' rate limit; tests pass a fake clock
   */
  constructor (config: Pick<Config, 'retryAfterSeconds'>, log: Logger, onFailure: (err: unknown) => void = noop, timers?: Timers) {
    this.#log = log
    this.#onFailure = onFailure
    this.#limiter = new LogLimiter<Failure>(DEFAULTS.failureLogIntervalMs, DEFAULTS.failureLogBurst, (failure, count) => { summarize(log, failure, count) }, timers)
    for (const def of Object.values(HTTP_ERRORS)) {
      this.#headers.set(def, { ...errorHeaders(def, config), 'content-length': def.body.length })
    }
  }

  /** Send a registry error. `extra` adds headers (e.g. Allow on 405). */
  error (res: ServerResponse, def: HttpErrorDef, extra?: Headers): void {
    const headers = this.#headers.get(def) as Headers
    res.writeHead(def.statusCode, extra === undefined ? headers : { ...headers, ...extra })
    res.end(res.req.method === 'HEAD' ? undefined : def.body)
  }

  /**
   * Account for a failed request (metrics, log) and pick the registry error to answer it with:
   * HttpErrors are expected (503, 500 from the store) and logged as warnings when 5xx; anything
   * else is a bug, logged with its stack, answered 500. Shared by every route's error writer.
   * Log lines are rate-limited per code and kind of error (src/observability/log-limiter.ts): an outage or a bug
   * hit by every request writes a few lines, never one per request.
   */
  failureDef (res: ServerResponse, err: unknown): HttpErrorDef {
    this.#onFailure(err)
    if (err instanceof HttpError) {
      if (err.def.statusCode >= 500) this.#logFailure(res, 'warn', err.code, err.cause ?? err, 'request failed')
      return err.def
    }
    this.#logFailure(res, 'error', HTTP_ERRORS.TF_ERR_INTERNAL.code, err, 'unexpected error')
    return HTTP_ERRORS.TF_ERR_INTERNAL
  }

  #logFailure (res: ServerResponse, level: 'warn' | 'error', code: string, err: unknown, msg: string): void {
    const kind = kindOf(err)
    if (!this.#limiter.hit(`${level} ${code} ${kind}`, { level, code, kind })) return
    this.#log[level]({ err, code, kind, url: pathOf(res.req.url as string) }, msg)
  }

  /**
   * Answer a request whose handler failed. HttpErrors are expected (503, 500 from the store) and
   * answered as such; anything else is a bug, logged with its stack, answered 500. Never throws.
   */
  failure (res: ServerResponse, err: unknown): void {
    const def = this.failureDef(res, err)
    if (res.headersSent) {
      // Too late for a clean error: cut the connection so the client sees a failure, not a short body.
      res.destroy()
      return
    }
    this.error(res, def)
  }
}

/** What a failure line is rate-limited by, and what its summary says. */
export interface Failure {
  readonly level: 'warn' | 'error'
  /** Registry code of the response. */
  readonly code: string
  /** What failed underneath: the error's code (ECONNREFUSED) or class name (ReplyError, TypeError). */
  readonly kind: string
}

function summarize (log: Logger, { level, code, kind }: Failure, count: number): void {
  log[level]({ code, kind, count }, `${count} more requests failed with ${code} (${kind}) in the last ${DEFAULTS.failureLogIntervalMs} ms`)
}

// A bounded set in practice (error classes and codes), so episodes stay few. Never the message: it
// varies per request and may hold data.
function kindOf (err: unknown): string {
  if (!(err instanceof Error)) return typeof err
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' ? code : err.name
}
