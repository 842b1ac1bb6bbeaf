// Dispatch by exact path, then method. Built once at startup: the hot path is one Map lookup. A request
// is matched once: the match also carries the route's metrics counters and the path for the access log.
// Paths with a parameter (OFREP's /ofrep/v1/evaluate/flags/{key}) are prefix routes, tried only
// after the exact lookup misses, so they cost the exact routes nothing. Paths with parameters in the
// middle (the admin API's /admin/v1/users/{id}/features/{name}) are pattern routes, tried last.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { HTTP_ERRORS } from '../errors.js'
import { Metrics, type RouteCounters } from '../observability/metrics.js'
import { pathOf, segmentAfter } from './path.js'
import type { Replier } from './reply.js'
import type { Cors, RouteCors } from './cors.js'

/** A request handler. It may throw or reject: the router answers with the error's status. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/**
 * A handler of a prefix route; `segment` is the path segment after the prefix, still percent-encoded.
 * A pattern route's handler gets an empty segment and `params`: the segments its `{...}` matched, in
 * order, still percent-encoded.
 */
export type SegmentHandler = (req: IncomingMessage, res: ServerResponse, segment: string, params: readonly string[]) => void | Promise<void>

/** A path and the handlers of the methods it allows. */
export interface Route {
  readonly path: string
  /** Handlers (a Handler is one); a SegmentHandler gets an empty segment and no params here. */
  readonly methods: Readonly<Record<string, SegmentHandler>>
  /** Called by pages in browsers: answers CORS when the service is configured for it (http/cors.ts). */
  readonly browser?: true
}

/** A prefix (ending in '/') followed by exactly one non-empty path segment, and its handlers. */
export interface PrefixRoute {
  readonly prefix: string
  readonly methods: Readonly<Record<string, SegmentHandler>>
  /** As Route's. */
  readonly browser?: true
}

/**
 * A path template whose `{name}` segments each match one non-empty segment, e.g.
 * `/admin/v1/users/{id}/features/{name}`; the template is also its metrics label. Not for browsers.
 */
export interface PatternRoute {
  readonly pattern: string
  readonly methods: Readonly<Record<string, SegmentHandler>>
}

interface Entry {
  readonly methods: ReadonlyMap<string, SegmentHandler>
  readonly allow: { allow: string }
  /** The route's CORS answer; undefined when CORS is off or the route is not for browsers. */
  readonly cors: RouteCors | undefined
}

/** Where a request goes: its route (undefined: 404), the prefix route's segment, its metrics counters. */
export interface Match {
  readonly entry: Entry | undefined
  readonly segment: string
  /** The segments a pattern route's `{...}` matched (empty for other routes). */
  readonly params: readonly string[]
  readonly counters: RouteCounters
  /** The request's path (never its query string: it could carry a token). */
  readonly path: string
}

/** A request listener that also exposes its two halves, so that a wrapper can match once and dispatch later. */
export interface Router {
  (req: IncomingMessage, res: ServerResponse): void
  /** Match a path (see http/path.ts pathOf). Exact routes return a match built at startup. */
  match (path: string): Match
  /** Answer a request by its match: 404, 405, or the route's handler. */
  dispatch (req: IncomingMessage, res: ServerResponse, match: Match): void
}

const NO_PARAMS: readonly string[] = Object.freeze([])

/** A compiled pattern: its literal segments, with undefined where a parameter goes. */
interface Pattern {
  readonly parts: readonly (string | undefined)[]
  readonly entry: Entry
  readonly counters: RouteCounters
}

// Off the public hot path: only the admin listener has pattern routes, and only misses reach them.
function matchPattern (pattern: Pattern, parts: readonly string[]): string[] | undefined {
  if (parts.length !== pattern.parts.length) return undefined
  const params: string[] = []
  for (let i = 0; i < parts.length; i++) {
    const want = pattern.parts[i]
    const got = parts[i] as string
    if (want === undefined) {
      if (got === '') return undefined
      params.push(got)
    } else if (want !== got) {
      return undefined
    }
  }
  return params
}

function entryOf (route: Pick<PrefixRoute, 'methods' | 'browser'>, cors: Cors | undefined): Entry {
  const allow = Object.keys(route.methods).join(', ')
  return {
    methods: new Map(Object.entries(route.methods)),
    allow: { allow },
    cors: route.browser === true ? cors?.forRoute(allow) : undefined,
  }
}

/**
 * Build the router for a set of routes.
 * @param metrics counts each route under its own label (exact path, `prefix{key}`, or the pattern);
 *   any other path under `unmatched`, so random URLs cannot explode cardinality
 * @param cors the CORS policy of the routes marked `browser`; undefined: no CORS (CORS_ORIGINS unset)
 * @param unmatched the counters of paths no route serves (the admin listener keeps its own)
 */
export function createRouter (
  routes: readonly (Route | PrefixRoute | PatternRoute)[],
  replier: Replier,
  metrics: Metrics = new Metrics({ defaultMetrics: false }),
  cors?: Cors,
  unmatched: RouteCounters = metrics.unmatched,
): Router {
  const table = new Map<string, Match>()
  const prefixes: { prefix: string, entry: Entry, counters: RouteCounters }[] = []
  const patterns: Pattern[] = []
  for (const route of routes) {
    if ('pattern' in route) {
      const parts = route.pattern.split('/').map((part) => /^\{\w+\}$/.test(part) ? undefined : part)
      patterns.push({ parts, entry: entryOf(route, undefined), counters: metrics.counters(route.pattern) })
      continue
    }
    if ('prefix' in route) {
      if (!route.prefix.endsWith('/')) throw new Error(`prefix route ${route.prefix} must end with '/'`)
      prefixes.push({ prefix: route.prefix, entry: entryOf(route, cors), counters: metrics.counters(`${route.prefix}{key}`) })
      continue
    }
    if (table.has(route.path)) throw new Error(`route ${route.path} registered twice`)
    table.set(route.path, Object.freeze({ entry: entryOf(route, cors), segment: '', params: NO_PARAMS, counters: metrics.counters(route.path), path: route.path }))
  }

  function match (path: string): Match {
    const exact = table.get(path)
    if (exact !== undefined) return exact
    for (const candidate of prefixes) {
      const segment = segmentAfter(path, candidate.prefix)
      if (segment !== undefined) return { entry: candidate.entry, segment, params: NO_PARAMS, counters: candidate.counters, path }
    }
    if (patterns.length > 0) {
      const parts = path.split('/')
      for (const pattern of patterns) {
        const params = matchPattern(pattern, parts)
        if (params !== undefined) return { entry: pattern.entry, segment: '', params, counters: pattern.counters, path }
      }
    }
    return { entry: undefined, segment: '', params: NO_PARAMS, counters: unmatched, path }
  }

  function dispatch (req: IncomingMessage, res: ServerResponse, match: Match): void {
    const entry = match.entry
    if (entry === undefined) return replier.error(res, HTTP_ERRORS.TF_ERR_NOT_FOUND)
    // Before the method check: a preflight is an OPTIONS, and a 405 must be readable by the page too.
    if (entry.cors !== undefined) {
      const origin = req.headers.origin
      if (origin !== undefined && entry.cors.handle(req, res, origin)) return
    }
    const handler = entry.methods.get(req.method as string)
    if (handler === undefined) return replier.error(res, HTTP_ERRORS.TF_ERR_METHOD_NOT_ALLOWED, entry.allow)
    try {
      const pending = handler(req, res, match.segment, match.params)
      if (pending !== undefined) pending.catch((err: unknown) => replier.failure(res, err))
    } catch (err) {
      replier.failure(res, err)
    }
  }

  // url is always set on a server's request
  const route = (req: IncomingMessage, res: ServerResponse): void => dispatch(req, res, match(pathOf(req.url as string)))
  return Object.assign(route, { match, dispatch })
}
