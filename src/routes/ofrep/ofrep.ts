// OFREP, the OpenFeature Remote Evaluation Protocol (spec 0.3.0): every feature is a boolean flag.
//   POST /ofrep/v1/evaluate/flags/{key}  one flag (server-side providers)
//   POST /ofrep/v1/evaluate/flags        every known flag, with an ETag (client-side providers)
// Identity comes from Authorization and location from the configured sources, exactly as on
// /features; the evaluation context is checked for shape and otherwise ignored (context.targetingKey
// included): were identity or location taken from the context, any caller could ask as any user or
// from any place.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { revalidatedHeaders, sendRevalidated } from '../../http/answer.js'
import { requestToken } from '../../http/auth.js'
import { readBody } from '../../http/body.js'
import type { Config } from '../../config/config.js'
import { HTTP_ERRORS, HttpError, type HttpErrorCode } from '../../errors.js'
import { etagOf } from '../../http/etag.js'
import { contextOf, isError, type Locate } from '../../http/identify.js'
import type { RequestContext } from '../../core/context.js'
import { evaluation, OfrepReplier } from './ofrep-reply.js'
import type { Replier } from '../../http/reply.js'
import type { PrefixRoute, Route } from '../../http/router.js'
import type { FeatureStore } from '../../store/store.js'
import { decodeUtf8, isObject } from '../../core/values.js'

/**
 * Check a request body is `{"context": {...}}`.
 * @throws HttpError TF_ERR_OFREP_JSON, TF_ERR_OFREP_BODY_SHAPE or TF_ERR_OFREP_CONTEXT
 */
export function checkEvaluationRequest (body: Buffer): void {
  const text = decodeUtf8(body)
  if (text === undefined) throw new HttpError('TF_ERR_OFREP_JSON')
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new HttpError('TF_ERR_OFREP_JSON', { cause: err })
  }
  if (!isObject(parsed)) throw new HttpError('TF_ERR_OFREP_BODY_SHAPE')
  if (!isObject(parsed.context)) throw new HttpError('TF_ERR_OFREP_CONTEXT')
}

/** The two OFREP routes; answers and errors follow the protocol's shapes (src/routes/ofrep/ofrep-reply.ts). */
export function ofrepRoutes (config: Config, store: FeatureStore, errors: Replier, locate: Locate): [Route, PrefixRoute] {
  const replier = new OfrepReplier(config, errors)

  // The caller, once the request is known to be well formed: a malformed header is refused before
  // the body is read, the store is asked only after it checked out. Errors go to the OFREP replier.
  async function caller (req: IncomingMessage): Promise<RequestContext> {
    const token = requestToken(req)
    if (token !== null && typeof token !== 'string') throw new HttpError(token.code as HttpErrorCode) // a registry def's code is its key
    checkEvaluationRequest(await readBody(req))
    const who = await contextOf(token, store, locate(req))
    if (isError(who)) throw new HttpError(who.code as HttpErrorCode)
    return who
  }

  async function single (req: IncomingMessage, res: ServerResponse, segment: string): Promise<void> {
    let key: string
    try {
      key = decodeURIComponent(segment)
    } catch {
      return replier.error(res, HTTP_ERRORS.TF_ERR_OFREP_FLAG_KEY, segment)
    }
    try {
      const flags = await store.flagsFor(await caller(req))
      const reason = flags.get(key)
      if (reason === undefined) return replier.error(res, HTTP_ERRORS.TF_ERR_OFREP_FLAG_NOT_FOUND, key)
      const body = Buffer.from(JSON.stringify(evaluation(key, reason)))
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'cache-control': 'no-store' })
      res.end(body)
    } catch (err) {
      replier.failure(res, err, key)
    }
  }

  async function bulk (req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const flags = await store.flagsFor(await caller(req))
      const evaluations = []
      for (const [key, reason] of flags) evaluations.push(evaluation(key, reason))
      const body = Buffer.from(JSON.stringify({ flags: evaluations }))
      // A hash of this caller's whole answer: any change to it (their set, a global or active
      // feature) changes the tag, and callers with different answers never share one.
      const etag = etagOf(body)
      sendRevalidated(req, res, { body, etag, ...revalidatedHeaders(body.length, etag) })
    } catch (err) {
      replier.failure(res, err)
    }
  }

  return [
    // Both for browsers: the web provider asks for the bulk one, a page may ask for one flag.
    { path: '/ofrep/v1/evaluate/flags', methods: { POST: bulk }, browser: true },
    { prefix: '/ofrep/v1/evaluate/flags/', methods: { POST: single }, browser: true },
  ]
}
