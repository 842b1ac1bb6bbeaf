// Graceful shutdown of one worker. Idempotent; the deadline is armed before anything else; a second
// signal exits at once.
//
// The drain has two phases:
//   handoff  new connections are refused (the listener is closed), but a request that arrives on an
//            already-open keep-alive connection is still answered, with `Connection: close`, so the
//            client reconnects to a worker that stays. During a rolling restart (SIGHUP, pm2 reload)
//            this is what makes the hand-over lossless: a 503 here would be a failed request.
//   closing  after HANDOFF_MS every connection has had its chance to be told; idle ones are closed
//            and any request still arriving gets a fast 503 + `Connection: close`.
// Then the server closes once in-flight requests finish, the store quits Redis, and the process
// exits 0; past `shutdownTimeoutMs` it exits 1.

import { Server as NetServer } from 'node:net'
import type { Server } from 'node:http'
import type { Logger } from 'pino'
import type { Drain } from '../http/drain.js'
import type { FeatureStore } from '../store/index.js'
import { DEFAULTS } from '../config/defaults.js'

/** How long draining workers still answer requests on open connections (ms). */
/** How long draining keep-alive clients get to be told to move (ms). */
export const HANDOFF_MS = DEFAULTS.handoffMs

/** Exit codes of a worker. */
export const EXIT_OK = 0
export const EXIT_DEADLINE = 1
export const EXIT_SECOND_SIGNAL = 130 // as shells report an interrupted process

interface ShutdownParts {
  readonly server: Server
  readonly store: FeatureStore
  /** The admin listener and its store, when the worker has one: drained and closed alike. */
  readonly admin?: { readonly server: Server, readonly store: { close (): Promise<void> } }
  readonly drain: Drain
  readonly log: Logger
  readonly timeoutMs: number
  /** Injected for tests; process.exit otherwise. */
  readonly exit?: (code: number) => void
  /** Runs after the store closed, before exit 0 (the worker settles IPC with its parent). */
  readonly settle?: () => Promise<void>
}

/**
 * Build the shutdown function of a worker. The first call drains; later calls with `signal: true`
 * (a second signal) exit at once; other later calls are ignored.
 */
export function createShutdown (parts: ShutdownParts): (reason: string, signal?: boolean) => void {
  const { server, store, drain, log, timeoutMs, admin } = parts
  const servers = admin === undefined ? [server] : [server, admin.server]
  const exit = parts.exit ?? ((code: number) => process.exit(code))
  const settle = parts.settle ?? (async () => {})
  let started = false
  // Ctrl-C signals the whole process group, and the primary's SHUTDOWN message may reach this worker
  // before its own SIGINT does: only a signal after a signal means "exit now".
  let signalled = false
  return function shutdown (reason: string, signal = false): void {
    if (started) {
      if (signal && signalled) {
        log.warn({ reason }, 'second signal while draining; exiting now')
        exit(EXIT_SECOND_SIGNAL)
      }
      signalled ||= signal
      return
    }
    started = true
    signalled = signal
    // Armed first: whatever happens below, the process ends by the deadline.
    setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown deadline passed; exiting with requests still open')
      exit(EXIT_DEADLINE)
    }, timeoutMs).unref()
    log.info({ reason }, 'worker draining')
    drain.phase = 'handoff'
    // Stop accepting without http's closeIdleConnections(): an "idle" keep-alive socket may hold a
    // request the parser has not read yet, and destroying it then resets the client. Idle sockets
    // are closed after the handoff instead, when every busy one has been told to close.
    for (const s of servers) NetServer.prototype.close.call(s)
    const handoff = setTimeout(() => {
      drain.phase = 'closing'
      for (const s of servers) s.closeIdleConnections()
    }, HANDOFF_MS)
    handoff.unref()
    let open = servers.length
    const closed = (): void => {
      if (--open > 0) return
      clearTimeout(handoff)
      drain.phase = 'closing'
      Promise.all([store.close(), admin?.store.close()]).then(
        () => { log.info('worker drained') },
        (err: unknown) => { log.error({ err }, 'store close failed') },
      ).then(settle).then(() => exit(EXIT_OK))
    }
    for (const s of servers) s.once('close', closed)
  }
}
