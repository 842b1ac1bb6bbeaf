// Keeps repeated failures from flooding the log. The first few failures of a kind are logged in
// full at once (a state transition: something started failing; a few samples, since callers may fail
// differently); the ones that follow are only counted, and summed up in one line per interval while
// they go on. An interval with none ends the episode, so the next failure of that kind is again
// logged in full. Per-request counts are the metrics' job (src/observability/metrics.ts), not the log's.

/** The one timer function the limiter needs; tests pass a fake clock. */
export interface Timers {
  setTimeout (fn: () => void, ms: number): { unref (): unknown }
}

const SYSTEM_TIMERS: Timers = { setTimeout: (fn, ms) => setTimeout(fn, ms) }

interface Episode<F> {
  /** Fields of the failure that opened the episode; its summaries carry them. */
  readonly fields: F
  /** Failures logged in full in this episode. */
  full: number
  /** Failures counted since the last summary. */
  suppressed: number
  /** Whether any failure came in the current interval. */
  busy: boolean
}

/**
 * Rate-limits log lines per key. Memory is bounded by the kinds failing right now: an episode is
 * forgotten after a quiet interval. Its timers are unref'd, so they never keep a process alive; a
 * summary still pending when the process exits is dropped (the metrics have the counts).
 */
export class LogLimiter<F> {
  readonly #episodes = new Map<string, Episode<F>>()
  readonly #intervalMs: number
  readonly #burst: number
  readonly #summarize: (fields: F, count: number) => void
  readonly #timers: Timers

  /**
   * @param intervalMs at most one summary line per key per this (ms)
   * @param burst failures of an episode logged in full before counting starts
   * @param summarize writes the summary of `count` failures not logged in full; gets the fields of
   *   the failure that opened the episode
   */
  constructor (intervalMs: number, burst: number, summarize: (fields: F, count: number) => void, timers: Timers = SYSTEM_TIMERS) {
    this.#intervalMs = intervalMs
    this.#burst = burst
    this.#summarize = summarize
    this.#timers = timers
  }

  /**
   * Count one failure of `key`. True when it should be logged in full (among the first of its
   * episode); false when it is counted into the next summary instead.
   */
  hit (key: string, fields: F): boolean {
    let episode = this.#episodes.get(key)
    if (episode === undefined) {
      episode = { fields, full: 0, suppressed: 0, busy: false }
      this.#episodes.set(key, episode)
      this.#arm(key, episode)
    }
    episode.busy = true
    if (episode.full < this.#burst) {
      episode.full++
      return true
    }
    episode.suppressed++
    return false
  }

  #arm (key: string, episode: Episode<F>): void {
    this.#timers.setTimeout(() => { this.#tick(key, episode) }, this.#intervalMs).unref()
  }

  #tick (key: string, episode: Episode<F>): void {
    if (!episode.busy) {
      this.#episodes.delete(key)
      return
    }
    episode.busy = false
    this.#arm(key, episode)
    if (episode.suppressed === 0) return
    const count = episode.suppressed
    episode.suppressed = 0
    this.#summarize(episode.fields, count)
  }
}
