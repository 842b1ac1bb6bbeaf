// The cluster primary: forks one worker per CPU (or WORKERS), replaces a worker that dies unexpectedly
// with a backoff, rolls the workers over on SIGHUP, relays cluster-wide metrics to the worker that
// asks, and stops them all on SIGTERM/SIGINT. It never touches HTTP or Redis: every action is a
// reaction to a signal or a worker message, dispatched through the table below.

import cluster, { type Worker } from 'node:cluster'
import { RestartBackoff } from './backoff.js'
import type { Config } from '../config/config.js'
import { CLOSED, LISTENING, METRICS_REQUEST, METRICS_RESPONSE, READY, SETTLED, SHUTDOWN, type MetricsRequest, type MetricsResponse } from './ipc.js'
import { createLogger } from '../observability/logger.js'
import { ClusterMetrics } from './metrics-relay.js'
import { rollingRestart } from './rolling-restart.js'
import { loadDataFile } from '../store/embedded/data-file.js'
import { DEFAULTS } from '../config/defaults.js'


/** Validate what must be valid before forking, then fork and supervise the workers. */
export function runPrimary (config: Config): void {
  const log = createLogger(config, 'primary')
  if (config.store.kind === 'embedded') {
    // A bad file stops the service here, once, instead of crash-looping every worker.
    loadDataFile(config.store.file)
    log.info({ store: 'embedded', file: config.store.file, workers: config.workers },
      'tideflags starting on the embedded development store (no Redis; read-only, reloads on change; not for production)')
  } else {
    log.info({ store: 'redis', workers: config.workers, scheduling: config.clusterScheduling }, 'tideflags starting on Redis')
  }

  const backoff = new RestartBackoff()
  const metrics = new ClusterMetrics()
  // Workers we asked to exit: their exit is planned and must not be answered with a fork.
  const retired = new WeakSet<Worker>()
  let stopping = false
  let rolling = false
  let exitCode = 0
  // Until one worker has listened, a worker that dies is a boot failure (port in use, bad file):
  // replacing it would only crash-loop, so the service stops and says why.
  let listened = false
  cluster.once('listening', () => { listened = true })

  // node reads the policy once, in setupPrimary: it must be set first.
  cluster.schedulingPolicy = config.clusterScheduling === 'none' ? cluster.SCHED_NONE : cluster.SCHED_RR
  cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, config.workerSemiSpaceMb) })
  // Workers ask the primary for the cluster's metrics; it tells them which metrics are cluster-wide.
  const fork = (): Worker => cluster.fork({ TIDEFLAGS_CLUSTER_METRICS: '1' })
  const retire = (worker: Worker): void => {
    retired.add(worker)
    if (worker.isConnected()) worker.send(SHUTDOWN)
  }
  // A worker that just exited may still be listed until its IPC channel closes: count the living.
  // (cluster.workers is always set in the primary.)
  const workers = (): Worker[] => Object.values(cluster.workers as Record<string, Worker>).filter((w) => !w.isDead())

  const handlers: Record<string, (worker: Worker, message: unknown) => void> = {
    [METRICS_REQUEST]: (worker, message) => {
      const { id } = message as MetricsRequest
      const reply = (answer: MetricsResponse): void => { if (worker.isConnected()) worker.send(answer) }
      metrics.text().then(
        ({ value, at }) => reply({ type: METRICS_RESPONSE, id, text: value, gatheredAt: at }),
        (err: Error) => reply({ type: METRICS_RESPONSE, id, error: err.message }),
      )
    },
  }
  // What each worker last said of itself: listening (its store does not answer yet) or ready. The
  // service is ready, in the log and for a supervisor waiting on IPC, only once every worker is.
  const reported = new WeakMap<Worker, typeof LISTENING | typeof READY>()
  let announced: 'nothing' | 'listening' | 'ready' = 'nothing'
  const report = (worker: Worker, state: typeof LISTENING | typeof READY): void => {
    reported.set(worker, state)
    if (announced === 'ready' || stopping) return
    const living = workers()
    if (living.length < config.workers) return
    const ready = living.filter((w) => reported.get(w) === READY).length
    if (ready === living.length) {
      announced = 'ready'
      log.info({ workers: living.length }, 'service ready')
      // For a supervisor that waits for it (pm2 fork mode with wait_ready).
      process.send?.(READY)
    } else if (announced === 'nothing' && living.every((w) => reported.has(w))) {
      announced = 'listening'
      log.warn({ workers: living.length, ready }, 'service listening; feature store not reachable yet (503 until it is)')
    }
  }

  cluster.on('message', (worker: Worker, message: unknown) => {
    if (message === READY || message === LISTENING) return report(worker, message)
    // A draining worker's server closed: by the time it reads this answer, no connection is on its
    // way to it any more (ipc.ts, CLOSED).
    if (message === CLOSED) {
      if (worker.isConnected()) worker.send(SETTLED)
      return
    }
    const type = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined
    if (typeof type === 'string') handlers[type]?.(worker, message)
  })

  cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
    if (stopping) {
      if (code !== 0) exitCode = 1
      if (workers().length === 0) process.exit(exitCode)
      return
    }
    if (retired.has(worker) || worker.exitedAfterDisconnect) return
    if (!listened) {
      log.fatal({ worker: worker.process.pid, code, signal }, 'a worker failed to start; stopping')
      stop('boot failure', 1)
      return
    }
    const delay = backoff.crashed()
    log.warn({ worker: worker.process.pid, code, signal, restartInMs: delay }, 'worker died unexpectedly; replacing it')
    // Not unref'd: with every worker dead this timer is what keeps the primary alive to re-fork.
    setTimeout(() => { if (!stopping) fork() }, delay)
  })

  function stop (reason: string, status = 0): void {
    if (stopping) {
      // A second signal: the operator wants out now.
      for (const worker of workers()) worker.process.kill('SIGKILL')
      process.exit(130)
    }
    stopping = true
    exitCode = status
    log.info({ reason }, 'stopping workers')
    const deadlineMs = config.shutdownTimeoutMs + DEFAULTS.primaryDeadlineMarginMs
    setTimeout(() => {
      log.error({ deadlineMs }, 'workers did not stop in time; killing them')
      for (const worker of workers()) worker.process.kill('SIGKILL')
      process.exit(1)
    }, deadlineMs).unref()
    const current = workers()
    // Every worker crashed and its re-fork is pending: nothing to drain.
    /* c8 ignore next */
    if (current.length === 0) process.exit(exitCode)
    for (const worker of current) retire(worker)
  }

  function roll (): void {
    if (stopping) return
    if (rolling) {
      log.warn('rolling restart already in progress; SIGHUP ignored')
      return
    }
    rolling = true
    const old = workers()
    log.info({ workers: old.length }, 'rolling restart begins')
    rollingRestart(old, { fork, retire, readyTimeoutMs: DEFAULTS.readyTimeoutMs, cancelled: () => stopping }).then((result) => {
      rolling = false
      // The decision to stop early is tested in test/unit/rolling-restart.test.ts; this is its log line.
      /* c8 ignore start */
      if (result.aborted !== undefined) return log.error(result, 'rolling restart stopped early; remaining workers keep serving')
      /* c8 ignore stop */
      log.info(result, 'rolling restart done')
    }, /* c8 ignore next */ (err: unknown) => { rolling = false; log.error({ err }, 'rolling restart failed') })
  }

  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGHUP', roll)

  for (let i = 0; i < config.workers; i++) fork()
}

/**
 * The node flags a worker starts with: the primary's own, plus the semi-space size unless that is 0
 * or the primary was itself started with an explicit --max-semi-space-size (the operator's wins).
 */
export function workerExecArgv (primaryArgv: readonly string[], semiSpaceMb: number): string[] {
  const explicit = primaryArgv.some((arg) => /^--max[-_]semi[-_]space[-_]size(=|$)/.test(arg))
  return semiSpaceMb === 0 || explicit ? [...primaryArgv] : [...primaryArgv, `--max-semi-space-size=${semiSpaceMb}`]
}
