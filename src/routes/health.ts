// Liveness and readiness.
//   GET /healthz  the process answers HTTP; no Redis call, so a Redis outage never gets workers killed.
//   GET /readyz   200 only while this worker can reach both Redis instances (a PING each, within the
//                 command timeout) or holds the embedded store, and is not draining; 503 otherwise.
// Concurrent /readyz polls share one PING round, so a fleet of pollers costs one PING per instance.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { HTTP_ERRORS } from '../errors.js'
import type { Replier } from '../http/reply.js'
import type { Route } from '../http/router.js'
import type { Drain } from '../http/drain.js'
import type { FeatureStore } from '../store/index.js'

const OK_BODY = Buffer.from('{"status":"ok"}')
const READY_BODY = Buffer.from('{"status":"ready"}')
const OK_HEADERS = { 'content-type': 'application/json', 'content-length': OK_BODY.length, 'cache-control': 'no-store' }
const READY_HEADERS = { 'content-type': 'application/json', 'content-length': READY_BODY.length, 'cache-control': 'no-store' }

/** Returns whether the store answers now; concurrent calls share one check. */
export function readinessProbe (store: FeatureStore): () => Promise<boolean> {
  let running: Promise<boolean> | undefined
  return async () => {
    running ??= store.reachable().finally(() => { running = undefined })
    return await running
  }
}

/**
 * Wait until the store answers, at most `timeoutMs`. A worker listens only then, so in a rolling
 * restart its first requests do not meet a Redis connection still being opened. When Redis stays
 * down it listens anyway (answering 503 and /readyz 503) rather than never.
 */
export async function waitForStore (probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await probe()) return true
    if (Date.now() >= deadline) return false
    await sleep(25)
  }
}

/**
 * Call `onReachable` once the store answers, probing every `intervalMs`: a worker that listened
 * while its store was down reports READY when it can really serve. The timer never keeps the
 * process alive; the returned function stops the polling (at shutdown).
 */
export function whenStoreAnswers (probe: () => Promise<boolean>, intervalMs: number, onReachable: () => void): () => void {
  let stopped = false
  let timer: NodeJS.Timeout
  const tick = (): void => {
    void probe().then((ok) => {
      if (stopped) return
      if (ok) return onReachable()
      timer = setTimeout(tick, intervalMs).unref()
    })
  }
  timer = setTimeout(tick, intervalMs).unref()
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}

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
