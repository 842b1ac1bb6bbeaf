// Starting the reference targets (the static baseline, the stripped ceiling) and reading their workers' memory from /proc.

import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { freePort } from '../test/helpers/redis-server.js'

const BASELINE = fileURLToPath(new URL('./baseline-server.ts', import.meta.url))
const CEILING = fileURLToPath(new URL('./ceiling-server.ts', import.meta.url))

/** Baseline and ceiling processes not yet stopped, including ones still starting: an interrupted run kills these. */
export const liveReferences = new Set<ChildProcess>()

/** A running reference cluster (the baseline or the ceiling). */
export interface ReferenceTarget {
  readonly url: string
  readonly workerPids: number[]
  stop (): Promise<void>
}

/** Start the static baseline with `workers` workers answering `bodyBytes`-byte bodies. */
export async function startBaseline (workers: number, bodyBytes: number, env: Record<string, string> = {}): Promise<ReferenceTarget> {
  return await startTarget(BASELINE, 'baseline', workers, [String(bodyBytes)], env)
}

/** Start the stripped ceiling server (bench/ceiling-server.ts) on the given Redis URLs. */
export async function startCeiling (workers: number, usersUrl: string, featuresUrl: string, env: Record<string, string> = {}): Promise<ReferenceTarget> {
  return await startTarget(CEILING, 'ceiling', workers, [usersUrl, featuresUrl], env)
}

// A cluster script started as `<script> <port> <workers> ...args`, whose workers each print
// `<name> listening <pid>`.
async function startTarget (script: string, name: string, workers: number, args: readonly string[], env: Record<string, string>): Promise<ReferenceTarget> {
  const port = await freePort()
  // Run through tsx like the harness; the loader costs at startup only, the workers run plain node:http.
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script, String(port), String(workers), ...args], {
    env: { ...process.env, NODE_V8_COVERAGE: '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  liveReferences.add(child)
  child.once('exit', () => liveReferences.delete(child))
  const workerPids: number[] = []
  const listening = new RegExp(`${name} listening (\\d+)\\n`, 'g')
  await new Promise<void>((resolve, reject) => {
    let buffered = ''
    child.once('exit', (code) => reject(new Error(`${name} exited during startup (code ${code})`)))
    child.stdout?.setEncoding('utf8')
    child.stdout?.on('data', (chunk: string) => {
      buffered += chunk
      for (const m of buffered.matchAll(listening)) {
        const pid = Number(m[1])
        if (!workerPids.includes(pid)) workerPids.push(pid)
      }
      if (workerPids.length >= workers) resolve()
    })
  })
  child.removeAllListeners('exit')
  return {
    url: `http://127.0.0.1:${port}/features`,
    workerPids,
    async stop () {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    },
  }
}

/** Resident set size of a process in MB (0 if it is gone). */
export function rssMb (pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? 0 : Number(m[1]) / 1024
  } catch {
    return 0
  }
}
