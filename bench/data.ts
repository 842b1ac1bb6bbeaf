// The benchmark's data set: deterministic (seeded), so every run and every machine measures the same
// thing, and the expected answer of any caller can be computed here to check the service under load.

import { Cluster, type Redis } from 'ioredis'
import { caller } from '../src/core/context.js'
import { evaluate, sortFeatures, type Inputs } from '../src/core/evaluate.js'
import type { TargetingData } from './targeting.js'

/** Shape of the data set; the defaults are those of issue 3. */
export interface DataSetOptions {
  readonly users: number
  readonly globalFeatures: number
  readonly activeFeatures: number
  /** Features that exist in users' sets but are not in active_features (hidden from everyone). */
  readonly inactiveFeatures: number
  readonly minPerUser: number
  readonly maxPerUser: number
  readonly seed: number
}

export const DEFAULT_DATA: DataSetOptions = Object.freeze({
  users: 100_000,
  globalFeatures: 5,
  activeFeatures: 20,
  inactiveFeatures: 10,
  minPerUser: 3,
  maxPerUser: 8,
  seed: 0x7f1a95,
})

/** A generated data set, held in memory by the harness. */
export interface DataSet {
  readonly global: readonly string[]
  readonly active: ReadonlySet<string>
  /** tokens[i] belongs to user id String(i + 1). */
  readonly tokens: readonly string[]
  /** userFeatures[i] is the set of user id String(i + 1). */
  readonly userFeatures: readonly (readonly string[])[]
  /** Tokens that are in no user's key: the 401 path. */
  readonly unknownTokens: readonly string[]
}

/** mulberry32: a tiny seeded PRNG, good enough to spread load, identical on every platform. */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

function hexToken (random: () => number, length: number): string {
  let token = ''
  while (token.length < length) token += Math.floor(random() * 0x1_0000_0000).toString(16).padStart(8, '0')
  return token.slice(0, length)
}

/** Generate the data set. Same options, same data. */
export function generateData (options: DataSetOptions = DEFAULT_DATA): DataSet {
  const random = prng(options.seed)
  const name = (kind: string, i: number): string => `${kind}_${String(i + 1).padStart(2, '0')}`
  const global = Array.from({ length: options.globalFeatures }, (_, i) => name('global', i))
  const activeList = Array.from({ length: options.activeFeatures }, (_, i) => name('feature', i))
  const inactive = Array.from({ length: options.inactiveFeatures }, (_, i) => name('retired', i))
  const pool = [...activeList, ...inactive]
  const tokens: string[] = []
  const userFeatures: string[][] = []
  for (let i = 0; i < options.users; i++) {
    // 32 hex characters, like the real tokens.
    tokens.push(hexToken(random, 32))
    const count = options.minPerUser + Math.floor(random() * (options.maxPerUser - options.minPerUser + 1))
    const mine = new Set<string>()
    while (mine.size < count) mine.add(pool[Math.floor(random() * pool.length)] as string)
    userFeatures.push([...mine])
  }
  // 31 characters: can never equal a 32-character user token.
  const unknownTokens = Array.from({ length: Math.min(options.users, 10_000) }, () => hexToken(random, 31))
  return { global, active: new Set(activeList), tokens, userFeatures, unknownTokens }
}

/** The body the service must answer for a user index, or for an anonymous caller (undefined). */
export function expectedBody (data: DataSet, userIndex: number | undefined, targeting?: TargetingData, location?: string): string {
  const own = userIndex === undefined ? [] : data.userFeatures[userIndex] ?? []
  // The service's own rule (core/evaluate.ts) on inputs computed here from the data set, not read back
  // from Redis: a wrong read or a wrong script shows up as a wrong answer.
  let inputs: Inputs = { global: sortFeatures([...data.global]), mine: own.filter((feature) => data.active.has(feature)) }
  if (targeting !== undefined) {
    const here = location === undefined ? [] : targeting.locations.get(location) ?? []
    inputs = {
      ...inputs,
      local: here.filter((feature) => data.active.has(feature)),
      rollouts: new Map([...targeting.parsedRollouts].filter(([feature]) => data.active.has(feature))),
      schedules: targeting.parsedSchedules,
      now: Date.now(),
    }
  }
  // User i's id is String(i + 1) (loadData), which is what a rollout hashes.
  return JSON.stringify({ active_features: evaluate(inputs, caller(userIndex === undefined ? null : String(userIndex + 1), location)) })
}

const BATCH = 10_000 // commands per pipeline: big enough to amortise round trips, small enough for memory

/**
 * Write the data set into the two Redis deployments (which should be empty): pipelined on one
 * instance; on a Cluster, whose pipelines must stay in one slot, as single commands that the client's
 * auto-pipelining groups by node.
 */
export async function loadData (data: DataSet, users: Redis | Cluster, features: Redis | Cluster): Promise<void> {
  await features.sadd('global_features', ...data.global)
  await features.sadd('active_features', ...data.active)
  for (let start = 0; start < data.tokens.length; start += BATCH) {
    const end = Math.min(start + BATCH, data.tokens.length)
    if (users instanceof Cluster || features instanceof Cluster) {
      const writes: Array<Promise<unknown>> = []
      for (let i = start; i < end; i++) {
        writes.push(users.set('token:' + (data.tokens[i] as string), String(i + 1)))
        writes.push(features.sadd('features:user:' + String(i + 1), ...(data.userFeatures[i] as string[])))
      }
      await Promise.all(writes)
      continue
    }
    const u = users.pipeline()
    const f = features.pipeline()
    for (let i = start; i < end; i++) {
      u.set('token:' + (data.tokens[i] as string), String(i + 1))
      f.sadd('features:user:' + String(i + 1), ...(data.userFeatures[i] as string[]))
    }
    const results = await Promise.all([u.exec(), f.exec()])
    for (const result of results) {
      const failed = result?.find(([err]) => err !== null)
      if (failed !== undefined) throw failed[0] as Error
    }
  }
}
