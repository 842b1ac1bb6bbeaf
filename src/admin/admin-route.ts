// What every admin route shares: the caller's token entry (set by the sign-in step of
// admin-server.ts), the scope check, JSON bodies in and out, and the 422 answer with its `errors`.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AdminScope, AdminToken } from '../config/admin-tokens.js'
import { decodeUtf8 } from '../core/values.js'
import { HTTP_ERRORS, HttpError } from '../errors.js'
import { readBody } from '../http/body.js'
import type { Replier } from '../http/reply.js'
import type { SegmentHandler } from '../http/router.js'
import { Invalid } from './validate.js'

/** An admin route's handler: the path's `{...}` segments (percent-encoded) and the signed-in caller. */
export type AdminHandler = (req: IncomingMessage, res: ServerResponse, params: readonly string[], caller: AdminToken) => Promise<void>

/** What the routes need of the listener. */
export interface AdminRouting {
  readonly replier: Replier
  /** The token entry of each signed-in request. */
  readonly callers: WeakMap<IncomingMessage, AdminToken>
}

const HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' }
const VALIDATION = HTTP_ERRORS.TF_ERR_ADMIN_VALIDATION

/**
 * A router handler that runs `handler` for a caller with `scope` (a `read` token on a write: 403) and
 * answers a failed validation with 422.
 */
export function guard (routing: AdminRouting, scope: AdminScope, handler: AdminHandler): SegmentHandler {
  const { replier, callers } = routing
  return async (req, res, _segment, params) => {
    // The sign-in step ran for every routed admin path.
    const caller = callers.get(req) as AdminToken
    if (scope === 'write' && caller.scope !== 'write') return replier.error(res, HTTP_ERRORS.TF_ERR_ADMIN_FORBIDDEN)
    try {
      await handler(req, res, params, caller)
    } catch (err) {
      if (!(err instanceof Invalid)) throw err
      sendJson(res, VALIDATION.statusCode, { key: VALIDATION.key, message: VALIDATION.message, errors: err.errors })
    }
  }
}

/** Send a JSON answer; admin answers are never cached. */
export function sendJson (res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  res.writeHead(status, { ...HEADERS, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/**
 * The request's JSON body (within the body limit).
 * @throws HttpError TF_ERR_ADMIN_JSON when it is not UTF-8 JSON; TF_ERR_BODY_TOO_LARGE past the limit
 */
export async function readJson (req: IncomingMessage): Promise<unknown> {
  const text = decodeUtf8(await readBody(req))
  try {
    return JSON.parse(text as string) as unknown
  } catch {
    // Not UTF-8 (text undefined) or not JSON.
    throw new HttpError('TF_ERR_ADMIN_JSON')
  }
}
