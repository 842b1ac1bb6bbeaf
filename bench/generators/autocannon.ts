// autocannon through its programmatic API, in this process. Its CPU share is this process's CPU time
// over the run (the checker's few requests are noise next to it).

import autocannon from 'autocannon'
import type { Call } from '../scenarios.js'
import { LOCATION_HEADER } from '../targeting.js'
import type { Generator, LoadResult } from './load.js'

// A fixed request is built once by autocannon; only a real mix pays for a per-request rebuild.
function requestOptions (calls: readonly Call[]): Partial<autocannon.Options> {
  const only = calls.length === 1 ? calls[0] : undefined
  if (only !== undefined) return { headers: headersOf(only) }
  const prebuilt = calls.map(headersOf)
  return {
    requests: [{
      setupRequest: (request: autocannon.Request) => ({ ...request, headers: prebuilt[Math.floor(Math.random() * prebuilt.length)] }),
    }],
  }
}

function headersOf (call: Call): Record<string, string> {
  const headers: Record<string, string> = {}
  if (call.authorization !== undefined) headers.authorization = call.authorization
  if (call.location !== undefined) headers[LOCATION_HEADER] = call.location
  return headers
}

/** Run autocannon against a target. */
export const runAutocannon: Generator = async (options) => {
  // autocannon's reconnectRate (its only way to open a connection per request) drops the response that
  // triggers the reconnect from every count: reconnectRate 1 measures 0 req/s. wrk reconnects properly.
  if (options.closeEach === true) throw new Error('autocannon cannot measure a new connection per request; use --generator wrk')
  const cpuBefore = process.cpuUsage()
  const started = process.hrtime.bigint()
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon({
      url: options.url,
      connections: options.connections,
      duration: options.durationS,
      // autocannon ends a run on its sampling tick (1 s by default): tick faster for short runs.
      sampleInt: options.durationS < 2 ? 25 : 1000,
      ...requestOptions(options.calls),
    }, (err, result) => {
      if (err !== null && err !== undefined) reject(err as Error)
      else resolve(result)
    })
  })
  const wallUs = Number(process.hrtime.bigint() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  const out: LoadResult = {
    requests: result.requests.total,
    rps: result.requests.total / (wallUs / 1e6),
    p50: result.latency.p50,
    p99: result.latency.p99,
    p999: result.latency.p99_9,
    maxLatency: result.latency.max,
    timeouts: result.timeouts,
    errors: result.errors, // includes timeouts
    non2xx: result.non2xx,
    generatorCpu: (cpu.user + cpu.system) / wallUs,
  }
  return out
}
