// The cluster primary: forks one worker per CPU (or WORKERS), replaces a worker that dies unexpectedly
// with a backoff, and stops them on a signal. It never touches HTTP or Redis.

import cluster, { type Worker } from 'node:cluster'
import { RestartBackoff } from './backoff.js'
import type { Config } from './config.js'
import { createLogger } from './logger.js'
import { loadDataFile } from './store/embedded.js'

const SHUTDOWN_DEADLINE_MS = 10_000 // 10 s: workers still running then are killed

/** Validate what must be valid before forking, then fork and supervise the workers. */
export function runPrimary (config: Config): void {
  const log = createLogger(config, 'primary')
  if (config.store.kind === 'embedded') {
    // A bad file stops the service here, once, instead of crash-looping every worker.
    loadDataFile(config.store.file)
    log.info({ store: 'embedded', file: config.store.file, workers: config.workers },
      'tideflags starting on the embedded development store (no Redis; read-only, reloads on change; not for production)')
  } else {
    log.info({ store: 'redis', workers: config.workers }, 'tideflags starting on Redis')
  }

  const backoff = new RestartBackoff()
  let stopping = false
  let exitStatus = 0
  // Until one worker has listened, a worker that dies is a boot failure (port in use, bad file):
  // replacing it would only crash-loop, so the service stops and says why.
  let listened = false
  cluster.once('listening', () => { listened = true })

  cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitStatus)
      return
    }
    if (worker.exitedAfterDisconnect) return
    if (!listened) {
      log.fatal({ worker: worker.process.pid, code, signal }, 'a worker failed to start; stopping')
      stop('boot failure', 1)
      return
    }
    const delay = backoff.crashed()
    log.warn({ worker: worker.process.pid, code, signal, restartInMs: delay }, 'worker died unexpectedly; replacing it')
    // Not unref'd: with every worker dead this timer is what keeps the primary alive to re-fork.
    setTimeout(() => { if (!stopping) cluster.fork() }, delay)
  })

  function stop (reason: string, exitCode = 0): void {
    if (stopping) {
      // A second signal: the operator wants out now.
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL')
      process.exit(1)
    }
    stopping = true
    exitStatus = exitCode
    log.info({ reason }, 'stopping workers')
    setTimeout(() => {
      log.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'workers did not stop in time; killing them')
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL')
      process.exit(1)
    }, SHUTDOWN_DEADLINE_MS).unref()
    const workers = Object.values(cluster.workers ?? {})
    if (workers.length === 0) process.exit(exitCode)
    for (const worker of workers) {
      if (worker?.isConnected() === true) worker.send('tideflags:shutdown')
    }
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))

  for (let i = 0; i < config.workers; i++) cluster.fork()
}
