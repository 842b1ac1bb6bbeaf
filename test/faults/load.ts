// Load for the fault tests: autocannon against the service, recording every response with its time,
// so a test can ask what happened before, during and after a fault.

import autocannon from 'autocannon'

/** One response as the load generator saw it. */
export interface Sample {
  /** ms since the load started */
  readonly at: number
  readonly status: number
  /** ms */
  readonly latency: number
}

/** The figures a fault test reports. */
export interface LoadResult {
  readonly sent: number
  readonly samples: Sample[]
  readonly non2xx: number
  readonly errors: number
  readonly timeouts: number
  readonly maxLatencyMs: number
  readonly errorTimes: number[]
  /** error code -> count, e.g. ECONNRESET */
  readonly errorCodes: Record<string, number>
}

/** Options of a load run. */
export interface LoadOptions {
  readonly url: string
  readonly seconds: number
  readonly connections?: number
  readonly requests?: autocannon.Request[]
  readonly headers?: Record<string, string>
  /** Per-request timeout (s); a hang counts as a timeout. */
  readonly timeout?: number
}

/** Run autocannon and collect every response. */
export async function load (options: LoadOptions): Promise<LoadResult> {
  const samples: Sample[] = []
  const errorTimes: number[] = []
  const started = Date.now()
  const errorCodes: Record<string, number> = {}
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url: options.url,
      connections: options.connections ?? 20,
      duration: options.seconds,
      timeout: options.timeout ?? 5,
      headers: options.headers,
      requests: options.requests,
    }, (err, res) => { if (err !== null && err !== undefined) reject(err as Error); else resolve(res) })
    instance.on('response', (_client: unknown, status: number, _bytes: number, latency: number) => {
      samples.push({ at: Date.now() - started, status, latency })
    })
    instance.on('reqError', (err: NodeJS.ErrnoException) => {
      errorTimes.push(Date.now() - started)
      const code = err.code ?? err.message
      errorCodes[code] = (errorCodes[code] ?? 0) + 1
    })
  })
  return {
    sent: result.requests.sent,
    samples,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    maxLatencyMs: result.latency.max,
    errorTimes,
    errorCodes,
  }
}

/** One line for the test log and the report. */
export function summary (name: string, r: LoadResult, extra: Record<string, unknown> = {}): string {
  const non2xx: Record<number, number> = {}
  for (const s of r.samples) if (s.status >= 300) non2xx[s.status] = (non2xx[s.status] ?? 0) + 1
  return `${name}: sent=${r.sent} responses=${r.samples.length} non2xx=${r.non2xx} ${JSON.stringify(non2xx)} ` +
    `errors=${r.errors} ${JSON.stringify(r.errorCodes)} first/last error at ms=${r.errorTimes[0] ?? '-'}/${r.errorTimes.at(-1) ?? '-'} ` +
    `timeouts=${r.timeouts} maxLatencyMs=${r.maxLatencyMs}` +
    Object.entries(extra).map(([k, v]) => ` ${k}=${String(v)}`).join('')
}
