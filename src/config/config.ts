// The only file that reads process.env. Every setting is parsed and checked here, once, at boot;
// a present-but-wrong value is an error naming the variable, never a silent fallback to a default.

import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { ConfigError } from '../errors.js'
import { DEFAULTS, type LogLevel } from './defaults.js'
import { openGeoIp, PACKAGED_GEOIP_DATABASE } from '../location/geoip.js'
import { parseTrustedProxies, type TrustedProxies } from '../location/trust-proxy.js'
import { loadAdminTokens, type AdminToken } from './admin-tokens.js'
import { parseRedisTarget, type RedisTarget } from './redis-target.js'

/** Where the service reads its data from. */
export type StoreConfig =
  | {
      readonly kind: 'redis'
      /** users Redis: `token:<token> -> <user_id>` */
      readonly usersUrl: string
      /** features Redis: `global_features`, `active_features`, `features:user:<id>` */
      readonly featuresUrl: string
      /** What REDIS_USERS_URL names: one instance, Sentinel or Cluster (redis-target.ts). */
      readonly users: RedisTarget
      /** What REDIS_FEATURES_URL names. */
      readonly features: RedisTarget
      /**
       * Where the hot reads go (REDIS_READ_FROM): `primary`, or `replica`, which trades the promise
       * that an answer is never older than its request for replication lag (README "Scaling out").
       */
      readonly readFrom: 'primary' | 'replica'
    }
  | {
      readonly kind: 'embedded'
      /** JSON data file of the in-process development store. */
      readonly file: string
    }

/** Where a request's location comes from (README "Targeting"); every field unset: no location. */
export interface LocationConfig {
  /** Lower-case name of the header the edge sets with the location (LOCATION_HEADER); it wins over GeoIP. */
  readonly header: string | undefined
  /**
   * The MaxMind DB country database (GEOIP: `on` is the packaged one, or a path), checked readable at
   * boot; each worker opens it once (src/app.ts). undefined: no GeoIP.
   */
  readonly geoipFile: string | undefined
  /** Proxies whose X-Forwarded-For names the client address for GeoIP (TRUST_PROXY). */
  readonly trusted: TrustedProxies | undefined
}

/** The admin listener (README "Backoffice"); absent from the config when ADMIN_PORT is unset. */
export interface AdminConfig {
  /** TCP port of the admin listener (ADMIN_PORT); never the public port. */
  readonly port: number
  /** Interface it listens on (ADMIN_HOST); loopback unless set. */
  readonly host: string
  /** The tokens of ADMIN_TOKENS_FILE, read and checked at boot. */
  readonly tokens: readonly AdminToken[]
}

/** The service's whole configuration, frozen after parsing. */
export interface Config {
  /** TCP port of the HTTP server. */
  readonly port: number
  /** Interface to listen on; undefined lets node pick (all interfaces). */
  readonly host: string | undefined
  /** Number of cluster workers the primary forks. */
  readonly workers: number
  readonly store: StoreConfig
  /** A Redis command slower than this fails the request with 503 (ms). */
  readonly redisCommandTimeoutMs: number
  /** Commands allowed in flight per Redis connection before new requests get 503 at once. */
  readonly redisMaxPending: number
  /**
   * Entries per client-side cache (tokens; answers) per worker, kept fresh by Redis CLIENT TRACKING;
   * 0 turns the cache off. See src/store/redis/tracking.ts.
   */
  readonly clientCacheEntries: number
  /** Value of `Retry-After` on 503 responses (s). */
  readonly retryAfterSeconds: number
  /** Idle keep-alive sockets are closed after this (ms); longer than load balancers' idle timeouts. */
  readonly keepAliveTimeoutMs: number
  /** A client must send all request headers within this (ms): cuts slow-loris connections. */
  readonly headersTimeoutMs: number
  /** A whole request must arrive within this (ms). */
  readonly requestTimeoutMs: number
  /** pino log level. */
  readonly logLevel: LogLevel
  /** A draining worker (or the whole cluster) that has not exited after this is forced out with code 1 (ms). */
  readonly shutdownTimeoutMs: number
  /** Log one line per request (method, path, status, duration; never headers or query). */
  readonly accessLog: boolean
  /**
   * Whether this worker's /metrics asks the cluster primary for the whole cluster's numbers.
   * Set by our primary when it forks (TIDEFLAGS_CLUSTER_METRICS=1), not by operators: under pm2's
   * cluster mode there is no primary of ours to ask, and each worker answers with its own numbers.
   */
  readonly clusterMetrics: boolean
  /** V8 young-generation semi-space of each worker forked by our primary (MB); 0 leaves V8's default. */
  readonly workerSemiSpaceMb: number
  /** cluster.schedulingPolicy of our primary: none, workers accept; rr, the primary accepts for them. */
  readonly clusterScheduling: 'rr' | 'none'
  /**
   * Most features one /features answer may hold (features). Checked before the answer is computed,
   * on the bound |global| + min(|user's set|, |active|): past it the caller gets
   * TF_ERR_ANSWER_TOO_LARGE instead of a script that holds Redis's one core for everyone.
   */
  readonly maxAnswerFeatures: number
  /** Most flags one OFREP evaluation may list (flags), checked on |global| + |active| before reading. */
  readonly maxOfrepFlags: number
  /** The location sources for `location:<name>` targeting. */
  readonly location: LocationConfig
  /**
   * Origins whose pages may call /features and OFREP from a browser (CORS_ORIGINS): `*` for any, or
   * exact origins as browsers send them in `Origin`; undefined: no CORS headers at all.
   */
  readonly corsOrigins: CorsOrigins | undefined
  /** The admin listener; undefined: none (ADMIN_PORT unset). */
  readonly admin: AdminConfig | undefined
}

/** `*`, or a frozen list of exact origins (`scheme://host[:port]`, as a browser serialises them). */
export type CorsOrigins = '*' | readonly string[]

export type { LogLevel } from './defaults.js'
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** The shipped example data: the README's example, so `npm start` serves something at once. */
// Resolved from the package root so it works from src/ (tests) and dist/ (built) alike.
export const EXAMPLE_FEATURES_FILE = fileURLToPath(new URL('../store/embedded/example-features.json', import.meta.url))

export { DEFAULTS } from './defaults.js'

type Env = Readonly<Record<string, string | undefined>>

/**
 * Parse the environment into a frozen Config.
 * @throws ConfigError naming the first bad variable and what it expected.
 */
export function loadConfig (env: Env = process.env): Config {
  const usersUrl = optionalString(env, 'REDIS_USERS_URL')
  const featuresUrl = optionalString(env, 'REDIS_FEATURES_URL')
  let store: StoreConfig
  if (usersUrl !== undefined && featuresUrl !== undefined) {
    store = redisStore(env, usersUrl, featuresUrl)
  } else if (usersUrl === undefined && featuresUrl === undefined) {
    store = { kind: 'embedded', file: optionalString(env, 'FEATURES_FILE') ?? EXAMPLE_FEATURES_FILE }
  } else {
    const missing = usersUrl === undefined ? 'REDIS_USERS_URL' : 'REDIS_FEATURES_URL'
    const present = usersUrl === undefined ? 'REDIS_FEATURES_URL' : 'REDIS_USERS_URL'
    throw new ConfigError(missing, `set together with ${present} (or unset both to use the embedded store)`)
  }

  const logLevel = optionalString(env, 'LOG_LEVEL') ?? DEFAULTS.logLevel
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ConfigError('LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`)
  }

  const port = integer(env, 'PORT', DEFAULTS.port, 0, 65_535)
  return Object.freeze({
    port,
    host: optionalString(env, 'HOST'),
    workers: integer(env, 'WORKERS', availableParallelism(), 1, 1024),
    store: Object.freeze(store),
    redisCommandTimeoutMs: integer(env, 'REDIS_COMMAND_TIMEOUT_MS', DEFAULTS.redisCommandTimeoutMs, 1, 60_000),
    redisMaxPending: integer(env, 'REDIS_MAX_PENDING', DEFAULTS.redisMaxPending, 1, 1_000_000),
    clientCacheEntries: integer(env, 'REDIS_CLIENT_CACHE_ENTRIES', DEFAULTS.clientCacheEntries, 0, 10_000_000),
    retryAfterSeconds: integer(env, 'RETRY_AFTER_SECONDS', DEFAULTS.retryAfterSeconds, 0, 3600),
    keepAliveTimeoutMs: integer(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', DEFAULTS.keepAliveTimeoutMs, 1, 3_600_000),
    headersTimeoutMs: integer(env, 'HTTP_HEADERS_TIMEOUT_MS', DEFAULTS.headersTimeoutMs, 1, 3_600_000),
    requestTimeoutMs: integer(env, 'HTTP_REQUEST_TIMEOUT_MS', DEFAULTS.requestTimeoutMs, 1, 3_600_000),
    logLevel: logLevel as LogLevel,
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', DEFAULTS.shutdownTimeoutMs, 1, 3_600_000),
    accessLog: boolean(env, 'ACCESS_LOG', DEFAULTS.accessLog),
    clusterMetrics: boolean(env, 'TIDEFLAGS_CLUSTER_METRICS', false),
    workerSemiSpaceMb: integer(env, 'WORKER_SEMI_SPACE_MB', DEFAULTS.workerSemiSpaceMb, 0, 1024),
    clusterScheduling: clusterScheduling(env),
    maxAnswerFeatures: integer(env, 'MAX_ANSWER_FEATURES', DEFAULTS.maxAnswerFeatures, 1, 10_000_000),
    maxOfrepFlags: integer(env, 'MAX_OFREP_FLAGS', DEFAULTS.maxOfrepFlags, 1, 10_000_000),
    location: locationConfig(env),
    corsOrigins: corsOrigins(env),
    admin: adminConfig(env, port, store),
  })
}

function clusterScheduling (env: Env): 'rr' | 'none' {
  const value = optionalString(env, 'CLUSTER_SCHEDULING') ?? DEFAULTS.clusterScheduling
  if (value !== 'rr' && value !== 'none') throw new ConfigError('CLUSTER_SCHEDULING', 'rr or none')
  return value
}

function adminConfig (env: Env, publicPort: number, store: StoreConfig): AdminConfig | undefined {
  const rawPort = optionalString(env, 'ADMIN_PORT')
  const file = optionalString(env, 'ADMIN_TOKENS_FILE')
  const host = optionalString(env, 'ADMIN_HOST')
  if (rawPort === undefined) {
    // Either would be silently meaningless without a listener.
    if (file !== undefined) throw new ConfigError('ADMIN_TOKENS_FILE', 'to be set only together with ADMIN_PORT')
    if (host !== undefined) throw new ConfigError('ADMIN_HOST', 'to be set only together with ADMIN_PORT')
    return undefined
  }
  const port = integer(env, 'ADMIN_PORT', 0, 0, 65_535)
  // Port 0 picks a free port each time: two zeros never collide.
  if (port === publicPort && port !== 0) throw new ConfigError('ADMIN_PORT', `a port other than PORT (${publicPort}): the public port never serves the admin API`)
  if (file === undefined) throw new ConfigError('ADMIN_TOKENS_FILE', 'the path of the admin tokens file when ADMIN_PORT is set')
  // An admin write and its audit entry are one script over the changed key and the `audit` stream:
  // two slots on a Cluster. Not supported there yet (README "Scaling out"); refused, not half-working.
  if (store.kind === 'redis' && (store.users.kind === 'cluster' || store.features.kind === 'cluster')) {
    throw new ConfigError('ADMIN_PORT', 'unset with a redis+cluster:// URL: the admin API needs one instance or a Sentinel primary')
  }
  return Object.freeze({ port, host: host ?? DEFAULTS.adminHost, tokens: loadAdminTokens(file) })
}

// An HTTP field name (RFC 9110 token).
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

function locationConfig (env: Env): LocationConfig {
  const header = optionalString(env, 'LOCATION_HEADER')
  if (header !== undefined && !HEADER_NAME.test(header)) {
    throw new ConfigError('LOCATION_HEADER', `an HTTP header name such as cf-ipcountry, got ${JSON.stringify(header)}`)
  }
  const geoip = optionalString(env, 'GEOIP') ?? DEFAULTS.geoip
  const geoipFile = geoip === 'off' ? undefined : geoip === 'on' ? PACKAGED_GEOIP_DATABASE : geoip
  if (geoipFile !== undefined) {
    try {
      openGeoIp(geoipFile) // read to be checked, then dropped: the primary never looks up an address
    } catch (err) {
      throw new ConfigError('GEOIP', `off, on, or the path of a country database (${(err as Error).message})`)
    }
  }
  const trustProxy = optionalString(env, 'TRUST_PROXY')
  let trusted: TrustedProxies | undefined
  if (trustProxy !== undefined) {
    // Only GeoIP reads the client address: without it the setting would be silently meaningless.
    if (geoipFile === undefined) throw new ConfigError('TRUST_PROXY', 'to be set only together with GEOIP (it names the client address GeoIP looks up)')
    try {
      trusted = parseTrustedProxies(trustProxy)
    } catch (err) {
      throw new ConfigError('TRUST_PROXY', (err as Error).message.replace(/^expected /, ''))
    }
  }
  return Object.freeze({ header: header?.toLowerCase(), geoipFile, trusted })
}

// scheme://host[:port] in lower case: the only shape a browser puts in Origin for a page it may call
// from. Any scheme, since hybrid apps load their pages from their own (capacitor://localhost).
const ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/

function corsOrigins (env: Env): CorsOrigins | undefined {
  const raw = optionalString(env, 'CORS_ORIGINS') ?? DEFAULTS.corsOrigins
  if (raw === undefined) return undefined
  if (raw.trim() === '*') return '*'
  const origins = raw.split(',').map((origin) => origin.trim())
  for (const origin of origins) {
    // Origin is compared as an exact string, so a listed origin that no browser would send (a path,
    // a trailing slash, upper case, a default port) would silently never match: refuse it here.
    if (!isOrigin(origin)) {
      throw new ConfigError('CORS_ORIGINS', `* alone, or comma-separated origins as browsers send them (scheme://host[:port], lower case, no path), got ${JSON.stringify(origin)}`)
    }
  }
  return Object.freeze([...new Set(origins)])
}

function isOrigin (text: string): boolean {
  if (!ORIGIN.test(text)) return false
  if (!text.startsWith('http://') && !text.startsWith('https://')) return true
  // For http(s) the URL parser gives the browser's own serialisation: default port dropped,
  // IPv4 and IPv6 normalised, an out-of-range port refused.
  try {
    return new URL(text).origin === text
  } catch {
    return false
  }
}

// An empty variable counts as unset: `PORT= npm start` is how shells unset in one command.
function optionalString (env: Env, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}

function integer (env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optionalString(env, name)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`)
  const value = Number(raw)
  if (value < min || value > max) throw new ConfigError(name, `an integer from ${min} to ${max}, got ${raw}`)
  return value
}

function boolean (env: Env, name: string, fallback: boolean): boolean {
  const raw = optionalString(env, name)
  if (raw === undefined) return fallback
  if (raw === '1' || raw === 'true') return true
  if (raw === '0' || raw === 'false') return false
  throw new ConfigError(name, `1, true, 0 or false, got ${JSON.stringify(raw)}`)
}

function redisStore (env: Env, usersUrl: string, featuresUrl: string): StoreConfig {
  const users = parseRedisTarget('REDIS_USERS_URL', usersUrl)
  const features = parseRedisTarget('REDIS_FEATURES_URL', featuresUrl)
  const readFrom = optionalString(env, 'REDIS_READ_FROM') ?? 'primary'
  if (readFrom !== 'primary' && readFrom !== 'replica') {
    throw new ConfigError('REDIS_READ_FROM', `primary or replica, got ${JSON.stringify(readFrom)}`)
  }
  if (readFrom === 'replica') {
    for (const [name, target] of [['REDIS_USERS_URL', users], ['REDIS_FEATURES_URL', features]] as const) {
      if (target.kind === 'single') {
        throw new ConfigError('REDIS_READ_FROM', `replica needs redis+sentinel:// or redis+cluster:// URLs, which find the replicas; ${name} names one instance`)
      }
    }
  }
  // The client-side cache's freshness rests on CLIENT TRACKING on the one server that holds the keys
  // it read. A Cluster spreads them over nodes, and a replica reports changes only once replicated:
  // refused there rather than half-working (README "Scaling out").
  const cache = optionalString(env, 'REDIS_CLIENT_CACHE_ENTRIES')
  if (cache !== undefined && cache !== '0') {
    if (users.kind === 'cluster' || features.kind === 'cluster') {
      throw new ConfigError('REDIS_CLIENT_CACHE_ENTRIES', '0 (unset) with a redis+cluster:// URL: the client-side cache works on one instance or a Sentinel primary only')
    }
    if (readFrom === 'replica') {
      throw new ConfigError('REDIS_CLIENT_CACHE_ENTRIES', '0 (unset) with REDIS_READ_FROM=replica: the client-side cache tracks the primary only')
    }
  }
  return { kind: 'redis', usersUrl, featuresUrl, users, features, readFrom }
}

