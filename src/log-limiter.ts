// Keeps repeated failures from flooding the log. The first failure of a kind is logged in full at
// once (a state transition: something started failing); the ones that follow within the interval
// are only counted, and summed up in one line per interval while they go on. An interval with none
// ends the episode, so the next failure of that kind is again logged in full. Per-request counts
// are the metrics' job (src/metrics.ts), not the log's.

/** The one timer function the limiter needs; tests pass a fake clock. */
export interface Timers {
  setTimeout (fn: () => void, ms: number): { unref (): unknown }
}

const SYSTEM_TIMERS: Timers = { setTimeout: (fn, ms) => setTimeout(fn, ms) }

interface Episode<F> {
  readonly fields: F
  /** Failures since the last line (full or summary). */
  count: number
}

/**
 * Rate-limits log lines per key. Memory is bounded by the kinds failing right now: an episode is
 * forgotten after a quiet interval. Its timers are unref'd, so they never keep a process alive; a
 * summary still pending when the process exits is dropped (the metrics have the counts).
 */
export class LogLimiter<F> {
  readonly #episodes = new Map<string, Episode<F>>()
  readonly #intervalMs: number
  readonly #summarize: (fields: F, count: number) => void
  readonly #timers: Timers

  /**
   * @param intervalMs at most one summary line per key per this (ms)
   * @param summarize writes the summary of `count` failures not logged in full; gets the fields of
   *   the failure that opened the episode
   */
  constructor (intervalMs: number, summarize: (fields: F, count: number) => void, timers: Timers = SYSTEM_TIMERS) {
    this.#intervalMs = intervalMs
    this.#summarize = summarize
    this.#timers = timers
  }

  /**
   * Count one failure of `key`. True when it opens an episode and should be logged in full; false
   * when it is counted into the next summary instead.
   */
  hit (key: string, fields: F): boolean {
    const episode = this.#episodes.get(key)
    if (episode !== undefined) {
      episode.count++
      return false
    }
    const opened: Episode<F> = { fields, count: 0 }
    this.#episodes.set(key, opened)
    this.#arm(key, opened)
    return true
  }

  #arm (key: string, episode: Episode<F>): void {
    this.#timers.setTimeout(() => { this.#tick(key, episode) }, this.#intervalMs).unref()
  }

  #tick (key: string, episode: Episode<F>): void {
    if (episode.count === 0) {
      this.#episodes.delete(key)
      return
    }
    const count = episode.count
    episode.count = 0
    this.#arm(key, episode)
    this.#summarize(episode.fields, count)
  }
}
