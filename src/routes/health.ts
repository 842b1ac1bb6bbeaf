// Liveness and readiness.
//   GET /healthz  the process answers HTTP; no Redis call, so a Redis outage never gets workers killed.
//   GET /readyz   200 only while this worker can reach both Redis instances (a PING each, within the
//                 command timeout) or holds the embedded store, and is not draining; 503 otherwise.
// Concurrent /readyz polls share one PING round, so a fleet of pollers costs one PING per instance.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { HTTP_ERRORS } from '../errors.js'
import type { Replier } from '../http/reply.js'
import type { Route } from '../http/router.js'
import type { Drain } from '../http/drain.js'

const OK_BODY = Buffer.from('{"status":"ok"}')
const READY_BODY = Buffer.from('{"status":"ready"}')
const OK_HEADERS = { 'content-type': 'application/json', 'content-length': OK_BODY.length, 'cache-control': 'no-store' }
const READY_HEADERS = { 'content-type': 'application/json', 'content-length': READY_BODY.length, 'cache-control': 'no-store' }

/** The /healthz and /readyz routes. */
export function healthRoutes (probe: () => Promise<boolean>, drain: Drain, replier: Replier): Route[] {
  function healthz (req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, OK_HEADERS)
    res.end(req.method === 'HEAD' ? undefined : OK_BODY)
  }
  async function readyz (req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (drain.phase !== 'serving' || !(await probe())) return replier.error(res, HTTP_ERRORS.TF_ERR_NOT_READY)
    res.writeHead(200, READY_HEADERS)
    res.end(req.method === 'HEAD' ? undefined : READY_BODY)
  }
  return [
    { path: '/healthz', methods: { GET: healthz, HEAD: healthz } },
    { path: '/readyz', methods: { GET: readyz, HEAD: readyz } },
  ]
}
