// What a Redis URL names: one instance, a Sentinel-managed primary, or a Cluster (README "Scaling
// out"). Parsed once at boot from REDIS_USERS_URL / REDIS_FEATURES_URL; the store connects to the
// parsed target and never looks at the URL again.
//   redis://[user:password@]host:port[/db]                       one instance (rediss:// for TLS)
//   redis+sentinel://[user:password@]h1:p1,h2:p2/<master>[/<db>]  Sentinel (rediss+sentinel://)
//   redis+cluster://[user:password@]h1:p1,h2:p2                   Cluster (rediss+cluster://)
// Credentials in a Sentinel URL are those of the data nodes (primary and replicas), as in a plain URL;
// the sentinels themselves are asked without AUTH.

import { ConfigError } from '../errors.js'

/** One host and port. */
export interface RedisAddress {
  readonly host: string
  readonly port: number
}

/** A Redis deployment the store connects to. */
export type RedisTarget =
  | { readonly kind: 'single', readonly url: string, readonly identity: string }
  | {
      readonly kind: 'sentinel'
      readonly sentinels: readonly RedisAddress[]
      /** The master name the sentinels monitor. */
      readonly name: string
      readonly db: number
      readonly username: string | undefined
      readonly password: string | undefined
      readonly tls: boolean
      readonly identity: string
    }
  | {
      readonly kind: 'cluster'
      /** Seed nodes: ioredis discovers the rest (CLUSTER SLOTS). */
      readonly nodes: readonly RedisAddress[]
      readonly username: string | undefined
      readonly password: string | undefined
      readonly tls: boolean
      readonly identity: string
    }

const EXPECTED = 'a redis://host:port[/db] or rediss:// URL, a redis+sentinel://host:port,host:port/<master name>[/<db>] URL or a redis+cluster://host:port,host:port URL'
// scheme, userinfo, hosts, path: the hosts list holds commas, which WHATWG URL parsing rejects.
const MULTI = /^(rediss?)\+(sentinel|cluster):\/\/(?:([^@/]*)@)?([^/@]+)(\/.*)?$/
const ADDRESS = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/

/**
 * Parse one Redis URL variable. `identity` says which targets are the same instance and db (the
 * store shares one connection between the two roles then); it never holds credentials.
 * @throws ConfigError naming the variable and the accepted forms
 */
export function parseRedisTarget (name: string, raw: string): RedisTarget {
  const multi = MULTI.exec(raw)
  if (multi !== null) return parseMulti(name, multi)
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(name, `${EXPECTED}, got ${JSON.stringify(redact(raw))}`)
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(name, `${EXPECTED}, got protocol ${JSON.stringify(url.protocol)}`)
  }
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d+$/.test(url.pathname)) {
    throw new ConfigError(name, `a database number as the URL path (redis://host:6379/0), got ${JSON.stringify(url.pathname)}`)
  }
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0
  return { kind: 'single', url: raw, identity: `${url.protocol}//${url.host}/${db}` }
}

function parseMulti (name: string, match: RegExpExecArray): RedisTarget {
  const [, scheme, kind, userinfo, hosts, path = ''] = match as unknown as [string, string, 'sentinel' | 'cluster', string | undefined, string, string | undefined]
  const tls = scheme === 'rediss'
  const addresses = hosts.split(',').map((part) => address(name, part))
  let username: string | undefined
  let password: string | undefined
  if (userinfo !== undefined && userinfo !== '') {
    const colon = userinfo.indexOf(':')
    try {
      username = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon)) || undefined
      password = colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1))
    } catch {
      throw new ConfigError(name, 'percent-encoded credentials (user:password@), got a malformed escape')
    }
  }
  const seeds = addresses.map((a) => `${a.host}:${a.port}`).sort().join(',')
  if (kind === 'cluster') {
    if (path !== '' && path !== '/') {
      throw new ConfigError(name, `no path in a redis+cluster:// URL (a Cluster has only db 0), got ${JSON.stringify(path)}`)
    }
    return Object.freeze({ kind, nodes: addresses, username, password, tls, identity: `cluster:${scheme}://${seeds}` })
  }
  const parts = path.split('/').slice(1)
  const master = parts[0] ?? ''
  if (master === '' || parts.length > 2) {
    throw new ConfigError(name, `the master name as the path of a redis+sentinel:// URL (redis+sentinel://host:26379,host:26380/mymaster[/db]), got ${JSON.stringify(path)}`)
  }
  const dbPart = parts[1] ?? '0'
  if (!/^\d+$/.test(dbPart)) throw new ConfigError(name, `a database number after the master name, got ${JSON.stringify(dbPart)}`)
  const db = Number(dbPart)
  const masterName = decodeURIComponent(master)
  return Object.freeze({ kind, sentinels: addresses, name: masterName, db, username, password, tls, identity: `sentinel:${scheme}://${seeds}/${masterName}/${db}` })
}

function address (name: string, part: string): RedisAddress {
  const m = ADDRESS.exec(part)
  const port = m === null ? NaN : Number(m[3])
  if (m === null || port < 1 || port > 65_535) {
    throw new ConfigError(name, `host:port pairs separated by commas, got ${JSON.stringify(part)}`)
  }
  return Object.freeze({ host: (m[1] ?? m[2]) as string, port })
}

// A URL that fails to parse may still hold a password: never echo it whole.
function redact (raw: string): string {
  return raw.replace(/\/\/[^@/]*@/, '//***@')
}
