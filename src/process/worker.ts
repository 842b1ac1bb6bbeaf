// One cluster worker: the store, the HTTP server (and the admin listener when ADMIN_PORT is set),
// metrics, and an orderly exit.

import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAccessLog } from '../observability/access-log.js'
import { DEFAULTS, type Config } from '../config/config.js'
import { readinessProbe, waitForStore, whenStoreAnswers } from '../store/readiness.js'
import { LISTENING, READY, settleWithParent, SHUTDOWN } from './ipc.js'
import { createLogger } from '../observability/logger.js'
import { Metrics } from '../observability/metrics.js'
import { answerPrimaryScrapes } from './metrics-relay.js'
import { createServer } from '../app.js'
import { Drain } from '../http/drain.js'
import { createShutdown } from './shutdown.js'
import type { AdminStore } from '../store/admin/admin-store.js'
import { createStore } from '../store/index.js'
import { createAdminStore } from '../store/admin/index.js'
import { createAdminServer } from '../admin/admin-server.js'


/** Start serving; resolves once listening. */
export async function runWorker (config: Config): Promise<void> {
  const log = createLogger(config, 'worker')
  const metrics = new Metrics() // createServer registers its routes' labels
  const store = createStore(config, log, { scheduleInvalid: () => metrics.scheduleInvalid() })
  const drain = new Drain()
  if (store.nodes !== undefined) metrics.watchRedisNodes(store.nodes.bind(store))
  answerPrimaryScrapes(metrics)
  const probe = readinessProbe(store)
  const accessLog = createAccessLog(config, log)
  const server = createServer(config, store, log, { drain, metrics, probe, accessLog })
  let admin: { server: Server, store: AdminStore, port: number, host: string } | undefined
  if (config.admin !== undefined) {
    const adminStore = createAdminStore(config, log)
    const adminServer = createAdminServer({ ...config, admin: config.admin }, adminStore, log, { drain, metrics, accessLog })
    admin = { server: adminServer, store: adminStore, port: config.admin.port, host: config.admin.host }
  }

  const drainAndExit = createShutdown({ server, store, admin, drain, log, timeoutMs: config.shutdownTimeoutMs, settle: settleWithParent })
  // Replaced once the worker polls its store: a draining worker must not report READY.
  let stopPolling = (): void => {}
  const shutdown = (reason: string, signal?: boolean): void => {
    stopPolling()
    drainAndExit(reason, signal)
  }
  // Ctrl-C signals the whole process group: the worker drains on its own signal, and the primary's
  // message that follows is ignored as a repeat. Only a repeated signal means "exit now".
  process.on('SIGTERM', () => shutdown('SIGTERM', true))
  process.on('SIGINT', () => shutdown('SIGINT', true))
  process.on('message', (message: unknown) => {
    if (message === SHUTDOWN) shutdown('primary')
  })
  // The parent (our primary or pm2) is gone: nobody routes connections here any more.
  process.on('disconnect', () => shutdown('parent disconnected'))

  const waitUntil = Date.now() + DEFAULTS.storeWaitMs
  const reachable = await waitForStore(probe, DEFAULTS.storeWaitMs)
  if (!reachable) log.warn('feature store not reachable yet; listening anyway (503 until it is)')
  // The admin listener first: a port it cannot have stops the boot before any public traffic arrives.
  if (admin !== undefined) {
    // The admin store opens its own connection, which fails fast until it is up: without this wait a
    // script's first write right after a restart could meet a 503. Same deadline as the feature store.
    const adminStore = admin.store
    const answers = async (): Promise<boolean> => await adminStore.snapshot().then(() => true, () => false)
    if (!await waitForStore(answers, Math.max(0, waitUntil - Date.now()))) log.warn('admin store not reachable yet; admin listening anyway (503 until it is)')
    await listen(admin.server, admin.port, admin.host)
  }
  await listen(server, config.port, config.host)
  log.info({ port: config.port, store: store.kind, admin: admin === undefined ? undefined : { host: admin.host, port: (admin.server.address() as AddressInfo).port } }, 'worker listening')
  // pm2 (wait_ready) and our primary both wait for READY before retiring the worker it replaces, and
  // the primary reports the service ready only once every worker sent it: it means "can serve".
  if (reachable) {
    process.send?.(READY)
    return
  }
  process.send?.(LISTENING)
  stopPolling = whenStoreAnswers(probe, DEFAULTS.storePollMs, () => {
    log.info('feature store reachable; worker ready')
    process.send?.(READY)
  })
}

function listen (server: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}
