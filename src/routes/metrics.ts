// GET/HEAD /metrics: Prometheus text, for the whole cluster under our primary (README "Metrics").

import type { IncomingMessage, ServerResponse } from 'node:http'
import { DEFAULTS } from '../config/config.js'
import { HTTP_ERRORS } from '../errors.js'
import type { Replier } from '../http/reply.js'
import type { Route } from '../http/router.js'
import { shareRecent, type Dated } from '../observability/shared-result.js'

/**
 * The /metrics route. `gather` is the cluster's numbers relayed by our primary
 * (process/metrics-relay.ts), or this worker's own registry (pm2 cluster mode). Either way, scrapes
 * that arrive together share one gathering, reused for `maxAgeMs`: a crowd of scrapers must not
 * take the CPU that serving needs.
 * @param contentType the registry's Prometheus content type
 * @param maxAgeMs how old a gathered answer may be and still be served (ms)
 */
export function metricsRoute (contentType: string, gather: () => Promise<Dated<string>>, replier: Replier,
  maxAgeMs: number = DEFAULTS.metricsMaxAgeMs): Route {
  const collect = shareRecent(gather, maxAgeMs)
  async function get (req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text: string
    try {
      text = (await collect()).value
    } catch {
      return replier.error(res, HTTP_ERRORS.TF_ERR_METRICS_UNAVAILABLE)
    }
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) })
    res.end(req.method === 'HEAD' ? undefined : text)
  }
  return { path: '/metrics', methods: { GET: get, HEAD: get } }
}
