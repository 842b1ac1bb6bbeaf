// Delay before re-forking a crashed worker. The first crash is replaced at once; a worker that keeps
// dying is replaced ever more slowly (doubling up to a cap), so a crash loop cannot spin the CPU or
// flood the log. The count decays: crashes older than the window are forgotten.

import { DEFAULTS } from '../config/defaults.js'

/** Settings of the restart backoff, all in ms. */
export interface BackoffOptions {
  /** Delay after the second crash inside the window; doubles with each further one. */
  readonly baseMs: number
  /** Longest delay. */
  readonly maxMs: number
  /** Crashes older than this no longer count. */
  readonly windowMs: number
}

export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({
  baseMs: DEFAULTS.restartBaseMs,
  maxMs: DEFAULTS.restartMaxMs,
  windowMs: DEFAULTS.restartWindowMs,
})

/** Tracks recent crashes and says how long to wait before the next fork. */
export class RestartBackoff {
  readonly #options: BackoffOptions
  readonly #crashes: number[] = []

  constructor (options: BackoffOptions = DEFAULT_BACKOFF) {
    this.#options = options
  }

  /** Record a crash at `now` and return the delay before replacing the worker (ms). */
  crashed (now: number = Date.now()): number {
    const { baseMs, maxMs, windowMs } = this.#options
    while (this.#crashes.length > 0 && (this.#crashes[0] as number) <= now - windowMs) this.#crashes.shift()
    this.#crashes.push(now)
    const recent = this.#crashes.length
    return recent === 1 ? 0 : Math.min(baseMs * 2 ** (recent - 2), maxMs)
  }
}
