// Picks the store the configuration asks for.

import type { Logger } from 'pino'
import type { Config } from '../config/config.js'
import { EmbeddedStore } from './embedded/embedded-store.js'
import { RedisStore } from './redis/redis-store.js'
import type { FeatureStore, StoreHooks } from './store.js'

export type { FeatureStore, StoreHooks } from './store.js'

/** Create the configured store. @throws DataFileError for a bad embedded data file */
export function createStore (config: Config, log: Logger, hooks?: StoreHooks): FeatureStore {
  const store = config.store
  return store.kind === 'redis'
    ? new RedisStore({ ...config, store }, log, hooks)
    : new EmbeddedStore(store.file, log, config, hooks)
}
