// The page's two message lines: a status line for what a change did (read out politely by screen
// readers) and an alert line for what failed (read out at once). Both are in index.html from the
// start: a live region announces changes only if it existed before them.

import { ApiError } from './api.js'
import { byId } from './dom.js'

/** Report a change that worked, once the screen shows it; clears any earlier failure. */
export function say (message: string): void {
  byId('alert').textContent = ''
  byId('status').textContent = message
}

/** Report a failure: the API's own message, or what went wrong underneath. */
export function fail (err: unknown): void {
  byId('status').textContent = ''
  byId('alert').textContent = err instanceof ApiError ? err.message : `Unexpected error: ${String(err)}`
}

/** Clear both lines (a new view, a new sign-in). */
export function clearMessages (): void {
  byId('status').textContent = ''
  byId('alert').textContent = ''
}
