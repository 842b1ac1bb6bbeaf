// `npx tsx bench/memory.ts [--users N]`: what the benchmark data set costs in Redis memory, per key and
// per user, and what that makes at 10 M and 100 M users. bench/README.md ("Redis memory") explains it.
//
// Two passes, one redis-server at a time, each on a free port (never 6379), loaded with the benchmark's
// own data set through the benchmark's own loader (bench/data.ts):
//   standalone: tokens in db 0, user sets in db 1, so that flushing db 0 splits the total in two;
//   cluster:    a cluster-enabled node that owns every slot, both kinds in db 0 (Cluster has only db 0):
//               Redis Cluster keeps per-key bookkeeping that a standalone server does not.
// In each: MEMORY USAGE <key> SAMPLES 0 and OBJECT ENCODING over a sample of keys spread over the id
// range, and INFO memory's used_memory before and after the load (only this script's one idle client
// connected both times, the dictionaries' incremental rehashing finished).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { RedisServer } from '../test/helpers/redis-server.js'
import { TOKEN_PREFIX, USER_PREFIX } from '../src/store/redis/redis-store.js'
import { DEFAULT_DATA, generateData, loadData, type DataSet } from './data.js'
import { table } from './stats.js'

const GIB = 1024 ** 3
/** The user counts the extrapolation is given for. */
const EXTRAPOLATE_TO = [10_000_000, 100_000_000] as const

export interface MemoryOptions {
  readonly users: number
  /** Keys of each kind measured with MEMORY USAGE. */
  readonly sample: number
  /** Memory a shard's primary may fill with data (GiB): the node's RAM less fork, replication and client headroom. */
  readonly shardUsableGiB: number
  /** The node's RAM (GiB), stated next to the usable figure; not used in the arithmetic. */
  readonly shardNodeGiB: number
  /** Run the cluster-mode pass as well. */
  readonly cluster: boolean
  readonly save: boolean
}

export const DEFAULT_MEMORY_OPTIONS: MemoryOptions = Object.freeze({
  users: DEFAULT_DATA.users,
  sample: 2_000,
  // 25 GiB of a 32 GiB node: a BGSAVE or a full resync forks, and copy-on-write pages, the replication
  // backlog, client buffers and the keyspace table's doubling on resize need the rest.
  shardUsableGiB: 25,
  shardNodeGiB: 32,
  cluster: true,
  save: true,
})

/** Mean, median and 99th percentile (nearest rank) of bytes per key, and the encodings seen. */
export interface KeySample {
  readonly keys: number
  readonly mean: number
  readonly p50: number
  readonly p99: number
  readonly min: number
  readonly max: number
  readonly encodings: Record<string, number>
}

/** One pass over one redis-server. Byte figures are used_memory differences. */
export interface Pass {
  readonly mode: 'standalone' | 'cluster'
  readonly baselineBytes: number
  readonly loadedBytes: number
  /** loaded - baseline: both kinds of key, with the keyspace tables. */
  readonly dataBytes: number
  /** The tokens' share (standalone: what flushing their db freed); undefined in cluster mode. */
  readonly tokensBytes: number | undefined
  readonly featuresBytes: number | undefined
  readonly tokenKeys: KeySample
  readonly userSetKeys: KeySample
  /** INFO keyspace after the load. */
  readonly keyspace: Record<string, string>
  /** MEMORY STATS after the load, flattened (overhead.hashtable.main and the like). */
  readonly memoryStats: Record<string, unknown>
}

/** Bytes per user of one Redis deployment, and what it makes at larger user counts. */
export interface Extrapolation {
  readonly bytesPerUser: number
  /** shards: primaries of shardUsableGiB each that the bytes need (1: fits one primary). */
  readonly at: Array<{ users: number, bytes: number, shards: number }>
}

/** The two deployments and the two together (one Redis, or one Cluster, holding both). */
export interface Sides<T> {
  readonly tokens: T
  readonly features: T
  readonly together: T
}

export interface MemoryReport {
  readonly date: string
  readonly node: string
  readonly redis: { version: string, allocator: string, config: Record<string, string> }
  readonly options: Omit<MemoryOptions, 'save'>
  readonly passes: Pass[]
  /**
   * Bytes per user. standalone: the standalone pass's split (a primary under Sentinel). cluster: the same
   * plus cluster mode's extra bytes per key, one key of each kind per user (absent without that pass).
   */
  readonly perUser: { standalone: Sides<number>, cluster?: Sides<number> & { extraPerKey: number } }
  readonly extrapolation: { standalone: Sides<Extrapolation>, cluster?: Sides<Extrapolation> }
}

/** Parse the command line; throws a one-line message on a bad value. */
export function parseMemoryOptions (argv: readonly string[]): MemoryOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      users: { type: 'string' },
      sample: { type: 'string' },
      'shard-usable-gib': { type: 'string' },
      'shard-node-gib': { type: 'string' },
      'no-cluster': { type: 'boolean' },
      'no-save': { type: 'boolean' },
    },
  })
  const num = (name: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name}: expected a number >= ${min}, got ${JSON.stringify(raw)}`)
    return n
  }
  const d = DEFAULT_MEMORY_OPTIONS
  const users = Math.floor(num('users', values.users, d.users, 1))
  const shardNodeGiB = num('shard-node-gib', values['shard-node-gib'], d.shardNodeGiB, 0.001)
  const shardUsableGiB = num('shard-usable-gib', values['shard-usable-gib'], Math.min(d.shardUsableGiB, shardNodeGiB), 0.001)
  if (shardUsableGiB > shardNodeGiB) throw new Error(`--shard-usable-gib (${shardUsableGiB}) is more than --shard-node-gib (${shardNodeGiB})`)
  return {
    users,
    sample: Math.min(users, Math.floor(num('sample', values.sample, d.sample, 1))),
    shardUsableGiB,
    shardNodeGiB,
    cluster: values['no-cluster'] !== true,
    save: values['no-save'] !== true,
  }
}

/** `count` user indexes spread evenly over 0..users-1 (the first and the last included). */
export function spreadIndexes (users: number, count: number): number[] {
  if (count >= users) return Array.from({ length: users }, (_, i) => i)
  if (count === 1) return [0]
  return Array.from({ length: count }, (_, i) => Math.round(i * (users - 1) / (count - 1)))
}

/** Nearest-rank percentile of a sorted, non-empty list. */
function percentile (sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))] as number
}

export function summarise (bytes: readonly number[], encodings: readonly string[]): KeySample {
  const sorted = [...bytes].sort((a, b) => a - b)
  const counts: Record<string, number> = {}
  for (const e of encodings) counts[e] = (counts[e] ?? 0) + 1
  return {
    keys: sorted.length,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    encodings: counts,
  }
}

/** `ceil(bytes / usable)`, at least 1: primaries needed when each may hold `usableGiB`. */
export function shardsFor (bytes: number, usableGiB: number): number {
  return Math.max(1, Math.ceil(bytes / (usableGiB * GIB)))
}

export function extrapolate (bytesPerUser: number, usableGiB: number): Extrapolation {
  return {
    bytesPerUser,
    at: EXTRAPOLATE_TO.map((users) => ({ users, bytes: bytesPerUser * users, shards: shardsFor(bytesPerUser * users, usableGiB) })),
  }
}

/** Fields of an INFO section as a map. */
async function info (client: Redis, section: string): Promise<Record<string, string>> {
  const text = await client.info(section)
  const fields: Record<string, string> = {}
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':')
    if (at > 0 && !line.startsWith('#')) fields[line.slice(0, at)] = line.slice(at + 1)
  }
  return fields
}

/**
 * used_memory once only this client is connected and the figure has stopped moving: the loader's
 * connections are gone and serverCron has finished the keyspace tables' incremental rehashing.
 */
async function settledUsedMemory (client: Redis): Promise<number> {
  // Redis >= 7.0 allocates a latency histogram (tens of KB) for each command on its first call: SET,
  // SADD and FLUSHDB would each show up as data. Off before the first reading; older versions have none.
  await client.config('SET', 'latency-tracking', 'no').catch(() => undefined)
  const deadline = Date.now() + 30_000
  let last = -1
  while (Date.now() < deadline) {
    const clients = Number((await info(client, 'clients')).connected_clients)
    const used = Number((await info(client, 'memory')).used_memory)
    if (clients === 1 && used === last) return used
    last = clients === 1 ? used : -1
    await sleep(250)
  }
  throw new Error('used_memory did not settle within 30 s')
}

/** MEMORY STATS as a flat object (nested db.N maps become "db.N.field"). */
async function memoryStats (client: Redis): Promise<Record<string, unknown>> {
  const flat: Record<string, unknown> = {}
  const walk = (prefix: string, reply: unknown[]): void => {
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const value = reply[i + 1]
      const key = prefix + String(reply[i])
      if (Array.isArray(value)) walk(key + '.', value)
      else flat[key] = value
    }
  }
  walk('', await client.call('MEMORY', 'STATS') as unknown[])
  return flat
}

/**
 * Run `read` on a client of its own, closed before the next used_memory reading: the big pipelined
 * replies grow a connection's buffers, which used_memory counts.
 */
async function onOwnClient<T> (url: string, read: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 })
  try {
    return await read(client)
  } finally {
    await client.quit().catch(() => client.disconnect())
  }
}

/** MEMORY USAGE <key> SAMPLES 0 (every element counted) and OBJECT ENCODING of each key, pipelined. */
async function sampleKeys (client: Redis, keys: readonly string[]): Promise<KeySample> {
  const pipeline = client.pipeline()
  for (const key of keys) {
    pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')
    pipeline.call('OBJECT', 'ENCODING', key)
  }
  const replies = await pipeline.exec() ?? []
  const bytes: number[] = []
  const encodings: string[] = []
  for (let i = 0; i < replies.length; i += 2) {
    const [usageErr, usage] = replies[i] ?? [new Error('no reply'), null]
    const [encodingErr, encoding] = replies[i + 1] ?? [new Error('no reply'), null]
    if (usageErr !== null) throw usageErr
    if (encodingErr !== null) throw encodingErr
    if (usage === null) throw new Error(`key ${keys[i / 2]} is missing: the load did not write it`)
    bytes.push(Number(usage))
    encodings.push(String(encoding))
  }
  return summarise(bytes, encodings)
}

function sampleKeyNames (data: DataSet, count: number): { tokens: string[], userSets: string[] } {
  const indexes = spreadIndexes(data.tokens.length, count)
  return {
    tokens: indexes.map((i) => TOKEN_PREFIX + (data.tokens[i] as string)),
    userSets: indexes.map((i) => USER_PREFIX + String(i + 1)),
  }
}

/** Tokens in db 0, sets in db 1; flushing db 0 afterwards gives the tokens' share. */
async function standalonePass (server: RedisServer, data: DataSet, options: MemoryOptions, log: (line: string) => void): Promise<Pass> {
  const admin = new Redis(`${server.url}/0`, { maxRetriesPerRequest: 1 })
  try {
    const baselineBytes = await settledUsedMemory(admin)
    const users = new Redis(`${server.url}/0`, { maxRetriesPerRequest: 1 })
    const features = new Redis(`${server.url}/1`, { maxRetriesPerRequest: 1 })
    const started = Date.now()
    try {
      await loadData(data, users, features)
    } finally {
      await Promise.allSettled([users.quit(), features.quit()])
    }
    log(`standalone: loaded ${data.tokens.length} users in ${((Date.now() - started) / 1000).toFixed(2)} s`)
    const loadedBytes = await settledUsedMemory(admin)
    const names = sampleKeyNames(data, options.sample)
    const [tokenKeys, keyspace, stats] = await onOwnClient(`${server.url}/0`, async (client) =>
      [await sampleKeys(client, names.tokens), await info(client, 'keyspace'), await memoryStats(client)] as const)
    const userSetKeys = await onOwnClient(`${server.url}/1`, async (client) => sampleKeys(client, names.userSets))
    await admin.call('FLUSHDB', 'SYNC')
    const withoutTokens = await settledUsedMemory(admin)
    return {
      mode: 'standalone',
      baselineBytes,
      loadedBytes,
      dataBytes: loadedBytes - baselineBytes,
      tokensBytes: loadedBytes - withoutTokens,
      featuresBytes: withoutTokens - baselineBytes,
      tokenKeys,
      userSetKeys,
      keyspace,
      memoryStats: stats,
    }
  } finally {
    admin.disconnect()
  }
}

/** A cluster-enabled node owning all 16,384 slots: a plain client's commands all land on it. */
async function clusterPass (server: RedisServer, data: DataSet, options: MemoryOptions, log: (line: string) => void): Promise<Pass> {
  const admin = new Redis(server.url, { maxRetriesPerRequest: 1 })
  try {
    await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383')
    const deadline = Date.now() + 10_000
    while (!(await admin.call('CLUSTER', 'INFO') as string).includes('cluster_state:ok')) {
      if (Date.now() > deadline) throw new Error('the cluster node did not reach cluster_state:ok within 10 s')
      await sleep(50)
    }
    const baselineBytes = await settledUsedMemory(admin)
    const loader = new Redis(server.url, { maxRetriesPerRequest: 1 })
    const started = Date.now()
    try {
      await loadData(data, loader, loader)
    } finally {
      await loader.quit().catch(() => loader.disconnect())
    }
    log(`cluster: loaded ${data.tokens.length} users in ${((Date.now() - started) / 1000).toFixed(2)} s`)
    const loadedBytes = await settledUsedMemory(admin)
    const names = sampleKeyNames(data, options.sample)
    return await onOwnClient(server.url, async (client) => ({
      mode: 'cluster' as const,
      baselineBytes,
      loadedBytes,
      dataBytes: loadedBytes - baselineBytes,
      tokensBytes: undefined,
      featuresBytes: undefined,
      tokenKeys: await sampleKeys(client, names.tokens),
      userSetKeys: await sampleKeys(client, names.userSets),
      keyspace: await info(client, 'keyspace'),
      memoryStats: await memoryStats(client),
    }))
  } finally {
    admin.disconnect()
  }
}

/** The servers started and not yet stopped, for the signal handler. */
const live = new Set<RedisServer>()

async function withServer<T> (args: string[], use: (server: RedisServer) => Promise<T>): Promise<T> {
  const server = new RedisServer(args)
  live.add(server)
  try {
    await server.start()
    return await use(server)
  } finally {
    await server.stop()
    live.delete(server)
  }
}

/** Run both passes and derive the per-user figures and the extrapolation. */
export async function measureMemory (options: MemoryOptions, log: (line: string) => void): Promise<MemoryReport> {
  const data = generateData({ ...DEFAULT_DATA, users: options.users })
  let redis: MemoryReport['redis'] = { version: '', allocator: '', config: {} }
  const standalone = await withServer([], async (server) => {
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 })
    try {
      const [serverInfo, memory] = [await info(client, 'server'), await info(client, 'memory')]
      // Redis >= 7.2 keeps small sets of strings as listpacks (set-max-listpack-entries); 7.0 has no such
      // setting and keeps them as hash tables. Whichever applies is recorded, with the encodings seen.
      const config: Record<string, string> = {}
      for (const name of ['set-max-listpack-entries', 'set-max-listpack-value', 'set-max-intset-entries', 'maxmemory', 'maxmemory-policy']) {
        const reply = await client.config('GET', name) as string[]
        config[name] = reply.length >= 2 ? String(reply[1]) : '(not a setting of this version)'
      }
      redis = { version: serverInfo.redis_version ?? '', allocator: memory.mem_allocator ?? '', config }
    } finally {
      client.disconnect()
    }
    return standalonePass(server, data, options, log)
  })
  const passes: Pass[] = [standalone]
  if (options.cluster) {
    // Cluster mode writes its node table to a file: a temporary directory, removed afterwards.
    const dir = mkdtempSync(join(tmpdir(), 'tideflags-memory-'))
    try {
      passes.push(await withServer(['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--dir', dir],
        async (server) => clusterPass(server, data, options, log)))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  const cluster = passes.find((p) => p.mode === 'cluster')
  const users = options.users
  // The standalone pass splits the total between the two kinds of key. Cluster mode's extra cost is per
  // key (each user has one key of each kind), so it is shared out evenly between the two.
  const sides = (extraPerKey: number): Sides<number> => {
    const tokens = (standalone.tokensBytes ?? 0) / users + extraPerKey
    const features = (standalone.featuresBytes ?? 0) / users + extraPerKey
    return { tokens, features, together: tokens + features }
  }
  const extrapolated = (s: Sides<number>): Sides<Extrapolation> => ({
    tokens: extrapolate(s.tokens, options.shardUsableGiB),
    features: extrapolate(s.features, options.shardUsableGiB),
    together: extrapolate(s.together, options.shardUsableGiB),
  })
  const onStandalone = sides(0)
  const extraPerKey = cluster === undefined ? undefined : (cluster.dataBytes - standalone.dataBytes) / users / 2
  const onCluster = extraPerKey === undefined ? undefined : { ...sides(extraPerKey), extraPerKey }
  return {
    date: new Date().toISOString(),
    node: process.version,
    redis,
    options: withoutSave(options),
    passes,
    perUser: { standalone: onStandalone, ...(onCluster === undefined ? {} : { cluster: onCluster }) },
    extrapolation: {
      standalone: extrapolated(onStandalone),
      ...(onCluster === undefined ? {} : { cluster: extrapolated(onCluster) }),
    },
  }
}

function withoutSave ({ save: _save, ...rest }: MemoryOptions): Omit<MemoryOptions, 'save'> {
  return rest
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US')
const one = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })
const gib = (bytes: number): string => (bytes / GIB).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })
const encodings = (s: KeySample): string => Object.entries(s.encodings).map(([e, n]) => `${e} ${n}`).join(', ')
const millions = (users: number): string => `${users / 1_000_000} M`

/** The printed report: per key, per user, then the extrapolation. */
export function formatReport (report: MemoryReport): string {
  const o = report.options
  const out: string[] = []
  out.push(`tideflags Redis memory ${report.date}: redis ${report.redis.version} (${report.redis.allocator}), ` +
    `${int(o.users)} users, ${int(o.sample)} sampled keys of each kind, node ${report.node}`)
  out.push(`config: ${Object.entries(report.redis.config).map(([k, v]) => `${k} ${v}`).join('; ')}`)
  out.push('')
  out.push('Per key: MEMORY USAGE <key> SAMPLES 0 (bytes)')
  const keyRows: string[][] = []
  for (const pass of report.passes) {
    for (const [kind, s] of [['token:<token>', pass.tokenKeys], ['features:user:<id>', pass.userSetKeys]] as const) {
      keyRows.push([pass.mode, kind, int(s.keys), one(s.mean), int(s.p50), int(s.p99), `${int(s.min)}-${int(s.max)}`, encodings(s)])
    }
  }
  out.push(table(['mode', 'key', 'sampled', 'mean', 'p50', 'p99', 'min-max', 'OBJECT ENCODING'], keyRows))
  out.push('')
  out.push('Per user: INFO memory used_memory after the load minus before, / users (bytes; keyspace tables included)')
  const userRows: string[][] = []
  for (const pass of report.passes) {
    const perUser = (bytes: number | undefined): string => bytes === undefined ? '' : one(bytes / o.users)
    userRows.push([pass.mode, int(pass.baselineBytes), int(pass.loadedBytes), perUser(pass.tokensBytes), perUser(pass.featuresBytes), perUser(pass.dataBytes)])
  }
  out.push(table(['mode', 'used_memory before', 'after', 'tokens / user', 'features / user', 'both / user'], userRows))
  const extraPerKey = report.perUser.cluster?.extraPerKey
  if (extraPerKey !== undefined) {
    out.push(`cluster mode costs ${one(extraPerKey)} bytes more per key than standalone; the cluster rows below add it to ` +
      'each kind of key (tokens and features are each one key per user).')
  }
  out.push('')
  out.push(`EXTRAPOLATION (linear in users; measured at ${int(o.users)} users, redis ${report.redis.version}). ` +
    `"primaries" assumes ${one(o.shardUsableGiB)} GiB usable per primary of a ${one(o.shardNodeGiB)} GiB node, the rest ` +
    'left for fork copy-on-write, replication and client buffers; each replica holds as much again. ' +
    'standalone rows: a Sentinel-managed primary (more than 1 does not fit); cluster rows: Cluster shards.')
  const rows: string[][] = []
  const bases = [['standalone', report.extrapolation.standalone], ['cluster', report.extrapolation.cluster]] as const
  for (const [basis, sides] of bases) {
    if (sides === undefined) continue
    for (const [name, e] of [['tokens Redis', sides.tokens], ['features Redis', sides.features], ['together', sides.together]] as const) {
      rows.push([basis, name, one(e.bytesPerUser), ...e.at.flatMap((a) => [gib(a.bytes), String(a.shards)])])
    }
  }
  out.push(table(['mode', 'deployment', 'bytes / user', ...EXTRAPOLATE_TO.flatMap((u) => [`GiB at ${millions(u)}`, `primaries at ${millions(u)}`])], rows))
  return out.join('\n') + '\n'
}

async function main (): Promise<void> {
  let options: MemoryOptions
  try {
    options = parseMemoryOptions(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`bench/memory: ${(err as Error).message}\n`)
    process.exit(2)
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench/memory: ${signal}, stopping Redis\n`)
      void Promise.allSettled([...live].map(async (server) => server.stop())).finally(() => process.exit(130))
    })
  }
  const report = await measureMemory(options, (line) => process.stderr.write(line + '\n'))
  process.stdout.write(formatReport(report))
  if (options.save) {
    const dir = new URL('./results/', import.meta.url)
    mkdirSync(dir, { recursive: true })
    const file = new URL(`memory-${report.date.replace(/[:.]/g, '-')}.json`, dir)
    writeFileSync(file, JSON.stringify(report, null, 2) + '\n')
    process.stdout.write(`\nsaved ${file.pathname}\n`)
  }
}

if (import.meta.url === new URL(process.argv[1] ?? '', 'file://').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench/memory: ${(err as Error).stack ?? String(err)}\n`)
    process.exit(1)
  })
}
