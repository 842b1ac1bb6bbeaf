// Correctness under load: while the generator runs, a sample of requests (one every few ms, on its
// own connection) is checked against the answer computed from the data set. A fast wrong answer is a
// failure, not a result.

import { Agent, request } from 'node:http'
import type { DataSet } from './data.js'
import { expected, type Call } from './scenarios.js'
import { LOCATION_HEADER, type TargetingData } from './targeting.js'

/** Outcome of a sampling run. */
export interface CheckReport {
  checked: number
  /** First few mismatches, for the report. */
  readonly failures: string[]
  failed: number
}

const MAX_REPORTED = 5

function fetchOnce (agent: Agent, url: string, call: Call): Promise<{ status: number, body: string }> {
  const headers: Record<string, string> = {}
  if (call.authorization !== undefined) headers.authorization = call.authorization
  if (call.location !== undefined) headers[LOCATION_HEADER] = call.location
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Check one call; records a failure in `report`. */
export async function checkCall (data: DataSet, url: string, agent: Agent, call: Call, report: CheckReport, targeting?: TargetingData): Promise<void> {
  const want = expected(data, call, targeting)
  report.checked++
  try {
    const got = await fetchOnce(agent, url, call)
    if (got.status === want.status && got.body === want.body) return
    report.failed++
    if (report.failures.length < MAX_REPORTED) {
      report.failures.push(`caller ${String(call.caller)}: want ${want.status} ${want.body}, got ${got.status} ${got.body}`)
    }
  } catch (err) {
    report.failed++
    if (report.failures.length < MAX_REPORTED) report.failures.push(`caller ${String(call.caller)}: ${(err as Error).message}`)
  }
}

/** Sample calls back to back (one in flight) until `stop` resolves. */
export async function sampleWhile (data: DataSet, url: string, calls: readonly Call[], stop: Promise<unknown>, intervalMs: number, targeting?: TargetingData): Promise<CheckReport> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const report: CheckReport = { checked: 0, failed: 0, failures: [] }
  let done = false
  // then(f, f), not finally(): a failed load run is reported by the harness, not as an unhandled rejection here.
  const finish = (): void => { done = true }
  stop.then(finish, finish)
  try {
    while (!done) {
      await checkCall(data, url, agent, calls[Math.floor(Math.random() * calls.length)] as Call, report, targeting)
      await new Promise((resolve) => setTimeout(resolve, intervalMs))
    }
  } finally {
    agent.destroy()
  }
  return report
}
