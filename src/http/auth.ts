// Reads the caller's token from the Authorization header. Pure and allocation-light: it runs on every
// authenticated request. Two forms are accepted, both in use by real clients:
//   Bearer <token>
//   Basic base64(<anything>:<token>)  (the existing apps' form: user name ignored, token is the password)

import type { IncomingMessage } from 'node:http'
import { HTTP_ERRORS, type HttpErrorDef } from '../errors.js'
import { DEFAULTS } from '../config/defaults.js'
import { decodeUtf8 } from '../core/values.js'

/** Longest token accepted, in bytes (UTF-8). Real tokens are far shorter; this bounds the Redis key. */
export const MAX_TOKEN_BYTES = DEFAULTS.maxTokenBytes

/**
 * Longest Basic user name accepted, in bytes (UTF-8). The name is ignored, but clients put e-mail
 * addresses or app ids there; 1 KiB is far above those and still bounds the header we decode.
 */
export const MAX_BASIC_USER_BYTES = DEFAULTS.maxBasicUserBytes

// Largest base64 text that can decode to "user:token" with both parts at their limits; anything
// longer is rejected before decoding so a huge header costs nothing. Past it at least one of the two
// is too long, and most likely the token: it gets the token's error.
const MAX_BASIC_B64 = Math.ceil((MAX_BASIC_USER_BYTES + 1 + MAX_TOKEN_BYTES) / 3) * 4

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * The result of reading the header: `null` for an anonymous caller, the token string, or the
 * error to answer with. Returned, not thrown: malformed headers are common and throwing is costly.
 */
export type AuthResult = string | null | HttpErrorDef

/**
 * Read the caller's token from a request. Node keeps only the first of several Authorization headers
 * while a proxy in front may act on the last: two callers' views of one request must not differ, so
 * a request with more than one is refused.
 */
export function requestToken (req: Pick<IncomingMessage, 'headers' | 'rawHeaders'>): AuthResult {
  const header = req.headers.authorization
  if (header === undefined) return null
  // Only requests that carry the header pay for the scan.
  if (repeatsAuthorization(req.rawHeaders)) return HTTP_ERRORS.TF_ERR_AUTH_DUPLICATE
  return readToken(header)
}

/** Whether raw headers (name, value, name, value...) name Authorization more than once, in any case. */
export function repeatsAuthorization (rawHeaders: readonly string[]): boolean {
  let seen = false
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string
    if (name.length === 13 && name.toLowerCase() === 'authorization') {
      if (seen) return true
      seen = true
    }
  }
  return false
}

/** Read the token from an Authorization header value (as node delivers it: latin1, trimmed). */
export function readToken (header: string | undefined): AuthResult {
  if (header === undefined) return null
  const space = header.indexOf(' ')
  if (space === -1) {
    // Node trims trailing spaces, so `Bearer ` with no token arrives as the bare scheme.
    if (header.length === 0 || isScheme(header, 'bearer') || isScheme(header, 'basic')) return HTTP_ERRORS.TF_ERR_AUTH_EMPTY_TOKEN
    return HTTP_ERRORS.TF_ERR_AUTH_SCHEME
  }
  const scheme = header.slice(0, space)
  let start = space + 1
  // RFC 9110 allows several spaces between the scheme and the credentials.
  while (header.charCodeAt(start) === 0x20) start++
  if (isScheme(scheme, 'bearer')) return bearer(header, start)
  if (isScheme(scheme, 'basic')) return basic(header.slice(start))
  return HTTP_ERRORS.TF_ERR_AUTH_SCHEME
}

// The length check first spares the lower-casing of anything that cannot match.
function isScheme (text: string, lowerName: string): boolean {
  return text.length === lowerName.length && text.toLowerCase() === lowerName
}

function bearer (header: string, start: number): AuthResult {
  const length = header.length - start
  if (length === 0) return HTTP_ERRORS.TF_ERR_AUTH_EMPTY_TOKEN
  // node hands header bytes over as latin1; a length over the limit is over it in bytes too.
  if (length > MAX_TOKEN_BYTES) return HTTP_ERRORS.TF_ERR_AUTH_TOKEN_TOO_LONG
  const token = header.slice(start)
  const scan = scanChars(token)
  if (scan === CONTROL) return HTTP_ERRORS.TF_ERR_AUTH_TOKEN_CHARS
  // Bytes >= 0x80 arrived as latin1 characters: recover the UTF-8 the client sent, so the Redis key
  // holds the same bytes as the token stored by the backoffice.
  if (scan === NON_ASCII) {
    const decoded = decodeUtf8(Buffer.from(token, 'latin1'))
    return decoded ?? HTTP_ERRORS.TF_ERR_AUTH_TOKEN_CHARS
  }
  return token
}

function basic (credentials: string): AuthResult {
  if (credentials.length === 0) return HTTP_ERRORS.TF_ERR_AUTH_EMPTY_TOKEN
  if (credentials.length > MAX_BASIC_B64) return HTTP_ERRORS.TF_ERR_AUTH_TOKEN_TOO_LONG
  // Buffer's decoder skips bad characters silently; check the alphabet first so garbage is a 400.
  if (credentials.length % 4 === 1 || !BASE64.test(credentials)) return HTTP_ERRORS.TF_ERR_AUTH_BASE64
  const decoded = decodeUtf8(Buffer.from(credentials, 'base64'))
  if (decoded === undefined) return HTTP_ERRORS.TF_ERR_AUTH_BASE64
  const colon = decoded.indexOf(':')
  if (colon === -1) return HTTP_ERRORS.TF_ERR_AUTH_BASE64
  // Characters before bytes: a name under the limit in characters may still be over it in bytes.
  if (colon > MAX_BASIC_USER_BYTES || Buffer.byteLength(decoded.slice(0, colon)) > MAX_BASIC_USER_BYTES) return HTTP_ERRORS.TF_ERR_AUTH_USER_TOO_LONG
  // The password is everything after the FIRST colon: it may itself contain ':'.
  const token = decoded.slice(colon + 1)
  if (token.length === 0) return HTTP_ERRORS.TF_ERR_AUTH_EMPTY_TOKEN
  if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) return HTTP_ERRORS.TF_ERR_AUTH_TOKEN_TOO_LONG
  if (scanChars(token) === CONTROL) return HTTP_ERRORS.TF_ERR_AUTH_TOKEN_CHARS
  return token
}

const ASCII = 0
const NON_ASCII = 1
const CONTROL = 2

function scanChars (token: string): number {
  let result = ASCII
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) return CONTROL
    if (c > 0x7f) result = NON_ASCII
  }
  return result
}
