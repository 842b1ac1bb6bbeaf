// Caller identification, one step for every route: the token from Authorization (http/auth.ts), then
// the user id it belongs to, from the store. The outcome is the request context, or the registry
// error to answer with; each route renders that error in its own protocol's shape.

import type { IncomingMessage } from 'node:http'
import { caller, type RequestContext } from '../core/context.js'
import { HTTP_ERRORS, type HttpErrorDef } from '../errors.js'
import { requestToken, type AuthResult } from './auth.js'

/** What identification needs of a store. */
export interface TokenLookup {
  userIdForToken (token: string): Promise<string | null>
}

/** The caller of a request, or the error to answer it with. */
export type Identified = RequestContext | HttpErrorDef

/** Whether identification failed (a registry error rather than a context). */
export function isError (who: Identified): who is HttpErrorDef {
  return 'statusCode' in who
}

/**
 * Identify a request's caller. Anonymous and malformed requests are decided at once, without a
 * promise; a token costs one (batched) lookup.
 */
export function identify (req: Pick<IncomingMessage, 'headers' | 'rawHeaders'>, store: TokenLookup): Identified | Promise<Identified> {
  return contextOf(requestToken(req), store)
}

/**
 * The caller of an already-read Authorization result: for a route that must check more of the
 * request (OFREP's body) between reading the header and asking the store.
 */
export function contextOf (token: AuthResult, store: TokenLookup): Identified | Promise<Identified> {
  if (token === null) return caller(null)
  if (typeof token !== 'string') return token
  return store.userIdForToken(token).then(known)
}

// Bound once: no closure per request.
function known (userId: string | null): Identified {
  return userId === null ? HTTP_ERRORS.TF_ERR_UNAUTHORIZED : caller(userId)
}
