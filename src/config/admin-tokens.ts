// The admin tokens file (ADMIN_TOKENS_FILE): one token per line, `<actor> <scope> <sha256 hex of the
// token>`, scope `read` or `write`. Tokens are never stored in clear: a leaked file lets nobody in.
// Blank lines and lines starting with `#` are ignored. Read at boot by every process (a rolling restart
// re-reads it); a bad line stops the boot naming its line number. The CLI's `token create` writes lines
// with tokenLine below, so both sides agree on the format.

import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { ConfigError } from '../errors.js'

/** What an admin token may do: `read` the admin API, or also `write` through it. */
export type AdminScope = 'read' | 'write'

/** One line of the file. */
export interface AdminToken {
  /** Who the token belongs to: recorded as the actor of every change made with it. */
  readonly actor: string
  readonly scope: AdminScope
  /** sha256 of the token's UTF-8 bytes (32 bytes). */
  readonly digest: Buffer
}

/** An actor name: letters, digits and `_ . @ -`, 1 to 64 of them (it goes into audit entries and logs). */
export const ACTOR_NAME = /^[A-Za-z0-9_.@-]{1,64}$/
const SCOPES: readonly string[] = ['read', 'write']
const HEX_DIGEST = /^[0-9a-fA-F]{64}$/
const VARIABLE = 'ADMIN_TOKENS_FILE'
const FORMAT = 'one "<actor> <read|write> <sha256 hex>" per line'

/** sha256 of a token's UTF-8 bytes: what the file holds, and what a presented token is compared by. */
export function tokenDigest (token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest()
}

/** The file line for a token. */
export function tokenLine (actor: string, scope: AdminScope, token: string): string {
  return `${actor} ${scope} ${tokenDigest(token).toString('hex')}`
}

/** A new random admin token: 32 bytes from the OS CSPRNG, base64url, with a prefix secret scanners can spot. */
export function newToken (): string {
  return 'tfa_' + randomBytes(32).toString('base64url')
}

/**
 * Read and check the tokens file.
 * @throws ConfigError naming ADMIN_TOKENS_FILE, the file and the line at fault
 */
export function loadAdminTokens (file: string): readonly AdminToken[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(VARIABLE, `a readable file (${(err as Error).message})`)
  }
  return parseAdminTokens(text, file)
}

/**
 * Parse the text of a tokens file.
 * @param file named in errors
 * @throws ConfigError for a malformed line, a digest listed twice, or a file with no token
 */
export function parseAdminTokens (text: string, file: string): readonly AdminToken[] {
  const tokens: AdminToken[] = []
  const seen = new Map<string, number>()
  const lines = text.split(/\r?\n/)
  lines.forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const n = index + 1
    const bad = (problem: string): ConfigError => new ConfigError(VARIABLE, `${FORMAT}; ${file} line ${n}: ${problem}`)
    const fields = line.split(/\s+/)
    if (fields.length !== 3) throw bad(`${fields.length} fields, expected 3`)
    const [actor, scope, hex] = fields as [string, string, string]
    if (!ACTOR_NAME.test(actor)) throw bad('the actor must be 1 to 64 letters, digits, _ . @ or -')
    if (!SCOPES.includes(scope)) throw bad(`scope ${JSON.stringify(scope)} is neither read nor write`)
    // Never echo the field: a token pasted in clear by mistake must not reach the terminal or a log.
    if (!HEX_DIGEST.test(hex)) throw bad('the third field must be 64 hex digits (the sha256 of the token, not the token)')
    const digest = hex.toLowerCase()
    const earlier = seen.get(digest)
    // One token, two actors or scopes: which one a request acts as would be arbitrary.
    if (earlier !== undefined) throw bad(`the same token as line ${earlier}`)
    seen.set(digest, n)
    tokens.push(Object.freeze({ actor, scope: scope as AdminScope, digest: Buffer.from(digest, 'hex') }))
  })
  if (tokens.length === 0) throw new ConfigError(VARIABLE, `${FORMAT}; ${file} holds no token`)
  return Object.freeze(tokens)
}
