// Runs the built service (dist/main.js) as a real cluster in a child process, as an operator would.

import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { freePort } from './redis-server.js'

export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url))

/** A running service process with its parsed log lines. */
export interface Service {
  readonly port: number
  readonly url: string
  readonly process: ChildProcess
  readonly logs: Record<string, unknown>[]
  /** stderr text (config errors land here). */
  stderr: string
  /** Resolve once `count` log lines satisfy `match` (or reject after `timeoutMs`). */
  waitForLog (match: (line: Record<string, unknown>) => boolean, count?: number, timeoutMs?: number): Promise<void>
  /** SIGTERM and wait for exit; returns the exit code. */
  stop (): Promise<number | null>
}

/**
 * Start `node dist/main.js` with `env` and wait until every worker listens.
 * @param coverage keep the service in the coverage report (through dist/'s source maps), for code only
 *   the built cluster runs; off by default, as most tests drive code that in-process tests cover
 * @param execArgv node flags before dist/main.js (the benchmark's --service-exec-argv)
 */
export async function startService (env: Record<string, string>, workers = 2, coverage = false, execArgv: readonly string[] = []): Promise<Service> {
  const port = await freePort()
  // execArgv: node flags for the primary, which passes them on to its workers (e.g. --cpu-prof, which
  // NODE_OPTIONS does not accept).
  const child = spawn(process.execPath, [...execArgv, MAIN], {
    env: { ...process.env, ...(coverage ? {} : { NODE_V8_COVERAGE: '' }), PORT: String(port), HOST: '127.0.0.1', WORKERS: String(workers), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: Record<string, unknown>[] = []
  const waiters = new Set<() => void>()
  let buffered = ''
  child.stdout?.setEncoding('utf8')
  child.stdout?.on('data', (chunk: string) => {
    buffered += chunk
    let nl
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>)
      } catch {
        logs.push({ raw: line })
      }
    }
    for (const waiter of waiters) waiter()
  })
  const service: Service = {
    port,
    url: `http://127.0.0.1:${port}`,
    process: child,
    logs,
    stderr: '',
    waitForLog (match, count = 1, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (logs.filter(match).length >= count) {
            waiters.delete(check)
            clearTimeout(timer)
            resolve()
          }
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`timed out waiting for log lines; have: ${JSON.stringify(logs)} stderr: ${service.stderr}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    async stop () {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill('SIGTERM')
      const [code] = await once(child, 'exit') as [number | null]
      return code
    },
  }
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => { service.stderr += chunk })
  await service.waitForLog((line) => line.msg === 'worker listening', workers)
  return service
}
