// Caller identification, one step for every route: the token from Authorization (http/auth.ts), then
// the user id it belongs to, from the store, and the request's location from the configured sources
// (src/location/location.ts). The outcome is the request context, or the registry error to answer
// with; each route renders that error in its own protocol's shape.

import { caller, type RequestContext } from '../core/context.js'
import { HTTP_ERRORS, type HttpErrorDef } from '../errors.js'
import { resolveLocation, type LocationInput, type LocationOptions } from '../location/location.js'
import type { AuthResult } from './auth.js'

/** What identification needs of a store. */
export interface TokenLookup {
  userIdForToken (token: string): Promise<string | null>
}

/** The caller of a request, or the error to answer it with. */
export type Identified = RequestContext | HttpErrorDef

/** A request's location name (upper-case), or undefined; built once at boot by {@link locator}. */
export type Locate = (req: LocationInput) => string | undefined

/** Whether identification failed (a registry error rather than a context). */
export function isError (who: Identified): who is HttpErrorDef {
  return 'statusCode' in who
}

const NO_LOCATION: Locate = () => undefined

/**
 * The location step for the configured sources. With no source configured (the default) it is a
 * function that returns null: no header read, no lookup, nothing allocated.
 * @param onInvalid called once per request whose location header is present but invalid (a metric)
 */
export function locator (options: LocationOptions, onInvalid: () => void): Locate {
  if (options.header === undefined && options.geoip === undefined) return NO_LOCATION
  return (req) => {
    const found = resolveLocation(options, req)
    if (found.invalid) onInvalid()
    return found.location
  }
}

/**
 * The caller for a request's Authorization result (http/auth.ts `requestToken`). Anonymous and
 * malformed requests are decided at once, without a promise; a token costs one (batched) lookup.
 * Routes read the header themselves first, so OFREP can check its body between the two steps.
 * @param location the request's location (see {@link locator}), undefined for none
 */
export function contextOf (token: AuthResult, store: TokenLookup, location?: string): Identified | Promise<Identified> {
  if (token === null) return caller(null, location)
  if (typeof token !== 'string') return token
  const lookup = store.userIdForToken(token)
  return location === undefined ? lookup.then(known) : lookup.then((userId) => userId === null ? HTTP_ERRORS.TF_ERR_UNAUTHORIZED : caller(userId, location))
}

// Bound once: no closure per request without a location.
function known (userId: string | null): Identified {
  return userId === null ? HTTP_ERRORS.TF_ERR_UNAUTHORIZED : caller(userId)
}
