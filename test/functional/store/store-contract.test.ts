// The same semantics suite against both stores: the embedded store (JS, src/core/evaluate.ts) and the
// Redis store (Lua, src/store/redis/scripts/answers.lua, batched) against real redis-server processes.

import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { loadConfig } from '../../../src/config/config.js'
import { createStore, type FeatureStore } from '../../../src/store/index.js'
import { RedisServer } from '../../helpers/redis-server.js'
import { storeContract, type DataSet } from '../../helpers/store-contract.js'
import { untilReachable } from '../../helpers/in-process.js'

const log = pino({ level: 'silent' })
const dir = mkdtempSync(join(tmpdir(), 'tideflags-contract-'))
let files = 0

storeContract(t, 'embedded store', async (data, env = {}) => {
  const file = join(dir, `data-${files++}.json`)
  writeFileSync(file, JSON.stringify(data))
  return createStore(loadConfig({ FEATURES_FILE: file, ...env }), log)
})

const users = new RedisServer()
const features = new RedisServer()
t.before(async () => {
  await Promise.all([users.start(), features.start()])
})
t.teardown(async () => {
  await Promise.all([users.stop(), features.stop()])
})

async function writeRedis (data: DataSet, usersServer: RedisServer, featuresServer: RedisServer): Promise<void> {
  const u = usersServer.client()
  const f = featuresServer.client()
  await u.flushall()
  await f.flushall()
  for (const [token, id] of Object.entries(data.tokens ?? {})) await u.set(`token:${token}`, id)
  if (data.global_features !== undefined) await f.sadd('global_features', ...data.global_features)
  if (data.active_features !== undefined) await f.sadd('active_features', ...data.active_features)
  for (const [id, list] of Object.entries(data.user_features ?? {})) await f.sadd(`features:user:${id}`, ...list)
  for (const [name, list] of Object.entries(data.locations ?? {})) await f.sadd(`location:${name}`, ...list)
  for (const [feature, percent] of Object.entries(data.rollouts ?? {})) await f.hset('rollout', feature, percent)
  for (const [feature, fields] of Object.entries(data.schedules ?? {})) await f.hset(`schedule:${feature}`, fields)
  u.disconnect()
  f.disconnect()
}

async function redisStore (usersServer: RedisServer, featuresServer: RedisServer, env: Record<string, string>): Promise<FeatureStore> {
  const store = createStore(loadConfig({ REDIS_USERS_URL: usersServer.url, REDIS_FEATURES_URL: featuresServer.url, ...env }), log)
  await untilReachable(store)
  return store
}

storeContract(t, 'redis store', async (data, env = {}) => {
  await writeRedis(data, users, features)
  return redisStore(users, features, env)
})

// Both URLs may name the same instance and db: tokens live beside the features.
storeContract(t, 'redis store with one instance for both roles', async (data, env = {}) => {
  await writeRedis(data, users, users)
  return redisStore(users, users, env)
})
