// Writing OFREP (OpenFeature Remote Evaluation Protocol 0.3.0) responses. Errors from the one
// registry (src/errors.ts) are rendered in the protocol's shape, which providers parse:
//   single flag: {"key": <flag>, "errorCode": ..., "errorDetails": ...}   (evaluationFailure, flagNotFound)
//   bulk:        {"errorCode": ..., "errorDetails": ...}                  (bulkEvaluationFailure)
// 5xx bodies carry errorDetails as the spec's generalErrorResponse does. 401 has no body, per spec.

import type { ServerResponse } from 'node:http'
import type { Config } from '../../config/config.js'
import { HTTP_ERRORS, type HttpErrorDef } from '../../errors.js'
import type { FlagReason } from '../../core/evaluate.js'
import { errorHeaders, type Headers, type Replier } from '../../http/reply.js'


/** One flag's evaluation, as OFREP's evaluationSuccess with a boolean value. */
export interface FlagEvaluation {
  readonly key: string
  readonly value: boolean
  readonly reason: FlagReason
  /** "on" or "off": a stable name for the value, for providers' telemetry. */
  readonly variant: 'on' | 'off'
}

/** The evaluation of a known flag. */
export function evaluation (key: string, reason: FlagReason): FlagEvaluation {
  const value = reason !== 'DISABLED'
  return { key, value, reason, variant: value ? 'on' : 'off' }
}

/** Writes OFREP error responses; header sets are prepared per registry error at startup. */
export class OfrepReplier {
  readonly #headers = new Map<HttpErrorDef, Headers>()
  readonly #bulkBodies = new Map<HttpErrorDef, Buffer>()
  readonly #replier: Replier

  /** @param replier the server's Replier: failures are logged and counted in one place */
  constructor (config: Pick<Config, 'retryAfterSeconds'>, replier: Replier) {
    this.#replier = replier
    for (const def of Object.values(HTTP_ERRORS)) {
      const headers = errorHeaders(def, config)
      // The rest of an oversized body is never read: close rather than drain it.
      if (def.statusCode === 413) headers.connection = 'close'
      this.#headers.set(def, headers)
      this.#bulkBodies.set(def, Buffer.from(JSON.stringify(failure(def))))
    }
  }

  /**
   * Send a registry error in OFREP shape.
   * @param flagKey the flag of a single-flag request; undefined for bulk
   */
  error (res: ServerResponse, def: HttpErrorDef, flagKey?: string): void {
    const headers = this.#headers.get(def) as Headers
    if (def.statusCode === 401) {
      res.writeHead(401, { 'www-authenticate': headers['www-authenticate'] as string, 'content-length': 0, 'cache-control': 'no-store' })
      res.end()
      return
    }
    const body = flagKey === undefined
      ? this.#bulkBodies.get(def) as Buffer
      : Buffer.from(JSON.stringify({ key: flagKey, ...failure(def) }))
    res.writeHead(def.statusCode, { ...headers, 'content-length': body.length })
    res.end(body)
  }

  /** Answer a request whose evaluation failed, like Replier.failure but in OFREP shape. Never throws. */
  failure (res: ServerResponse, err: unknown, flagKey?: string): void {
    // OFREP handlers write only once evaluation is done, so nothing has been sent yet.
    this.error(res, this.#replier.failureDef(res, err), flagKey)
  }
}

function failure (def: HttpErrorDef): { errorCode: string, errorDetails: string } {
  return { errorCode: def.ofrepCode ?? 'GENERAL', errorDetails: def.message }
}

