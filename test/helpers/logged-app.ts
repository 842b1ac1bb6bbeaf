// An in-process server over two real Redis instances whose log is the service's real logger
// (src/observability/logger.ts) writing to a captured string: tests read the whole log output.

import { loadConfig } from '../../src/config/config.js'
import { createLogger } from '../../src/observability/logger.js'
import { createStore } from '../../src/store/index.js'
import { serve, untilReachable } from './in-process.js'
import type { RedisServer } from './redis-server.js'

/** A listening server with everything its logger wrote. */
export interface LoggedApp {
  readonly url: string
  /** Everything the logger wrote, raw. */
  readonly output: () => string
  /** The same, parsed line by line. */
  readonly lines: () => Array<Record<string, unknown>>
  close (): Promise<void>
}

/** Start a store and server over `users` and `features`, logging at info level into memory. */
export async function startLoggedApp (users: RedisServer, features: RedisServer, extraEnv: Record<string, string> = {}): Promise<LoggedApp> {
  const env = { REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url, ...extraEnv }
  const config = loadConfig({ ...env, LOG_LEVEL: 'info' })
  let output = ''
  const log = createLogger(config, 'worker', { write: (chunk: string) => { output += chunk } })
  const store = createStore(config, log)
  await untilReachable(store)
  const served = await serve(store, env, log)
  return {
    url: served.url,
    output: () => output,
    lines: () => output.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>),
    async close () {
      await served.close()
      await store.close()
    },
  }
}
