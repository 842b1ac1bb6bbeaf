// Dispatch by exact path, then method. Built once at startup: the hot path is one Map lookup.
// Paths with a parameter (OFREP's /ofrep/v1/evaluate/flags/{key}) are prefix routes, tried only
// after the exact lookup misses, so they cost the exact routes nothing.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { HTTP_ERRORS } from '../errors.js'
import type { Replier } from './reply.js'

/** A request handler. It may throw or reject: the router answers with the error's status. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/** A handler of a prefix route; `segment` is the path segment after the prefix, still percent-encoded. */
export type SegmentHandler = (req: IncomingMessage, res: ServerResponse, segment: string) => void | Promise<void>

/** A path and the handlers of the methods it allows. */
export interface Route {
  readonly path: string
  readonly methods: Readonly<Record<string, Handler>>
}

/** A prefix (ending in '/') followed by exactly one non-empty path segment, and its handlers. */
export interface PrefixRoute {
  readonly prefix: string
  readonly methods: Readonly<Record<string, SegmentHandler>>
}

interface Entry {
  readonly methods: ReadonlyMap<string, SegmentHandler>
  readonly allow: { allow: string }
}

function entryOf (methods: Readonly<Record<string, SegmentHandler>>): Entry {
  return { methods: new Map(Object.entries(methods)), allow: { allow: Object.keys(methods).join(', ') } }
}

/**
 * The path of a request URL, without its query string. Routing, metrics and logs all use the path
 * only: a query string could carry anything, a token included. Besides the usual origin form
 * (`/features?x`) a server must accept the absolute form (`http://host/features?x`, RFC 9112
 * §3.2.2); any other target (`*` of `OPTIONS *`) is returned as it is and matches no route.
 */
export function pathOf (url: string): string {
  if (url.charCodeAt(0) !== 47 /* '/' */) return absolutePath(url)
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

// Off the hot path: proxies send the absolute form, clients almost never do.
function absolutePath (url: string): string {
  const authority = url.indexOf('://')
  if (authority === -1) return url
  const end = url.indexOf('?', authority + 3)
  const target = end === -1 ? url : url.slice(0, end)
  const slash = target.indexOf('/', authority + 3)
  // An empty path is '/' (RFC 9112 §3.2.2: "http://host" asks for "/").
  return slash === -1 ? '/' : target.slice(slash)
}

/**
 * The path segment after `prefix` when `path` is the prefix followed by exactly one non-empty segment
 * (still percent-encoded), else undefined. The one rule for prefix routes: the router dispatches by it
 * and the metrics label by it, so a path the router answers 404 is never counted as the route.
 */
export function segmentAfter (path: string, prefix: string): string | undefined {
  if (!path.startsWith(prefix)) return undefined
  const rest = path.slice(prefix.length)
  return rest.length === 0 || rest.includes('/') ? undefined : rest
}

/** Build the request listener for a set of routes. */
export function createRouter (
  routes: readonly (Route | PrefixRoute)[],
  replier: Replier,
): (req: IncomingMessage, res: ServerResponse) => void {
  const table = new Map<string, Entry>()
  const prefixes: { prefix: string, entry: Entry }[] = []
  for (const route of routes) {
    if ('prefix' in route) {
      if (!route.prefix.endsWith('/')) throw new Error(`prefix route ${route.prefix} must end with '/'`)
      prefixes.push({ prefix: route.prefix, entry: entryOf(route.methods) })
      continue
    }
    if (table.has(route.path)) throw new Error(`route ${route.path} registered twice`)
    table.set(route.path, entryOf(route.methods))
  }

  return function route (req, res) {
    const path = pathOf(req.url as string) // url is always set on a server's request
    let entry = table.get(path)
    let segment = ''
    if (entry === undefined) {
      for (const candidate of prefixes) {
        const rest = segmentAfter(path, candidate.prefix)
        if (rest === undefined) continue
        entry = candidate.entry
        segment = rest
        break
      }
      if (entry === undefined) return replier.error(res, HTTP_ERRORS.TF_ERR_NOT_FOUND)
    }
    const handler = entry.methods.get(req.method as string)
    if (handler === undefined) return replier.error(res, HTTP_ERRORS.TF_ERR_METHOD_NOT_ALLOWED, entry.allow)
    try {
      const pending = handler(req, res, segment)
      if (pending !== undefined) pending.catch((err: unknown) => replier.failure(res, err))
    } catch (err) {
      replier.failure(res, err)
    }
  }
}
