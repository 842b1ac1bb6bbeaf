// The admin listener of a worker (ADMIN_PORT, ADMIN_HOST): the admin API, on the same plumbing as the
// public listener (http/server.ts: timeouts, body limit, registry errors, drain), with its own
// metrics labels (each route's template; `admin:unmatched` for other paths). The public listener
// has no admin route, so it answers 404 for every admin path.
//
// Sign-in comes before routing, for every path under /admin/: an address over the failure limit gets
// 429 with Retry-After, a missing, malformed or unknown token 401 (counted as a failure); the route
// then checks the scope (403 for a read token on a write). Other paths (the web console's static
// files, console-assets.ts) are answered by the router alone: they hold no data, and the console sends
// the token with each API call. Tokens are never logged: the access log holds method, path and status.

import type { IncomingMessage, Server } from 'node:http'
import type { Logger } from 'pino'
import type { AdminConfig, Config } from '../config/config.js'
import { DEFAULTS } from '../config/defaults.js'
import type { AdminToken } from '../config/admin-tokens.js'
import { HTTP_ERRORS } from '../errors.js'
import { requestToken } from '../http/auth.js'
import type { Drain } from '../http/drain.js'
import { Replier } from '../http/reply.js'
import { createRouter } from '../http/router.js'
import { createListener, type Dispatch } from '../http/server.js'
import type { Metrics } from '../observability/metrics.js'
import type { AdminStore } from '../store/admin/admin-store.js'
import { AdminAuth } from './admin-auth.js'
import { auditRoute } from './audit-route.js'
import { consoleRoutes } from './console-assets.js'
import { explainRoute } from './explain-route.js'
import { FailureLimit } from './failure-limit.js'
import { featuresRoutes } from './features-routes.js'
import { targetsRoutes } from './targets-routes.js'

/** The metrics label of requests to paths the admin listener does not serve. */
export const ADMIN_UNMATCHED = 'admin:unmatched'

/** What the admin listener shares with its worker. */
export interface AdminOps {
  readonly drain: Drain
  readonly metrics: Metrics
  readonly accessLog: Logger | undefined
  /** The clock of the failure limit (tests); Date.now otherwise. */
  readonly now?: () => number
}

/** Create (not start) the admin listener. */
export function createAdminServer (config: Config & { admin: AdminConfig }, store: AdminStore, log: Logger, ops: AdminOps): Server {
  const { drain, metrics, accessLog } = ops
  const replier = new Replier(config, log, (err) => metrics.failure(err))
  const auth = new AdminAuth(config.admin.tokens)
  const failures = new FailureLimit(DEFAULTS.adminFailureLimit, DEFAULTS.adminFailureWindowMs, DEFAULTS.adminFailureAddresses, ops.now)
  const callers = new WeakMap<IncomingMessage, AdminToken>()
  const routing = { replier, callers }
  const routes = [
    ...featuresRoutes(store, routing),
    ...targetsRoutes(store, routing),
    explainRoute(store, routing),
    auditRoute(store, routing),
    ...consoleRoutes(),
  ]
  const unmatched = metrics.counters(ADMIN_UNMATCHED)
  const router = createRouter(routes, replier, metrics, undefined, unmatched)

  const signIn: Dispatch = (req, res, match) => {
    if (!match.path.startsWith('/admin/')) return router.dispatch(req, res, match)
    // Always set on a socket that delivered a request; '' only if it closed in between.
    const address = req.socket.remoteAddress ?? ''
    const wait = failures.blockedFor(address)
    if (wait > 0) return replier.error(res, HTTP_ERRORS.TF_ERR_ADMIN_RATE_LIMITED, { 'retry-after': Math.ceil(wait / 1000) })
    const token = requestToken(req)
    const entry = typeof token === 'string' ? auth.verify(token) : undefined
    if (entry === undefined) {
      failures.fail(address)
      return replier.error(res, HTTP_ERRORS.TF_ERR_UNAUTHORIZED)
    }
    callers.set(req, entry)
    router.dispatch(req, res, match)
  }
  return createListener(config, { router, replier, metrics, drain, accessLog, unmatched }, signIn)
}
