// Dispatch by exact path, then method. Built once at startup: the hot path is one Map lookup.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { HTTP_ERRORS } from './errors.js'
import type { Replier } from './reply.js'

/** A request handler. It may throw or reject: the router answers with the error's status. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/** A path and the handlers of the methods it allows. */
export interface Route {
  readonly path: string
  readonly methods: Readonly<Record<string, Handler>>
}

interface Entry {
  readonly methods: ReadonlyMap<string, Handler>
  readonly allow: { allow: string }
}

/** Build the request listener for a set of routes. */
export function createRouter (routes: readonly Route[], replier: Replier): (req: IncomingMessage, res: ServerResponse) => void {
  const table = new Map<string, Entry>()
  for (const route of routes) {
    if (table.has(route.path)) throw new Error(`route ${route.path} registered twice`)
    table.set(route.path, {
      methods: new Map(Object.entries(route.methods)),
      allow: { allow: Object.keys(route.methods).join(', ') },
    })
  }

  return function route (req, res) {
    const url = req.url as string // always set on a server's request
    const q = url.indexOf('?')
    const entry = table.get(q === -1 ? url : url.slice(0, q))
    if (entry === undefined) return replier.error(res, HTTP_ERRORS.TF_ERR_NOT_FOUND)
    const handler = entry.methods.get(req.method as string)
    if (handler === undefined) return replier.error(res, HTTP_ERRORS.TF_ERR_METHOD_NOT_ALLOWED, entry.allow)
    try {
      const pending = handler(req, res)
      if (pending !== undefined) pending.catch((err: unknown) => replier.failure(res, err))
    } catch (err) {
      replier.failure(res, err)
    }
  }
}
