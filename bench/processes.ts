// Starting the two targets and reading their workers' memory from /proc.

import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { freePort } from '../test/helpers/redis-server.js'

const BASELINE = fileURLToPath(new URL('./baseline-server.ts', import.meta.url))

/** Baseline processes not yet stopped, including ones still starting: an interrupted run kills these. */
export const liveBaselines = new Set<ChildProcess>()

/** A running baseline cluster. */
export interface Baseline {
  readonly url: string
  readonly workerPids: number[]
  stop (): Promise<void>
}

/** Start the static baseline with `workers` workers answering `bodyBytes`-byte bodies. */
export async function startBaseline (workers: number, bodyBytes: number, env: Record<string, string> = {}): Promise<Baseline> {
  const port = await freePort()
  // Run through tsx like the harness; the loader costs at startup only, the workers run plain node:http.
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', BASELINE, String(port), String(workers), String(bodyBytes)], {
    env: { ...process.env, NODE_V8_COVERAGE: '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  liveBaselines.add(child)
  child.once('exit', () => liveBaselines.delete(child))
  const workerPids: number[] = []
  await new Promise<void>((resolve, reject) => {
    let buffered = ''
    child.once('exit', (code) => reject(new Error(`baseline exited during startup (code ${code})`)))
    child.stdout?.setEncoding('utf8')
    child.stdout?.on('data', (chunk: string) => {
      buffered += chunk
      for (const m of buffered.matchAll(/baseline listening (\d+)\n/g)) {
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
