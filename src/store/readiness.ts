// Whether the store answers: the readiness probe (/readyz, a new worker's start) and the waits built on
// it. Concurrent probes share one check, so a fleet of pollers costs one PING per Redis instance.

import { setTimeout as sleep } from 'node:timers/promises'
import type { FeatureStore } from './store.js'

/** Returns whether the store answers now; concurrent calls share one check. */
export function readinessProbe (store: FeatureStore): () => Promise<boolean> {
  let running: Promise<boolean> | undefined
  return async () => {
    running ??= store.reachable().finally(() => { running = undefined })
    return await running
  }
}

/**
 * Wait until the store answers, at most `timeoutMs`. A worker listens only then, so in a rolling
 * restart its first requests do not meet a Redis connection still being opened. When Redis stays
 * down it listens anyway (answering 503 and /readyz 503) rather than never.
 */
export async function waitForStore (probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await probe()) return true
    if (Date.now() >= deadline) return false
    await sleep(25)
  }
}

/**
 * Call `onReachable` once the store answers, probing every `intervalMs`: a worker that listened
 * while its store was down reports READY when it can really serve. The timer never keeps the
 * process alive; the returned function stops the polling (at shutdown).
 */
export function whenStoreAnswers (probe: () => Promise<boolean>, intervalMs: number, onReachable: () => void): () => void {
  let stopped = false
  let timer: NodeJS.Timeout
  const tick = (): void => {
    void probe().then((ok) => {
      if (stopped) return
      if (ok) return onReachable()
      timer = setTimeout(tick, intervalMs).unref()
    })
  }
  timer = setTimeout(tick, intervalMs).unref()
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}
