// One gathering shared by every caller that asks while it runs or soon after: a burst of scrapers
// costs one gathering per interval instead of one each.

/** A gathered value and when it was gathered (epoch ms). */
export interface Dated<T> {
  readonly value: T
  readonly at: number
}

/**
 * Wrap `gather` so that concurrent calls share one run, and a result gathered less than `maxAgeMs`
 * ago is returned as is. A failed run is not kept: the next call gathers afresh.
 * @param now clock, injectable for tests
 */
export function shareRecent<T> (gather: () => Promise<Dated<T>>, maxAgeMs: number, now: () => number = Date.now): () => Promise<Dated<T>> {
  let last: Dated<T> | undefined
  let running: Promise<Dated<T>> | undefined
  return async () => {
    if (last !== undefined && now() - last.at < maxAgeMs) return last
    running ??= gather().then((result) => {
      last = result
      return result
    }).finally(() => { running = undefined })
    return await running
  }
}
