// An in-process HTTP server (createServer from src/app.ts) on a free port, over either store,
// for tests that drive the service over real HTTP without forking the cluster.

import { once } from 'node:events'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino, type Logger } from 'pino'
import { EXAMPLE_FEATURES_FILE, loadConfig, type Config } from '../../src/config/config.js'
import { readinessProbe, waitForStore } from '../../src/store/readiness.js'
import { createServer } from '../../src/app.js'
import { createStore, type FeatureStore } from '../../src/store/index.js'
import { RedisServer, seedExample } from './redis-server.js'

/** A silent logger: tests assert on responses, not log lines. */
export const quiet: Logger = pino({ level: 'silent' })

/** A running in-process server. */
export interface Served {
  readonly url: string
  readonly config: Config
  close (): Promise<void>
}

/** Serve `store` on 127.0.0.1, port 0. `env` tunes the config (timeouts, Retry-After). */
export async function serve (store: FeatureStore, env: Record<string, string> = {}, log: Logger = quiet): Promise<Served> {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env })
  const server = createServer(config, store, log)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    async close () {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}

/** Wait until `store` answers (at most 5 s), so a test never mistakes a connecting store's 503 for its subject. */
export async function untilReachable (store: FeatureStore): Promise<void> {
  if (!(await waitForStore(readinessProbe(store), 5_000))) throw new Error('store not reachable within 5 s')
}

/** The README example: the shipped data file itself (the same data loadExample writes to Redis). */
export const EXAMPLE_DATA = JSON.parse(readFileSync(EXAMPLE_FEATURES_FILE, 'utf8')) as {
  readonly global_features: readonly string[]
  readonly active_features: readonly string[]
  readonly tokens: Readonly<Record<string, string>>
  readonly user_features: Readonly<Record<string, readonly string[]>>
}

/** Write an embedded-store data file into `dir`; returns its path. */
export function writeDataFile (dir: string, data: unknown, name = 'features.json'): string {
  const file = join(dir, name)
  writeFileSync(file, JSON.stringify(data))
  return file
}

/** Two real redis-server processes (users, features) and a Redis store over them. */
export interface RedisPair {
  readonly users: RedisServer
  readonly features: RedisServer
  readonly store: FeatureStore
  readonly env: Record<string, string>
  stop (): Promise<void>
}

/** Start users and features Redis, load the README example, and open a store on them. */
export async function startRedisPair (extraEnv: Record<string, string> = {}): Promise<RedisPair> {
  const users = await new RedisServer().start()
  const features = await new RedisServer().start()
  await seedExample(users, features)
  const env = { REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url, LOG_LEVEL: 'silent', ...extraEnv }
  const store = createStore(loadConfig(env), quiet)
  await untilReachable(store)
  return {
    users,
    features,
    store,
    env,
    async stop () {
      await store.close()
      await Promise.all([users.stop(), features.stop()])
    },
  }
}
