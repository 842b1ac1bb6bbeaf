// Admin sign-in: which line of ADMIN_TOKENS_FILE a presented token matches.
//
// Constant time: the presented token is hashed with sha256 and its digest compared with every entry's
// digest by timingSafeEqual, without stopping at a match, so the time taken depends on neither which
// entry matched nor how much of a digest did. (A Map lookup keyed by the hex digest would also be safe
// in practice: its timing could tell an attacker how far sha256 of their guess agrees with a stored
// digest, and a stored digest, even whole, does not sign anyone in without a preimage. The loop makes
// the property hold without that argument, and a tokens file holds a handful of lines.)

import { timingSafeEqual } from 'node:crypto'
import { tokenDigest, type AdminToken } from '../config/admin-tokens.js'

/** Verifies admin tokens against the tokens file's digests. */
export class AdminAuth {
  readonly #tokens: readonly AdminToken[]

  constructor (tokens: readonly AdminToken[]) {
    this.#tokens = tokens
  }

  /** The entry of a token, or undefined for an unknown one. */
  verify (token: string): AdminToken | undefined {
    const digest = tokenDigest(token)
    let found: AdminToken | undefined
    for (const entry of this.#tokens) {
      // Both digests are 32 bytes, as timingSafeEqual requires. Keep looping after a match.
      if (timingSafeEqual(digest, entry.digest)) found = entry
    }
    return found
  }
}
