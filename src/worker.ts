// One cluster worker: the store, the HTTP server, and an orderly exit.

import type { Config } from './config.js'
import { createLogger } from './logger.js'
import { createServer } from './server.js'
import { createStore } from './store/index.js'

const STORE_READY_WAIT_MS = 2_000 // 2 s: the Redis connect timeout

/** Start serving; resolves once listening. */
export async function runWorker (config: Config): Promise<void> {
  const log = createLogger(config, 'worker')
  const store = createStore(config, log)
  const server = createServer(config, store, log)

  let closing = false
  async function shutdown (reason: string): Promise<void> {
    if (closing) return
    closing = true
    log.info({ reason }, 'worker shutting down')
    // Stop accepting, let in-flight requests finish, drop idle keep-alive sockets.
    server.close()
    server.closeIdleConnections()
    await new Promise<void>((resolve) => server.once('close', resolve))
    await store.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => { void shutdown('SIGTERM') })
  process.on('SIGINT', () => { void shutdown('SIGINT') })
  process.on('message', (message: unknown) => {
    if (message === 'tideflags:shutdown') void shutdown('primary')
  })

  // Give Redis a moment to connect so the first requests after a (re)start are not 503s; a Redis
  // that is down must not keep the worker from serving (503) and reporting, so the wait is bounded.
  await Promise.race([store.ready(), new Promise((resolve) => setTimeout(resolve, STORE_READY_WAIT_MS).unref())])
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  log.info({ port: config.port, store: store.kind }, 'worker listening')
}
