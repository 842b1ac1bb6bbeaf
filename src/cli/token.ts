// `tideflags token create`: a new admin token and its ADMIN_TOKENS_FILE line. Offline: no server is
// asked; the token is shown once and only its sha256 goes into the file.

import { appendFileSync } from 'node:fs'
import { ACTOR_NAME, newToken, tokenLine, type AdminScope } from '../config/admin-tokens.js'

/** A new token for an actor, with its file line. */
export interface Created {
  readonly actor: string
  readonly scope: AdminScope
  readonly token: string
  readonly line: string
}

/**
 * Make a token; with `file`, append its line there (created readable by its owner only).
 * @returns the token, or the usage problem with --actor or --scope
 */
export function createToken (actor: string, scope: string, file?: string): Created | string {
  if (!ACTOR_NAME.test(actor)) return '--actor: expected 1 to 64 letters, digits, _ . @ or -'
  if (scope !== 'read' && scope !== 'write') return '--scope: expected read or write'
  const token = newToken()
  const line = tokenLine(actor, scope, token)
  if (file !== undefined) appendFileSync(file, line + '\n', { mode: 0o600 })
  return { actor, scope, token, line }
}
