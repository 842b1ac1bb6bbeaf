// Rolling restart of the cluster (SIGHUP under `npm start`): one worker at a time, fork its
// replacement, wait until the replacement listens and its store answers (READY), only then ask the
// old worker to drain. Capacity never drops below the configured worker count, and no connection
// is refused because some worker always listens.

import type { Worker } from 'node:cluster'
import { READY } from './ipc.js'

/** What a rolling restart needs from the primary. */
export interface RollingParts {
  /** Fork one new worker. */
  readonly fork: () => Worker
  /** Ask a worker to drain and exit, as a planned exit (not replaced). */
  readonly retire: (worker: Worker) => void
  /** Give up on a replacement that is not ready after this (ms). */
  readonly readyTimeoutMs: number
  /** Whether to stop early (a shutdown began). */
  readonly cancelled: () => boolean
}

/** Outcome of a roll: how many workers were replaced, and why it stopped early if it did. */
export interface RollResult {
  readonly replaced: number
  readonly aborted?: string
}

/** Replace `workers` one by one. Resolves when the last replacement is ready (old ones may still drain). */
export async function rollingRestart (workers: readonly Worker[], parts: RollingParts): Promise<RollResult> {
  let replaced = 0
  for (const old of workers) {
    if (parts.cancelled()) return { replaced, aborted: 'shutdown' }
    // A worker that died meanwhile has been replaced by the crash path already.
    if (old.isDead()) continue
    const fresh = parts.fork()
    if (!(await whenReady(fresh, parts.readyTimeoutMs))) {
      // Keep the old worker serving: a replacement that cannot start must not cost capacity.
      if (!fresh.isDead()) parts.retire(fresh)
      return { replaced, aborted: 'replacement did not become ready' }
    }
    parts.retire(old)
    replaced++
  }
  return { replaced }
}

/** Resolves true when the worker reports READY, false when it exits or the time runs out. */
export async function whenReady (worker: Worker, timeoutMs: number): Promise<boolean> {
  return await new Promise<boolean>((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer)
      worker.off('message', onMessage)
      worker.off('exit', onExit)
      resolve(ok)
    }
    const onMessage = (message: unknown): void => { if (message === READY) done(true) }
    const onExit = (): void => done(false)
    const timer = setTimeout(() => done(false), timeoutMs)
    worker.on('message', onMessage)
    worker.on('exit', onExit)
  })
}
