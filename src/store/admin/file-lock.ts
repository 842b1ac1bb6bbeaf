// A lock across processes for the embedded store's read-modify-rename: every worker may take admin
// writes, and two of them rewriting the file at once would lose one change (and its audit entry).
// The lock is a `<file>.lock` file created exclusively (O_EXCL: exactly one creator wins, on every
// local file system). A write holds it for milliseconds, so one older than the stale age was left by
// a process that died holding it, and is broken.

import { open, stat, unlink } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { DEFAULTS } from '../../config/defaults.js'
import { HttpError } from '../../errors.js'

/** How long to wait, how old a lock is stale, and how often to try (ms); DEFAULTS unless a test says. */
export interface LockTiming {
  readonly waitMs: number
  readonly staleMs: number
  readonly pollMs: number
}

const TIMING: LockTiming = { waitMs: DEFAULTS.embeddedLockWaitMs, staleMs: DEFAULTS.embeddedLockStaleMs, pollMs: DEFAULTS.embeddedLockPollMs }

/**
 * Run `work` holding the lock of `file`.
 * @throws HttpError TF_ERR_SERVICE_UNAVAILABLE when the lock stays taken longer than the wait
 */
export async function withFileLock<T> (file: string, work: () => Promise<T>, timing: LockTiming = TIMING): Promise<T> {
  const lock = `${file}.lock`
  const deadline = Date.now() + timing.waitMs
  for (;;) {
    try {
      const handle = await open(lock, 'wx')
      await handle.close()
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const since = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0)
    if (since > timing.staleMs) {
      // Another waiter may break it first: only a lock that is gone matters.
      await unlink(lock).catch(() => {})
      continue
    }
    if (Date.now() >= deadline) throw new HttpError('TF_ERR_SERVICE_UNAVAILABLE')
    await sleep(timing.pollMs)
  }
  try {
    return await work()
  } finally {
    await unlink(lock).catch(() => {})
  }
}
