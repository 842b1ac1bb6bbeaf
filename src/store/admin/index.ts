// Picks the admin store for the configured feature store.

import type { Logger } from 'pino'
import type { Config } from '../../config/config.js'
import type { AdminStore } from './admin-store.js'
import { EmbeddedAdminStore } from './embedded-admin-store.js'
import { RedisAdminStore } from './redis-admin-store.js'

export type { AdminStore } from './admin-store.js'

/** The admin store over the same data as the configured feature store. */
export function createAdminStore (config: Config, log: Logger): AdminStore {
  const store = config.store
  return store.kind === 'redis' ? new RedisAdminStore({ ...config, store }, log) : new EmbeddedAdminStore(store.file)
}
