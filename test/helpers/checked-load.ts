// Load that checks every answer: a few keep-alive connections send GET /features for callers drawn
// from a list whose answers are known, and every response is recorded with its time, status, body
// verdict and Retry-After. For the topology tests: what happens during a failover or a reshard is
// read off the samples (how many 503s, when, whether any answer was wrong, whether any request hung).

import { Agent, request } from 'node:http'

/** One caller and the body its answer must have. */
export interface Caller {
  readonly headers: Record<string, string>
  /** The exact 200 body expected. */
  readonly body: string
}

/** One response (or failure) as the load saw it. */
export interface CheckedSample {
  /** ms since the load started, at the response */
  readonly at: number
  /** HTTP status, or 0 for a request that failed or hung past the timeout */
  readonly status: number
  readonly latency: number
  /** A 200 whose body differed from the expected one. */
  readonly wrong: boolean
  /** A 503 that carried Retry-After. */
  readonly retryAfter: boolean
  readonly body: string
}

/** What a checked load run saw. */
export interface CheckedLoad {
  readonly samples: CheckedSample[]
  readonly ok: number
  readonly unavailable: number
  readonly wrong: CheckedSample[]
  /** Requests with no response within the timeout, or a socket error. */
  readonly failed: number
  /** 503s without Retry-After. */
  readonly bare503: number
  readonly other: Record<number, number>
  readonly maxLatency: number
  /** First and last 503 (ms since start); undefined when none. */
  readonly window: { first: number, last: number } | undefined
}

/**
 * Send requests from `connections` loops for `ms`, each picking callers round-robin from `callers`.
 * `timeoutMs`: a request with no response by then counts as failed (a hang).
 */
export async function checkedLoad (url: string, callers: readonly Caller[], options: { ms: number, connections?: number, timeoutMs?: number }): Promise<CheckedLoad> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections ?? 8 })
  const started = Date.now()
  const samples: CheckedSample[] = []
  const timeoutMs = options.timeoutMs ?? 3_000
  let next = 0
  const loop = async (): Promise<void> => {
    while (Date.now() - started < options.ms) {
      const caller = callers[next++ % callers.length] as Caller
      samples.push(await once(url, caller, agent, timeoutMs, started))
    }
  }
  await Promise.all(Array.from({ length: options.connections ?? 8 }, loop))
  agent.destroy()
  const other: Record<number, number> = {}
  let ok = 0
  let unavailable = 0
  let failed = 0
  let bare503 = 0
  for (const s of samples) {
    if (s.status === 200) ok++
    else if (s.status === 503) {
      unavailable++
      if (!s.retryAfter) bare503++
    } else if (s.status === 0) failed++
    else other[s.status] = (other[s.status] ?? 0) + 1
  }
  const down = samples.filter((s) => s.status === 503)
  return {
    samples,
    ok,
    unavailable,
    wrong: samples.filter((s) => s.wrong),
    failed,
    bare503,
    other,
    maxLatency: Math.max(0, ...samples.map((s) => s.latency)),
    window: down.length === 0 ? undefined : { first: Math.min(...down.map((s) => s.at)), last: Math.max(...down.map((s) => s.at)) },
  }
}

/** One line for t.comment. */
export function describeLoad (name: string, r: CheckedLoad): string {
  const span = r.window === undefined ? 'none' : `${r.window.first}-${r.window.last} ms (${r.window.last - r.window.first} ms)`
  return `${name}: ${r.samples.length} requests, ${r.ok} ok, ${r.unavailable} 503 (window ${span}), ${r.wrong.length} wrong, ` +
    `${r.failed} failed or hung, other ${JSON.stringify(r.other)}, max latency ${r.maxLatency} ms`
}

async function once (url: string, caller: Caller, agent: Agent, timeoutMs: number, started: number): Promise<CheckedSample> {
  const sent = Date.now()
  return await new Promise((resolve) => {
    const done = (status: number, body: string, retryAfter: boolean): void => {
      const now = Date.now()
      resolve({ at: now - started, status, latency: now - sent, wrong: status === 200 && body !== caller.body, retryAfter, body })
    }
    const req = request(`${url}/features`, { agent, headers: caller.headers, timeout: timeoutMs }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => done(res.statusCode ?? 0, body, res.headers['retry-after'] !== undefined))
      res.on('error', () => done(0, body, false))
    })
    req.on('timeout', () => req.destroy(new Error('hung')))
    req.on('error', () => done(0, '', false))
    req.end()
  })
}
