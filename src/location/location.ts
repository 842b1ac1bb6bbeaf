// The request's location, for `location:<name>` feature sets: from a header the edge sets
// (LOCATION_HEADER) or else from GeoIP on the client address (GEOIP, TRUST_PROXY).

import type { IncomingHttpHeaders } from 'node:http'
import type { GeoIpLookup } from './geoip.js'
import { clientAddress, type TrustedProxies } from './trust-proxy.js'

// Letters, digits, `_` and `-`, 1 to 64 of them: covers country codes (US), subdivisions (US-CA)
// and operator-chosen region names (eu_west), and keeps the Redis key short and printable.
const LOCATION_NAME = /^[A-Za-z0-9_-]{1,64}$/

/** Whether `value` is a valid location name (before upper-casing): `^[A-Za-z0-9_-]{1,64}$`. */
export function isLocationName (value: string): boolean {
  return LOCATION_NAME.test(value)
}

/** Where the location comes from; built once at boot from the config. */
export interface LocationOptions {
  /** Lower-case name of the header the edge sets (LOCATION_HEADER), e.g. `cf-ipcountry`. */
  readonly header?: string | undefined
  /** Country lookup (GEOIP), used when the header is not configured or absent from the request. */
  readonly geoip?: GeoIpLookup | undefined
  /** Proxies whose X-Forwarded-For names the client address for GeoIP (TRUST_PROXY). */
  readonly trusted?: TrustedProxies | undefined
}

/** What a request needs to offer: node's IncomingMessage fits. */
export interface LocationInput {
  readonly headers: IncomingHttpHeaders
  readonly socket: { readonly remoteAddress?: string | undefined }
}

/**
 * The request's location. `invalid` is true when the header was present but its value not a valid
 * location name: the caller counts it in a metric and answers as if there were no location.
 */
export interface LocationResult {
  /** Upper-case location name (the set is `location:<name>`), or undefined. */
  readonly location: string | undefined
  readonly invalid: boolean
}

// Shared results for the cases without a name, so that most requests allocate nothing here.
const NONE: LocationResult = Object.freeze({ location: undefined, invalid: false })
const INVALID: LocationResult = Object.freeze({ location: undefined, invalid: true })

/**
 * The location of one request. The header wins when it is configured and present; a present but
 * invalid value (including repeated headers, which node joins with ', ') is no location, and GeoIP is
 * not asked, since the edge's own answer was unusable. Header values are upper-cased, so that
 * `us` and GeoIP's `US` name the same set.
 */
export function resolveLocation (options: LocationOptions, req: LocationInput): LocationResult {
  const { header, geoip, trusted } = options
  if (header !== undefined) {
    const value = req.headers[header]
    if (value !== undefined) {
      if (typeof value !== 'string' || !LOCATION_NAME.test(value)) return INVALID
      return { location: value.toUpperCase(), invalid: false }
    }
  }
  if (geoip === undefined) return NONE
  const peer = req.socket.remoteAddress
  // A socket destroyed before we read it has no address left.
  if (peer === undefined) return NONE
  const xff = req.headers['x-forwarded-for']
  // node joins repeated X-Forwarded-For headers into one string; an array comes from no socket.
  const address = trusted === undefined ? peer : clientAddress(peer, typeof xff === 'string' ? xff : undefined, trusted)
  const country = geoip(address)
  return country === undefined ? NONE : { location: country, invalid: false }
}
